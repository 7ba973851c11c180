import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  backfillWorkflowId,
  canonicalJson,
  chainWorkflowId,
  defaultChainId,
  inputDigest,
  parseWorkflowId,
  replayWorkflowId,
  scheduleWorkflowId,
} from '../src/identity/index.js';
import { sha256Hex } from '../src/identity/sha256.js';

/** Strings of every UTF-8 length class, lone surrogates, and lengths around SHA-256's 64-byte blocks. */
function samples(): string[] {
  const out = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(63), 'a'.repeat(64), 'é'.repeat(100), '\ud800x'];
  out.push('€𝄞日本 date_key=2026-11-01', JSON.stringify({ target_model: 'fct_sales', source_tables: ['orders'] }));
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 200; i++) {
    const ranges = [0x80, 0x800, 0x10000, 0x110000];
    out.push(Array.from({ length: next(300) }, () => String.fromCodePoint(next(ranges[next(4)] ?? 0x80))).join(''));
  }
  return out;
}

describe('identity', () => {
  it('hashes exactly as node:crypto does, so ids made before the pure-JS digest stay the same', () => {
    const differ = samples().filter((s) => sha256Hex(s) !== createHash('sha256').update(s).digest('hex'));
    expect(differ).toEqual([]);
    const payload = { target_model: 'fct_sales', source_tables: ['orders', 'customers'] };
    const old = createHash('sha256').update(canonicalJson(payload)).digest('hex').slice(0, 12);
    expect(inputDigest(payload)).toBe(old);
    expect(defaultChainId('schema-to-pipeline', payload, 'date_key=2026-11-01')).toBe(
      `schema-to-pipeline/fct_sales/date_key=2026-11-01/${old}`,
    );
  });

  it('parses every id it builds back into what it was built from', () => {
    const payload = { pipeline: 'orders etl' };
    const digest = inputDigest(payload);
    const chain = defaultChainId('pipeline-testing', payload);
    expect(parseWorkflowId(chain)).toEqual({ kind: 'chain', flow: 'pipeline-testing', subject: 'orders_etl', digest });
    const partitioned = chainWorkflowId('pipeline-testing', 'orders_etl', digest, 'region=eu/date_key=2026-11-01');
    expect(parseWorkflowId(partitioned)).toEqual({
      kind: 'chain',
      flow: 'pipeline-testing',
      subject: 'orders_etl',
      partition: 'region=eu/date_key=2026-11-01',
      digest,
    });
    expect(parseWorkflowId(replayWorkflowId(partitioned, 2))).toEqual({ kind: 'replay', of: partitioned, fromStep: 2 });
    expect(parseWorkflowId(replayWorkflowId(chain, 1, { sources: [] }))).toEqual({
      kind: 'replay',
      of: chain,
      fromStep: 1,
      overrideDigest: inputDigest({ sources: [] }),
    });
    const range = { range: { from: '2026-11-01', to: '2026-11-30', grain: 'day' as const } };
    expect(parseWorkflowId(backfillWorkflowId('pipeline-testing', payload, range))).toEqual({
      kind: 'backfill',
      flow: 'pipeline-testing',
      subject: 'orders_etl',
      partitions: '2026-11-01..2026-11-30/day',
      digest,
    });
    expect(parseWorkflowId(backfillWorkflowId('pipeline-testing', payload, { list: ['a', 'b'] }))).toMatchObject({
      kind: 'backfill',
      partitions: `list-${inputDigest(['a', 'b'])}`,
    });
    // Temporal appends `-<scheduled time>` to a schedule action's id; the schedule id may hold dashes itself.
    expect(parseWorkflowId(`${scheduleWorkflowId('nightly-sales')}-2026-11-02T02:00:00Z`)).toEqual({
      kind: 'schedule',
      scheduleId: 'nightly-sales',
      scheduledAt: '2026-11-02T02:00:00Z',
    });
    for (const other of ['my-own-id', 'schema-to-pipeline/fct', 'backfill/nope/x/y/0123456789ab', 'a/b/0123456789ab'])
      expect(parseWorkflowId(other)).toEqual({ kind: 'other' });
  });
});
