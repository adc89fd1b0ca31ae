// The one rule for an email address we send alerts to and record as decided_by: a plain
// addr-spec (no display name, no list, nothing that could add a recipient or a header).
// Imports nothing, so that any layer may use it.

const MAX_RECIPIENT_CHARS = 254;

/**
 * A plain addr-spec we send to and record: one @, no spaces, controls, quotes, angle brackets
 * or commas (nothing that could add a recipient or a header), at most 254 characters.
 */
export function isEmailAddress(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_RECIPIENT_CHARS && /^[A-Za-z0-9.!#$%&*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(value) && !value.includes('..');
}
