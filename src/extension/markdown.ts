// Text from job documents and the processor, made safe inside a vscode.MarkdownString.

/** Escapes every character Markdown (and the codicon syntax `$(…)`) would read as markup. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&]/g, '\\$&');
}
