/**
 * Mermaid to SVG without a browser (beautiful-mermaid: its own parser, ELK for layout). Shared by the Canvas
 * agent's `pipeline.svg` and `lineage --format svg`, so both look the same.
 */
const FONTS = `'Inter', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans Condensed', sans-serif`;

export async function mermaidToSvg(source: string): Promise<string> {
  // Loaded on first use: ELK is large, and most commands and handoffs never draw.
  const { renderMermaidSVGAsync } = await import('beautiful-mermaid');
  const svg = await renderMermaidSVGAsync(source, { font: 'Inter', padding: 24 });
  return (
    svg
      // The renderer pulls Inter from Google Fonts; an artifact must open offline and fetch nothing.
      .replace(/^\s*@import url\([^)]*\);\s*\n/gm, '')
      // It sizes boxes for Inter's widths: where Inter is missing, fonts about as narrow keep labels inside them.
      .replace(/text \{ font-family: [^}]*\}/, `text { font-family: ${FONTS}; }`)
  );
}
