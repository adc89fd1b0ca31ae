// Canonical JSON, the byte-exact text that decision signatures and evidence hashes are
// computed over: object keys sorted, no whitespace, encoded as UTF-8 by the caller.
//
// Keys are sorted by UTF-16 code units (JavaScript's default sort), which equals code point
// order except for keys mixing characters above U+FFFF with U+E000–U+FFFF; our keys are
// ASCII. Strings are escaped as JSON.stringify does (non-ASCII kept as is, lone surrogates
// escaped). Anything JSON cannot carry faithfully is rejected instead of silently changed:
// NaN and ±Infinity (JSON.stringify writes null), undefined inside arrays, cycles, and
// objects that are not plain (a Date would become "{}"). An undefined property is left
// out, as JSON.stringify and any JSON reader would do.

export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
}

/** The canonical JSON text of `value`; throws CanonicalJsonError for what JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  return write(value, '$', new Set());
}

/** The UTF-8 bytes of the canonical JSON of `value`. */
export function canonicalJsonBytes(value: unknown): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

function write(value: unknown, path: string, open: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new CanonicalJsonError(`${path} is ${String(value)}, which JSON cannot represent.`);
      }
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}, which JSON cannot represent.`);
  }
  if (value === null) {
    return 'null';
  }
  if (open.has(value)) {
    throw new CanonicalJsonError(`${path} refers back to itself.`);
  }
  open.add(value);
  try {
    if (Array.isArray(value)) {
      return `[${value.map((item: unknown, i) => write(item, `${path}[${i}]`, open)).join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new CanonicalJsonError(`${path} is not a plain object.`);
    }
    const record = value as Record<string, unknown>;
    const members: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const member = record[key];
      if (member !== undefined) {
        members.push(`${JSON.stringify(key)}:${write(member, `${path}.${key}`, open)}`);
      }
    }
    return `{${members.join(',')}}`;
  } finally {
    open.delete(value);
  }
}
