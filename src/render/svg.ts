/**
 * Mermaid to SVG without a browser (beautiful-mermaid: its own parser, ELK for layout). Shared by the Canvas
 * agent's `pipeline.svg` and `lineage --format svg`, so both look the same.
 */
export async function mermaidToSvg(source: string): Promise<string> {
  // Loaded on first use: ELK is large, and most commands and handoffs never draw.
  const { renderMermaidSVGAsync } = await import('beautiful-mermaid');
  const svg = await renderMermaidSVGAsync(source, { font: 'Inter', padding: 24 });
  // The renderer pulls its font from Google Fonts; an artifact must open offline, so fall back to system fonts.
  return svg.replace(/^\s*@import url\([^)]*\);\s*\n/gm, '');
}
