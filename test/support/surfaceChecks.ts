// What a VS Code surface would make of a string, as the workbench parses it: the tests ask
// these whether a string shown there holds a link, an icon, markup or a second line.

/** The workbench's own link syntax in notifications and input-box prompts (vs/base/common/linkedText). */
const WORKBENCH_LINK = /\[([^\]]+)\]\(((?:https?:\/\/|command:|file:)[^)\s]+)(?: (["'])(.+?)(\3))?\)/gi;

/** The links a notification or an input-box prompt would render in `text`. */
export function workbenchLinks(text: string): string[] {
  return [...text.matchAll(WORKBENCH_LINK)].map((match) => match[0]);
}

/** The workbench's icon syntax (vs/base/browser/ui/iconLabel/iconLabels), with its escape. */
const ICON = /(\\)?\$\(([A-Za-z0-9-]+(?:~[A-Za-z]+)?)\)/g;

/** The `$(icon)`s a quick pick or the status bar would render in `text` (escaped ones are text). */
export function renderedIcons(text: string): string[] {
  return [...text.matchAll(ICON)].filter((match) => match[1] === undefined).map((match) => match[0]);
}

const ASCII_PUNCTUATION = /[!-/:-@[-`{-~]/;

/**
 * The characters of Markdown source `text` that Markdown could read as syntax: every ASCII
 * punctuation character not escaped by a backslash, with its index. Empty means the text
 * renders as exactly its characters (CommonMark: a backslash-escaped punctuation character is
 * a literal).
 */
export function unescapedMarkdown(text: string): Array<{ index: number; char: string }> {
  const found: Array<{ index: number; char: string }> = [];
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (char === '\\' && ASCII_PUNCTUATION.test(text.charAt(i + 1))) {
      i += 1;
      continue;
    }
    if (ASCII_PUNCTUATION.test(char)) found.push({ index: i, char });
  }
  return found;
}

/** Characters that would end a line, move the cursor, reorder or hide text. */
const UNSAFE_CHARACTERS = /[\p{Cc}\p{Cf}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;

/** The first control, line break, bidi, invisible character or lone surrogate in `text`, if any. */
export function unsafeCharacter(text: string): string | undefined {
  const match = UNSAFE_CHARACTERS.exec(text);
  return match ? `U+${(match[0].codePointAt(0) ?? 0).toString(16).toUpperCase()} at ${match.index}` : undefined;
}
