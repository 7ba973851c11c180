import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { readCheckedYaml } from '../../src/cli/input.js';
import { CONTRACTS, checkContract } from '../../src/contracts/index.js';
import { MAX_YAML_BYTES, MAX_YAML_NESTING, parseYaml } from '../../src/contracts/yaml.js';
import { CONTRACT_NAMES } from '../../src/flows.js';
import { cli } from '../cli-process.js';

/** A billion laughs: nine aliases per level, seven levels. */
const ALIAS_BOMB = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...['b', 'c', 'd', 'e', 'f', 'g'].map((x, i) => {
    const prev = 'abcdefg'[i] ?? 'a';
    return `${x}: &${x} [${Array.from({ length: 9 }, () => `*${prev}`).join(',')}]`;
  }),
  'source_tables: *g',
  'target_model: fct_sales',
].join('\n');

/** Hostile files, each of which must exit 2 at once with one line naming the file. */
const HOSTILE: Record<string, string | Buffer> = {
  'alias-bomb.yaml': ALIAS_BOMB,
  'oversized.yaml': `source_tables: [orders]\ntarget_model: fct_sales\nnote: "${'x'.repeat(10 * 1024 * 1024)}"\n`,
  'binary.yaml': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)),
  'not-utf8.yaml': Buffer.concat([Buffer.from('source_tables: [orders]\ntarget_model: '), Buffer.from([0xc3, 0x28])]),
  'deep-flow.yaml': `source_tables: ${'['.repeat(400_000)}`,
  'deep-dashes.yaml': `source_tables:\n${'- '.repeat(300_000)}x\n`,
  'deep-block.yaml': `source_tables:\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n')}\n`,
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bad-input-'));
  await Promise.all(Object.entries(HOSTILE).map(([name, content]) => writeFile(join(dir, name), content)));
});

describe('bad input files', () => {
  it.each(Object.keys(HOSTILE))(
    '%s exits 2 with one line naming the file, before contacting any server',
    async (name) => {
      const file = join(dir, name);
      // Nothing listens on port 1: reaching for the server would exit 3, not 2.
      const r = await cli(['run', 'schema-to-pipeline', '--input', file], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a valid `));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('the limits are the documented ones', () => {
    expect(MAX_YAML_BYTES).toBe(2 * 1024 * 1024);
    expect(MAX_YAML_NESTING).toBe(64);
    const deep = parseYaml(`source_tables: ${'['.repeat(MAX_YAML_NESTING + 1)}`, CONTRACTS['schema-to-stream']);
    expect(deep).toMatchObject({ ok: false, issues: [{ path: '(file)', message: 'nested deeper than 64 levels' }] });
    const fine = parseYaml(
      `source_tables: [orders]\ntarget_model: m\nx: ${'['.repeat(10)}${']'.repeat(10)}`,
      CONTRACTS['schema-to-stream'],
    );
    expect(fine.ok).toBe(true);
  });
});

describe('a crash of the CLI itself', () => {
  it('exits 70 in one line, and prints the stack only with --debug', async () => {
    // A TLS setting the CLI cannot use: nothing it classifies, so an unexpected error.
    const env = { TEMPORAL_TLS_SERVER_CA_CERT_PATH: join(dir, 'no-such-ca.pem') };
    const plain = await cli(['show', 'some-id'], env);
    expect(plain.code).toBe(70);
    expect(plain.stderr).toMatch(/^error: stream-collab failed unexpectedly: Error: ENOENT.*no-such-ca\.pem/);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const debug = await cli(['show', 'some-id', '--debug'], env);
    expect(debug.code).toBe(70);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

/** Text made of YAML's own punctuation, so the parser's corners get exercised, not only its happy path. */
const yamlish = fc
  .array(
    fc.constantFrom(
      '[',
      ']',
      '{',
      '}',
      '- ',
      ': ',
      ', ',
      '&a ',
      '*a',
      '\n',
      '  ',
      'x',
      'source_tables',
      'target_model',
      '"',
      "'",
      '# ',
      '|\n',
      '>\n',
      '? ',
      '!!str ',
      '!!binary ',
      '\t',
      '---\n',
      '...\n',
      '%YAML 1.2\n',
      '<<: ',
      '\u0000',
      '\uFEFF',
    ),
    { maxLength: 200 },
  )
  .map((parts) => parts.join(''));

const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 500 }), yamlish);

/** An issue that says where: a path, and a message. */
function wellFormedIssues(issues: readonly { path: unknown; message: unknown }[]): boolean {
  return (
    issues.length > 0 &&
    issues.every((i) => typeof i.path === 'string' && i.path !== '' && typeof i.message === 'string')
  );
}

describe('property: arbitrary input never throws anything but our typed error with a path', () => {
  it.each(CONTRACT_NAMES)('the YAML reader against %s', (name) => {
    fc.assert(
      fc.property(anyText, (text) => {
        const parsed = parseYaml(text, CONTRACTS[name]);
        return parsed.ok || wellFormedIssues(parsed.issues);
      }),
      { numRuns: 300, examples: [[ALIAS_BOMB], ['['.repeat(5000)], [`${'- '.repeat(5000)}x`]] },
    );
  });

  it.each(CONTRACT_NAMES)('the contract %s, given any value', (name) => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, maxDepth: 6 }), (value) => {
        const checked = checkContract(name, value);
        return checked.ok || wellFormedIssues(checked.issues);
      }),
      { numRuns: 300 },
    );
  });

  it('a file of arbitrary bytes is read or refused with a UsageError naming the file', async () => {
    const file = join(dir, 'arbitrary.yaml');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 2000 }),
          yamlish.map((t) => Buffer.from(t)),
        ),
        async (bytes) => {
          await writeFile(file, bytes);
          try {
            await readCheckedYaml(file, CONTRACTS['schema-to-stream'], { noun: 'input', valid: 'a valid payload' });
            return true;
          } catch (err) {
            return err instanceof UsageError && err.message.includes(file);
          }
        },
      ),
      { numRuns: 200, examples: [[Buffer.from(ALIAS_BOMB)], [Buffer.from('['.repeat(100_000))]] },
    );
  });
});
