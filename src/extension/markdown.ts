// Tooltips and hovers that show job data, identities or processor verdicts: Markdown source
// built with core/untrustedText's `markdown` tag, rendered untrusted (no command links), without
// HTML and without theme icons.
import * as vscode from 'vscode';
import { UNTRUSTED_MARKDOWN } from '../core/untrustedText';

export function untrustedMarkdown(source = ''): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(source, UNTRUSTED_MARKDOWN.supportThemeIcons);
  tooltip.isTrusted = UNTRUSTED_MARKDOWN.isTrusted;
  tooltip.supportHtml = UNTRUSTED_MARKDOWN.supportHtml;
  return tooltip;
}
