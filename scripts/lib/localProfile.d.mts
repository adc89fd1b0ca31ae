// Types of localProfile.mjs, for the TypeScript test fixtures that import it.
export interface StackEnv {
  opensearchUrl: string;
  awsEndpointUrl: string;
  region: string;
  topicArn: string;
  /** The processor's outcomes topic (approval_outcome); the downstream queue subscribes to it. */
  outcomesTopicArn?: string;
  queueUrls: { downstream: string; tap: string; processor: string; outcomesTap?: string; notifier?: string };
  /** The job_events topic the notifier reads (issue 13). */
  jobEventsTopicArn?: string;
  /** The alert emails: sender, recipients, the approval API's role and local URL (issue 13). */
  email?: { mailFrom: string; recipients: string[]; approvalApiRoleArn: string; approvalApiUrl: string; approvalApiPort: number };
  ssm: { endpointParameter: string; topicArnParameter: string; signingSecretParameter: string; policyParameter?: string };
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** The reviewers: IAM users in moto, by user name. */
  users?: Record<string, StackUser>;
  /** The approval policy JSON the stack put into SSM. */
  approvalPolicy?: string;
  [key: string]: unknown;
}
export interface LocalProfileEnv extends Record<string, string> {
  AWS_CONFIG_FILE: string;
  AWS_SHARED_CREDENTIALS_FILE: string;
}
export interface StackUser {
  userName: string;
  profile: string;
  arn: string;
  accessKeyId: string;
  secretAccessKey: string;
}
export const LOCAL_PROFILE: string;
export const SECOND_REVIEWER_PROFILE: string;
export const OBSERVER_PROFILE: string;
export function stackDir(root?: string): string;
export function writeLocalProfile(stackEnv: StackEnv, root?: string): LocalProfileEnv;
export function localExtensionSettings(stackEnv: StackEnv): Record<string, unknown>;
