// The built CLI (dist/cli.js through bin/) as a child process against the real local stack:
// each command, its --json output parsed, every exit code produced for real (a usage error,
// a run that is not there, an unreachable OpenSearch, a run decided meanwhile, an expired
// SSO profile behind credential_process), and a published decision read back from SQS.
// The CLI reads its configuration as the extension does: a profile from an AWS config file
// of the test's own, the OpenSearch endpoint and topic from SSM (moto), the secret from SSM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { StsIdentityVerifier } from '../../src/adapters/stsIdentityVerifier';
import { verifyMessageSignature, type DecisionMessage } from '../../src/core/decisionMessage';
import { localStack, type SeedManifest, type StackEnv } from '../support/localStack';
import { purge, receiveUpToNow, sqsClient } from '../support/queues';
import { hostileJobDocument } from '../support/hostileCorpus';
import { createReviewer, type Reviewer } from '../support/reviewers';

const ROOT = path.resolve(__dirname, '..', '..');

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the dwh-approvals CLI as a child process against the local stack', function () {
  this.timeout(300_000);
  let env: StackEnv;
  let manifest: SeedManifest;
  let sqs: SQSClient;
  let secret: string;
  let reviewer: Reviewer;
  let awsDir: string;

  /** Runs bin/NAME.js with the test's AWS files; never through a shell. */
  const cli = (name: string, args: readonly string[], extraEnv: Record<string, string> = {}): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin', `${name}.js`), ...args], {
        cwd: os.tmpdir(),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: awsDir,
          AWS_CONFIG_FILE: path.join(awsDir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
          AWS_ENDPOINT_URL: env.awsEndpointUrl,
          AWS_PROFILE: 'cli-reviewer',
          ...extraEnv,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const json = <T>(result: CliResult): T => {
    try {
      return JSON.parse(result.stdout) as T;
    } catch {
      assert.fail(`stdout is not JSON (exit ${result.code}): ${result.stdout.slice(0, 500)}\nstderr: ${result.stderr.slice(0, 500)}`);
    }
  };
  const os_ = async (method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${env.opensearchUrl}${urlPath}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as Record<string, unknown>;
  };

  before(async () => {
    const local = await localStack();
    env = local.env;
    manifest = (await local.stack.seedStack({ pending: 30, history: 8, decided: 3, messy: 4 })).manifest;
    secret = (await local.stack.readSigningSecret(env)) ?? assert.fail('the stack has a signing secret');
    sqs = sqsClient(env);
    if (process.env.DWH_SKIP_BUNDLE !== '1') {
      assert.equal(spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, stdio: 'inherit' }).status, 0, 'node esbuild.js bundled the CLI');
    }
    // A reviewer of their own (an IAM user in moto): STS names them, so decided_by shows that the
    // CLI's identity comes from the profile's credentials.
    reviewer = await createReviewer({ region: env.region, awsEndpointUrl: env.awsEndpointUrl }, 'cli-reviewer-dana');
    awsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-cli-aws-'));
    // The expired SSO session as `aws configure export-credentials` reports it to a credential_process.
    const expiredSso = path.join(awsDir, 'expired-sso.js');
    fs.writeFileSync(
      expiredSso,
      "process.stderr.write('Error when retrieving token from sso: Token has expired and refresh failed\\n" +
        "The SSO session associated with this profile has expired or is otherwise invalid. To refresh this SSO session run aws sso login with the corresponding profile.\\n');\n" +
        'process.exit(255);\n',
    );
    fs.writeFileSync(
      path.join(awsDir, 'config'),
      `[profile cli-reviewer]\nregion = ${env.region}\n\n` +
        `[profile team-sso]\nregion = ${env.region}\ncredential_process = ${process.execPath} ${expiredSso}\n`,
    );
    fs.writeFileSync(
      path.join(awsDir, 'credentials'),
      `[cli-reviewer]\naws_access_key_id = ${reviewer.credentials.accessKeyId}\naws_secret_access_key = ${reviewer.credentials.secretAccessKey}\n`,
      { mode: 0o600 },
    );
  });

  after(() => {
    sqs?.destroy();
    if (awsDir) fs.rmSync(awsDir, { recursive: true, force: true });
  });

  it('pending --json lists exactly the pending runs, soonest to expire first; --job and --urgent filter', async () => {
    const all = await cli('dwh-approvals', ['pending', '--json']);
    assert.equal(all.code, 0, all.stderr);
    const runs = json<Array<{ job_run_id: string; job_name: string; expires_at: string | null; urgency: string }>>(all);
    assert.deepEqual(new Set(runs.map((r) => r.job_run_id)), new Set(manifest.pendingRunIds));
    const expiries = runs.map((r) => (r.expires_at === null ? Infinity : Date.parse(r.expires_at)));
    assert.deepEqual(expiries, [...expiries].sort((a, b) => a - b), 'soonest to expire first');

    const job = runs[0]?.job_name ?? assert.fail('a pending run');
    const ofJob = json<Array<{ job_name: string }>>(await cli('dwh-approvals', ['pending', '--json', '--job', job]));
    assert.equal(ofJob.length, runs.filter((r) => r.job_name === job).length);
    assert.ok(ofJob.every((r) => r.job_name === job));

    const urgent = json<Array<{ job_run_id: string }>>(await cli('dwh-approvals', ['pending', '--json', '--urgent']));
    assert.deepEqual(new Set(urgent.map((r) => r.job_run_id)), new Set([...manifest.urgentRunIds, ...manifest.overdueRunIds]));
  });

  it('pending for a person (the dwh-pending alias): one line per run, no colours and no spinner off a terminal', async () => {
    const result = await cli('dwh-pending', []);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, manifest.pendingCount + 2, 'a header, one line per run, the count');
    assert.match(lines[lines.length - 1] ?? '', new RegExp(`^${manifest.pendingCount} pending`));
    assert.ok(!result.stdout.includes('\u001b') && !result.stderr.includes('\u001b'), 'no escape sequence when not on a terminal');
    assert.equal(result.stderr, '', 'nothing on stderr');
  });

  it('show --json reads one run; an unknown run exits 1', async () => {
    const runId = manifest.pendingRunIds[3] ?? assert.fail('a pending run');
    const shown = json<{ job_run_id: string; pending: boolean; checks: unknown[] }>(await cli('dwh-approvals', ['show', runId, '--json']));
    assert.equal(shown.job_run_id, runId);
    assert.equal(shown.pending, true);
    assert.ok(shown.checks.length > 0);

    const missing = await cli('dwh-approvals', ['show', 'no-such-run-20990101', '--json']);
    assert.equal(missing.code, 1);
    assert.deepEqual(json(missing), { result: 'not-found', job_run_id: 'no-such-run-20990101' });
  });

  it('history --json lists the job\'s runs and its decisions', async () => {
    const decided = manifest.decidedRunIds[0] ?? assert.fail('a decided run');
    const doc = (await os_('POST', '/job-events/_search', { size: 1, query: { term: { job_run_id: decided } } })) as { hits: { hits: Array<{ _source: { job_name: string } }> } };
    const job = doc.hits.hits[0]?._source.job_name ?? assert.fail('the decided run exists');
    const result = await cli('dwh-approvals', ['history', job, '--json', '--limit', '50']);
    assert.equal(result.code, 0, result.stderr);
    const history = json<{ runs: Array<{ job_run_id: string; approval_status: string | null }>; decisions: unknown[] }>(result);
    assert.ok(history.runs.length > 1);
    assert.ok(history.runs.some((r) => r.job_run_id === decided && r.approval_status !== null), 'the decided run with its decision');
    assert.ok(Array.isArray(history.decisions));
  });

  it('approve --json publishes one v2-signed decision under the profile\'s own identity, delivered to SQS', async () => {
    const runId = manifest.pendingRunIds[5] ?? assert.fail('a pending run');
    await purge(sqs, env.queueUrls.tap);
    const result = await cli('dwh-approve', [runId, '--reason', 'Known upstream backfill', '--yes', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const printed = json<{ result: string; decision_id: string; decided_by: string; message_id: string }>(result);
    assert.equal(printed.result, 'published');
    assert.equal(printed.decided_by, reviewer.name);

    const delivered = await receiveUpToNow(sqs, env.queueUrls.tap);
    assert.equal(delivered.length, 1, 'one message on the subscribed queue');
    const message = delivered[0]?.message as unknown as DecisionMessage;
    assert.equal(delivered[0]?.attributes.decision?.Value, 'APPROVED');
    assert.equal(message.decision_id, printed.decision_id);
    assert.equal(message.job_run_id, runId);
    assert.equal(message.decision, 'APPROVED');
    assert.equal(message.reason, 'Known upstream backfill');
    assert.equal(message.signature_version, 'v2');
    assert.ok(verifyMessageSignature(message, secret), 'HMAC with the secret from SSM');
    assert.ok(message.signature_version === 'v2' && message.identity_proof, 'an identity proof');
    const answer = await new StsIdentityVerifier({ region: env.region, endpointUrl: env.awsEndpointUrl }).verify(message.identity_proof);
    assert.deepEqual(answer.kind === 'verified' ? answer.arn : answer, reviewer.arn, 'STS names the reviewer for the proof');
  });

  it('on a terminal (a pty from util-linux `script`): asks for the reason and the confirmation, draws a spinner on stderr and colours', async () => {
    const runId = manifest.pendingRunIds[8] ?? assert.fail('a pending run');
    await purge(sqs, env.queueUrls.tap);
    const command = [process.execPath, path.join(ROOT, 'bin', 'dwh-reject.js'), runId].map((part) => `'${part.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: os.tmpdir(),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: awsDir,
        TERM: 'xterm',
        AWS_CONFIG_FILE: path.join(awsDir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
        AWS_ENDPOINT_URL: env.awsEndpointUrl,
        AWS_PROFILE: 'cli-reviewer',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    const answered = new Set<string>();
    const answer = (prompt: string, text: string): void => {
      if (!answered.has(prompt) && screen.includes(prompt)) {
        answered.add(prompt);
        child.stdin.write(`${text}\r`);
      }
    };
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString('utf8');
      answer(`Reason to reject ${runId}: `, 'Schema drift breaks the join');
      answer('? [y/N] ', 'y');
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    assert.equal(code, 0, screen);
    assert.deepEqual([...answered].length, 2, `both prompts were shown: ${screen}`);
    assert.ok(/[\u2800-\u28ff] Looking the run up/.test(screen), 'a spinner frame');
    assert.ok(screen.includes(`\u001b[31mRejected\u001b[39m ${runId}`), `the result in colour: ${JSON.stringify(screen.slice(-300))}`);
    const delivered = await receiveUpToNow(sqs, env.queueUrls.tap);
    assert.deepEqual(delivered.map((d) => [d.message.job_run_id, d.message.decision, d.message.reason]), [[runId, 'REJECTED', 'Schema drift breaks the join']]);
  });

  it('reject without --reason or --yes off a terminal is a usage error (exit 2) and publishes nothing; so is an unknown command', async () => {
    const runId = manifest.pendingRunIds[6] ?? assert.fail('a pending run');
    await purge(sqs, env.queueUrls.tap);
    const noReason = await cli('dwh-reject', [runId, '--yes']);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /--reason is required/);
    const noYes = await cli('dwh-reject', [runId, '--reason', 'bad batch']);
    assert.equal(noYes.code, 2);
    assert.match(noYes.stderr, /--yes/);
    const unknown = await cli('dwh-approvals', ['aprove', runId]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command "aprove"[\s\S]*Usage:/);
    const delivered = await receiveUpToNow(sqs, env.queueUrls.tap);
    assert.deepEqual(delivered.map((d) => d.message), [], 'nothing published');
  });

  it('a run decided meanwhile exits 3, says who decided, and publishes nothing', async () => {
    const runId = manifest.pendingRunIds[7] ?? assert.fail('a pending run');
    const found = (await os_('POST', '/job-events/_search', { size: 1, query: { term: { job_run_id: runId } }, sort: [{ timestamp: 'desc' }] })) as { hits: { hits: Array<{ _id: string }> } };
    const docId = found.hits.hits[0]?._id ?? assert.fail('the run document');
    await os_('POST', `/job-events/_update/${encodeURIComponent(docId)}?refresh=true`, {
      doc: { approval_status: 'REJECTED', approved_by: 'erin', approval_reason: 'Rolled back upstream', approval_timestamp: new Date().toISOString() },
    });
    await purge(sqs, env.queueUrls.tap);
    const result = await cli('dwh-approve', [runId, '--reason', 'looks fine', '--yes']);
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stderr, /already rejected by erin/);
    const asJson = await cli('dwh-approve', [runId, '--reason', 'looks fine', '--yes', '--json']);
    assert.equal(asJson.code, 3);
    assert.deepEqual(json<{ result: string; decided_by: string }>(asJson).decided_by, 'erin');
    const delivered = await receiveUpToNow(sqs, env.queueUrls.tap);
    assert.deepEqual(delivered.map((d) => d.message), [], 'nothing published');
  });

  it('an expired SSO session behind credential_process exits 4 and prints the aws sso login fix', async () => {
    const result = await cli('dwh-approvals', ['pending', '--profile', 'team-sso']);
    assert.equal(result.code, 4, result.stderr);
    assert.match(result.stderr, /^Fix: +aws sso login --profile team-sso$/m);
    assert.equal(result.stdout, '');
  });

  it('an OpenSearch that cannot be reached exits 1 and says where it looked', async () => {
    const result = await cli('dwh-approvals', ['pending', '--set', 'opensearch.endpoint=http://127.0.0.1:9']);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /Cannot reach OpenSearch at http:\/\/127\.0\.0\.1:9/);
  });

  it('shows hostile job data as visible text: no escape sequence, control or bidi character reaches the terminal, and --json stays the same data', async () => {
    const tag = 'cli-hostile';
    const doc = hostileJobDocument(tag, {
      job_name: 'evil_job \u001b]8;;https://evil.example\u0007link\u001b]8;;\u0007 \u001b[2J\u001b[31mred \u202Eenil\u202C\rforged',
    });
    await os_('PUT', `/job-events/_doc/${tag}?refresh=true`, doc);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    const forbidden = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u;
    for (const args of [['pending'], ['pending', '--json'], ['show', String(doc.job_run_id)], ['show', String(doc.job_run_id), '--json'], ['history', String(doc.job_name)]]) {
      const result = await cli('dwh-approvals', args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      const bad = forbidden.exec(result.stdout);
      assert.equal(bad, null, `${args[0]}${args.includes('--json') ? ' --json' : ''} printed U+${bad?.[0].codePointAt(0)?.toString(16)} raw`);
    }
    const runs = json<Array<{ job_name: string; job_run_id: string }>>(await cli('dwh-approvals', ['pending', '--json']));
    const hostile = runs.find((r) => r.job_run_id === doc.job_run_id);
    assert.equal(hostile?.job_name, doc.job_name, 'the JSON carries the exact value, escaped');
  });
});
