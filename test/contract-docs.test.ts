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
