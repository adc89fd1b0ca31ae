// docs/CONTRACTS.md is what comments cite for the contracts with the surrounding system: every
// "docs/CONTRACTS.md §N" in the code names a section that exists, and no comment cites
// documents a reader of this repository cannot open (the product spec's "SPEC §N", "seed 00N").
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const SECTION_HEADING = /^## (\d+)\. /gm;
const CITATION = /CONTRACTS\.md((?:,? ?§\d+(?:[–-]\d+)?(?:,| and)?)+)/g;

function sourceFiles(): string[] {
  return ['src', 'scripts', 'test', 'bench'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true }).map(String)
      .filter((file) => /\.(ts|mts|mjs|js)$/.test(file))
      .map((file) => join(dir, file)));
}

/** Section numbers cited in a text: "§2, §7", "§4–5". */
function citedSections(text: string): number[] {
  return [...text.matchAll(CITATION)].flatMap((m) => [...(m[1] ?? '').matchAll(/§(\d+)(?:[–-](\d+))?/g)].flatMap((s) => {
    const from = Number(s[1]);
    const to = s[2] === undefined ? from : Number(s[2]);
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  }));
}

describe('docs/CONTRACTS.md and the comments that cite it', () => {
  const sections = new Set([...readFileSync(join(ROOT, 'docs', 'CONTRACTS.md'), 'utf8').matchAll(SECTION_HEADING)].map((m) => Number(m[1])));
  const files = sourceFiles();

  it('reads citations as they are written (checks the checker)', () => {
    assert.deepEqual(citedSections('see docs/CONTRACTS.md §2, §7 and CONTRACTS.md §4–5'), [2, 7, 4, 5]);
  });

  it('has its numbered sections, and the README links to it', () => {
    assert.ok(sections.size >= 9, [...sections].join(', '));
    assert.match(readFileSync(join(ROOT, 'README.md'), 'utf8'), /\]\(docs\/CONTRACTS\.md[#)]/);
  });

  it('is cited only by sections that exist', () => {
    const dangling = files.flatMap((file) => citedSections(readFileSync(join(ROOT, file), 'utf8'))
      .filter((n) => !sections.has(n)).map((n) => `${file}: §${n}`));
    assert.deepEqual(dangling, []);
    assert.ok(files.some((file) => citedSections(readFileSync(join(ROOT, file), 'utf8')).length > 0), 'some file cites it');
  });

  it('replaces citations of documents outside the repository', () => {
    const outside = files.filter((file) => !file.endsWith('contractsDoc.test.ts'))
      .filter((file) => /SPEC §|\bSPEC\b|seed 00\d/.test(readFileSync(join(ROOT, file), 'utf8')));
    assert.deepEqual(outside, []);
  });
});
