// Text from job documents, the processor, AWS and error messages, made safe for each kind of
// VS Code surface that shows it. This is the one place that builds those strings: every
// notification, dialog, progress title, input box, tree item, quick pick, status-bar item,
// panel title, tooltip and log line that shows such text is written with one of the tagged
// templates below, which trust their literal parts (ours) and treat every value as hostile.
//
// What each surface does with text, as the workbench renders it:
// - message (notifications, modal dialogs, progress titles, input-box titles and
//   placeholders): a notification or an input-box prompt turns `[label](command:…)`,
//   `(https://…)` and `(file:…)` into a live link, and drops newlines; a dialog's detail keeps
//   them. Values lose their line breaks and every `](` of the message is broken. An input
//   box's prompt also renders `$(icon)`: inputPrompt escapes it too.
// - markdown (tooltips, hovers): everything is markup. Values have every ASCII punctuation
//   character backslash-escaped (links, images, HTML, entities, code spans, emphasis,
//   autolinks, `$(icon)`), and the MarkdownString is built untrusted, without HTML or icons.
// - label (tree items, panel titles, terminal names, tree descriptions): shown as text on one
//   line; `$(icon)` is not rendered there. iconLabel (quick-pick items, status-bar text and
//   messages) renders `$(icon)`, so values get it escaped as `\$(icon)`, which the workbench
//   shows literally. (A QuickPickItem has no option to turn icon rendering off: escaping is
//   the only way there.)
// - log line: one line per entry; a newline in a value would forge the next entry.
//
// On every surface: C0 and C1 controls, DEL, bidi overrides and isolates, zero-width and
// other invisible format characters are shown as visible marks (`␀`, `⏎`, `<U+202E>`); lone
// surrogates become U+FFFD; each value is cut to a bounded length (never mid-pair).

/** The longest a single display string may be, in UTF-16 code units, ellipsis included. */
export const MAX_DISPLAY_CHARS = 500;
/** The longest a value may be inside a message, label, tooltip or log line. */
const MAX_MESSAGE_VALUE_CHARS = 500;
export const MAX_LABEL_VALUE_CHARS = 200;
export const MAX_MARKDOWN_VALUE_CHARS = 1000;
/** The longest a whole message or log line may be. */
export const MAX_MESSAGE_CHARS = 2000;
export const MAX_LOG_LINE_CHARS = 8000;

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

/** A line break in a value, shown as the workbench shows one in a tree label. */
export const LINE_BREAK_MARK = '⏎';

// Line breaks: CR LF, LF, CR, NEL, VT, FF, LS, PS.
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const LINE_BREAKS = /\r\n|[\n\r\u0085\u000b\u000c\u2028\u2029]/g;
// Controls (Cc: C0, DEL, C1) and invisible format characters (Cf: bidi embeddings,
// overrides and isolates, LRM/RLM/ALM, zero-width space/joiners, word joiner, BOM, soft
// hyphen, tag characters …), plus the fillers that render as nothing.
const INVISIBLE = /[\p{Cc}\p{Cf}\u115f\u1160\u3164\uffa0\u2800]/gu;
// A surrogate half without its partner.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function visibleMark(char: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (code === 0x09) return ' ';
  // C0 controls have their own pictures (U+2400 …); DEL too.
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '␡';
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

/**
 * `value` as text anyone can read for what it is: any value becomes its text, line breaks
 * become ⏎, controls and invisible characters become visible marks, lone surrogates U+FFFD,
 * and the result is cut to `max` code units.
 */
export function visibleText(value: unknown, max: number = MAX_DISPLAY_CHARS): string {
  const text = typeof value === 'string' ? value : value === undefined ? '' : stringOf(value);
  // Cut first (a 10 MB value is not scanned whole), then once more after marks lengthened it.
  const shown = truncateForDisplay(text, max * 2)
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(LINE_BREAKS, LINE_BREAK_MARK)
    .replace(INVISIBLE, visibleMark);
  return truncateForDisplay(shown, max);
}

function stringOf(value: unknown): string {
  if (value instanceof Error) return value.message;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

const ICON = /\$\(/g;

type Template = (literals: TemplateStringsArray, ...values: unknown[]) => string;

function template(escapeValue: (value: unknown) => string, whole: (text: string) => string = (text) => text): Template {
  return (literals, ...values) => {
    let text = literals[0] ?? '';
    values.forEach((value, index) => {
      text += escapeValue(value) + (literals[index + 1] ?? '');
    });
    return whole(text);
  };
}

/** Breaks every `[label](target)` link a notification or an input-box prompt would render. */
function breakLinks(text: string): string {
  return text.replace(/\]\(/g, '] (');
}

/** A value inside a plain message: one line, visible, bounded. */
function messageText(value: unknown): string {
  return breakLinks(visibleText(value, MAX_MESSAGE_VALUE_CHARS));
}

/**
 * A notification, modal dialog (message and detail), progress title, input-box title,
 * prompt or placeholder: message`Run ${id} is waiting.` Literal parts may hold line breaks
 * (a dialog's detail); values never do. No link survives, wherever it came from.
 */
export const message: Template = template(messageText, (text) => breakLinks(truncateForDisplay(text, MAX_MESSAGE_CHARS)));

/**
 * An input box's prompt: a message whose text parts the quick input also renders `$(icon)`
 * in, so a value's icon syntax is escaped as in iconLabel.
 */
export const inputPrompt: Template = template((value) => messageText(value).replace(ICON, '\\$('), (text) => breakLinks(truncateForDisplay(text, MAX_MESSAGE_CHARS)));

/** A value inside a label that does not render `$(icon)` (tree items, panel titles). */
export function labelText(value: unknown): string {
  return visibleText(value, MAX_LABEL_VALUE_CHARS);
}

/** A tree item's label or description, a panel title, a terminal name. */
export const label: Template = template(labelText);

/** A value inside a label that renders `$(icon)` (quick picks, the status bar). */
function iconLabelText(value: unknown): string {
  // `\$(x)` shows as `$(x)`, and a value's own `\$(x)` as `\$(x)`: the text, literally.
  return labelText(value).replace(ICON, '\\$(');
}

/** A quick-pick item's label, description or detail, or status-bar text: `$(icon)` only from literals. */
export const iconLabel: Template = template(iconLabelText);

const MARKDOWN_PUNCTUATION = /[!-/:-@[-`{-~]/g;

/**
 * A value inside Markdown: every ASCII punctuation character backslash-escaped (CommonMark
 * allows it for all of them), so that nothing in it is a link, image, autolink, HTML tag,
 * entity, code span, emphasis, heading, list, table or icon; one line, visible, bounded.
 * Never put a value inside a code span: escapes do not work there.
 */
function markdownText(value: unknown): string {
  return visibleText(value, MAX_MARKDOWN_VALUE_CHARS).replace(MARKDOWN_PUNCTUATION, '\\$&');
}

/**
 * Markdown source for a tooltip or hover: markdown`**${jobName}** · ${runId}`. Literal parts
 * are Markdown; values are text. Render it untrusted, without HTML and without theme icons.
 */
export const markdown: Template = template(markdownText);

/** How a MarkdownString built from `markdown` must be configured. */
export const UNTRUSTED_MARKDOWN = { isTrusted: false, supportHtml: false, supportThemeIcons: false } as const;

/**
 * One log entry, always one line: a whole line (already composed) made visible and bounded.
 * The log writer applies it to every entry, so a newline anywhere cannot forge the next one.
 */
export function logLine(line: unknown): string {
  return visibleText(line, MAX_LOG_LINE_CHARS);
}

/** The longest a value may be inside a terminal line. */
const MAX_TERMINAL_VALUE_CHARS = 500;

/**
 * A value inside a line written to a terminal (the CLI): one line, every control character
 * shown as a visible mark, so that no ANSI escape sequence (ESC, CSI), carriage return,
 * backspace, bell or bidi override in job data reaches the terminal; bounded.
 */
export function terminalText(value: unknown, max: number = MAX_TERMINAL_VALUE_CHARS): string {
  return visibleText(value, max);
}

/** A line for a terminal: terminal`${runId}  ${jobName}`. Literal parts (ours, colours included) are trusted. */
export const terminal: Template = template((value) => terminalText(value));

// Everything JSON.stringify leaves as is but a terminal would act on or hide: C1 controls,
// invisible format characters (bidi overrides, zero-width), line and paragraph separators.
const JSON_UNSAFE = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/**
 * JSON for a script to read, safe to land on a terminal: the same data as JSON.stringify
 * (which already escapes C0 controls, ESC included), with the characters above escaped as
 * \uXXXX as well. Lone surrogates are escaped by JSON.stringify itself.
 */
export function terminalJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(JSON_UNSAFE, (char) =>
    Array.from({ length: char.length }, (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}
