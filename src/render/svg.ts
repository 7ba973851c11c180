/**
 * Mermaid to SVG without a browser (beautiful-mermaid: its own parser, ELK for layout). Shared by the Canvas
 * agent's `pipeline.svg` and `lineage --format svg`, so both look the same.
 */
const FONTS = `'Inter', 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', 'DejaVu Sans Condensed', sans-serif`;

/**
 * The SVG of a Mermaid diagram, self-contained: it fetches nothing and its colours are literal, so it looks the
 * same in a browser, an image viewer, `rsvg-convert` or a PDF pipeline as in the browser it was designed for.
 */
export async function mermaidToSvg(source: string): Promise<string> {
  // Loaded on first use: ELK is large, and most commands and handoffs never draw.
  const { renderMermaidSVGAsync } = await import('beautiful-mermaid');
  const svg = await renderMermaidSVGAsync(source, { font: 'Inter', padding: 24 });
  return literalColours(
    svg
      // The renderer pulls Inter from Google Fonts; an artifact must open offline and fetch nothing.
      .replace(/^\s*@import url\([^)]*\);\s*\n/gm, '')
      // It sizes boxes for Inter's widths: where Inter is missing, fonts about as narrow keep labels inside them.
      .replace(/text \{ font-family: [^}]*\}/, `text { font-family: ${FONTS}; }`),
  );
}

/**
 * The renderer themes through CSS custom properties (`--bg`, `--fg` on the root, the rest derived with
 * `color-mix()`), which only browsers resolve: librsvg, resvg, Inkscape and most viewers draw such fills black.
 * This resolves every `var()` and `color-mix()` to a hex colour, drops the declarations, and paints the
 * background as a rectangle, since non-browser renderers ignore a CSS `background`.
 */
export function literalColours(svg: string): string {
  const vars = new Map<string, string>();
  const declarations = /(--[\w-]+)\s*:\s*([^;]+);?/g;
  const rootStyle = /^<svg\b[^>]*?\sstyle="([^"]*)"/.exec(svg)?.[1] ?? '';
  const derived = /\bsvg\s*\{([^}]*)\}/.exec(svg)?.[1] ?? '';
  for (const [, name, value] of `${rootStyle};${derived}`.matchAll(declarations)) {
    if (name !== undefined && value !== undefined) vars.set(name, value.trim());
  }
  const bg = colour('var(--bg, #FFFFFF)', vars);
  const viewBox =
    /^<svg\b[^>]*?\sviewBox="([^"]*)"/
      .exec(svg)?.[1]
      ?.trim()
      .split(/[\s,]+/) ?? [];
  const [x = '0', y = '0', width = '100%', height = '100%'] = viewBox;
  const resolved = svg
    .replace(/\s*\bsvg\s*\{[^}]*\}/, '')
    .replace(/^(<svg\b[^>]*?\s)style="[^"]*"([^>]*>)/, `$1style="background:${bg}"$2`);
  const open = /^<svg\b[^>]*>/.exec(resolved)?.[0] ?? '';
  const backdrop = `\n<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="${bg}" />`;
  return `${open}${backdrop}${replaceFunctions(resolved.slice(open.length), vars)}`;
}

/** Replaces each outermost `var(…)` or `color-mix(…)` in `text` by the colour it stands for. */
function replaceFunctions(text: string, vars: ReadonlyMap<string, string>): string {
  let out = '';
  let rest = text;
  for (let at = rest.search(/\b(var|color-mix)\(/); at >= 0; at = rest.search(/\b(var|color-mix)\(/)) {
    const end = closingParen(rest, rest.indexOf('(', at));
    out += rest.slice(0, at) + colour(rest.slice(at, end + 1), vars);
    rest = rest.slice(end + 1);
  }
  return out + rest;
}

/** A CSS colour expression of the kinds the renderer writes, as `#rrggbb`; anything else is an error. */
function colour(expression: string, vars: ReadonlyMap<string, string>): string {
  const e = expression.trim();
  const ref = /^var\(\s*(--[\w-]+)\s*(?:,([\s\S]*))?\)$/.exec(e);
  if (ref?.[1] !== undefined) {
    const value = vars.get(ref[1]) ?? ref[2];
    if (value === undefined) throw new Error(`SVG colour ${e}: ${ref[1]} is not defined`);
    return colour(value, vars);
  }
  const mix = /^color-mix\(\s*in srgb\s*,([\s\S]*)\)$/.exec(e);
  if (mix?.[1] !== undefined) {
    const [first, second] = splitTopLevel(mix[1]).map((part) => {
      const weighted = /^([\s\S]*?)\s+(\d+(?:\.\d+)?)%$/.exec(part.trim());
      return { rgb: rgb(colour(weighted?.[1] ?? part, vars)), weight: weighted?.[2] };
    });
    if (first === undefined || second === undefined) throw new Error(`SVG colour ${e}: expected two colours`);
    const p = first.weight !== undefined ? Number(first.weight) / 100 : 1 - Number(second.weight ?? 50) / 100;
    return hex(first.rgb.map((c, i) => c * p + (second.rgb[i] ?? 0) * (1 - p)));
  }
  return hex(rgb(e));
}

function rgb(hexColour: string): number[] {
  const h = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(hexColour.trim())?.[1];
  if (h === undefined) throw new Error(`SVG colour ${hexColour}: expected #rgb or #rrggbb`);
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  return [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
}

function hex(channels: readonly number[]): string {
  return `#${channels.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

function closingParen(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i += 1) {
    if (text[i] === '(') depth += 1;
    else if (text[i] === ')' && --depth === 0) return i;
  }
  throw new Error(`SVG: unbalanced parentheses after ${text.slice(open - 10, open + 20)}`);
}

function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i += 1) {
    if (list[i] === '(') depth += 1;
    else if (list[i] === ')') depth -= 1;
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, list.slice(start)];
}
