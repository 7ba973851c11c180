import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkContract } from '../src/contracts/index.js';
import { CONTRACT_EXAMPLES } from '../src/contracts/examples.js';
import { CONTRACT_NAMES, FLOWS, type ContractName } from '../src/flows.js';
import { cli, ROOT } from './cli-process.js';
import { seedValue } from './seed.js';

/** The seed's block each of Stream's outputs is held to. */
const SEED_BLOCKS: Partial<Record<ContractName, string>> = {
  'schema-to-stream': 'Input from Schema',
  'stream-to-builder': 'Output to Builder',
  'pulse-to-stream': 'Input from Pulse',
  'stream-to-schema': 'Output to Schema',
  'stream-to-canvas': 'Output to Canvas',
  'stream-to-radar': 'Output to Radar',
  'stream-to-scaffold': 'Output to Scaffold',
};

describe('contract examples', () => {
  it.each(CONTRACT_NAMES)('%s: the example satisfies its contract', (name) => {
    const checked = checkContract(name, CONTRACT_EXAMPLES[name]);
    expect(checked.ok ? [] : checked.issues).toEqual([]);
  });

  it("Stream's outputs and the seed's inputs are the seed's blocks verbatim", () => {
    for (const name of CONTRACT_NAMES) {
      const label = SEED_BLOCKS[name];
      if (label !== undefined)
        expect({ name, example: CONTRACT_EXAMPLES[name] }).toEqual({ name, example: seedValue(label) });
    }
  });

  it("each flow's input example is its file in examples/", async () => {
    for (const flow of Object.values(FLOWS)) {
      const input = flow.handoffs[0]?.input ?? 'schema-to-stream';
      const file: unknown = parse(await readFile(join(ROOT, 'examples', `${flow.name}.yaml`), 'utf8'));
      expect({ flow: flow.name, file }).toEqual({ flow: flow.name, file: CONTRACT_EXAMPLES[input] });
    }
  });
});

describe('stream-collab flows --contract', () => {
  it('prints every contract as JSON Schema that a standard validator applies, with a valid example', async () => {
    const ajv = new Ajv2020({ strict: false });
    const results = await Promise.all(
      CONTRACT_NAMES.map(async (name) => ({ name, r: await cli(['flows', '--contract', name]) })),
    );
    for (const { name, r } of results) {
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: '' });
      const out: unknown = JSON.parse(r.stdout);
      expect(out).toMatchObject({ contract: name, example: CONTRACT_EXAMPLES[name] });
      const doc = typeof out === 'object' && out !== null ? out : {};
      const validate = ajv.compile(Reflect.get(doc, 'schema'));
      expect(validate(Reflect.get(doc, 'example')), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validate({}), `${name} accepts an empty payload`).toBe(false);
    }
  });

  it('is what plain flows points at', async () => {
    const r = await cli(['flows']);
    expect(r.stdout).toContain('a contract as JSON Schema, with an example: stream-collab flows --contract <name>');
  });

  it('names the handoffs that use a contract', async () => {
    const r = await cli(['flows', '--contract', 'builder-output']);
    expect(JSON.parse(r.stdout)).toMatchObject({
      usedBy: [{ flow: 'schema-to-pipeline', step: 2, from: 'stream', to: 'builder', as: 'reply' }],
    });
  });

  it('rejects an unknown contract with exit 2 and the nearest name', async () => {
    const r = await cli(['flows', '--contract', 'builder-ouptut']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown contract "builder-ouptut"; did you mean "builder-output"?');
  });
});

/** The README's text under a heading, up to the next heading of any level. */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no heading ${heading}`);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/\n#{2,4} /);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The first column of each row of the first Markdown table in `text`, without the header. */
function firstColumn(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('| '))
    .slice(2)
    .map((l) => l.split('|')[1]?.trim() ?? '');
}

/** Every field path of a JSON Schema as `a.b[].c`, with `?` when optional; list items themselves are skipped. */
function fieldPaths(schema: unknown, prefix = ''): string[] {
  const properties: unknown = Reflect.get(Object(schema), 'properties');
  const required: unknown = Reflect.get(Object(schema), 'required');
  const items: unknown = Reflect.get(Object(schema), 'items');
  if (Reflect.get(Object(schema), 'type') === 'array' && typeof items === 'object')
    return fieldPaths(items, `${prefix}[]`);
  if (typeof properties !== 'object' || properties === null) return [];
  return Object.entries(properties).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const optional = !(Array.isArray(required) && required.includes(key));
    return [`${path}${optional ? '?' : ''}`, ...fieldPaths(value, path)];
  });
}

describe('the README documents every contract as the code has it', async () => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const { z } = await import('zod');
  const { CONTRACTS } = await import('../src/contracts/index.js');

  it.each(CONTRACT_NAMES)('%s: every field, optional ones marked, and the example flows --contract prints', (name) => {
    const text = section(readme, readme.match(new RegExp(`#### \`${name}\`:[^\\n]*`))?.[0] ?? `#### ${name}`);
    const documented = firstColumn(text).map((cell) => cell.replace(/`/g, ''));
    expect(documented).toEqual(fieldPaths(z.toJSONSchema(CONTRACTS[name], { unrepresentable: 'any', io: 'input' })));
    const example = /```json\n([\s\S]*?)```/.exec(text)?.[1];
    expect(JSON.parse(example ?? 'null')).toEqual(CONTRACT_EXAMPLES[name]);
  });

  it('lists every handoff with its contracts', () => {
    const rows = section(readme, '### Writing an agent in any language')
      .split('\n')
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((c) => c.trim().replace(/`/g, '')));
    expect(rows.map((r) => r.slice(1, 6))).toEqual(
      Object.values(FLOWS).flatMap((f) =>
        f.handoffs.map((h, i) => [f.name, String(i + 1), `${h.from} → ${h.to}`, h.input, h.reply]),
      ),
    );
  });
});
