import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { agentsYaml, startWorker, testClient, unique } from './helpers.js';

const SCRIPT = join(import.meta.dirname, '..', 'examples', 'agents', 'http_builder.py');

let agent: ChildProcess;
let url: string;
let client: Client;
let closeClient: () => Promise<void>;

/** The README's example agent, run as a real Python process. */
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  agent = spawn('python3', [SCRIPT, '0'], {
    env: { ...process.env, BUILDER_TOKEN: 'readme-token' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    agent.stdout?.once('data', (d: Buffer) => resolve(/listening on (\d+)/.exec(d.toString())?.[1] ?? ''));
    agent.once('exit', (code) => reject(new Error(`http_builder.py exited ${String(code)}`)));
  });
  url = `http://127.0.0.1:${port}/handoff`;
});
afterAll(async () => {
  agent.kill();
  await closeClient();
});

describe('the example HTTP agent in examples/agents (Python, standard library)', () => {
  it('serves Pattern A as Builder, with the bearer token from token_env', async () => {
    const worker = await startWorker({
      agents: agentsYaml({ builder: `transport: http\nurl: ${url}\ntoken_env: BUILDER_TOKEN` }),
      env: { ...process.env, BUILDER_TOKEN: 'readme-token' },
    });
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders', 'customers'], target_model: 'fct_sales' },
        { id: unique('readme'), taskQueue: worker.taskQueue },
      );
      const outcome = await waitChain(started.handle);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.state?.output).toMatchObject({
        connectors: [{ table: 'orders', built_by: 'http_builder.py' }, { table: 'customers' }],
      });
      const artifact = outcome.state?.artifacts.find((a) => a.name === 'built-by.txt');
      expect(await readFile(artifact?.path ?? '', 'utf8')).toBe('http_builder.py\n');
    } finally {
      await worker.stop();
    }
  });

  it('refuses a wrong token, which fails the chain without retries', async () => {
    const worker = await startWorker({
      agents: agentsYaml({ builder: `transport: http\nurl: ${url}\ntoken_env: BUILDER_TOKEN` }),
      env: { ...process.env, BUILDER_TOKEN: 'wrong' },
    });
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders'], target_model: 'fct_sales' },
        { id: unique('readme'), taskQueue: worker.taskQueue },
      );
      const outcome = await waitChain(started.handle);
      expect(outcome.failure).toMatchObject({ type: 'AgentRejected', message: expect.stringContaining('401') });
    } finally {
      await worker.stop();
    }
  });
});
