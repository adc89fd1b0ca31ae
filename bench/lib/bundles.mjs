// The production bundles, built by the project's own `node esbuild.js --production` in a
// snapshot of the sources (a temporary folder with node_modules linked), so the benchmark
// neither overwrites dist/ under other engineers' running tests nor is overwritten by their
// development builds while it measures. The folder is a complete extension (package.json,
// media/, dist/) and is what the extension benchmarks load.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';

/** What the build and the packaged extension need from the repository. */
const COPIED = ['package.json', 'esbuild.js', 'tsconfig.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'src', 'media'];

const BUNDLES = ['dist/extension.js', 'dist/backend.js', 'dist/webview/details.js', 'dist/processor.js'];

/**
 * Copies the sources to a temporary folder and runs `node esbuild.js --production` there.
 * Returns the folder, the build's wall time, and each bundle's size (raw and gzip -9).
 */
export function stageProductionBuild(root) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-extension-'));
  for (const name of COPIED) {
    const from = path.join(root, name);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(dir, name), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const started = performance.now();
  const build = spawnSync(process.execPath, ['esbuild.js', '--production'], { cwd: dir, encoding: 'utf8' });
  const buildMs = performance.now() - started;
  if (build.status !== 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`node esbuild.js --production failed (exit ${build.status}):\n${build.stderr || build.stdout}`);
  }
  const bundles = BUNDLES.map((file) => {
    const bytes = fs.readFileSync(path.join(dir, file));
    return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
  });
  return { dir, buildMs: Math.round(buildMs), bundles };
}

/**
 * Where dist/extension.js's bytes come from, by package: esbuild's metafile for the same
 * entry point and options as esbuild.js's extension target (repeated here: esbuild.js only
 * builds). `matchesBuild` says whether this build came out the same size as the real one.
 */
export async function extensionComposition(stageDir, realBytes) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    absWorkingDir: stageDir,
    entryPoints: ['src/extension/extension.ts'],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    mainFields: ['module', 'main'],
    supported: { 'dynamic-import': false },
    // As esbuild.js: the adapters are dist/backend.js, required on the first request.
    plugins: [{
      name: 'adapters-in-their-own-bundle',
      setup(build) {
        build.onResolve({ filter: /[\\/]adapters[\\/]approvalsBackend(\.js)?$/ }, (args) =>
          path.basename(args.importer) === 'backendModule.ts' ? { path: './backend.js', external: true } : undefined);
      },
    }],
    metafile: true,
    write: false,
    outfile: 'out/extension.js',
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const byPackage = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const key = packageOf(input);
    byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
  }
  const total = result.outputFiles[0]?.contents.length ?? 0;
  const parts = [...byPackage].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  // Scoped packages come in dozens of small pieces (@smithy/*); their sum says more.
  const byScope = new Map();
  for (const { name, bytes } of parts) {
    const scope = name.startsWith('@') ? `${name.split('/')[0]}/*` : name.startsWith('src/') ? 'src/* (our code)' : name;
    byScope.set(scope, (byScope.get(scope) ?? 0) + bytes);
  }
  const scopes = [...byScope].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return { totalBytes: total, matchesBuild: Math.abs(total - realBytes) <= realBytes * 0.01, parts, scopes };
}

function packageOf(input) {
  const modules = input.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = input.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? input);
  }
  const parts = input.split('/');
  return parts[0] === 'src' && parts.length > 2 ? `src/${parts[1]}` : input;
}
