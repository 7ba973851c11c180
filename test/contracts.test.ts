import { describe, expect, it } from 'vitest';
import { checkContract, CONTRACTS } from '../src/contracts/index.js';
import { parseContractYaml } from '../src/contracts/yaml.js';
import { FLOWS, type ContractName } from '../src/flows.js';
import { seedBlock } from './seed.js';

const SEED_BLOCKS: [string, ContractName][] = [
  ['Input from Schema', 'schema-to-stream'],
  ['Output to Builder', 'stream-to-builder'],
  ['Input from Pulse', 'pulse-to-stream'],
  ['Output to Schema', 'stream-to-schema'],
  ['Output to Canvas', 'stream-to-canvas'],
  ['Output to Radar', 'stream-to-radar'],
  ['Output to Scaffold', 'stream-to-scaffold'],
];

describe('the seed YAML blocks', () => {
  it.each(SEED_BLOCKS)('"%s" satisfies %s', (label, contract) => {
    const parsed = parseContractYaml(contract, seedBlock(label));
    expect(parsed.ok ? [] : parsed.issues).toEqual([]);
  });

  it('every contract named by a flow exists, and every contract is named by a flow', () => {
    const named = new Set(Object.values(FLOWS).flatMap((f) => f.handoffs.flatMap((h) => [h.input, h.reply])));
    expect(Object.keys(CONTRACTS).sort()).toEqual([...named].sort());
  });
});

interface Case {
  readonly name: string;
  readonly contract: ContractName;
  readonly yaml: string;
  /** Each expected issue: its path, a piece of its message, and its line if the YAML has one. */
  readonly issues: readonly { path: string; message: string; line?: number }[];
}

const MALFORMED: Case[] = [
  {
    name: 'a metric without its grain',
    contract: 'pulse-to-stream',
    yaml: 'metrics:\n  - name: daily_revenue\n    grain: day\n  - name: customer_ltv\n    window: lifetime\n',
    issues: [{ path: 'metrics[1].grain', message: 'missing required field', line: 4 }],
  },
  {
    name: 'a grain of the wrong type',
    contract: 'pulse-to-stream',
    yaml: 'metrics:\n  - name: daily_revenue\n    grain: 42\n',
    issues: [{ path: 'metrics[0].grain', message: 'expected string, got 42', line: 3 }],
  },
  {
    name: 'a misspelt optional field',
    contract: 'stream-to-schema',
    yaml: 'mart_requirements:\n  - name: fct_daily_revenue\n    columns: [date_key]\n    partioning: date_key\n',
    issues: [{ path: 'mart_requirements[0].partioning', message: 'did you mean "partitioning"', line: 4 }],
  },
  {
    name: 'a misspelt required field reports the misspelling, not "missing"',
    contract: 'pulse-to-stream',
    yaml: 'metrics:\n  - name: daily_revenue\n    gran: day\n',
    issues: [{ path: 'metrics[0].gran', message: 'did you mean "grain"', line: 3 }],
  },
  {
    name: 'an extraction method that does not exist',
    contract: 'stream-to-builder',
    yaml: 'connector_requirements:\n  - api: orders_api\n    method: incremntal\n',
    issues: [
      {
        path: 'connector_requirements[0].method',
        message: 'expected one of "incremental" | "full" | "cdc", got "incremntal"',
        line: 3,
      },
    ],
  },
  {
    name: 'an incremental connector without a cursor key',
    contract: 'stream-to-builder',
    yaml: 'connector_requirements:\n  - api: orders_api\n    method: incremental\n',
    issues: [
      {
        path: 'connector_requirements[0].key',
        message: 'expected a cursor column for method "incremental", got nothing',
      },
    ],
  },
  {
    name: 'a partitioning column the mart does not have',
    contract: 'stream-to-schema',
    yaml: 'mart_requirements:\n  - name: fct_x\n    columns: [a, b]\n    partitioning: c\n',
    issues: [
      { path: 'mart_requirements[0].partitioning', message: 'expected one of the columns (a, b), got "c"', line: 4 },
    ],
  },
  {
    name: 'an edge to a component that does not exist',
    contract: 'stream-to-canvas',
    yaml: 'diagram_type: data_flow\ncomponents:\n  sources: [PostgreSQL]\n  processing: [Kafka]\n  sinks: [Redis]\nedges:\n  - from: PostgreSQL\n    to: Kafak\n',
    issues: [{ path: 'edges[0].to', message: 'got "Kafak"', line: 8 }],
  },
  {
    name: 'a data-quality group without checks',
    contract: 'stream-to-radar',
    yaml: 'test_requirements:\n  - type: data_quality\n',
    issues: [{ path: 'test_requirements[0].checks', message: 'expected checks for type "data_quality", got none' }],
  },
  {
    name: 'a storage size without a unit',
    contract: 'stream-to-scaffold',
    yaml: 'infrastructure_needs:\n  kafka:\n    brokers: 3\n    storage: "1000"\n',
    issues: [
      {
        path: 'infrastructure_needs.kafka.storage',
        message: 'expected a size such as "1TB" or "500GB", got "1000"',
        line: 4,
      },
    ],
  },
  {
    name: 'no infrastructure at all',
    contract: 'stream-to-scaffold',
    yaml: 'infrastructure_needs: {}\n',
    issues: [{ path: 'infrastructure_needs', message: 'expected at least one of kafka, spark, warehouse' }],
  },
  {
    name: 'an empty list of source tables',
    contract: 'schema-to-stream',
    yaml: 'source_tables: []\ntarget_model: fct_sales\n',
    issues: [{ path: 'source_tables', message: 'expected at least one source table, got a list of 0', line: 1 }],
  },
  {
    name: 'a table name that is not an identifier',
    contract: 'schema-to-stream',
    yaml: 'source_tables: ["orders; DROP TABLE x"]\ntarget_model: fct_sales\n',
    issues: [{ path: 'source_tables[0]', message: 'expected an identifier', line: 1 }],
  },
  {
    name: 'a list where a mapping is expected',
    contract: 'stream-to-canvas',
    yaml: 'diagram_type: data_flow\ncomponents: [a, b]\nedges: []\n',
    issues: [{ path: 'components', message: 'expected a mapping, got a list of 2', line: 2 }],
  },
  {
    name: 'an empty document',
    contract: 'schema-to-stream',
    yaml: '',
    issues: [{ path: '(root)', message: 'expected a mapping, got null' }],
  },
  {
    name: 'broken YAML',
    contract: 'schema-to-stream',
    yaml: 'source_tables: [orders\ntarget_model: fct_sales\n',
    issues: [{ path: '(yaml)', message: 'YAML syntax error' }],
  },
  {
    name: 'a duplicated key',
    contract: 'schema-to-stream',
    yaml: 'source_tables: [orders]\ntarget_model: a\ntarget_model: b\n',
    issues: [{ path: '(yaml)', message: 'Map keys must be unique', line: 3 }],
  },
];

describe('malformed payloads', () => {
  it.each(MALFORMED)('$name', ({ contract, yaml, issues }) => {
    const parsed = parseContractYaml(contract, yaml);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues).toHaveLength(issues.length);
    issues.forEach((want, i) => {
      const got = parsed.issues[i];
      expect(got?.path).toBe(want.path);
      expect(got?.message).toContain(want.message);
      if (want.line !== undefined) expect(got?.line).toBe(want.line);
    });
  });
});

describe('fields the seed does not name', () => {
  it('are kept and passed on', () => {
    const checked = checkContract('schema-to-stream', {
      source_tables: ['orders'],
      target_model: 'fct',
      owner: 'team-data',
      sla: { hours: 2 },
    });
    expect(checked.ok && checked.value).toEqual({
      source_tables: ['orders'],
      target_model: 'fct',
      owner: 'team-data',
      sla: { hours: 2 },
    });
  });

  it('are not mistaken for misspellings when they are far from every known field', () => {
    expect(
      checkContract('stream-to-schema', { mart_requirements: [{ name: 'm', columns: ['a'], owner: 'x' }] }).ok,
    ).toBe(true);
  });
});

describe('bounds in messages', () => {
  it('say "greater than" for an exclusive bound and "at least" for an inclusive one', async () => {
    const { z } = await import('zod');
    const { toContractIssues } = await import('../src/contracts/issues.js');
    const schema = z.strictObject({ amount: z.number().int().nonnegative().positive(), count: z.number().max(3) });
    const result = schema.safeParse({ amount: -3, count: 9 }, { reportInput: true });
    expect(result.success).toBe(false);
    expect(toContractIssues(result.error?.issues ?? []).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'amount: expected at least 0, got -3',
      'amount: expected greater than 0, got -3',
      'count: expected at most 3, got 9',
    ]);
  });
});
