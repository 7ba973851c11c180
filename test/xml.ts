const NAME = '[A-Za-z_][\\w:.-]*';
const ATTRIBUTE = `\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*')`;
const TAG = new RegExp(`<(/?)(${NAME})((?:${ATTRIBUTE})*)\\s*(/?)>`, 'y');
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/g;

/**
 * The problems that make `text` not well-formed XML (empty when it is): unbalanced or stray tags, a raw `<`,
 * a bare `&`, or anything outside the one root element. Enough to check generated SVG without a parser.
 */
export function xmlProblems(text: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const checkText = (chunk: string, at: number): void => {
    if (stack.length === 0 && chunk.trim() !== '') problems.push(`text outside the root element at ${at}`);
    if (chunk.replace(ENTITY, '').includes('&')) problems.push(`a bare & at ${at}`);
  };
  while (i < body.length) {
    const lt = body.indexOf('<', i);
    if (lt === -1) {
      checkText(body.slice(i), i);
      break;
    }
    checkText(body.slice(i, lt), i);
    TAG.lastIndex = lt;
    const m = TAG.exec(body);
    if (m === null) {
      problems.push(`a malformed tag or raw < at ${lt}: ${body.slice(lt, lt + 40)}`);
      break;
    }
    const [whole, closing, name = '', attributes = '', selfClosing] = m;
    if (attributes.replace(ENTITY, '').includes('&')) problems.push(`a bare & in an attribute of <${name}> at ${lt}`);
    if (closing === '/') {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> at ${lt} closes <${open ?? 'nothing'}>`);
    } else {
      if (stack.length === 0) roots += 1;
      if (selfClosing !== '/') stack.push(name);
    }
    i = lt + whole.length;
  }
  if (stack.length > 0) problems.push(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

/** The text of every `<text>` element, entities decoded, one line per `<tspan>`: what a viewer reads. */
export function svgTexts(svg: string): string[] {
  const decode = (t: string): string =>
    t
      .replace(/<\/tspan>\s*(?=<tspan)/g, '\n')
      .replace(/<[^>]+>/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, '&');
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) => decode(m[1] ?? ''));
}
