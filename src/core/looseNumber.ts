// Reading numbers that documents store as numbers or as text ("1,000", "12", " 3.5 "),
// because the indexer copies whatever the job sent.

// Thousands separators are accepted only in their one unambiguous shape (1,234,567.8):
// "1,5" could be a European decimal, so it is not a number here.
const GROUPED = /^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/;
const PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The finite number `value` holds, or null for anything else (text, NaN, booleans, objects). */
export function parseLooseNumber(value: unknown): number | null {
  if (typeof value === 'number') {
    return Number.isFinite(value) ? value : null;
  }
  if (typeof value !== 'string') {
    return null;
  }
  const text = value.trim();
  let digits: string;
  if (GROUPED.test(text)) {
    digits = text.replace(/,/g, '');
  } else if (PLAIN.test(text)) {
    digits = text;
  } else {
    return null;
  }
  const n = Number(digits);
  return Number.isFinite(n) ? n : null;
}
