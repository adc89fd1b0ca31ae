// The rule for a decision's reason, shared by everything that checks one: the details page
// (in the webview, so this module imports nothing, least of all node:crypto), the palette's
// input box, the decision message and the processor.

/** Longest reason accepted, in characters (code points), by the form and the processor. */
export const MAX_REASON_CHARS = 2000;

/** Why `text` cannot be a decision's reason, in words for the form; null when it can. */
export function reasonValidationError(text: string): string | null {
  const reason = typeof text === 'string' ? text.trim() : '';
  if (reason === '') {
    return 'A reason is required.';
  }
  // Code points, so that an emoji counts as one character as the reviewer sees it.
  const length = Array.from(reason).length;
  if (length > MAX_REASON_CHARS) {
    return `The reason is too long: ${length} characters, at most ${MAX_REASON_CHARS}.`;
  }
  return null;
}
