import { describe, expect, it } from 'vitest';
import { diffPayloads, formatChanges } from '../src/diff.js';

describe('diffPayloads', () => {
  it('names every changed, added and removed field by its contract path', () => {
    const before = {
      connectors: [{ api: 'orders_api', method: 'incremental', key: 'updated_at' }, { api: 'x' }],
      target: 'fct',
    };
    const after = { connectors: [{ api: 'orders_api', method: 'full' }, { api: 'x' }, { api: 'y' }], owner: 'data' };
    expect(formatChanges(diffPayloads(before, after))).toEqual([
      '~ connectors[0].method: "incremental" → "full"',
      '- connectors[0].key: "updated_at"',
      '+ connectors[2]: {"api":"y"}',
      '- target: "fct"',
      '+ owner: "data"',
    ]);
  });

  it('finds nothing between equal payloads', () => {
    expect(diffPayloads({ a: [1, { b: null }] }, { a: [1, { b: null }] })).toEqual([]);
  });

  it('reports a whole-value change at the root', () => {
    expect(diffPayloads(1, 'one')).toEqual([{ path: '(root)', kind: 'changed', before: 1, after: 'one' }]);
  });
});
