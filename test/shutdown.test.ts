import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../src/temporal/chains.js';
import {
  agentsYaml,
  builderReply,
  replyJson,
  startHttpAgent,
  startWorker,
  testClient,
  unique,
  waitFor,
  type TestWorker,
} from './helpers.js';
import type { Running } from './processes.js';
import { startWorkerProcess } from './worker-process.js';

const PAYLOAD = { source_tables: ['orders', 'customers'], target_model: 'fct_shutdown' };

describe('a worker asked to stop', () => {
  let proc: Running | undefined;
  let finisher: TestWorker | undefined;
  afterEach(async () => {
    proc?.killGroup();
    await finisher?.stop();
  });

  // However the worker was started: npm is what `npm run worker` and the old Dockerfile ran; node is the image's CMD.
  it.each(['npm', 'node'] as const)(
    'under %s, lets the running handoff finish, exits 0 and leaves no process behind',
    async (how) => {
      const agent = await startHttpAgent((req, _n, res) => {
        setTimeout(() => replyJson(res, 200, builderReply(req)), 2_000);
      });
      const dir = await mkdtemp(join(tmpdir(), 'shutdown-'));
      const agentsFile = join(dir, 'agents.yaml');
      await writeFile(agentsFile, agentsYaml({ builder: `transport: http\nurl: ${agent.url}\ntimeout: 10s` }));
      const taskQueue = unique(`tq-term-${how}`);
      const { client, close } = await testClient();
      try {
        proc = startWorkerProcess(
          {
            AGENTS_FILE: agentsFile,
            STREAM_COLLAB_TASK_QUEUE: taskQueue,
            OUT_DIR: dir,
            STREAM_COLLAB_SHUTDOWN_GRACE: '20s',
          },
          how,
        );
        const started = await startChain(
          client,
          'schema-to-pipeline',
          { ...PAYLOAD },
          { taskQueue, id: unique('term') },
        );
        await waitFor('the builder call to be in flight', () => agent.requests.length === 1, 30_000).catch(
          (err: unknown) => {
            throw new Error(`${String(err)}; the worker said:\n${proc?.output() ?? ''}`);
          },
        );
        const sentAt = Date.now();
        proc.child.kill('SIGTERM');
        const code = await proc.exited;
        const stoppedAfter = Date.now() - sentAt;
        await waitFor('every process of the group to exit', () => !proc!.groupAlive(), 5_000);

        expect(code).toBe(0);
        // It waited for the agent's reply (2 s after the call started) rather than aborting it.
        expect(stoppedAfter).toBeGreaterThan(1_000);
        expect(proc.output()).toContain('worker: stopped');

        // The handoff completed on the stopping worker: a new worker finishes the chain without calling again.
        finisher = await startWorker({ agents: agentsYaml(), taskQueue });
        const outcome = await waitChain(started.handle);
        expect(outcome.status).toBe('COMPLETED');
        expect(agent.requests).toHaveLength(1);
        expect(outcome.state?.handoffs.map((h) => h.attempts)).toEqual([1, 1]);
      } finally {
        await close();
        await agent.close();
      }
    },
    90_000,
  );
});
