// The decision signature as docs/CONTRACTS.md §4 defines it, written here from the spec and not from the
// product's code (src/core/canonicalJson, decisionMessage), so a test that checks a published
// signature with it is independent: hex HMAC-SHA256, keyed with the signing secret, over the
// UTF-8 JSON of every field but `signature`, keys sorted, no whitespace.
import { createHmac } from 'node:crypto';

/** JSON with object keys sorted at every level and no whitespace; undefined members left out. */
export function sortedKeyJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedKeyJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${sortedKeyJson(record[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The signature a message with this secret must carry. */
export function expectedSignature(message: Record<string, unknown>, secret: string): string {
  const unsigned = Object.fromEntries(Object.entries(message).filter(([key]) => key !== 'signature'));
  return createHmac('sha256', secret).update(Buffer.from(sortedKeyJson(unsigned), 'utf8')).digest('hex');
}
