#!/usr/bin/env node
// The project's local stack: a real OpenSearch single node and moto (SNS, SQS, SSM, STS) on
// 127.0.0.1. Usage:
//   node scripts/stack.mjs up                 start what is not running, ensure indices and AWS
//                                             resources, write .stack/env.json (idempotent)
//   node scripts/stack.mjs seed [--pending N] [--history M] [--decided D] [--messy K]
//                               [--seed S] [--now ISO] [--chunk-size C]
//                                             recreate the indices and load generated runs
//   node scripts/stack.mjs down [--clean]     stop both (--clean also deletes .stack/)
//   node scripts/stack.mjs reset-aws          POST /moto-api/reset and recreate the AWS resources
//   node scripts/stack.mjs status             what is running
// Ports: DWH_OPENSEARCH_PORT (9200), DWH_MOTO_PORT (5000). Cache: DWH_APPROVALS_CACHE.
import { parseArgs } from 'node:util';
import { ensureStack, readStackEnv, resetAws, seedStack, stackStatus, stopStack, StackError } from './lib/stack/index.mjs';

const log = (msg) => console.log(`[stack] ${msg}`);

function intOption(values, name) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new StackError(`--${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function describeEnv(env) {
  log(`OpenSearch  ${env.opensearchUrl}  (indices ${env.indices.events}, ${env.indices.approvals})`);
  log(`moto        ${env.awsEndpointUrl}  (region ${env.region})`);
  log(`topic       ${env.topicArn}`);
  if (env.outcomesTopicArn) log(`outcomes    ${env.outcomesTopicArn}`);
  for (const [key, url] of Object.entries(env.queueUrls)) log(`queue       ${key.padEnd(10)} ${url}`);
  log(`SSM         ${env.ssm.endpointParameter}, ${env.ssm.topicArnParameter}, ${env.ssm.signingSecretParameter} (SecureString), ${env.ssm.policyParameter}`);
  for (const user of Object.values(env.users ?? {})) log(`reviewer    ${user.arn}  (profile ${user.profile})`);
  log(`env file    ${env.stackDir}/env.json`);
}

async function main() {
  const [command, ...args] = process.argv.slice(2);
  // Accept both `stack.mjs seed --pending 5` and `stack.mjs seed -- --pending 5`.
  const rest = args[0] === '--' ? args.slice(1) : args;
  switch (command) {
    case 'up': {
      const env = await ensureStack({ log });
      const started = Object.entries(env.started)
        .filter(([, v]) => v)
        .map(([k]) => k);
      log(started.length ? `started: ${started.join(', ')}` : 'already running: nothing started');
      log(`indices: ${Object.entries(env.indicesState).map(([k, v]) => `${k} ${v}`).join(', ')}; signing secret ${env.signingSecretState}`);
      describeEnv(env);
      log(`up in ${env.timings.total} s`);
      return;
    }
    case 'seed': {
      const { values } = parseArgs({
        args: rest,
        options: {
          pending: { type: 'string' },
          history: { type: 'string' },
          decided: { type: 'string' },
          messy: { type: 'string' },
          seed: { type: 'string' },
          now: { type: 'string' },
          'chunk-size': { type: 'string' },
        },
        strict: true,
      });
      const seedOpt = values.seed === undefined ? undefined : /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed;
      if (values.now !== undefined && Number.isNaN(Date.parse(values.now))) throw new StackError(`--now must be an ISO 8601 date, got "${values.now}"`);
      const { manifest, timings } = await seedStack({
        pending: intOption(values, 'pending'),
        history: intOption(values, 'history'),
        decided: intOption(values, 'decided'),
        messy: intOption(values, 'messy'),
        seed: seedOpt,
        now: values.now,
        chunkSize: intOption(values, 'chunk-size') || undefined,
        log,
      });
      log(
        `seeded: ${manifest.pendingCount} pending (${manifest.messyRunIds.length} messy; ${manifest.urgentRunIds.length} urgent, ` +
          `${manifest.expiringRunIds.length} expiring, ${manifest.overdueRunIds.length} overdue), ${manifest.decidedRunIds.length} decided, ` +
          `${manifest.historyCount} history; ${manifest.documentCount} documents in ${timings.total} s`,
      );
      log(`manifest    ${readStackEnv().stackDir}/seed.json`);
      return;
    }
    case 'down': {
      const { values } = parseArgs({ args: rest, options: { clean: { type: 'boolean', default: false } }, strict: true });
      // The local approval API (alert emails) runs against the stack: it goes first.
      const { stopApprovalApiServer } = await import('./lib/emailLinks.mjs');
      const api = await stopApprovalApiServer();
      if (api.pid) log(`stopped the approval API (pid ${api.pid})`);
      await stopStack({ clean: values.clean, log });
      return;
    }
    case 'reset-aws': {
      const env = await resetAws();
      log('moto reset; topic, queues, subscriptions and SSM parameters recreated (new signing secret)');
      describeEnv(env);
      return;
    }
    case 'status': {
      console.log(JSON.stringify(await stackStatus(), null, 2));
      return;
    }
    default:
      console.error('usage: node scripts/stack.mjs up | seed [--pending N --history M --decided D --messy K --seed S --now ISO] | down [--clean] | reset-aws | status');
      process.exitCode = 2;
  }
}

main().catch((err) => {
  if (err instanceof StackError || err?.name === 'StackError') {
    console.error(`[stack] error: ${err.message}`);
  } else {
    console.error('[stack] unexpected error:', err);
  }
  process.exitCode = 1;
});
