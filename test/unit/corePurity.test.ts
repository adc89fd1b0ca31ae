// The core is shared by the extension, the processor and tools, so it may depend on Node's
// standard library only: never on vscode, an AWS SDK or the OpenSearch client. The layers
// around it keep to their side too: adapters (AWS and OpenSearch) never import vscode, so
// the processor and tools can use them; the VS Code layer never imports an AWS SDK or the
// OpenSearch client, it asks adapters.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = join(__dirname, '..', '..', 'src');
const CORE = join(SRC, 'core');
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

/** Imports the AWS SDK or the OpenSearch client, directly or through @smithy. */
const AWS_CLIENT = /^@(?:aws-sdk|smithy|opensearch-project)\//;

const LAYER_RULES = [
  { layer: 'adapters', forbidden: (specifier: string) => specifier === 'vscode', what: 'vscode' },
  { layer: 'extension', forbidden: (specifier: string) => AWS_CLIENT.test(specifier), what: 'AWS SDK or OpenSearch client module' },
];

for (const { layer, forbidden, what } of LAYER_RULES) {
  describe(`src/${layer}`, () => {
    const files = readdirSync(join(SRC, layer), { recursive: true }).map(String).filter((name) => name.endsWith('.ts'));

    it('has modules to check', () => {
      assert.ok(files.length >= 3, files.join(', '));
    });

    for (const file of files) {
      it(`${file} imports no ${what}`, () => {
        const offending = importsOf(readFileSync(join(SRC, layer, file), 'utf8')).filter(forbidden);
        assert.deepEqual(offending, [], `src/${layer}/${file} imports ${offending.join(', ')}`);
      });
    }
  });
}
