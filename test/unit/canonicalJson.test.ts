import assert from 'node:assert/strict';
import { canonicalJson, canonicalJsonBytes, CanonicalJsonError } from '../../src/core/canonicalJson';

describe('canonicalJson', () => {
  it('sorts keys recursively and writes no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('sorts keys by UTF-16 code units: upper case before lower, prefix first', () => {
    assert.equal(canonicalJson({ b: 1, B: 2, decision_id: 3, decision: 4, decided_by: 5 }), '{"B":2,"b":1,"decided_by":5,"decision":4,"decision_id":3}');
  });

  it('orders astral keys by code unit (U+1F600 before U+FF5E), unlike code point order', () => {
    assert.equal(canonicalJson({ '\uff5e': 1, '😀': 2 }), '{"😀":2,"～":1}');
  });

  it('keeps non-ASCII text as is and escapes what JSON requires', () => {
    assert.equal(canonicalJson({ r: 'naïve "q" \\ \n ✓ 🚀' }), '{"r":"naïve \\"q\\" \\\\ \\n ✓ 🚀"}');
  });

  it('escapes lone surrogates, so the output is valid UTF-8', () => {
    assert.equal(canonicalJson('\ud800'), '"\\ud800"');
  });

  it('encodes as UTF-8', () => {
    assert.deepEqual([...canonicalJsonBytes('é')], [0x22, 0xc3, 0xa9, 0x22]);
  });

  it('writes numbers as JSON does', () => {
    assert.equal(canonicalJson([0, -0, 1.5, 1e21, -2e-7]), '[0,0,1.5,1e+21,-2e-7]');
  });

  it('rejects NaN and infinities instead of writing null', () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, { a: [Number.NEGATIVE_INFINITY] }]) {
      assert.throws(() => canonicalJson(bad), CanonicalJsonError);
    }
    assert.throws(() => canonicalJson({ a: [Number.NaN] }), /\$\.a\[0\] is NaN/);
  });

  it('rejects what JSON cannot hold faithfully', () => {
    assert.throws(() => canonicalJson(undefined), CanonicalJsonError);
    assert.throws(() => canonicalJson([undefined]), CanonicalJsonError);
    assert.throws(() => canonicalJson(() => 1), CanonicalJsonError);
    assert.throws(() => canonicalJson(Symbol('s')), CanonicalJsonError);
    assert.throws(() => canonicalJson(1n), CanonicalJsonError);
    assert.throws(() => canonicalJson(new Date(0)), /not a plain object/);
    assert.throws(() => canonicalJson(new Map()), /not a plain object/);
  });

  it('rejects cycles but allows a value shared by two branches', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.throws(() => canonicalJson(cyclic), /refers back to itself/);
    const shared = { x: 1 };
    assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });

  it('leaves out undefined properties, as any JSON reader would', () => {
    assert.equal(canonicalJson({ a: undefined, b: 1 }), '{"b":1}');
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 'v';
    assert.equal(canonicalJson(bare), '{"k":"v"}');
  });

  it('agrees with JSON.parse: parsing the output and writing it again gives the same text', () => {
    const value = { z: [1, 'two', { y: false, x: null }], a: 'é' };
    const text = canonicalJson(value);
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });
});
