// The details page's script runs in the webview, a browser: everything it imports, however
// indirectly, must do without Node (no node:crypto), vscode or the AWS SDK. Type-only imports
// are erased, so they may point anywhere.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const ENTRY = join(ROOT, 'src', 'webview', 'detailsView.ts');
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^;]*?from\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The modules `source` loads at run time (type-only imports left out). */
function runtimeImports(source: string): string[] {
  return [...source.matchAll(IMPORT)].filter((m) => m[2] === undefined).map((m) => m[3] ?? m[4] ?? m[5] ?? m[6] ?? '');
}

/** Every file the entry loads at run time, with the bare or node: specifiers found on the way. */
function closure(entry: string): { files: string[]; outside: string[] } {
  const seen = new Set<string>();
  const outside: string[] = [];
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of runtimeImports(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        outside.push(`${relative(ROOT, file)} → ${specifier}`);
        continue;
      }
      const target = join(dirname(file), `${specifier}.ts`);
      assert.ok(existsSync(target), `${relative(ROOT, file)} imports ${specifier}, which is not a .ts file`);
      visit(target);
    }
  };
  visit(entry);
  return { files: [...seen].map((f) => relative(ROOT, f)), outside };
}

describe('the details page script’s imports', () => {
  it('finds run-time imports and skips type-only ones (checks the checker)', () => {
    assert.deepEqual(runtimeImports("import { a } from './a';\nimport type { B } from './b';\nexport { c } from './c';\nimport './d';"), ['./a', './c', './d']);
  });

  it('reach only modules that run in a browser: no node: built-ins, vscode or packages', () => {
    const { files, outside } = closure(ENTRY);
    assert.deepEqual(outside, []);
    assert.ok(files.includes(join('src', 'core', 'decisionReason.ts')), `the page checks the reason itself: ${files.join(', ')}`);
  });
});
