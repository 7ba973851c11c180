import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { progressReport } from '../src/cli/backfill.js';
import { readFlowInput } from '../src/cli/input.js';
import { dataConverterFromEnv } from '../src/temporal/data-converter.js';
import { loadChain } from '../src/cli/load-chain.js';
import { FLOWS } from '../src/flows.js';
import { StreamBackfill } from '../src/identity/index.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import type { ChainInput, HandoffRecord } from '../src/workflows/chain.js';
import { cli, ROOT } from './cli-process.js';
import { agentsYaml, startWorker, testClient, unique, type TestWorker } from './helpers.js';
import { pixel, rasterize, rectOf, type Raster } from './raster.js';
import { svgTexts, xmlProblems } from './xml.js';

let client: Client;
let closeClient: () => Promise<void>;
let worker: TestWorker;
let rejecting: TestWorker;
let payload: Record<string, unknown>;

/** This file's own partitions and ids, so `list` sees none of the other test files' chains. */
const tag = unique('inspect');
const ids = {
  a: `${tag}/a`,
  sameAsA: `${tag}/a-again`,
  b: `${tag}/b`,
  failed: `${tag}/failed`,
  backfill: `backfill/${tag}`,
};
const part = (n: number): string => `${tag}-p${n}`;

/** Waits until visibility shows `n` workflows for `query`: it lags the workflows themselves a little. */
async function visible(query: string, n: number): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    if ((await client.workflow.count(query)).count >= n) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`visibility never showed ${n} workflows for ${query}`);
}

async function run(id: string, input: Record<string, unknown>, partition: string | undefined, on: TestWorker) {
  const started = await startChain(client, 'schema-to-pipeline', input, {
    id,
    taskQueue: on.taskQueue,
    ...(partition !== undefined ? { partition } : {}),
  });
  return waitChain(started.handle);
}

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  worker = await startWorker();
  const script = join(import.meta.dirname, 'agents', 'command-agent.mjs');
  rejecting = await startWorker({
    agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
  });
  payload = await readFlowInput('schema-to-pipeline', join(ROOT, 'examples', 'schema-to-pipeline.yaml'));
  const changed = { ...payload, source_tables: ['orders', 'customers', 'returns'], cdc: ['orders'] };
  const outcomes = await Promise.all([
    run(ids.a, payload, part(1), worker),
    run(ids.sameAsA, payload, undefined, worker),
    run(ids.b, changed, part(2), worker),
    run(ids.failed, payload, part(3), rejecting),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED', 'FAILED']);
  await visible(`StreamPartition = "${part(3)}" AND ExecutionStatus = "Failed"`, 1);
  await visible(`StreamPartition IN ("${part(1)}", "${part(2)}") AND ExecutionStatus = "Completed"`, 2);
});
afterAll(async () => {
  await worker.stop();
  await rejecting.stop();
  await closeClient();
});

describe('list', () => {
  it('prints the chains of a partition as a table: id, flow, partition, status, step failed at, start', async () => {
    const row = async (partition: string, id: string) => {
      const r = await cli(['list', '--partition', partition]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(ids.b);
      return (r.stdout.split('\n').find((l) => l.includes(id)) ?? '').split('│').map((c) => c.trim());
    };
    const started = expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    expect(await row(part(1), ids.a)).toEqual(['', ids.a, 'schema-to-pipeline', part(1), 'COMPLETED', '', started, '']);
    expect(await row(part(3), ids.failed)).toEqual([
      '',
      ids.failed,
      'schema-to-pipeline',
      part(3),
      'FAILED',
      '2 stream→builder',
      started,
      '',
    ]);
  });

  it('filters by flow, status, partition and start time through visibility', async () => {
    const listed = async (...args: string[]): Promise<string[]> => {
      const r = await cli(['list', ...args, '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { query: string; chains: { workflowId: string }[] };
      return out.chains.map((c) => c.workflowId).sort();
    };
    // Each CLI start costs a second or so: run them side by side.
    const [failed, noneCompleted, flowAndSince, otherFlow, future, failedRecently] = await Promise.all([
      listed('--status', 'failed', '--partition', part(3)),
      listed('--status', 'completed', '--partition', part(3)),
      listed('--flow', 'schema-to-pipeline', '--partition', part(2), '--since', '10m'),
      listed('--flow', 'analytics-pipeline', '--partition', part(2)),
      listed('--partition', part(2), '--since', '2999-01-01'),
      listed('--status', 'FAILED', '--since', '1h', '--limit', '1000'),
    ]);
    expect(failed).toEqual([ids.failed]);
    expect(noneCompleted).toEqual([]);
    expect(flowAndSince).toEqual([ids.b]);
    expect(otherFlow).toEqual([]);
    expect(future).toEqual([]);
    expect(failedRecently).toContain(ids.failed);
    expect(failedRecently).not.toContain(ids.a);
  });

  it('says when --limit cut the list short', async () => {
    const r = await cli(['list', '--flow', 'schema-to-pipeline', '--since', '1h', '--limit', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(the first 1; --limit raises it)');
    expect(r.stdout.match(/COMPLETED|FAILED|RUNNING/g)).toHaveLength(1);
  });

  it('exit 2 with a clear message for a bad --status, --since, --limit or --flow', async () => {
    const cases: [string[], string][] = [
      [['--status', 'done'], 'unknown --status "done"; expected one of running, completed, failed'],
      [['--since', 'yesterday'], '--since "yesterday" is neither an ISO date'],
      [['--since', '2026-13-45'], '--since "2026-13-45" is neither an ISO date'],
      [['--limit', '0'], '--limit "0" is not a positive number'],
      [['--flow', 'schema-to-pipline'], 'unknown flow "schema-to-pipline"; did you mean "schema-to-pipeline"?'],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(['list', ...args])));
    cases.forEach(([args, message], i) => {
      expect(results[i]?.code, args.join(' ')).toBe(2);
      expect(results[i]?.stderr).toContain(message);
      expect(results[i]?.stdout).toBe('');
    });
  });

  it('exit 3 when the server cannot be reached', async () => {
    const r = await cli(['list'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');
  });
});

interface HandoffsDoc {
  workflowId: string;
  flow: string;
  status: string;
  partition?: string;
  failure?: { type: string; message: string };
  handoffs: HandoffRecord[];
}

describe('tables', () => {
  it('never cut an id, a partition or a status; only free text wraps', () => {
    const chain = 'schema-to-pipeline/fct_daily_revenue_by_customer_segment/date_key=2026-11-01/0123456789ab';
    const detail = 'AgentRejected: builder rejected the handoff (exit 65): unknown connector method "snapshot"';
    const out = progressReport(
      'backfill/schema-to-pipeline/fct_daily_revenue_by_customer_segment',
      'COMPLETED',
      {
        backfillId: 'b',
        flow: 'schema-to-pipeline',
        mode: 'missing',
        maxConcurrent: 4,
        state: 'completed',
        requested: 2,
        counts: { pending: 0, running: 0, succeeded: 1, failed: 1, skipped: 0 },
        complete: 1,
        runs: 1,
        peakRunning: 2,
        maxHistoryLength: 20,
        partitions: [
          { partition: 'date_key=2026-11-01', workflowId: chain, status: 'succeeded' },
          { partition: 'date_key=2026-11-02', workflowId: chain.replace('11-01', '11-02'), status: 'failed', detail },
        ],
      },
      true,
    );
    const cells = (partition: string): string[] =>
      (out.split('\n').find((l) => l.includes(partition)) ?? '').split('│').map((c) => c.trim());
    expect(cells('date_key=2026-11-01')).toEqual(['', 'date_key=2026-11-01', 'succeeded', '', chain, '']);
    expect(cells('date_key=2026-11-02')).toContain('failed');
    expect(out).toContain(chain.replace('11-01', '11-02'));
    expect(out).not.toContain('…');
    expect(
      out
        .split('\n')
        .filter((l) => l.includes('│'))
        .map((l) => l.split('│')[3]?.trim())
        .join(' '),
    ).toContain('unknown connector method');
  });
});

describe('handoffs', () => {
  it('prints every handoff with its full input and output as YAML, and the same as JSON', async () => {
    const r = await cli(['handoffs', ids.a]);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as HandoffsDoc;
    expect(doc).toMatchObject({
      workflowId: ids.a,
      flow: 'schema-to-pipeline',
      status: 'COMPLETED',
      partition: part(1),
    });
    const [first, second] = doc.handoffs;
    expect(first).toMatchObject({ step: 1, from: 'schema', to: 'stream', status: 'completed', attempts: 1 });
    expect(first?.input).toEqual(payload);
    expect(second?.input).toEqual(first?.output);
    expect(second?.output).toMatchObject({
      connectors: [{ api: 'orders_api' }, { api: 'customers_api' }, { api: 'products_api' }],
    });
    expect(JSON.stringify(second?.output)).toContain('updated_at > $cursor');
    expect(second?.artifacts.map((a) => a.name)).toEqual(['extract.sql']);

    const json = await cli(['handoffs', ids.a, '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(doc);
  });

  it('prints a failed chain: the failure, and the payload the failed handoff carried', async () => {
    const r = await cli(['handoffs', ids.failed, '--yaml']);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as HandoffsDoc;
    expect(doc.status).toBe('FAILED');
    expect(doc.failure?.type).toBe('AgentRejected');
    const failed = doc.handoffs[1];
    expect(failed).toMatchObject({ step: 2, to: 'builder', status: 'failed', error: { type: 'AgentRejected' } });
    expect(failed?.input).toMatchObject({ connector_requirements: [{ api: 'orders_api' }, {}, {}] });
    expect(failed?.output).toBeUndefined();
  });

  it('exit 2 for an unknown workflow id, or both --yaml and --json', async () => {
    const unknown = await cli(['handoffs', `${tag}/nope`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no workflow with id ${tag}/nope`);
    const both = await cli(['handoffs', ids.a, '--yaml', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('choose one of --yaml and --json');
  });
});

describe('diff', () => {
  it('shows, per handoff, the fields that differ in input and output', async () => {
    const r = await cli(['diff', ids.a, ids.b]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim());
    expect(lines).toContain('step 1: schema → stream (schema-to-stream → stream-to-builder) completed');
    expect(lines).toContain('~ source_tables[2]: "products" → "returns"');
    expect(lines).toContain('+ cdc: ["orders"]');
    expect(lines).toContain('~ connector_requirements[0].method: "incremental" → "cdc"');
    expect(lines).toContain('~ connector_requirements[2].api: "products_api" → "returns_api"');
    expect(r.stdout).not.toContain('no differences');
  });

  it('says there are no differences between two runs of the same input, and --json says identical', async () => {
    const r = await cli(['diff', ids.a, ids.sameAsA]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no differences');
    const json = await cli(['diff', ids.a, ids.b, '--json']);
    const out = JSON.parse(json.stdout) as {
      identical: boolean;
      handoffs: { step: number; input: { path: string; kind: string }[] }[];
    };
    expect(out.identical).toBe(false);
    expect(out.handoffs[0]?.input).toContainEqual({
      path: 'source_tables[2]',
      kind: 'changed',
      before: 'products',
      after: 'returns',
    });
    const same = JSON.parse((await cli(['diff', ids.a, ids.sameAsA, '--json'])).stdout) as { identical: boolean };
    expect(same.identical).toBe(true);
  });

  it('diffs a failed chain against a completed one: the missing reply is a removal', async () => {
    const r = await cli(['diff', ids.a, ids.failed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('step 2: stream → builder (stream-to-builder → builder-output) completed | ');
    expect(r.stdout).toContain('failed AgentRejected');
    expect(r.stdout).toMatch(/- \(root\): \{"connectors":/);
  });
});

describe('lineage', () => {
  it('draws the chain in Mermaid: agents as nodes, handoffs as labelled edges', async () => {
    const r = await cli(['lineage', ids.a]);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(r.stdout).toContain(`subgraph chain["${ids.a} · ${part(1)} · COMPLETED"]`);
    expect(r.stdout).toContain('a_schema -->|"1 · schema-to-stream<br>↩ stream-to-builder<br>1 attempt"| a_stream');
    expect(r.stdout).toContain('a_stream -->|"2 · stream-to-builder<br>↩ builder-output<br>1 attempt"| a_builder');
    expect(r.stdout).not.toContain(':::failed');
  });

  it('marks the failed handoff and its agent', async () => {
    const r = await cli(['lineage', ids.failed]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('a_builder["builder"]:::failed');
    expect(r.stdout).toContain(
      'a_stream -->|"2 · stream-to-builder<br>↩ builder-output<br>✖ AgentRejected · 1 attempt"| a_builder',
    );
    expect(r.stdout).toContain('linkStyle 1 stroke:#c62828');
  });

  it('--format svg --out writes a well-formed SVG with every agent and edge label', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'lineage-')), 'lineage.svg');
    const r = await cli(['lineage', ids.failed, '--format', 'svg', '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`wrote ${out} (svg,`);
    const svg = await readFile(out, 'utf8');
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(xmlProblems(svg)).toEqual([]);
    expect(svgTexts(svg)).toEqual(
      expect.arrayContaining([
        'schema',
        'stream',
        'builder',
        '1 · schema-to-stream\n↩ stream-to-builder\n1 attempt',
        '2 · stream-to-builder\n↩ builder-output\n✖ AgentRejected · 1 attempt',
        `${ids.failed} · ${part(3)} · FAILED`,
      ]),
    );
    const bad = await cli(['lineage', ids.a, '--format', 'png']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Allowed choices are mermaid, svg');
  });

  it('the SVG shows completed agents green and the failed one red outside a browser too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lineage-'));
    const drawn = async (id: string, file: string): Promise<{ svg: string; image: Raster }> => {
      const out = join(dir, file);
      expect((await cli(['lineage', id, '--format', 'svg', '--out', out])).code).toBe(0);
      const svg = await readFile(out, 'utf8');
      expect(svg).not.toMatch(/var\(|color-mix/);
      return { svg, image: await rasterize(svg) };
    };
    const [done, failed] = await Promise.all([drawn(ids.a, 'a.svg'), drawn(ids.failed, 'failed.svg')]);
    /** The colour inside an agent's box, below its label. */
    const fillOf = ({ svg, image }: { svg: string; image: Raster }, agent: string): number[] => {
      const box = rectOf(svg, `data-id="a_${agent}"`);
      return pixel(image, box.x + box.width / 2, box.y + box.height - 3);
    };
    const green = ([r = 0, g = 0, b = 0]: number[]): boolean => g - r >= 8 && g - b >= 8;
    const red = ([r = 0, g = 0, b = 0]: number[]): boolean => r - g >= 8 && r - b >= 8;
    expect(['schema', 'stream', 'builder'].map((agent) => green(fillOf(done, agent)))).toEqual([true, true, true]);
    expect(['schema', 'stream'].map((agent) => green(fillOf(failed, agent)))).toEqual([true, true]);
    expect(red(fillOf(failed, 'builder'))).toBe(true);
    expect(pixel(done.image, 1, 1)).toEqual([255, 255, 255, 255]);
  });

  it('for a backfill, draws its partitions and their status, found by StreamBackfill', async () => {
    // Stands in for a backfill: a running workflow that, like the real one, carries its own id as StreamBackfill,
    // and whose chains carry it too. No worker polls its queue, so it runs until the test terminates it.
    const backfill = await client.workflow.start('backfill', {
      taskQueue: unique('no-worker'),
      workflowId: ids.backfill,
      args: [],
      typedSearchAttributes: [{ key: StreamBackfill, value: ids.backfill }],
    });
    try {
      const partition = async (day: string, on: TestWorker): Promise<string> => {
        const input: ChainInput = { payload, partition: `date_key=${day}`, backfill: ids.backfill };
        const handle = await client.workflow.start(FLOWS['schema-to-pipeline'].workflowType, {
          taskQueue: on.taskQueue,
          workflowId: `${tag}/date_key=${day}`,
          args: [input],
        });
        await handle.result().catch(() => undefined);
        return handle.workflowId;
      };
      const [done, failed] = await Promise.all([partition('2026-11-01', worker), partition('2026-11-02', rejecting)]);
      await visible(`StreamBackfill = "${ids.backfill}" AND ExecutionStatus != "Running"`, 2);
      await visible(`StreamBackfill = "${ids.backfill}"`, 3);

      const r = await cli(['lineage', ids.backfill]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`w_root["${ids.backfill}<br>backfill · RUNNING"]:::running`);
      expect(r.stdout).toContain('subgraph partitions["partitions: 2 (1 completed, 1 failed)"]');
      expect(r.stdout).toContain('p_0["date_key=2026-11-01<br>COMPLETED"]:::completed');
      expect(r.stdout).toContain('p_1["date_key=2026-11-02<br>FAILED"]:::failed');
      expect(r.stdout).toContain('w_root -->|"schema-to-pipeline"| p_1');

      // A partition's own lineage names the backfill it belongs to.
      const child = await cli(['lineage', done]);
      expect(child.stdout).toContain(`w_backfill["${ids.backfill}<br>backfill"]:::other`);
      expect(child.stdout).toContain('w_backfill -.->|"date_key=2026-11-01"| a_schema');
      expect((await cli(['lineage', failed])).stdout).toContain('a_builder["builder"]:::failed');
    } finally {
      await backfill.terminate('test over');
    }
  });

  it('for a replay, draws the chain it replays and the reused handoffs as dotted edges', async () => {
    const original = await client.workflow.getHandle(ids.a).describe();
    const { state } = (await loadChain(client, ids.a)).outcome;
    const input: ChainInput = {
      payload,
      replay: { of: ids.a, ofRunId: original.runId, fromStep: 2, outputs: [state?.handoffs[0]?.output ?? {}] },
    };
    const replayId = `${tag}/replay`;
    await client.workflow
      .start(FLOWS['schema-to-pipeline'].workflowType, {
        taskQueue: worker.taskQueue,
        workflowId: replayId,
        args: [input],
      })
      .then((h) => h.result());
    const r = await cli(['lineage', replayId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      'a_schema -.->|"1 · schema-to-stream<br>↩ stream-to-builder<br>reused (recorded)"| a_stream',
    );
    expect(r.stdout).toContain('a_stream -->|"2 · stream-to-builder<br>↩ builder-output<br>1 attempt"| a_builder');
    expect(r.stdout).toContain(`w_replay_of["${ids.a}<br>replayed chain"]:::other`);
    expect(r.stdout).toContain('w_replay_of -.->|"replay from step 2"| a_builder');
  });

  it('exit 2 for an unknown workflow id', async () => {
    const r = await cli(['lineage', `${tag}/nope`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`no workflow with id ${tag}/nope`);
  });
});

describe('export', () => {
  it('writes the raw history as JSON that replays against the workflow bundle', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'export-'));
    for (const id of [ids.a, ids.failed]) {
      const file = join(dir, 'history.json');
      const r = await cli(['export', id, '--out', file]);
      expect(r.code).toBe(0);
      const history = historyFromJSON(JSON.parse(await readFile(file, 'utf8')));
      const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
      expect(history.events).toHaveLength(events.length);
      expect(r.stdout).toContain(`wrote ${file}: ${events.length} events of ${id}`);
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: { codePath: inject('workflowBundlePath') }, dataConverter: dataConverterFromEnv() },
          history,
          id,
        ),
      ).resolves.toBeUndefined();
    }
  });

  it('exit 2 without --out or for an unknown workflow id', async () => {
    expect((await cli(['export', ids.a])).code).toBe(2);
    const unknown = await cli(['export', `${tag}/nope`, '--out', join(tmpdir(), 'never.json')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`no workflow with id ${tag}/nope`);
  });
});
