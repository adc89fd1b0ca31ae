// The core is shared by the extension, the processor and tools, so it may depend on Node's
// standard library only: never on vscode, an AWS SDK or the OpenSearch client.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CORE = join(__dirname, '..', '..', 'src', 'core');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

describe('the core', () => {
  const files = readdirSync(CORE).filter((name) => name.endsWith('.ts'));

  it('has modules to check', () => {
    assert.ok(files.length >= 10, files.join(', '));
  });

  it('finds imports in all their forms (checks the checker)', () => {
    assert.deepEqual(importsOf("import x from 'a';\nimport type { Y } from \"b\";\nexport { z } from './c';\nconst d = require('d');\nvoid import('e');"), ['a', 'b', './c', 'd', 'e']);
  });

  for (const file of readdirSync(CORE).filter((name) => name.endsWith('.ts'))) {
    it(`${file} imports only other core modules and node: built-ins`, () => {
      const imports = importsOf(readFileSync(join(CORE, file), 'utf8'));
      const outside = imports.filter((specifier) => !specifier.startsWith('./') && !specifier.startsWith('node:'));
      assert.deepEqual(outside, [], `${file} imports ${outside.join(', ')}`);
    });
  }
});
