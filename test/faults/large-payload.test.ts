import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { afterAll, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import { cli } from '../cli-process.js';
import { agentsYaml, builderReply, replyJson, startHttpAgent, startWorker, testClient, unique } from '../helpers.js';

const MiB = 1024 * 1024;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/** Random text (base64 of random bytes), so nothing along the way can shrink it. */
function bulk(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString('base64')
    .slice(0, bytes);
}

/**
 * Pattern A with both of its agents real HTTP servers: Stream answers with a valid reply carrying `notes` of
 * `replyBytes`; Builder records what it was handed and answers small.
 */
async function largeReplyChain(replyBytes: number, extraEnv: NodeJS.ProcessEnv = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'stream-collab-large-'));
  dirs.push(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads'), ...extraEnv };
  const notes = bulk(replyBytes);
  const stream = await startHttpAgent((_req, _n, res) =>
    replyJson(res, 200, { connector_requirements: [{ api: 'orders_api', method: 'full' }], notes }),
  );
  const builder = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req)));
  const worker = await startWorker({
    agents: agentsYaml({
      stream: `transport: http\nurl: ${stream.url}`,
      builder: `transport: http\nurl: ${builder.url}`,
    }),
    env,
  });
  const { client, close } = await testClient(env);
  return {
    env,
    notes,
    stream,
    builder,
    worker,
    client,
    async run() {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders'], target_model: 'fct_large' },
        { id: unique('large'), taskQueue: worker.taskQueue },
      );
      return { started, outcome: await waitChain(started.handle) };
    },
    async storedFiles() {
      return readdir(join(dir, 'payloads')).catch(() => []);
    },
    async close() {
      await worker.stop();
      await close();
      await stream.close();
      await builder.close();
    },
  };
}

/** Handed-in payload of the request, as the agent got it. */
function notesOf(body: Record<string, unknown>): unknown {
  const payload = body.payload;
  return typeof payload === 'object' && payload !== null ? Reflect.get(payload, 'notes') : undefined;
}

describe('a large agent reply', () => {
  it('of 3 MB travels by reference: 1 call, the chain completes, the next agent, handoffs and replay see it', async () => {
    const setup = await largeReplyChain(3 * MiB);
    try {
      const { started, outcome } = await setup.run();
      expect(outcome.status).toBe('COMPLETED');
      expect(setup.stream.requests).toHaveLength(1);
      expect(setup.builder.requests).toHaveLength(1);
      expect(notesOf(setup.builder.requests[0]?.body ?? {}) === setup.notes).toBe(true);
      expect(outcome.state?.handoffs[0]?.attempts).toBe(1);
      expect(outcome.state?.handoffs[0]?.output?.notes === setup.notes).toBe(true);
      // History holds references only: far under the 3 MB that went through it.
      const history = await started.handle.fetchHistory();
      const historyBytes = proto.temporal.api.history.v1.History.encode(history).finish().length;
      console.log(`3 MB reply: history ${historyBytes} bytes, ${(await setup.storedFiles()).length} stored payloads`);
      expect(historyBytes).toBeLessThan(256 * 1024);
      expect((await setup.storedFiles()).length).toBeGreaterThan(0);

      const cliEnv = {
        STREAM_COLLAB_PAYLOAD_DIR: setup.env.STREAM_COLLAB_PAYLOAD_DIR ?? '',
        STREAM_COLLAB_TASK_QUEUE: setup.worker.taskQueue,
      };
      const handoffs = await cli(['handoffs', started.workflowId, '--json'], cliEnv);
      expect(handoffs.code).toBe(0);
      console.log(`handoffs --json: ${handoffs.stdout.length} characters`);
      expect(handoffs.stdout.includes(setup.notes)).toBe(true);
      const replay = await cli(['replay', started.workflowId, '--from-step', 'builder', '--json'], cliEnv);
      expect(replay.stderr).toBe('');
      expect(replay.code).toBe(0);
      expect(setup.stream.requests).toHaveLength(1);
      expect(setup.builder.requests).toHaveLength(2);
      expect(notesOf(setup.builder.requests[1]?.body ?? {}) === setup.notes).toBe(true);
      const diff = await cli(['diff', started.workflowId, `${started.workflowId}/replay-from-2`], cliEnv);
      expect(diff.code).toBe(0);
    } finally {
      await setup.close();
    }
  });

  it('above the hard limit fails PayloadsTooLarge, not retried: exactly 1 call', async () => {
    const setup = await largeReplyChain(5 * MiB, { STREAM_COLLAB_PAYLOAD_HARD_LIMIT: '4MiB' });
    try {
      const { outcome } = await setup.run();
      expect(outcome.status).toBe('FAILED');
      expect(outcome.failure?.type).toBe('PayloadsTooLarge');
      expect(outcome.failure?.message).toContain('above the hard limit of 4194304 bytes');
      expect(setup.stream.requests).toHaveLength(1);
      expect(setup.builder.requests).toHaveLength(0);
      expect(outcome.state?.handoffs[0]?.attempts).toBe(1);
    } finally {
      await setup.close();
    }
  });
});
