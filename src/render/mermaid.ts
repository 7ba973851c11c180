/**
 * A quoted Mermaid label, one line per part. HTML entities, not Mermaid's `#quot;`: both mermaid.js and the
 * browserless SVG renderer decode them, so names with quotes or angle brackets show as written.
 */
export function mermaidLabel(parts: readonly string[]): string {
  const escape = (text: string): string =>
    text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `"${parts.map(escape).join('<br>')}"`;
}
