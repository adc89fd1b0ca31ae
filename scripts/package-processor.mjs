#!/usr/bin/env node
// `npm run package:processor`: the approval processor's Lambda deployment package. Bundles
// for production (esbuild.js --production) and zips dist/processor.js as processor.js into
// dist/processor.zip, the path infra/dwh-approvals.template.json names as the function's
// Code for `aws cloudformation package` (README "Deploy"); likewise dist/notifier.zip and
// dist/approvalApi.zip for the alert emails' two functions. Node builtins only.
//   node scripts/package-processor.mjs --no-build   zip the dist/processor.js already there
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipFiles } from './lib/zip.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PROCESSOR_BUNDLE = path.join(root, 'dist', 'processor.js');
const PROCESSOR_ZIP = path.join(root, 'dist', 'processor.zip');

/** Zips the bundle (as processor.js, the handler `processor.handler`); returns the zip's path, size and SHA-256. */
export function zipProcessor(bundle = PROCESSOR_BUNDLE, out = PROCESSOR_ZIP, name = 'processor.js') {
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run \`node esbuild.js --production\` first`);
  const zip = zipFiles([{ name, data: fs.readFileSync(bundle) }]);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, zip);
  return { path: out, bytes: zip.length, sha256: createHash('sha256').update(zip).digest('base64') };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (!process.argv.includes('--no-build')) {
    const built = spawnSync(process.execPath, ['esbuild.js', '--production'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) process.exit(built.status ?? 1);
  }
  const results = [
    zipProcessor(),
    ...['notifier', 'approvalApi'].map((name) => zipProcessor(path.join(root, 'dist', `${name}.js`), path.join(root, 'dist', `${name}.zip`), `${name}.js`)),
  ];
  for (const result of results) console.log(`${path.relative(root, result.path)}: ${result.bytes} bytes, CodeSha256 ${result.sha256}`);
}
