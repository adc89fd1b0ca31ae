// Reading the dates job documents and decision messages carry, the way OpenSearch's default
// `date` format reads them (ISO 8601, or epoch milliseconds), and never as local time.

// Date.parse would read "2024-01-15 10:30:00" as the machine's local time; OpenSearch reads a
// date without an offset as UTC, so this parser does too.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const EPOCH_MILLIS = /^-?\d{1,15}$/;

/** Milliseconds since the epoch for an ISO 8601 string or epoch-millis number/string; else null. */
export function parseTimestampMs(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) && Math.abs(value) <= 8.64e15 ? Math.trunc(value) : null;
  }
  if (typeof value !== 'string') {
    return null;
  }
  const text = value.trim();
  if (EPOCH_MILLIS.test(text)) {
    return parseTimestampMs(Number(text));
  }
  const m = ISO.exec(text);
  if (!m) {
    return null;
  }
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) {
    return null;
  }
  const ms = Number(frac.padEnd(3, '0').slice(0, 3));
  // setUTCFullYear, because Date.UTC maps years 0-99 to 1900-1999.
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, ms));
  date.setUTCFullYear(year, month - 1, day);
  // That rolls 31 February over into March; a date that does not exist is not a date.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return null;
  }
  return date.getTime() - zoneOffsetMs(zone);
}

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') {
    return 0;
  }
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * 60 + minutes) * 60_000;
}

/** ISO 8601 UTC with milliseconds, or null when `ms` is not a representable date. */
export function isoFromMs(ms: number | null): string | null {
  if (ms === null || !Number.isFinite(ms)) {
    return null;
  }
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}
