// Job data inside server-rendered HTML (the alert email's HTML part and the approval page).
// The companion of untrustedText.ts for HTML: the `html` tagged template trusts its literal
// parts (ours) and treats every value as hostile text. A value is first made visible and
// bounded as on every other surface (visibleText: line breaks, controls, bidi overrides and
// invisible characters become marks, lone surrogates U+FFFD), then escaped so that it can
// only ever be character data, whether it lands between tags or inside a quoted attribute:
// & < > " ' ` and = are written as character references. Markup built by `html` itself is
// a SafeHtml and is nested as it is; nothing else is.
//
// Rules for callers: values only in element content or in a double-quoted attribute value;
// never inside <script>, <style>, an unquoted attribute, an event handler, or an href/src
// (URLs are ours: built by the caller from a fixed base and an encoded token).

import { MAX_DISPLAY_CHARS, visibleText } from './untrustedText';

/** Markup written by our own templates; the only thing `html` does not escape. */
export class SafeHtml {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup;
  }
}

const HTML_SPECIAL = /[&<>"'`=]/g;
const REFERENCES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
  '=': '&#61;',
};

/**
 * A value as HTML character data: visible (see visibleText), at most `max` characters, and
 * escaped so that it is text in element content and in a double-quoted attribute alike.
 */
export function htmlText(value: unknown, max: number = MAX_DISPLAY_CHARS): string {
  return visibleText(value, max).replace(HTML_SPECIAL, (char) => REFERENCES[char] ?? '');
}

/**
 * html`<td>${value}</td>`: literals are markup, values are text (htmlText), SafeHtml values
 * (from html itself) are nested, and arrays of them are joined.
 */
export function html(literals: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let markup = literals[0] ?? '';
  values.forEach((value, index) => {
    markup += htmlValue(value) + (literals[index + 1] ?? '');
  });
  return new SafeHtml(markup);
}

function htmlValue(value: unknown): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value) && value.every((item) => item instanceof SafeHtml)) return value.map((item: SafeHtml) => item.markup).join('');
  return htmlText(value);
}

/** Long text (a reason, a detail) keeps up to `max` characters, still one escaped line of text. */
export function htmlLongText(value: unknown, max: number): SafeHtml {
  return new SafeHtml(htmlText(value, max));
}
