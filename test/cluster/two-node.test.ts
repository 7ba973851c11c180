import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/cluster/cluster.js';
import { CLUSTER_BIN } from '../../src/cluster/install.js';
import { TOPOLOGY } from '../../src/cluster/topology.js';
import { startBackfill } from '../../src/temporal/backfills.js';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import type { BackfillProgress } from '../../src/workflows/backfill.js';
import { agentsYaml, builderReply, eventually, replyJson, startHttpAgent, unique, waitFor } from '../helpers.js';
import { startProcess, waitForOutput, type Running } from '../processes.js';
import { startBalancer } from './balancer.js';

/*
 * The production topology with two Temporal Server processes on one PostgreSQL, joined by Temporal's membership,
 * behind a TCP balancer as on real machines. Clients and workers dial the balancer; a node is killed -9 mid-work,
 * and the survivor must take over its history shards and task queues with nothing run twice and nothing lost.
 */

let cluster: RunningCluster;
let balancer: Awaited<ReturnType<typeof startBalancer>>;
let connection: Connection;
let client: Client;
let dir: string;
const running: Running[] = [];

beforeAll(async () => {
  const started = Date.now();
  // 16 history shards, not the topology's 4: with 4, hashing gave all of them to one node in a CI run, and a kill
  // must take shards away from the survivor's peer for the test to mean anything.
  cluster = await startCluster({
    nodes: 2,
    historyShards: 16,
    ui: false,
    log: (line) => console.log(`[cluster] ${line}`),
  });
  console.log(`two-node cluster up in ${Date.now() - started} ms: ${cluster.nodes.map((n) => n.address).join(', ')}`);
  balancer = await startBalancer(cluster.nodes.map((n) => n.address));
  connection = await Connection.connect({ address: balancer.address });
  client = new Client({ connection, namespace: cluster.namespace });
  dir = await mkdtemp(join(tmpdir(), 'two-node-'));
}, 300_000);

afterAll(async () => {
  for (const p of running.splice(0)) p.killGroup();
  await connection?.close();
  await balancer?.close();
  await cluster?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** `node dist/worker.js` through the balancer, on its own task queue, in its own process group. */
async function startWorker(agents: string, taskQueue: string): Promise<Running> {
  const agentsFile = join(dir, `${taskQueue}.yaml`);
  await writeFile(agentsFile, agents);
  const worker = startProcess(['dist/worker.js'], {
    ...process.env,
    TEMPORAL_ADDRESS: balancer.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    AGENTS_FILE: agentsFile,
    OUT_DIR: join(dir, taskQueue),
    STREAM_COLLAB_TASK_QUEUE: taskQueue,
  });
  running.push(worker);
  await waitForOutput(worker, 'worker: task queue');
  return worker;
}

/** How many runs each workflow id of `type` has (visibility, on the surviving node). */
async function runsPerId(query: string): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  for await (const w of client.workflow.list({ query })) runs.set(w.workflowId, (runs.get(w.workflowId) ?? 0) + 1);
  return runs;
}

/** The nodes owning history shards, waiting (up to a minute) for `done` to hold, as shards move after a change. */
async function owners(done: (nodes: number[]) => boolean): Promise<number[]> {
  const nodesOf = async (): Promise<number[]> =>
    [...new Set((await cluster.shardOwners()).values())].map((n) => n ?? -1).sort();
  return eventually(nodesOf, done, 60_000, 500);
}

/** kill -9 one node, once it owns history shards, and wait until the database no longer counts it as a member. */
async function killNode(index: number): Promise<number> {
  const node = cluster.nodes[index];
  if (node === undefined) throw new Error(`no node ${index}`);
  expect(await owners((n) => n.includes(index)), `node ${index} owns shards before the kill`).toContain(index);
  await node.process.kill();
  const killedAt = Date.now();
  const gone = await eventually(
    () => cluster.members(),
    (members) => members.every((m) => !sameNode(m.address, index)),
    60_000,
    500,
  );
  expect(gone.filter((m) => sameNode(m.address, index))).toEqual([]);
  return killedAt;
}

/** Whether a member's address is one of node `index`'s ports (its config file names them). */
function sameNode(address: string, index: number): boolean {
  const config = readFileSync(join(cluster.dir, `node-${index}.yaml`), 'utf8');
  return config.includes(`membershipPort: ${address.split(':')[1]}\n`);
}

describe('the topology as started', () => {
  it('runs the server version, schema versions and namespace settings of src/cluster/topology.ts', async () => {
    const info = await client.workflowService.getSystemInfo({});
    expect(info.serverVersion).toBe(TOPOLOGY.server.version);
    const ns = await client.workflowService.describeNamespace({ namespace: cluster.namespace });
    const retention = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    expect(`${retention / 3600}h`).toBe(TOPOLOGY.namespace.retention);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({
      namespace: cluster.namespace,
    });
    expect(Object.keys(customAttributes ?? {}).sort()).toEqual(
      TOPOLOGY.namespace.searchAttributes.map((a) => a.name).sort(),
    );
    // The schema the databases were migrated to is the newest this server version ships.
    const newest = (kind: string): string =>
      readdirSync(join(CLUSTER_BIN.schema, kind, 'versioned'))
        .map((v) => v.slice(1))
        .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
        .at(-1) ?? '';
    expect({ temporal: newest('temporal'), visibility: newest('visibility') }).toEqual({
      temporal: TOPOLOGY.server.schema.temporal,
      visibility: TOPOLOGY.server.schema.visibility,
    });
  });

  it('has both nodes in every membership ring', async () => {
    const members = await cluster.members();
    const roles = ['frontend', 'history', 'matching', 'worker'];
    for (const index of [0, 1]) {
      expect(
        members.filter((m) => sameNode(m.address, index)).map((m) => m.role),
        `node ${index}`,
      ).toEqual(roles);
    }
  });
});

describe('two server nodes, one killed -9', () => {
  it('mid-backfill: all 200 partitions finish, each chain run exactly once', async () => {
    const taskQueue = unique('tq-cluster-backfill');
    const worker = await startWorker(agentsYaml(), taskQueue);
    const partitions = Array.from({ length: 200 }, (_, i) => `batch=${String(i).padStart(3, '0')}`);
    const started = Date.now();
    const { workflowId, handle } = await startBackfill(client, {
      flow: 'schema-to-pipeline',
      payload: { source_tables: ['orders'], target_model: 'fct_cluster_kill' },
      partitions: { list: partitions },
      mode: 'missing',
      maxConcurrent: 20,
      taskQueue,
    });
    const query = `WorkflowType="schemaToPipeline" AND StreamBackfill="${workflowId}"`;
    const completed = async (): Promise<number> =>
      (await client.workflow.count(`${query} AND ExecutionStatus="Completed"`)).count;
    await waitFor('40 chains to complete', async () => (await completed()) >= 40, 120_000);
    const before = await completed();

    const killedAt = await killNode(1);
    const progress: BackfillProgress = await handle.result();
    const done = Date.now();
    expect(progress.counts).toMatchObject({ succeeded: 200, failed: 0, running: 0, pending: 0 });
    const runs = await eventually(
      () => runsPerId(query),
      (r) => r.size === 200,
    );
    expect(runs.size).toBe(200);
    expect([...runs.values()].filter((n) => n !== 1)).toEqual([]);
    expect(worker.groupAlive()).toBe(true);
    // The survivor took over every shard of the dead node.
    expect(await owners((n) => n.length === 1)).toEqual([0]);
    console.log(
      `two nodes, node 1 kill -9 after ${before}/200 chains: backfill done ${done - killedAt} ms after the kill ` +
        `(${done - started} ms in all); 200 chain ids, 1 run each`,
    );
    // Restarted on its ports, node 1 rejoins and takes its share of the shards back.
    await cluster.restartNode(1);
    expect(await owners((n) => n.length === 2)).toEqual([0, 1]);
  }, 300_000);

  it('with HTTP agents in flight: every chain completes, each handoff under one Idempotency-Key', async () => {
    // The builder answers after 3 s, so every chain is mid-handoff when the node dies.
    const agent = await startHttpAgent((req, _n, res) =>
      setTimeout(() => replyJson(res, 200, builderReply(req)), 3_000),
    );
    try {
      const taskQueue = unique('tq-cluster-http');
      const worker = await startWorker(
        agentsYaml({ builder: `transport: http\nurl: ${agent.url}\ntimeout: 60s` }),
        taskQueue,
      );
      const chains = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          startChain(
            client,
            'schema-to-pipeline',
            { source_tables: ['orders'], target_model: `fct_cluster_${i}` },
            { taskQueue, id: unique(`cluster-http-${i}`) },
          ),
        ),
      );
      await waitFor('10 builder calls in flight', () => agent.requests.length >= 10, 60_000);
      // Node 0: the first frontend the balancer hands out, and the one the cluster metadata names.
      const killedAt = await killNode(0);
      const outcomes = await Promise.all(chains.map((c) => waitChain(c.handle)));
      const done = Date.now();
      expect(outcomes.map((o) => o.status)).toEqual(chains.map(() => 'COMPLETED'));
      const keys = new Map<string, Set<string>>();
      for (const r of agent.requests) {
        const chain = String(r.body.chain_id);
        keys.set(chain, (keys.get(chain) ?? new Set()).add(String(r.headers['idempotency-key'])));
      }
      expect(keys.size).toBe(10);
      expect([...keys.values()].map((k) => k.size)).toEqual(chains.map(() => 1));
      expect(worker.groupAlive()).toBe(true);
      const runs = await runsPerId(`WorkflowType="schemaToPipeline" AND TaskQueue="${taskQueue}"`);
      expect([...runs.values()]).toEqual(chains.map(() => 1));
      expect(await owners((n) => n.length === 1)).toEqual([1]);
      console.log(
        `two nodes, node 0 kill -9 with 10 HTTP handoffs in flight: all 10 chains completed ${done - killedAt} ms ` +
          `after the kill; ${agent.requests.length} agent calls for 10 handoffs (a retried call reuses its key)`,
      );
    } finally {
      await agent.close();
    }
  }, 300_000);
});
