import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The seed document, committed verbatim so tests hold the product to it on a fresh clone. */
export const SEED = readFileSync(fileURLToPath(new URL('./fixtures/seed.md', import.meta.url)), 'utf8');

/** The YAML block that follows a bold label such as `**Input from Schema:**`, as text. */
export function seedBlock(label: string): string {
  const start = SEED.indexOf(`**${label}:**`);
  if (start < 0) throw new Error(`no "${label}" in the seed`);
  const match = /```yaml\n([\s\S]*?)```/.exec(SEED.slice(start));
  if (match?.[1] === undefined) throw new Error(`no YAML block after "${label}"`);
  return match[1];
}

export function seedValue(label: string): unknown {
  return parse(seedBlock(label));
}
