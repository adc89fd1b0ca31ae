// Each failure kind from an error in the shape the libraries really throw: instances of the
// AWS SDK v3's modeled exception classes and of @opensearch-project/opensearch's error
// classes, plain objects copying shapes the libraries build internally (node-http-handler,
// @smithy/core/config's CredentialsProviderError), and errors produced for real, offline,
// by the SDK's credential providers and by clients pointed at a closed port.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthorizationErrorException, InvalidParameterException, NotFoundException, SNSServiceException, ThrottledException } from '@aws-sdk/client-sns';
import { GetParameterCommand, ParameterNotFound, SSMClient, SSMServiceException, ThrottlingException } from '@aws-sdk/client-ssm';
import { ExpiredTokenException, STSServiceException } from '@aws-sdk/client-sts';
import { fromIni } from '@aws-sdk/credential-providers';
import { Client, errors as openSearchErrors } from '@opensearch-project/opensearch';
import { CallerIdentityError } from '../../src/core/callerIdentity';
import { DecisionMessageError } from '../../src/core/decisionMessage';
import { classifyFailure, DwhError, parseDenial, type ClassifiedFailure, type FailureContext } from '../../src/core/failureClassification';

const ACCOUNT = '123456789012';
const TOPIC = `arn:aws:sns:us-east-1:${ACCOUNT}:job_approvals`;
const SNS_CONTEXT: FailureContext = { profile: 'dwh-dev', region: 'us-east-1', topicArn: TOPIC, action: 'sns:Publish' };
const SSM_CONTEXT: FailureContext = { profile: 'dwh-dev', region: 'us-east-1', parameterName: '/dwh/opensearch/endpoint', action: 'ssm:GetParameter' };
const OS_CONTEXT: FailureContext = { profile: 'dwh-dev', region: 'us-east-1', endpoint: 'https://search-dwh.us-east-1.es.amazonaws.com', index: 'job-events', action: 'es:ESHttpPost' };

const awsMetadata = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'b7f3c1e2-0000-4000-8000-000000000000', attempts: 1, totalRetryDelay: 0 });

/** What @smithy/core/config's CredentialsProviderError instances look like (name, tryNextLink). */
function credentialsProviderError(message: string, name = 'CredentialsProviderError'): Error {
  return Object.assign(new Error(message), { name, tryNextLink: false });
}

/** What Node's net module rejects with, plus the $metadata the SDK adds on the way out. */
function nodeNetworkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect', $metadata: { attempts: 3, totalRetryDelay: 412 } });
}

type OpenSearchResponse = ConstructorParameters<typeof openSearchErrors.ResponseError>[0];

/** The `meta` of an OpenSearch error, as the transport fills it (request and connection stubbed). */
function openSearchMeta(statusCode: number, body: unknown): OpenSearchResponse {
  const meta = { context: null, request: { params: {}, options: {}, id: 1 }, name: 'opensearch-js', connection: {}, attempts: 0, aborted: false };
  return { body, statusCode, headers: { 'content-type': 'application/json; charset=UTF-8' }, meta, warnings: null } as unknown as OpenSearchResponse;
}

function assertKind(failure: ClassifiedFailure, kind: ClassifiedFailure['kind'], retryable: boolean): void {
  assert.equal(failure.kind, kind, `${failure.kind}: ${failure.message}`);
  assert.equal(failure.retryable, retryable);
  assert.ok(failure.message.length > 0);
  assert.ok(failure.detail.length > 0);
}

describe('classifyFailure', () => {
  describe('sso-expired', () => {
    it('recognises the SSO provider’s expired-session error and names the login command', () => {
      const error = credentialsProviderError('The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.');
      const failure = classifyFailure(error, { profile: 'dwh-dev' });
      assertKind(failure, 'sso-expired', false);
      assert.equal(failure.message, 'Your AWS SSO session for profile dwh-dev has expired. Run `aws sso login --profile dwh-dev`, then refresh.');
      assert.deepEqual(failure.fix, { label: 'Run aws sso login', shellCommand: 'aws sso login --profile dwh-dev' });
    });

    it('recognises the token provider’s "Token is expired"', () => {
      const error = credentialsProviderError("Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.", 'TokenProviderError');
      assertKind(classifyFailure(error, { profile: 'dwh-dev' }), 'sso-expired', false);
    });

    it('says `aws sso login` without --profile for the default profile', () => {
      const failure = classifyFailure(credentialsProviderError('The SSO session associated with this profile has expired.'), {});
      assert.equal(failure.message, 'Your AWS SSO session for the default AWS profile has expired. Run `aws sso login`, then refresh.');
    });

    it('quotes a profile name a shell would split', () => {
      const failure = classifyFailure(credentialsProviderError('The SSO session associated with this profile has expired.'), { profile: "my profile's" });
      assert.equal(failure.fix?.shellCommand, `aws sso login --profile 'my profile'\\''s'`);
    });

    it('treats an expired session token from STS (ExpiredTokenException) as expired credentials', () => {
      const error = new ExpiredTokenException({ message: 'The security token included in the request is expired', $metadata: awsMetadata(400) });
      const failure = classifyFailure(error, { profile: 'dwh-dev', action: 'sts:GetCallerIdentity' });
      assertKind(failure, 'sso-expired', false);
      assert.match(failure.message, /credentials of profile dwh-dev have expired.*aws sso login --profile dwh-dev/);
    });

    it('treats SNS’s unmodeled ExpiredToken the same way', () => {
      const error = new SNSServiceException({ name: 'ExpiredToken', $fault: 'client', message: 'The security token included in the request is expired', $metadata: awsMetadata(403) });
      assertKind(classifyFailure(error, SNS_CONTEXT), 'sso-expired', false);
    });

    it('treats an OpenSearch 403 about an expired token as expired, not as access denied', () => {
      const error = new openSearchErrors.ResponseError(openSearchMeta(403, { message: 'The security token included in the request is expired' }));
      assertKind(classifyFailure(error, OS_CONTEXT), 'sso-expired', false);
    });
  });

  describe('no-credentials', () => {
    it('recognises "Could not load credentials from any providers"', () => {
      const failure = classifyFailure(credentialsProviderError('Could not load credentials from any providers'), { profile: 'dwh-dev' });
      assertKind(failure, 'no-credentials', false);
      assert.match(failure.message, /No AWS credentials were found for profile dwh-dev/);
      assert.deepEqual(failure.fix, { label: 'Select AWS profile', command: 'dwhApprovals.selectProfile' });
    });

    it('names a failing credential_process', () => {
      const failure = classifyFailure(credentialsProviderError('Profile dwh-dev credential_process returned expired credentials.'), { profile: 'dwh-dev' });
      assertKind(failure, 'no-credentials', false);
      assert.match(failure.message, /^The credential_process of profile dwh-dev failed: Profile dwh-dev credential_process returned expired credentials\./);
    });

    it('recognises a missing profile', () => {
      const failure = classifyFailure(credentialsProviderError('Profile nope could not be found in shared credentials file.'), { profile: 'nope' });
      assert.equal(failure.message, 'Profile nope is not in your AWS config or credentials file. Choose another profile, or add it.');
    });

    it('recognises credentials AWS rejected (InvalidClientTokenId, UnrecognizedClientException)', () => {
      const sts = new STSServiceException({ name: 'InvalidClientTokenId', $fault: 'client', message: 'The security token included in the request is invalid.', $metadata: awsMetadata(403) });
      const ssm = new SSMServiceException({ name: 'UnrecognizedClientException', $fault: 'client', message: 'The security token included in the request is invalid.', $metadata: awsMetadata(400) });
      for (const error of [sts, ssm]) {
        const failure = classifyFailure(error, { profile: 'dwh-dev' });
        assertKind(failure, 'no-credentials', false);
        assert.match(failure.message, /^AWS rejected the credentials of profile dwh-dev/);
      }
    });
  });

  describe('access-denied', () => {
    it('names the action and resource from SNS’s AuthorizationErrorException', () => {
      const error = new AuthorizationErrorException({
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/DataEngineer/jsmith is not authorized to perform: SNS:Publish on resource: ${TOPIC} because no resource-based policy allows the SNS:Publish action`,
        $metadata: awsMetadata(403),
      });
      const failure = classifyFailure(error, SNS_CONTEXT);
      assertKind(failure, 'access-denied', false);
      assert.equal(
        failure.message,
        `Access denied: profile dwh-dev (arn:aws:sts::${ACCOUNT}:assumed-role/DataEngineer/jsmith) may not perform SNS:Publish on ${TOPIC}. Ask your AWS administrator for this permission, or choose another profile.`,
      );
    });

    it('names kms:Decrypt when the signing secret cannot be decrypted', () => {
      const error = new SSMServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/DataEngineer/jsmith is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action`,
        $metadata: awsMetadata(400),
      });
      const failure = classifyFailure(error, { ...SSM_CONTEXT, parameterName: '/dwh/approvals/signing-secret' });
      assertKind(failure, 'access-denied', false);
      assert.match(failure.message, /may not perform kms:Decrypt on arn:aws:kms:us-east-1:123456789012:key\/1234abcd/);
    });

    it('falls back to the context’s action and resource when the message names none', () => {
      const error = new SSMServiceException({ name: 'AccessDeniedException', $fault: 'client', message: 'Access denied', $metadata: awsMetadata(400) });
      const failure = classifyFailure(error, SSM_CONTEXT);
      assert.equal(failure.message, 'Access denied: profile dwh-dev may not perform ssm:GetParameter on /dwh/opensearch/endpoint. Ask your AWS administrator for this permission, or choose another profile.');
    });

    it('reads Amazon OpenSearch Service’s 403 body, which has only a message', () => {
      const error = new openSearchErrors.ResponseError(
        openSearchMeta(403, { message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/DataEngineer/jsmith is not authorized to perform: es:ESHttpPost because no identity-based policy allows the es:ESHttpPost action` }),
      );
      const failure = classifyFailure(error, OS_CONTEXT);
      assertKind(failure, 'access-denied', false);
      assert.match(failure.message, /may not perform es:ESHttpPost on index job-events\./);
    });

    it('recognises an OpenSearch security_exception', () => {
      const error = new openSearchErrors.ResponseError(openSearchMeta(403, { error: { root_cause: [{ type: 'security_exception', reason: 'no permissions for [indices:data/read/search]' }], type: 'security_exception', reason: 'no permissions for [indices:data/read/search]' }, status: 403 }));
      assertKind(classifyFailure(error, OS_CONTEXT), 'access-denied', false);
    });
  });

  describe('parameter-missing', () => {
    it('names the parameter and the region', () => {
      const error = new ParameterNotFound({ message: '', $metadata: awsMetadata(400) });
      const failure = classifyFailure(error, SSM_CONTEXT);
      assertKind(failure, 'parameter-missing', false);
      assert.equal(failure.message, 'The SSM parameter /dwh/opensearch/endpoint does not exist in region us-east-1. Create it, or set the value directly in the DWH Approvals settings.');
      assert.deepEqual(failure.fix, { label: 'Open settings', command: 'workbench.action.openSettings', args: ['dwhApprovals'] });
    });
  });

  describe('topic-missing', () => {
    it('names the topic from SNS’s NotFoundException', () => {
      const error = new NotFoundException({ message: 'Topic does not exist', $metadata: awsMetadata(404) });
      const failure = classifyFailure(error, SNS_CONTEXT);
      assertKind(failure, 'topic-missing', false);
      assert.equal(failure.message, `The SNS topic ${TOPIC} does not exist in region us-east-1. Check the dwhApprovals.sns.topicArn setting or the SSM parameter that names it.`);
    });
  });

  describe('index-missing', () => {
    it('names the index from OpenSearch’s index_not_found_exception', () => {
      const body = {
        error: {
          root_cause: [{ type: 'index_not_found_exception', reason: 'no such index [job-events]', index: 'job-events', 'resource.id': 'job-events', 'resource.type': 'index_or_alias', index_uuid: '_na_' }],
          type: 'index_not_found_exception',
          reason: 'no such index [job-events]',
          index: 'job-events',
          'resource.id': 'job-events',
          'resource.type': 'index_or_alias',
          index_uuid: '_na_',
        },
        status: 404,
      };
      const error = new openSearchErrors.ResponseError(openSearchMeta(404, body));
      assert.equal(error.message, 'index_not_found_exception: [index_not_found_exception] Reason: no such index [job-events]');
      const failure = classifyFailure(error, { ...OS_CONTEXT, index: undefined });
      assertKind(failure, 'index-missing', false);
      assert.equal(failure.message, 'The OpenSearch index job-events does not exist at https://search-dwh.us-east-1.es.amazonaws.com. Check the DWH Approvals index settings.');
    });
  });

  describe('opensearch-unreachable', () => {
    it('names the endpoint for a refused connection', () => {
      const error = new openSearchErrors.ConnectionError('connect ECONNREFUSED 127.0.0.1:9200', openSearchMeta(0, null));
      const failure = classifyFailure(error, { ...OS_CONTEXT, endpoint: 'http://127.0.0.1:9200' });
      assertKind(failure, 'opensearch-unreachable', true);
      assert.equal(failure.message, 'Cannot reach OpenSearch at http://127.0.0.1:9200 (ECONNREFUSED). Check the endpoint setting and your network or VPN, then refresh.');
    });

    it('recognises an unknown host and no living connections', () => {
      assertKind(classifyFailure(new openSearchErrors.ConnectionError('getaddrinfo ENOTFOUND search-dwh.example', openSearchMeta(0, null)), OS_CONTEXT), 'opensearch-unreachable', true);
      assertKind(classifyFailure(new openSearchErrors.NoLivingConnectionsError('', openSearchMeta(0, null)), OS_CONTEXT), 'opensearch-unreachable', true);
    });

    it('treats a 503 from the domain as unreachable', () => {
      const error = new openSearchErrors.ResponseError(openSearchMeta(503, { message: 'Service Unavailable' }));
      assertKind(classifyFailure(error, OS_CONTEXT), 'opensearch-unreachable', true);
    });
  });

  describe('opensearch-timeout', () => {
    it('recognises the client’s TimeoutError and names the endpoint', () => {
      const error = new openSearchErrors.TimeoutError('Request timed out', openSearchMeta(0, null));
      const failure = classifyFailure(error, OS_CONTEXT);
      assertKind(failure, 'opensearch-timeout', true);
      assert.equal(failure.message, 'OpenSearch at https://search-dwh.us-east-1.es.amazonaws.com did not answer in time. It may be busy or out of reach; try again.');
    });
  });

  describe('throttled', () => {
    const throttles: Array<[string, Error, FailureContext]> = [
      ['SSM ThrottlingException', new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: awsMetadata(400) }), SSM_CONTEXT],
      ['SNS ThrottledException', new ThrottledException({ message: 'Rate exceeded', $metadata: awsMetadata(400) }), SNS_CONTEXT],
      ['STS Throttling (unmodeled)', new STSServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', $metadata: awsMetadata(400) }), {}],
      ['TooManyRequestsException', new SNSServiceException({ name: 'TooManyRequestsException', $fault: 'client', message: 'Too many requests', $metadata: awsMetadata(429) }), SNS_CONTEXT],
      ['an OpenSearch 429', new openSearchErrors.ResponseError(openSearchMeta(429, { error: { type: 'es_rejected_execution_exception', reason: 'rejected execution' }, status: 429 })), OS_CONTEXT],
    ];
    for (const [label, error, context] of throttles) {
      it(`recognises ${label} as retryable`, () => {
        const failure = classifyFailure(error, context);
        assertKind(failure, 'throttled', true);
        assert.deepEqual(failure.fix, { label: 'Retry', command: 'dwhApprovals.refresh' });
      });
    }
  });

  describe('invalid-input', () => {
    it('recognises SNS’s InvalidParameterException and quotes it', () => {
      const error = new InvalidParameterException({ message: 'Invalid parameter: Message too long', $metadata: awsMetadata(400) });
      const failure = classifyFailure(error, SNS_CONTEXT);
      assertKind(failure, 'invalid-input', false);
      assert.equal(failure.message, 'sns:Publish was refused as invalid: Invalid parameter: Message too long.');
    });

    it('recognises an OpenSearch parsing_exception and shows its reason', () => {
      const body = { error: { root_cause: [{ type: 'parsing_exception', reason: '[bool] malformed query, expected [END_OBJECT] but found [FIELD_NAME]' }], type: 'parsing_exception', reason: '[bool] malformed query, expected [END_OBJECT] but found [FIELD_NAME]' }, status: 400 };
      const failure = classifyFailure(new openSearchErrors.ResponseError(openSearchMeta(400, body)), OS_CONTEXT);
      assertKind(failure, 'invalid-input', false);
      assert.match(failure.message, /malformed query/);
    });

    it('passes the core’s own errors through in their words', () => {
      assert.equal(classifyFailure(new DecisionMessageError('A reason is required.')).message, 'A reason is required.');
      const identity = classifyFailure(new CallerIdentityError('Cannot tell who you are from the caller identity ARN "x".'), { action: 'sts:GetCallerIdentity' });
      assertKind(identity, 'invalid-input', false);
      assert.equal(identity.message, 'Cannot tell who you are from the caller identity ARN "x".');
    });
  });

  describe('unknown', () => {
    it('says what failed and points to the log', () => {
      const failure = classifyFailure(new Error('Something odd'), { action: 'sns:Publish' });
      assertKind(failure, 'unknown', false);
      assert.equal(failure.message, 'sns:Publish failed: Something odd. See the DWH Approvals log for details.');
      assert.deepEqual(failure.fix, { label: 'Show log', command: 'dwhApprovals.showLog' });
    });

    it('marks a server-side (5xx) AWS error retryable', () => {
      const error = new SNSServiceException({ name: 'InternalError', $fault: 'server', message: 'We encountered an internal error. Please try again.', $metadata: awsMetadata(500) });
      assertKind(classifyFailure(error, SNS_CONTEXT), 'unknown', true);
    });

    it('says AWS cannot be reached for network errors outside OpenSearch, retryable', () => {
      const failure = classifyFailure(nodeNetworkError('ENOTFOUND', 'getaddrinfo ENOTFOUND ssm.eu-west-9.amazonaws.com'), { ...SSM_CONTEXT, region: 'eu-west-9' });
      assertKind(failure, 'unknown', true);
      assert.equal(failure.message, 'Cannot reach AWS (region eu-west-9): getaddrinfo ENOTFOUND ssm.eu-west-9.amazonaws.com. Check your network, region and endpoint settings, then refresh.');
    });

    it('copes with values that are not errors at all', () => {
      for (const value of [undefined, null, 42, 'plain text', { weird: true }, Symbol('s'), [1, 2]]) {
        const failure = classifyFailure(value);
        assert.equal(failure.kind, 'unknown');
        assert.equal(typeof failure.message, 'string');
      }
      assert.match(classifyFailure('plain text').message, /plain text/);
    });

    it('never throws, even for an error whose properties throw', () => {
      const hostile = new Proxy({}, { get: () => { throw new Error('no'); }, has: () => { throw new Error('no'); } });
      const failure = classifyFailure(hostile, { action: 'x' });
      assert.equal(failure.kind, 'unknown');
    });

    it('shortens a huge message', () => {
      const failure = classifyFailure(new Error('x'.repeat(100_000)));
      assert.ok(failure.message.length < 500);
      assert.ok(failure.detail.length <= 2000);
    });
  });

  describe('errors produced for real by the SDK and the OpenSearch client, offline', function () {
    this.timeout(20_000);
    const saved: Record<string, string | undefined> = {};
    let home = '';

    before(() => {
      for (const key of ['HOME', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_PROFILE']) saved[key] = process.env[key];
      home = mkdtempSync(join(tmpdir(), 'dwh-credentials-'));
      const startUrl = 'https://dwh-example.awsapps.com/start';
      const cache = join(home, '.aws', 'sso', 'cache');
      mkdirSync(cache, { recursive: true });
      // The SSO provider looks its token up by the SHA-1 of the start URL; this one has expired.
      writeFileSync(join(cache, `${createHash('sha1').update(startUrl).digest('hex')}.json`), JSON.stringify({ accessToken: 'expired', expiresAt: '2020-01-01T00:00:00Z', region: 'us-east-1', startUrl }));
      writeFileSync(join(home, 'config'), [
        '[profile expired-sso]', `sso_start_url = ${startUrl}`, 'sso_region = us-east-1', `sso_account_id = ${ACCOUNT}`, 'sso_role_name = Admin', 'region = us-east-1', '',
        '[profile broken-process]', 'credential_process = /bin/false', '',
      ].join('\n'));
      writeFileSync(join(home, 'credentials'), '');
      process.env.HOME = home;
      process.env.AWS_CONFIG_FILE = join(home, 'config');
      process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
      delete process.env.AWS_PROFILE;
    });

    after(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      rmSync(home, { recursive: true, force: true });
    });

    async function thrown(promise: Promise<unknown>): Promise<unknown> {
      try {
        await promise;
      } catch (error) {
        return error;
      }
      assert.fail('expected the call to fail');
    }

    it('an SSO profile whose cached token has expired → sso-expired', async () => {
      const error = await thrown(fromIni({ profile: 'expired-sso' })());
      assertKind(classifyFailure(error, { profile: 'expired-sso' }), 'sso-expired', false);
    });

    it('a credential_process that fails → no-credentials naming credential_process', async () => {
      const error = await thrown(fromIni({ profile: 'broken-process' })());
      const failure = classifyFailure(error, { profile: 'broken-process' });
      assertKind(failure, 'no-credentials', false);
      assert.match(failure.message, /credential_process of profile broken-process failed: Command failed: \/bin\/false/);
    });

    it('a profile that does not exist → no-credentials', async () => {
      const error = await thrown(fromIni({ profile: 'no-such-profile' })());
      assertKind(classifyFailure(error, { profile: 'no-such-profile' }), 'no-credentials', false);
    });

    it('SSM at a closed port → cannot reach AWS, retryable', async () => {
      const ssm = new SSMClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
      try {
        const error = await thrown(ssm.send(new GetParameterCommand({ Name: '/dwh/opensearch/endpoint' })));
        assertKind(classifyFailure(error, SSM_CONTEXT), 'unknown', true);
      } finally {
        ssm.destroy();
      }
    });

    it('OpenSearch at a closed port → opensearch-unreachable naming the endpoint', async () => {
      const client = new Client({ node: 'http://127.0.0.1:1', maxRetries: 0, requestTimeout: 5000 });
      try {
        const error = await thrown(client.search({ index: 'job-events', body: { query: { match_all: {} } } }));
        const failure = classifyFailure(error, { endpoint: 'http://127.0.0.1:1', index: 'job-events' });
        assertKind(failure, 'opensearch-unreachable', true);
        assert.match(failure.message, /^Cannot reach OpenSearch at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
      } finally {
        await client.close();
      }
    });
  });
});

describe('parseDenial', () => {
  it('reads principal, action and resource', () => {
    assert.deepEqual(parseDenial('User: arn:aws:iam::1:user/a is not authorized to perform: sns:Publish on resource: arn:aws:sns:us-east-1:1:t with an explicit deny in an identity-based policy'), {
      principal: 'arn:aws:iam::1:user/a',
      action: 'sns:Publish',
      resource: 'arn:aws:sns:us-east-1:1:t',
    });
  });
  it('reads a message without a resource, or ending in a full stop', () => {
    assert.deepEqual(parseDenial('User: arn:aws:iam::1:user/a is not authorized to perform: es:ESHttpGet'), { principal: 'arn:aws:iam::1:user/a', action: 'es:ESHttpGet', resource: undefined });
    assert.equal(parseDenial('... is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:x:1:parameter/p.')?.resource, 'arn:aws:ssm:x:1:parameter/p');
  });
  it('is null for other messages', () => {
    assert.equal(parseDenial('Access Denied'), null);
  });
});

describe('DwhError', () => {
  it('carries the failure and the original error', () => {
    const cause = new ParameterNotFound({ message: '', $metadata: awsMetadata(400) });
    const error = DwhError.from(cause, SSM_CONTEXT);
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'DwhError');
    assert.equal(error.failure.kind, 'parameter-missing');
    assert.equal(error.message, error.failure.message);
    assert.equal(error.cause, cause);
  });

  it('is not wrapped twice, and is classified as itself', () => {
    const error = DwhError.from(new Error('x'), {});
    assert.equal(DwhError.from(error, SNS_CONTEXT), error);
    assert.equal(classifyFailure(error, SNS_CONTEXT), error.failure);
  });

  it('is recognised by shape when it comes from another copy of the class', () => {
    const failure: ClassifiedFailure = { kind: 'topic-missing', message: 'm', retryable: false, detail: 'd' };
    const foreign = Object.assign(new Error('m'), { name: 'DwhError', failure });
    assert.equal(classifyFailure(foreign), failure);
  });

  it('takes the cause as its second argument', () => {
    const cause = new Error('root');
    assert.equal(new DwhError(classifyFailure(cause), cause).cause, cause);
    assert.equal(new DwhError(classifyFailure(cause)).cause, undefined);
  });
});
