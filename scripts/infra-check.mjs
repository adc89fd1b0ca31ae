#!/usr/bin/env node
// `npm run infra:check`: lints and scans the CloudFormation template(s) under infra/ with
// cfn-lint (informational checks included) and checkov, and refuses a suppression without
// its reason: every `cfn-lint` ignore_checks id needs its text under the resource's
// `cfn-lint-reasons` metadata, every checkov skip its `comment`. Exits non-zero on any finding.
//
// The tools are pinned and installed once into a venv in the download cache, like moto's.
// They live in a venv of their own: checkov pins boto3/botocore to older releases than
// moto's server gets, and the stack's moto must not be downgraded under it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './lib/cache.mjs';
import { findPython, run, withLock } from './lib/stack/proc.mjs';

const INFRA_TOOLS = ['cfn-lint==1.58.0', 'checkov==3.3.30'];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const infraDir = path.join(root, 'infra');

/** The venv with the pinned tools; installs them when the venv is missing or holds other pins. */
async function ensureInfraTools(log = (line) => console.log(`[infra] ${line}`)) {
  const cache = cacheDir();
  const venv = path.join(cache, 'infra-venv');
  const stamp = path.join(venv, 'dwh-requirements.txt');
  const wanted = `${INFRA_TOOLS.join('\n')}\n`;
  const bin = (name) => path.join(venv, 'bin', name);
  const ready = () => fs.existsSync(bin('cfn-lint')) && fs.existsSync(bin('checkov')) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === wanted;
  if (!ready()) {
    await withLock(path.join(cache, 'infra-venv.lock'), async () => {
      if (ready()) return;
      log(`installing ${INFRA_TOOLS.join(', ')} into ${venv} (once)...`);
      if (!fs.existsSync(bin('python'))) await run(findPython(), ['-m', 'venv', venv]);
      await run(bin('python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...INFRA_TOOLS]);
      fs.writeFileSync(stamp, wanted);
    }, { onWait: (pid) => log(`waiting for pid ${pid}, which is installing the tools...`) });
  }
  return { cfnLint: bin('cfn-lint'), checkov: bin('checkov') };
}

/** Suppressions that do not say why, as messages (empty when every one does). */
function unexplainedSuppressions(template, file) {
  const problems = [];
  const where = (logicalId) => `${file}${logicalId ? ` ${logicalId}` : ''}`;
  const inspect = (metadata, logicalId) => {
    if (!metadata || typeof metadata !== 'object') return;
    const ignored = metadata['cfn-lint']?.config?.ignore_checks ?? [];
    const reasons = metadata['cfn-lint-reasons'] ?? {};
    for (const id of ignored) {
      if (typeof reasons[id] !== 'string' || reasons[id].trim().length < 20) {
        problems.push(`${where(logicalId)}: cfn-lint ${id} is ignored without a reason under Metadata "cfn-lint-reasons"`);
      }
    }
    for (const id of Object.keys(reasons)) {
      if (!ignored.includes(id)) problems.push(`${where(logicalId)}: "cfn-lint-reasons" explains ${id}, which is not ignored`);
    }
    for (const skip of metadata.checkov?.skip ?? []) {
      if (typeof skip?.comment !== 'string' || skip.comment.trim().length < 20) {
        problems.push(`${where(logicalId)}: checkov ${skip?.id ?? '(no id)'} is skipped without a comment saying why`);
      }
    }
  };
  inspect(template.Metadata, null);
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) inspect(resource?.Metadata, logicalId);
  return problems;
}

function step(name, cmd, args) {
  console.log(`\n[infra] ${name}`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, BC_SKIP_MAPPING: 'TRUE' } });
  if (result.error) {
    console.error(`[infra] could not run ${cmd}: ${result.error.message}`);
    return false;
  }
  return result.status === 0;
}

async function main() {
  const templates = fs.readdirSync(infraDir).filter((f) => f.endsWith('.template.json')).map((f) => path.join('infra', f));
  if (templates.length === 0) throw new Error('no infra/*.template.json to check');
  const tools = await ensureInfraTools();
  const failed = [];

  const problems = templates.flatMap((file) => unexplainedSuppressions(JSON.parse(fs.readFileSync(path.join(root, file), 'utf8')), file));
  console.log(`\n[infra] suppressions: ${problems.length === 0 ? 'each one says why' : `${problems.length} without a reason`}`);
  for (const problem of problems) console.error(`  ${problem}`);
  if (problems.length) failed.push('unexplained suppressions');

  if (!step(`cfn-lint ${templates.join(' ')}`, tools.cfnLint, ['--include-checks', 'I', '--', ...templates])) failed.push('cfn-lint');
  const checkovArgs = ['--framework', 'cloudformation', '--skip-download', '--compact', '--quiet'];
  if (!step(`checkov ${templates.join(' ')}`, tools.checkov, [...checkovArgs, ...templates.flatMap((t) => ['-f', t])])) failed.push('checkov');

  console.log(failed.length === 0 ? '\n[infra] no findings' : `\n[infra] failed: ${failed.join(', ')}`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error) => {
      console.error(`[infra] ${error.message ?? error}`);
      process.exit(1);
    },
  );
}
