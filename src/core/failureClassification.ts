// Turns whatever an AWS SDK v3 or OpenSearch client call threw into a kind the views can
// show as a state, a sentence that says what to do, and a fix they can offer as a button.
//
// Errors are read by duck typing (name, code, message, $metadata, meta.body) rather than
// instanceof: the core may not import those libraries, and bundles may hold several copies
// of an error class. `context` says what was being done; the message names the profile,
// parameter, topic, endpoint or index from it, because the error itself rarely does.

export type FailureKind =
  | 'sso-expired'
  | 'no-credentials'
  | 'access-denied'
  | 'parameter-missing'
  | 'opensearch-unreachable'
  | 'opensearch-timeout'
  | 'index-missing'
  | 'topic-missing'
  | 'throttled'
  | 'invalid-input'
  | 'unknown';

export interface FailureFix {
  label: string;
  /** A VS Code command id to run, with `args`. */
  command?: string;
  args?: unknown[];
  /** A shell command the user should run, e.g. in a terminal. */
  shellCommand?: string;
}

export interface FailureContext {
  profile?: string;
  region?: string;
  /** The OpenSearch endpoint, when the call went to OpenSearch. */
  endpoint?: string;
  parameterName?: string;
  topicArn?: string;
  index?: string;
  /** What was being done, in words or as an IAM action ("sns:Publish"). */
  action?: string;
}

export interface ClassifiedFailure {
  kind: FailureKind;
  /** What happened and what to do, in plain words; shown as is (as text). */
  message: string;
  retryable: boolean;
  fix?: FailureFix;
  /** The original error's name and message, for the log. */
  detail: string;
}

/** What adapters throw, so that callers see a classified failure and the original cause. */
export class DwhError extends Error {
  override readonly name = 'DwhError';
  readonly failure: ClassifiedFailure;

  /** `cause` is the original error, kept for the log. */
  constructor(failure: ClassifiedFailure, cause?: unknown) {
    super(failure.message, cause === undefined ? undefined : { cause });
    this.failure = failure;
  }

  /** `error` itself when it is already a DwhError, else one classifying it. */
  static from(error: unknown, context: FailureContext = {}): DwhError {
    return error instanceof DwhError ? error : new DwhError(classifyFailure(error, context), error);
  }
}

const MAX_QUOTED = 300;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);
const OPENSEARCH_ERROR_NAMES = new Set(['ConnectionError', 'NoLivingConnectionsError', 'ResponseError', 'RequestAbortedError', 'DeserializationError', 'SerializationError', 'ConfigurationError', 'NotCompatibleError', 'OpenSearchClientError']);
const EXPIRED_TOKEN_NAMES = new Set(['ExpiredToken', 'ExpiredTokenException', 'TokenRefreshRequired']);
const REJECTED_CREDENTIAL_NAMES = new Set(['InvalidClientTokenId', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'InvalidSignatureException', 'IncompleteSignature', 'MissingAuthenticationToken', 'MissingAuthenticationTokenException', 'AuthFailure']);
const THROTTLING_NAMES = new Set(['ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown', 'KMSThrottlingException', 'ProvisionedThroughputExceededException']);
const ACCESS_DENIED_NAMES = new Set(['AccessDeniedException', 'AccessDenied', 'AuthorizationErrorException', 'AuthorizationError', 'UnauthorizedOperation', 'KMSAccessDeniedException', 'KMSAccessDenied', 'Forbidden']);
const PARAMETER_MISSING_NAMES = new Set(['ParameterNotFound', 'ParameterVersionNotFound']);
const INVALID_INPUT_NAMES = new Set(['ValidationException', 'ValidationError', 'InvalidParameterException', 'InvalidParameter', 'InvalidParameterValue', 'InvalidParameterValueException', 'InvalidParameterCombination', 'InvalidKeyId', 'SerializationError', 'ConfigurationError']);
const OWN_ERROR_NAMES = new Set(['DecisionMessageError', 'CanonicalJsonError', 'CallerIdentityError']);
const OPENSEARCH_INVALID_TYPES = new Set(['parsing_exception', 'x_content_parse_exception', 'illegal_argument_exception', 'search_phase_execution_exception', 'mapper_parsing_exception', 'query_shard_exception', 'action_request_validation_exception']);

/** Everything the classification looks at, read defensively from any thrown value. */
interface Facts {
  name: string;
  code: string;
  message: string;
  status: number | null;
  openSearchType: string;
  openSearchIndex: string | null;
  throttlingFlag: boolean;
  looksLikeOpenSearch: boolean;
}

/** Classifies `error`; never throws. */
export function classifyFailure(error: unknown, context: FailureContext = {}): ClassifiedFailure {
  try {
    if (isDwhErrorLike(error)) {
      return error.failure;
    }
    return classify(readFacts(error), context);
  } catch {
    return {
      kind: 'unknown',
      message: `${doing(context)} failed in an unexpected way. See the DWH Approvals log for details.`,
      retryable: false,
      fix: SHOW_LOG,
      detail: 'The error could not be read.',
    };
  }
}

const SHOW_LOG: FailureFix = { label: 'Show log', command: 'dwhApprovals.showLog' };
const SELECT_PROFILE: FailureFix = { label: 'Select AWS profile', command: 'dwhApprovals.selectProfile' };
const RETRY: FailureFix = { label: 'Retry', command: 'dwhApprovals.refresh' };
const openSettings = (query: string): FailureFix => ({ label: 'Open settings', command: 'workbench.action.openSettings', args: [query] });

function classify(f: Facts, context: FailureContext): ClassifiedFailure {
  const detail = truncate(`${f.name || 'Error'}${f.code ? ` (${f.code})` : ''}: ${f.message}`, 2000);
  const make = (kind: FailureKind, message: string, retryable: boolean, fix?: FailureFix): ClassifiedFailure =>
    fix === undefined ? { kind, message, retryable, detail } : { kind, message, retryable, fix, detail };
  const profile = context.profile?.trim() ? context.profile.trim() : undefined;
  const whose = profile === undefined ? 'the default AWS profile' : `profile ${profile}`;
  const toOpenSearch = f.looksLikeOpenSearch || context.index !== undefined || (context.endpoint !== undefined && context.topicArn === undefined && context.parameterName === undefined);
  const awsText = quoted(f.message);

  // Expired sessions first: they also arrive as 403s and as credential-provider errors.
  const ssoLogin = /aws sso login/i.test(f.message) || /sso session.*(expired|invalid)/i.test(f.message) || /token is expired/i.test(f.message) || (f.name === 'UnauthorizedException' && /session token/i.test(f.message));
  if (ssoLogin) {
    const login = ssoLoginCommand(profile);
    return make('sso-expired', `Your AWS SSO session for ${whose} has expired. Run \`${login}\`, then refresh.`, false, { label: 'Run aws sso login', shellCommand: login });
  }
  if (EXPIRED_TOKEN_NAMES.has(f.name) || /security token included in the request is expired/i.test(f.message)) {
    const login = ssoLoginCommand(profile);
    return make(
      'sso-expired',
      `The AWS credentials of ${whose} have expired. If it is an AWS SSO profile, run \`${login}\`; otherwise renew its credentials. Then refresh.`,
      false,
      { label: 'Run aws sso login', shellCommand: login },
    );
  }

  if (REJECTED_CREDENTIAL_NAMES.has(f.name) || /security token included in the request is invalid/i.test(f.message) || (toOpenSearch && f.status === 401)) {
    return make('no-credentials', `AWS rejected the credentials of ${whose} (${f.name || f.status}). Renew them or choose another profile, then refresh.`, false, SELECT_PROFILE);
  }
  if (f.name === 'CredentialsProviderError' || f.name === 'TokenProviderError' || /could not load credentials/i.test(f.message) || /unable to (locate|load) credentials/i.test(f.message)) {
    if (/credential_process/i.test(f.message) || /^Command failed/i.test(f.message)) {
      return make('no-credentials', `The credential_process of ${whose} failed: ${awsText}. Fix it in your AWS config, then refresh.`, false, SELECT_PROFILE);
    }
    if (/profile .*(could not be found|was not found)/i.test(f.message)) {
      return make('no-credentials', `${capitalize(whose)} is not in your AWS config or credentials file. Choose another profile, or add it.`, false, SELECT_PROFILE);
    }
    return make(
      'no-credentials',
      `No AWS credentials were found for ${whose}. Set it up (for example \`aws configure sso${profile === undefined ? '' : ` --profile ${shellQuote(profile)}`}\`) or choose another profile.`,
      false,
      SELECT_PROFILE,
    );
  }

  if (THROTTLING_NAMES.has(f.name) || f.throttlingFlag || f.status === 429 || f.openSearchType === 'es_rejected_execution_exception') {
    const service = toOpenSearch ? 'OpenSearch' : 'AWS';
    return make('throttled', `${service} is limiting requests right now (${f.name || f.status}). Try again in a moment.`, true, RETRY);
  }

  const denial = parseDenial(f.message);
  if (ACCESS_DENIED_NAMES.has(f.name) || denial !== null || f.status === 403 || f.openSearchType === 'security_exception') {
    const action = denial?.action ?? context.action;
    const resource = denial?.resource ?? context.topicArn ?? context.parameterName ?? (context.index !== undefined ? `index ${context.index}` : context.endpoint);
    const who = denial?.principal !== undefined ? `${whose} (${denial.principal})` : whose;
    const what = action !== undefined ? `perform ${action}` : 'do this';
    const where = resource !== undefined ? ` on ${resource}` : '';
    return make('access-denied', `Access denied: ${who} may not ${what}${where}. Ask your AWS administrator for this permission, or choose another profile.`, false, SELECT_PROFILE);
  }

  if (PARAMETER_MISSING_NAMES.has(f.name)) {
    const name = context.parameterName ?? 'that was asked for';
    const region = context.region !== undefined ? ` in region ${context.region}` : '';
    return make('parameter-missing', `The SSM parameter ${name} does not exist${region}. Create it, or set the value directly in the DWH Approvals settings.`, false, openSettings('dwhApprovals'));
  }

  if ((f.name === 'NotFoundException' || f.name === 'NotFound' || f.name === 'ResourceNotFoundException') && (context.topicArn !== undefined || /topic/i.test(f.message))) {
    const topic = context.topicArn ?? 'the job_approvals topic';
    const region = context.region !== undefined ? ` in region ${context.region}` : '';
    return make('topic-missing', `The SNS topic ${topic} does not exist${region}. Check the dwhApprovals.sns.topicArn setting or the SSM parameter that names it.`, false, openSettings('dwhApprovals.sns'));
  }

  if (f.openSearchType === 'index_not_found_exception' || /index_not_found_exception|no such index/i.test(f.message)) {
    const index = f.openSearchIndex ?? context.index ?? 'that was asked for';
    const at = context.endpoint !== undefined ? ` at ${context.endpoint}` : '';
    return make('index-missing', `The OpenSearch index ${index} does not exist${at}. Check the DWH Approvals index settings.`, false, openSettings('dwhApprovals.opensearch'));
  }

  const isTimeout = f.name === 'TimeoutError' || TIMEOUT_CODES.has(f.code) || /\btimed? ?out\b/i.test(f.message);
  const isNetwork = f.name === 'ConnectionError' || f.name === 'NoLivingConnectionsError' || NETWORK_CODES.has(f.code) || mentionsNetworkCode(f.message);
  const endpoint = context.endpoint ?? 'the configured endpoint';
  if (toOpenSearch && isTimeout) {
    return make('opensearch-timeout', `OpenSearch at ${endpoint} did not answer in time. It may be busy or out of reach; try again.`, true, RETRY);
  }
  if (toOpenSearch && (isNetwork || f.status === 502 || f.status === 503 || f.status === 504)) {
    const why = f.code || networkCodeIn(f.message) || f.status || f.name;
    return make('opensearch-unreachable', `Cannot reach OpenSearch at ${endpoint} (${why}). Check the endpoint setting and your network or VPN, then refresh.`, true, openSettings('dwhApprovals.opensearch'));
  }

  if (OWN_ERROR_NAMES.has(f.name)) {
    // The core's own errors already say what is wrong in words meant for the user.
    return make('invalid-input', quoted(f.message), false, SHOW_LOG);
  }
  if (INVALID_INPUT_NAMES.has(f.name) || OPENSEARCH_INVALID_TYPES.has(f.openSearchType) || (toOpenSearch && f.status === 400)) {
    return make('invalid-input', `${doing(context)} was refused as invalid: ${awsText}.`, false, SHOW_LOG);
  }

  if (isTimeout || isNetwork) {
    const region = context.region !== undefined ? ` (region ${context.region})` : '';
    return make('unknown', `Cannot reach AWS${region}: ${awsText}. Check your network, region and endpoint settings, then refresh.`, true, RETRY);
  }
  const serverSide = f.status !== null && f.status >= 500;
  return make('unknown', `${doing(context)} failed: ${awsText}. See the DWH Approvals log for details.`, serverSide, SHOW_LOG);
}

function readFacts(error: unknown): Facts {
  const e = isRecord(error) ? error : {};
  const meta = isRecord(e.meta) ? e.meta : {};
  const body = isRecord(meta.body) ? meta.body : {};
  const bodyError = isRecord(body.error) ? body.error : {};
  const metadata = isRecord(e.$metadata) ? e.$metadata : {};
  const retryable = isRecord(e.$retryable) ? e.$retryable : {};
  const cause = isRecord(e.cause) ? e.cause : {};
  const nested = Array.isArray(e.errors) && isRecord(e.errors[0]) ? e.errors[0] : {};

  let message = typeof e.message === 'string' ? e.message : typeof error === 'string' ? error : '';
  // An OpenSearch ResponseError's message is only the error type; the reason says more.
  if (typeof bodyError.reason === 'string' && !message.includes(bodyError.reason)) {
    message = message === '' ? bodyError.reason : `${message}: ${bodyError.reason}`;
  } else if (message === '' || message === 'Response Error') {
    // Amazon OpenSearch Service answers 403 with {"message": "..."}.
    if (typeof body.message === 'string') message = body.message;
    else if (typeof body.Message === 'string') message = body.Message;
    else if (typeof meta.body === 'string') message = meta.body;
  }
  const status = [metadata.httpStatusCode, meta.statusCode, body.status, e.statusCode].find((s): s is number => typeof s === 'number') ?? null;
  const name = firstString(e.name, e.Code) ?? '';
  return {
    name: name === 'Error' ? firstString(e.Code) ?? name : name,
    code: firstString(e.code, cause.code, nested.code) ?? '',
    message,
    status,
    openSearchType: typeof bodyError.type === 'string' ? bodyError.type : '',
    openSearchIndex: typeof bodyError.index === 'string' ? bodyError.index : null,
    throttlingFlag: retryable.throttling === true,
    looksLikeOpenSearch: OPENSEARCH_ERROR_NAMES.has(name) || (name === 'TimeoutError' && 'meta' in e),
  };
}

interface Denial {
  principal: string | undefined;
  action: string | undefined;
  resource: string | undefined;
}

/** Reads IAM's "User: arn… is not authorized to perform: sns:Publish on resource: arn… because …". */
export function parseDenial(message: string): Denial | null {
  const m = /(?:User: (\S+) )?is not authorized to perform: (\S+?)(?: on resource: (\S+?))?(?:[.,;]?\s|[.,;]?$)/i.exec(message);
  if (!m) {
    return null;
  }
  return { principal: m[1], action: m[2], resource: m[3] };
}

/** The command that renews an SSO session, the profile quoted for a POSIX shell: shown in a fix and sent to the terminal. */
export function ssoLoginCommand(profile: string | undefined): string {
  return profile === undefined ? 'aws sso login' : `aws sso login --profile ${shellQuote(profile)}`;
}

/** Profile names are plain words; anything else is single-quoted for a POSIX shell. */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9._@+=:/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function doing(context: FailureContext): string {
  return context.action !== undefined && context.action.trim() !== '' ? context.action.trim() : 'The request';
}

function quoted(message: string): string {
  const text = message.trim() === '' ? 'no error message' : message.trim();
  return truncate(text.replace(/\s+/g, ' '), MAX_QUOTED);
}

const NETWORK_CODE_IN_TEXT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ECONNRESET|EHOSTUNREACH|ENETUNREACH)\b/;

function mentionsNetworkCode(message: string): boolean {
  return NETWORK_CODE_IN_TEXT.test(message);
}

/** The OpenSearch client puts Node's error code only into its message ("connect ECONNREFUSED …"). */
function networkCodeIn(message: string): string {
  return NETWORK_CODE_IN_TEXT.exec(message)?.[1] ?? '';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function firstString(...values: unknown[]): string | undefined {
  return values.find((v): v is string => typeof v === 'string' && v !== '');
}

function isDwhErrorLike(error: unknown): error is { failure: ClassifiedFailure } {
  if (error instanceof DwhError) {
    return true;
  }
  if (!isRecord(error) || error.name !== 'DwhError' || !isRecord(error.failure)) {
    return false;
  }
  const failure = error.failure;
  return typeof failure.kind === 'string' && typeof failure.message === 'string' && typeof failure.retryable === 'boolean';
}
