import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import { agentsYaml, builderReply, replyJson, startHttpAgent, testClient, unique, waitFor } from '../helpers.js';
import type { Running } from '../processes.js';
import { startWorkerProcess } from '../worker-process.js';

describe('a worker killed with handoffs in flight', () => {
  const workers: Running[] = [];
  afterEach(() => {
    for (const w of workers.splice(0)) w.killGroup();
  });

  it('has every chain retried on a new worker within seconds, each call with the same Idempotency-Key', async () => {
    // The agent answers after 3 s; its timeout is 60 s, so only the heartbeat timeout can bring a lost attempt back fast.
    const agent = await startHttpAgent((req, _n, res) => {
      setTimeout(() => replyJson(res, 200, builderReply(req)), 3_000);
    });
    const dir = await mkdtemp(join(tmpdir(), 'sigkill-'));
    const agentsFile = join(dir, 'agents.yaml');
    await writeFile(agentsFile, agentsYaml({ builder: `transport: http\nurl: ${agent.url}\ntimeout: 60s` }));
    const taskQueue = unique('tq-kill9');
    const env = { AGENTS_FILE: agentsFile, STREAM_COLLAB_TASK_QUEUE: taskQueue, OUT_DIR: dir };
    const { client, close } = await testClient();
    try {
      const first = startWorkerProcess(env);
      workers.push(first);
      const chains = await Promise.all(
        ['a', 'b', 'c', 'd', 'e'].map((s) =>
          startChain(
            client,
            'schema-to-pipeline',
            { source_tables: ['orders'], target_model: `fct_${s}` },
            {
              taskQueue,
              id: unique(`kill9-${s}`),
            },
          ),
        ),
      );
      await waitFor('5 builder calls in flight', () => agent.requests.length === 5, 30_000);
      first.killGroup();
      await first.exited;
      const restartedAt = Date.now();
      workers.push(startWorkerProcess(env));
      const outcomes = await Promise.all(chains.map((c) => waitChain(c.handle)));
      const completedWithin = Date.now() - restartedAt;
      const retriedWithin = Math.max(...agent.requests.slice(5).map((r) => r.at)) - restartedAt;
      console.log(
        `worker SIGKILL: the 5 lost handoffs reached the agent again ${retriedWithin} ms after the new worker started; all 5 chains completed after ${completedWithin} ms`,
      );

      expect(outcomes.map((o) => o.status)).toEqual(chains.map(() => 'COMPLETED'));
      expect(outcomes.map((o) => o.state?.handoffs.find((h) => h.to === 'builder')?.attempts)).toEqual(
        chains.map(() => 2),
      );
      expect(agent.requests).toHaveLength(10);
      const keys = new Map<string, number>();
      for (const r of agent.requests)
        keys.set(String(r.headers['idempotency-key']), (keys.get(String(r.headers['idempotency-key'])) ?? 0) + 1);
      expect([...keys.values()]).toEqual([2, 2, 2, 2, 2]);
      // Without a heartbeat timeout the lost attempts would wait out the agent's 60 s timeout.
      expect(retriedWithin).toBeLessThan(30_000);
    } finally {
      await close();
      await agent.close();
    }
  }, 120_000);
});
