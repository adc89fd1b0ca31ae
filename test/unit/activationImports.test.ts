// activate() must not load the AWS SDK or the OpenSearch client: they are most of the code
// and most of the start-up time. dist/extension.js holds what the extension's entry loads
// with static imports; the adapters come in dist/backend.js, through the one dynamic import
// in src/extension/backendModule.ts that esbuild.js maps to it. Type-only imports are erased.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'src', 'extension', 'extension.ts');
const STATIC_IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)/g;
const DYNAMIC_IMPORT = /import\(\s*['"]([^'"]+)['"]\s*\)/g;
const HEAVY = /^(@aws-sdk|@smithy|@opensearch-project|@aws-crypto)\//;

function staticImports(source: string): string[] {
  return [...source.matchAll(STATIC_IMPORT)].filter((m) => m[2] === undefined).map((m) => m[3] ?? m[4] ?? m[5] ?? '');
}

/** Every file the entry loads with static imports, and the packages it names on the way. */
function staticClosure(entry: string): { files: string[]; packages: string[]; dynamic: string[] } {
  const seen = new Set<string>();
  const packages: string[] = [];
  const dynamic: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(DYNAMIC_IMPORT)) dynamic.push(`${relative(ROOT, file)} → ${m[1] ?? ''}`);
    for (const specifier of staticImports(source)) {
      if (!specifier.startsWith('.')) {
        packages.push(`${relative(ROOT, file)} → ${specifier}`);
        continue;
      }
      const target = join(dirname(file), `${specifier.replace(/\.js$/, '')}.ts`);
      assert.ok(existsSync(target), `${relative(ROOT, file)} imports ${specifier}, which is not a .ts file`);
      visit(target);
    }
  };
  visit(entry);
  return { files: [...seen].map((f) => relative(ROOT, f)), packages, dynamic };
}

describe('what activation loads', () => {
  it('tells static from type-only and dynamic imports (checks the checker)', () => {
    assert.deepEqual(staticImports("import { a } from './a';\nimport type { B } from './b';\nconst c = import('./c');\nimport './d';"), ['./a', './d']);
  });

  it('reaches no AWS SDK, OpenSearch client or adapter through static imports', () => {
    const { files, packages } = staticClosure(ENTRY);
    assert.deepEqual(packages.filter((p) => HEAVY.test(p.split(' → ')[1] ?? '')), []);
    assert.deepEqual(files.filter((f) => f.startsWith(join('src', 'adapters'))), []);
    assert.ok(files.includes(join('src', 'extension', 'backendModule.ts')), `the entry reaches the loader: ${files.join(', ')}`);
  });

  it('loads the adapters through the one dynamic import esbuild.js maps to dist/backend.js', () => {
    const { dynamic } = staticClosure(ENTRY);
    assert.deepEqual(dynamic, [`${join('src', 'extension', 'backendModule.ts')} → ../adapters/approvalsBackend.js`]);
    const build = readFileSync(join(ROOT, 'esbuild.js'), 'utf8');
    assert.match(build, /entryPoints: \['src\/adapters\/approvalsBackend\.ts'\], outfile: 'dist\/backend\.js'/);
    assert.match(build, /basename\(args\.importer\) === 'backendModule\.ts' \? \{ path: '\.\/backend\.js', external: true \}/);
  });
});
