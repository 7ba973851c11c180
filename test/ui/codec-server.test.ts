import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAgentsFile } from '../../src/agents/config.js';
import { AgentRegistry } from '../../src/agents/registry.js';
import { SEARCH_ATTRIBUTES } from '../../src/identity/index.js';
import { startChain, waitChain } from '../../src/temporal/chains.js';
import { dataConverterFromEnv } from '../../src/temporal/data-converter.js';
import { PROJECT_CLI } from '../../src/temporal/install-cli.js';
import { createWorker } from '../../src/worker.js';
import { startProcess, waitForOutput, type Running } from '../faults/processes.js';
import { agentsYaml, quietRuntime, startWorker, testClient, unique } from '../helpers.js';
import { launchChromium } from './browser.js';

const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'ui');
const TOKEN = randomBytes(24).toString('hex');
const MARKER = `codec_marker_${randomBytes(4).toString('hex')}`;

let dir: string;
let codec: Running;
let env: TestWorkflowEnvironment;
let connection: NativeConnection;
let clientConnection: Connection;
let worker: Worker;
let running: Promise<void>;
let browser: Browser;
let runUrl: string;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => ok(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/**
 * A dev server of our own whose Web UI is configured with the codec server (`--ui-codec-endpoint`), a worker
 * with a codec key, and one chain whose input carries a marker.
 */
beforeAll(async () => {
  quietRuntime();
  dir = await mkdtemp(join(tmpdir(), 'stream-collab-ui-codec-'));
  await mkdir(SHOTS, { recursive: true });
  const uiPort = await freePort();
  const uiOrigin = `http://127.0.0.1:${uiPort}`;
  const codecEnv: NodeJS.ProcessEnv = {
    ...process.env,
    STREAM_COLLAB_CODEC_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    STREAM_COLLAB_CODEC_KEY_FILE: '',
    STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads'),
    STREAM_COLLAB_CODEC_SERVER_TOKEN: TOKEN,
  };
  codec = startProcess(['bin/stream-collab.js', 'codec-server', '--port', '0', '--ui-origin', uiOrigin], codecEnv);
  await waitForOutput(codec, 'codec server: http://');
  const codecUrl = /codec server: (http:\/\/\S+)/.exec(codec.output())?.[1] ?? '';
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: process.env.TEMPORAL_CLI_PATH ?? PROJECT_CLI },
      ip: '127.0.0.1',
      port: await freePort(),
      ui: true,
      uiPort,
      namespace: 'default',
      searchAttributes: [...SEARCH_ATTRIBUTES],
      extraArgs: ['--ui-codec-endpoint', codecUrl],
    },
  });
  connection = await NativeConnection.connect({ address: env.address });
  const taskQueue = unique('ui-codec');
  worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue,
    agents: new AgentRegistry(parseAgentsFile(agentsYaml(), 'agents.yaml', codecEnv)),
    outDir: join(dir, 'out'),
    env: codecEnv,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  running = worker.run();
  clientConnection = await Connection.connect({ address: env.address });
  const client = new Client({
    connection: clientConnection,
    namespace: 'default',
    dataConverter: dataConverterFromEnv(codecEnv),
  });
  const started = await startChain(
    client,
    'schema-to-pipeline',
    { source_tables: ['orders', MARKER], target_model: 'fct_ui_codec' },
    { id: unique('ui-codec'), taskQueue },
  );
  expect((await waitChain(started.handle)).status).toBe('COMPLETED');
  runUrl = `${uiOrigin}/namespaces/default/workflows/${encodeURIComponent(started.workflowId)}/${started.runId}/history`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await connection?.close();
  await clientConnection?.close();
  await env?.teardown();
  await codec?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Whether `text` shows anywhere on the page (or its frames) within `ms`. */
async function shows(page: Page, text: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const html = await frame.content().catch(() => '');
      if (html.includes(text)) return true;
    }
    await page.waitForTimeout(250);
  }
  return false;
}

describe('the Temporal Web UI with the codec server', () => {
  it('shows the decoded input to a browser that carries the token', async () => {
    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 },
      extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
    });
    const page = await context.newPage();
    await page.goto(runUrl);
    const seen = await shows(page, MARKER, 30_000);
    await page.screenshot({ path: join(SHOTS, 'codec-decoded.png'), fullPage: true });
    await context.close();
    expect(seen).toBe(true);
  });

  it('shows only ciphertext without the token', async () => {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    const page = await context.newPage();
    await page.goto(runUrl);
    // The run's page is there (its id shows) but the input never decodes.
    expect(await shows(page, 'schemaToPipeline', 30_000)).toBe(true);
    const seen = await shows(page, MARKER, 10_000);
    await page.screenshot({ path: join(SHOTS, 'codec-ciphertext.png'), fullPage: true });
    await context.close();
    expect(seen).toBe(false);
  });
});

describe('the Temporal Web UI without a key', () => {
  it('shows failure messages as before: they are encoded only with a key', async () => {
    const plain: NodeJS.ProcessEnv = {
      ...process.env,
      STREAM_COLLAB_CODEC_KEYS: '',
      STREAM_COLLAB_CODEC_KEY_FILE: '',
      STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads-plain'),
    };
    const script = join(import.meta.dirname, '..', 'agents', 'command-agent.mjs');
    const rejecting = await startWorker({
      agents: agentsYaml({ builder: `transport: command\ncommand: [node, ${JSON.stringify(script)}, reject]` }),
      env: plain,
    });
    const { client, close } = await testClient(plain);
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders'], target_model: 'fct_ui_plain' },
        { id: unique('ui-plain'), taskQueue: rejecting.taskQueue },
      );
      expect((await waitChain(started.handle)).status).toBe('FAILED');
      const page = await context.newPage();
      await page.goto(
        `${inject('temporalUiUrl')}/namespaces/default/workflows/${encodeURIComponent(started.workflowId)}/${started.runId}/history`,
      );
      const seen = await shows(page, 'I cannot build connectors for these requirements', 30_000);
      await page.screenshot({ path: join(SHOTS, 'codec-none-failure.png'), fullPage: true });
      expect(seen).toBe(true);
      expect(await shows(page, 'Encoded failure', 1000)).toBe(false);
    } finally {
      await context.close();
      await close();
      await rejecting.stop();
    }
  });
});
