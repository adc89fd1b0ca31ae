// Bundles the extension (Node, cjs) in two parts, the approval processor, notifier and approval
// API (Lambda, cjs), the CLI (Node, cjs; bin/ requires it) and the details webview's script
// (browser, iife). `--production` minifies; `--watch` rebuilds. The extension's adapters (AWS
// SDK, OpenSearch client, the SDK's shared-config loader for profiles) are a bundle of their
// own, dist/backend.js, which dist/extension.js requires on its first request
// (src/extension/backendModule.ts): activation loads neither.
const esbuild = require('esbuild');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: !production,
  sourcesContent: false,
  logLevel: 'warning',
};

/** Leaves the adapters out of dist/extension.js: its import of them becomes require('./backend.js'). */
const adaptersInTheirOwnBundle = {
  name: 'adapters-in-their-own-bundle',
  setup(build) {
    build.onResolve({ filter: /[\\/]adapters[\\/]approvalsBackend(\.js)?$/ }, (args) =>
      path.basename(args.importer) === 'backendModule.ts' ? { path: './backend.js', external: true } : undefined);
  },
};

const targets = [
  // ESM entry points of the AWS SDK tree-shake far better (about a third smaller bundle).
  { ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js',
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], mainFields: ['module', 'main'],
    // import() becomes require(), which the extension host's module loader serves.
    plugins: [adaptersInTheirOwnBundle], supported: { 'dynamic-import': false } },
  { ...common, entryPoints: ['src/adapters/approvalsBackend.ts'], outfile: 'dist/backend.js',
    platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], mainFields: ['module', 'main'] },
  { ...common, entryPoints: ['src/processor/lambdaHandler.ts'], outfile: 'dist/processor.js',
    platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'] },
  { ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js',
    platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'],
    define: { CLI_VERSION: JSON.stringify(require('./package.json').version) } },
  // The alert email's two functions: the notifier (job_events → SES) and the approval API.
  { ...common, entryPoints: ['src/approvals/notifier.ts'], outfile: 'dist/notifier.js',
    platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'] },
  { ...common, entryPoints: ['src/approvals/approvalApi.ts'], outfile: 'dist/approvalApi.js',
    platform: 'node', format: 'cjs', target: 'node20', mainFields: ['module', 'main'] },
  { ...common, entryPoints: ['src/webview/detailsView.ts'], outfile: 'dist/webview/details.js',
    platform: 'browser', format: 'iife', target: 'es2022' },
];

async function main() {
  const contexts = await Promise.all(targets.map((options) => esbuild.context(options)));
  if (watch) {
    await Promise.all(contexts.map((ctx) => ctx.watch()));
    return;
  }
  await Promise.all(contexts.map((ctx) => ctx.rebuild()));
  await Promise.all(contexts.map((ctx) => ctx.dispose()));
}

// scripts/lib/processorRunner.mjs builds the processor's target alone, before each run.
module.exports = { targets };

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
