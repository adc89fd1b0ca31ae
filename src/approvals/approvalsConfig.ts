// Configuration of the two email functions (the notifier and the approval API), from
// environment variables. Nothing secret: the signing secret is named by an SSM parameter.
//
//   PUBLIC_BASE_URL               where the approval API answers (links are PUBLIC_BASE_URL/decide?token=…);
//                                 https, or http on 127.0.0.1/localhost only
//   MAIL_FROM                     the notifier's sender (an SES-verified identity)
//   LINK_TTL_HOURS                how long a link works (default 72; never beyond the run's expiry)
//   POLICY / POLICY_PARAMETER     the approval policy (core/approvalPolicy.ts: per job, `notify` are the
//                                 recipients, `emailDecisions` what a link may do); default parameter /dwh/approvals/policy
//   TOPIC_ARN / TOPIC_ARN_PARAMETER         the job_approvals topic (default parameter /dwh/sns/job-approvals-arn)
//   OPENSEARCH_ENDPOINT / _PARAMETER, OPENSEARCH_SERVICE, OPENSEARCH_AUTH, OPENSEARCH_INDEX,
//   APPROVALS_INDEX, SIGNING_SECRET_PARAMETER, AWS_REGION, DWH_AWS_ENDPOINT_URL: as the processor's.

import { DEFAULT_CONNECTION_SETTINGS } from '../core/connectionSettings';
import { envText, readLambdaConnection, type Environment, type LambdaConnectionConfig } from '../processor/processorConfig';
import { isEmailAddress } from '../core/emailLinkToken';
import { DEFAULT_LINK_TTL_HOURS } from '../core/emailLinkToken';

export interface ApprovalsConfig extends LambdaConnectionConfig {
  publicBaseUrl: string;
  mailFrom: string | null;
  linkTtlHours: number;
  topicArn: string | null;
  topicArnParameter: string;
}

class ApprovalsConfigError extends Error {
  override readonly name = 'ApprovalsConfigError';
}

export type { Environment };

/**
 * The notifier needs PUBLIC_BASE_URL and MAIL_FROM (`mail`); the approval API needs neither
 * (it renders no links; without PUBLIC_BASE_URL, or with an https one, its cookie is Secure).
 */
export function readApprovalsConfig(env: Environment, needs: { mail: boolean }): ApprovalsConfig {
  const base = text(env, 'PUBLIC_BASE_URL');
  if (base === null && needs.mail) throw new ApprovalsConfigError('PUBLIC_BASE_URL is not set (where the approval API answers).');
  const publicBaseUrl = base === null ? '' : checkedBaseUrl(base);
  const mailFrom = text(env, 'MAIL_FROM');
  if (needs.mail && (mailFrom === null || !isEmailAddress(mailFrom))) throw new ApprovalsConfigError('MAIL_FROM must be a plain email address (an SES-verified identity).');
  const ttl = Number(text(env, 'LINK_TTL_HOURS') ?? DEFAULT_LINK_TTL_HOURS);
  if (!Number.isFinite(ttl) || ttl <= 0 || ttl > 24 * 30) throw new ApprovalsConfigError('LINK_TTL_HOURS must be a number of hours above 0, at most 720.');
  return {
    ...readLambdaConnection(env, (message) => {
      throw new ApprovalsConfigError(message);
    }),
    publicBaseUrl,
    mailFrom,
    linkTtlHours: ttl,
    topicArn: text(env, 'TOPIC_ARN'),
    topicArnParameter: text(env, 'TOPIC_ARN_PARAMETER') ?? DEFAULT_CONNECTION_SETTINGS.topicArnParameter,
  };
}

function checkedBaseUrl(base: string): string {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new ApprovalsConfigError(`PUBLIC_BASE_URL is not a URL: ${JSON.stringify(base)}.`);
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    throw new ApprovalsConfigError('PUBLIC_BASE_URL must be https (http only on 127.0.0.1 or localhost).');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ApprovalsConfigError('PUBLIC_BASE_URL must have no query, fragment or user info.');
  }
  return url.toString().replace(/\/+$/, '');
}

const text = envText;
