import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AgentRegistry } from '../src/agents/registry.js';
import { field } from '../src/field.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { ROOT } from './cli-process.js';
import {
  agentsYaml,
  builderReply,
  replyJson,
  startHttpAgent,
  startWorker,
  testClient,
  unique,
  waitFor,
  type RecordedRequest,
} from './helpers.js';

let client: Client;
let closeClient: () => Promise<void>;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => {
  await closeClient();
});

const INPUT = { source_tables: ['orders'], target_model: 'fct_sales' };
const chainOf = (r: RecordedRequest): unknown => r.body.chain_id;
const SECRET = 'token-that-must-never-be-recorded';
const builder = (url: string): string =>
  `transport: http\nurl: ${url}\ntoken_env: BUILDER_TOKEN\nretry: { max_attempts: 100, initial_interval: 100ms, max_interval: 200ms }`;

/** A history as text, payloads decoded: what anyone who can read the history can read. */
async function historyText(client: Client, workflowId: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return JSON.stringify(history, (key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value;
  });
}

describe('one configuration per chain, and agents.yaml edits without a worker restart', () => {
  it('a chain keeps the binding it started with; chains started after an edit use the new one', async () => {
    let holdA = false;
    const a = await startHttpAgent((req, _n, res) => {
      if (holdA) replyJson(res, 503, { error: 'busy' });
      else replyJson(res, 200, builderReply(req, 'A'));
    });
    const b = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req, 'B')));
    const dir = await mkdtemp(join(tmpdir(), 'stream-collab-agents-'));
    const file = join(dir, 'agents.yaml');
    await writeFile(file, agentsYaml({ builder: builder(a.url) }));
    const logged: string[] = [];
    const env = { ...process.env, BUILDER_TOKEN: SECRET };
    const registry = await AgentRegistry.fromFile(file, { env, log: (m) => logged.push(m) });
    const worker = await startWorker({ registry, env });
    const run = async (id: string) => {
      const started = await startChain(client, 'schema-to-pipeline', INPUT, { id, taskQueue: worker.taskQueue });
      return { id: started.workflowId, done: waitChain(started.handle) };
    };
    try {
      const before = await run(unique('before'));
      expect((await before.done).state?.output).toMatchObject({ connectors: [{ built_by: 'A' }] });

      // A chain in flight: A answers 503 until released, so its handoff is still being retried after the edit.
      holdA = true;
      const inFlight = await run(unique('in-flight'));
      await waitFor('the in-flight chain to reach A', () => a.requests.some((r) => chainOf(r) === inFlight.id));

      await writeFile(file, agentsYaml({ builder: builder(b.url) }));
      const after = await run(unique('after'));
      expect((await after.done).state?.output).toMatchObject({ connectors: [{ built_by: 'B' }] });
      expect(logged.join('\n')).toContain(`reloaded ${file}`);

      holdA = false;
      const held = await inFlight.done;
      expect(held.status).toBe('COMPLETED');
      expect(held.state?.output).toMatchObject({ connectors: [{ built_by: 'A' }] });
      expect(held.state?.handoffs[1]?.attempts).toBeGreaterThan(1);
      expect(a.requests.filter((r) => chainOf(r) === inFlight.id).length).toBeGreaterThan(1);
      expect(b.requests.map(chainOf)).toEqual([after.id]);
      expect(a.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);

      // The binding is in the history (that is how the chain keeps it); the token is not, only its variable's name.
      const recorded = await historyText(client, inFlight.id);
      expect(recorded).toContain(a.url);
      expect(recorded).toContain('BUILDER_TOKEN');
      expect(recorded).not.toContain(SECRET);

      // An edit that does not parse keeps the last good configuration (B) and says why.
      await writeFile(file, agentsYaml({ builder: `transport: grpc\nurl: ${a.url}` }));
      const broken = await run(unique('broken'));
      expect((await broken.done).state?.output).toMatchObject({ connectors: [{ built_by: 'B' }] });
      expect(logged.at(-1)).toMatch(/keeping the last good configuration.*\n.*agents\.builder\.transport/s);
    } finally {
      await worker.stop();
      await a.close();
      await b.close();
    }
  });

  it('the registry re-reads only a changed file, and keeps the last good version when the file breaks or goes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'stream-collab-agents-'));
    const file = join(dir, 'agents.yaml');
    await writeFile(file, agentsYaml({ builder: 'transport: http\nurl: http://127.0.0.1:9/one' }));
    const logged: string[] = [];
    const registry = await AgentRegistry.fromFile(file, { env: {}, log: (m) => logged.push(m) });
    const url = (): unknown => field(registry.binding('builder'), 'url');

    await registry.refresh();
    expect(logged).toEqual([]);

    await writeFile(file, agentsYaml({ builder: 'transport: http\nurl: http://127.0.0.1:9/two' }));
    await registry.refresh();
    expect(url()).toBe('http://127.0.0.1:9/two');

    await writeFile(file, agentsYaml({ builder: 'transport: http\nurl: http://127.0.0.1:9/x\ntoken_env: NOT_SET' }));
    await registry.refresh();
    expect(url()).toBe('http://127.0.0.1:9/two');
    expect(logged.at(-1)).toContain('expected environment variable NOT_SET to be set');

    await rm(file);
    await registry.refresh();
    expect(url()).toBe('http://127.0.0.1:9/two');
    expect(logged.at(-1)).toMatch(/keeping the last good configuration.*cannot read/s);
  });

  it('npm run worker follows agents.yaml: an edit reaches the next chain without a restart', async () => {
    const a = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req, 'A')));
    const b = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req, 'B')));
    const dir = await mkdtemp(join(tmpdir(), 'stream-collab-worker-'));
    const file = join(dir, 'agents.yaml');
    await writeFile(file, agentsYaml({ builder: builder(a.url) }));
    const taskQueue = unique('tq-process');
    // The compiled worker, as `npm run worker` runs it, in its own process group.
    const worker = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], {
      env: {
        ...process.env,
        AGENTS_FILE: file,
        OUT_DIR: join(dir, 'out'),
        BUILDER_TOKEN: SECRET,
        STREAM_COLLAB_TASK_QUEUE: taskQueue,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    worker.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    worker.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    const run = async () => {
      const started = await startChain(client, 'schema-to-pipeline', INPUT, { id: unique('process'), taskQueue });
      return waitChain(started.handle);
    };
    try {
      await waitFor('the worker to start', () => output.includes(`task queue ${taskQueue}`));
      expect((await run()).state?.output).toMatchObject({ connectors: [{ built_by: 'A' }] });
      await writeFile(file, agentsYaml({ builder: builder(b.url) }));
      expect((await run()).state?.output).toMatchObject({ connectors: [{ built_by: 'B' }] });
      expect(output).toContain(`agents: reloaded ${file}`);
    } finally {
      if (worker.pid !== undefined && worker.exitCode === null) process.kill(-worker.pid, 'SIGTERM');
      expect(await exited).toBe(0);
      await a.close();
      await b.close();
    }
  });
});
