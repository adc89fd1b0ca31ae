// Just enough of IAM's policy evaluation to check a policy document against the calls a
// program made: Allow/Deny statements, Action and Resource with `*` and `?` wildcards, and the
// condition operators our template uses (String*, Arn*). Anything else (NotAction,
// NotResource, another operator) throws: this must never answer "allowed" by not knowing.

export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
  [other: string]: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement: PolicyStatement | PolicyStatement[];
}

/** One request as IAM sees it: the action, the resource ARN and the request's condition keys. */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string>;
}

export function statementsOf(document: PolicyDocument): PolicyStatement[] {
  return Array.isArray(document.Statement) ? document.Statement : [document.Statement];
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

function conditionHolds(condition: PolicyStatement['Condition'], context: Record<string, string>): boolean {
  if (!condition) return true;
  const lowerContext = new Map(Object.entries(context).map(([key, value]) => [key.toLowerCase(), value]));
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, wanted]) => {
      const actual = lowerContext.get(key.toLowerCase());
      if (actual === undefined) return false;
      const values = list(wanted);
      switch (operator) {
        case 'StringEquals':
        case 'ArnEquals':
          return values.includes(actual);
        case 'StringLike':
        case 'ArnLike':
          return values.some((value) => wildcard(value, actual, false));
        default:
          throw new Error(`iamPolicy: condition operator ${operator} is not understood here`);
      }
    }),
  );
}

function matches(statement: PolicyStatement, request: IamRequest): boolean {
  for (const unsupported of ['NotAction', 'NotResource', 'NotPrincipal']) {
    if (unsupported in statement) throw new Error(`iamPolicy: ${unsupported} is not understood here`);
  }
  return (
    list(statement.Action).some((action) => wildcard(action, request.action, true)) &&
    list(statement.Resource).some((resource) => wildcard(resource, request.resource, false)) &&
    conditionHolds(statement.Condition, request.context ?? {})
  );
}

/** Whether the documents together allow the request: some Allow matches and no Deny does. */
export function isAllowed(documents: readonly PolicyDocument[], request: IamRequest): boolean {
  const statements = documents.flatMap(statementsOf);
  if (statements.some((statement) => statement.Effect === 'Deny' && matches(statement, request))) return false;
  return statements.some((statement) => statement.Effect === 'Allow' && matches(statement, request));
}

/** Statements that allow any action (`*`, `service:*`) or any resource (`*`), with the action they allow. */
export function wildcardGrants(document: PolicyDocument): Array<{ sid: string; actions: string[]; resources: string[] }> {
  return statementsOf(document)
    .filter((statement) => statement.Effect === 'Allow')
    .filter((statement) => list(statement.Action).some((a) => a === '*' || a.endsWith(':*')) || list(statement.Resource).includes('*'))
    .map((statement) => ({ sid: statement.Sid ?? '(no Sid)', actions: list(statement.Action), resources: list(statement.Resource) }));
}
