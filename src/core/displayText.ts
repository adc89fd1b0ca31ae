// Shortening of text from job documents before it is shown: documents are written by many
// jobs and a single field can hold megabytes, which would freeze a tree or a webview.

/** The longest a single display string may be, in UTF-16 code units, ellipsis included. */
export const MAX_DISPLAY_CHARS = 500;

const ELLIPSIS = '…';

/**
 * `text` unchanged when it fits in `max` code units, else its start plus an ellipsis, never
 * cutting a surrogate pair in half (a lone surrogate renders as a replacement character).
 */
export function truncateForDisplay(text: string, max: number = MAX_DISPLAY_CHARS): string {
  if (text.length <= max) {
    return text;
  }
  let end = Math.max(0, max - ELLIPSIS.length);
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) {
    end -= 1;
  }
  return text.slice(0, end) + ELLIPSIS;
}
