import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFlowInput } from '../src/cli/input.js';
import { field } from '../src/field.js';
import type { FlowName } from '../src/flows.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { ROOT } from './cli-process.js';
import { agentsYaml, startWorker, testClient, unique, type TestWorker } from './helpers.js';

/** Agents written from the README alone, in three languages: Python over HTTP, Node and sh as commands. */
const AGENTS = join(import.meta.dirname, 'agents', 'from-readme');
const TOKEN = 'from-the-readme';

let client: Client;
let closeClient: () => Promise<void>;
let scaffold: ChildProcess;
let scaffoldUrl: string;
let scaffoldLog: string;
let radarDir: string;
let worker: TestWorker;

beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
  const dir = await mkdtemp(join(tmpdir(), 'stream-collab-any-language-'));
  scaffoldLog = join(dir, 'scaffold-requests.jsonl');
  radarDir = await mkdtemp(join(tmpdir(), 'stream-collab-radar-cwd-'));
  // Its own process group, so killing the group leaves nothing behind.
  scaffold = spawn('python3', [join(AGENTS, 'scaffold_http.py'), '0', scaffoldLog], {
    env: { ...process.env, SCAFFOLD_TOKEN: TOKEN },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  const port = await new Promise<string>((resolve, reject) => {
    scaffold.stdout?.once('data', (d: Buffer) => resolve(/listening on (\d+)/.exec(d.toString())?.[1] ?? ''));
    scaffold.once('exit', (code) => reject(new Error(`scaffold_http.py exited ${String(code)}`)));
  });
  scaffoldUrl = `http://127.0.0.1:${port}/handoff`;
  const env = { ...process.env, SCAFFOLD_TOKEN: TOKEN };
  worker = await startWorker({
    agents: agentsYaml({
      scaffold: `transport: http\nurl: ${scaffoldUrl}\ntoken_env: SCAFFOLD_TOKEN`,
      radar: `transport: command\ncommand: [node, ${join(AGENTS, 'radar.mjs')}]\nformat: json\ncwd: ${radarDir}\nenv: { RADAR_MODE: strict }`,
      canvas: `transport: command\ncommand: [sh, ${join(AGENTS, 'canvas.sh')}]\nformat: json`,
    }),
    env,
  });
});
afterAll(async () => {
  await worker.stop();
  if (scaffold.pid !== undefined) process.kill(-scaffold.pid, 'SIGKILL');
  await closeClient();
});

async function run(flow: FlowName, partition?: string) {
  const input = await readFlowInput(flow, join(ROOT, 'examples', `${flow}.yaml`));
  const started = await startChain(client, flow, input, {
    id: unique(flow),
    taskQueue: worker.taskQueue,
    ...(partition !== undefined ? { partition } : {}),
  });
  return { workflowId: started.workflowId, ...(await waitChain(started.handle)) };
}

/** An object's keys, sorted; none for anything else. */
function keysOf(value: unknown): string[] {
  return typeof value === 'object' && value !== null ? Object.keys(value).sort() : [];
}

/** The JSON code block that follows `marker` in the README. */
async function readmeJson(marker: string): Promise<unknown> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const block = /```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf(marker)))?.[1];
  return JSON.parse(block ?? 'null');
}

describe('agents written from the README alone', () => {
  it('Pattern E through a Python HTTP Scaffold: the envelope and headers the README shows', async () => {
    const outcome = await run('cost-aware-pipeline', 'date_key=2026-11-01');
    expect(outcome.failure).toBeUndefined();
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.state?.handoffs.map((h) => h.transport)).toEqual(['builtin', 'http']);
    expect(outcome.state?.output).toMatchObject({
      price_table: 'scaffold_http.py flat prices',
      monthly_cost_usd: 2983,
    });
    const plan = outcome.state?.artifacts.find((a) => a.name === 'plan.txt');
    expect(await readFile(plan?.path ?? '', 'utf8')).toBe(`${outcome.workflowId}: 2983.00 USD/month\n`);

    const [seen] = (await readFile(scaffoldLog, 'utf8'))
      .trim()
      .split('\n')
      .map((l): unknown => JSON.parse(l));
    const example = await readmeJson('`POST {url}` with a JSON body');
    expect(seen).toEqual({
      keys: keysOf(example),
      content_type: 'application/json',
      idempotency_key: expect.stringMatching(/^[0-9a-f]{32}$/),
      authorized: true,
    });
  });

  it('Pattern D through a Node command Radar speaking JSON, in its cwd, with the variables the README lists', async () => {
    const outcome = await run('pipeline-testing', 'date_key=2026-11-02');
    expect(outcome.failure).toBeUndefined();
    expect(outcome.state?.handoffs.map((h) => h.transport)).toEqual(['builtin', 'command']);
    expect(outcome.state?.output).toMatchObject({
      checks: [{ check: 'row_count > 0', status: 'skipped' }, { check: 'no_nulls: order_id' }],
      summary: { skipped: 2 },
    });
    const partition = outcome.state?.artifacts.find((a) => a.name === 'partition.txt');
    expect(await readFile(partition?.path ?? '', 'utf8')).toBe('date_key=2026-11-02\n');

    const seen: unknown = JSON.parse(await readFile(join(radarDir, 'seen.json'), 'utf8'));
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    // The variables the command agents section lists (other sections list the worker's own settings).
    const section = readme.slice(readme.indexOf('### Command agents'));
    const commandSection = section.slice(0, section.search(/\n##? /) === -1 ? undefined : section.search(/\n##? /));
    const listed = [...commandSection.matchAll(/^\| `(STREAM_COLLAB_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(seen).toMatchObject({ cwd: radarDir, mode: 'strict' });
    const envelope = field(seen, 'envelope');
    expect(keysOf(envelope)).toEqual([...listed].sort());
    expect(envelope).toMatchObject({
      STREAM_COLLAB_CHAIN_ID: outcome.workflowId,
      STREAM_COLLAB_FLOW: 'pipeline-testing',
      STREAM_COLLAB_STEP: '2',
      STREAM_COLLAB_FROM: 'stream',
      STREAM_COLLAB_TO: 'radar',
      STREAM_COLLAB_PARTITION: 'date_key=2026-11-02',
      STREAM_COLLAB_INPUT_CONTRACT: 'stream-to-radar',
      STREAM_COLLAB_REPLY_CONTRACT: 'radar-output',
      STREAM_COLLAB_ATTEMPT: '1',
      STREAM_COLLAB_FORMAT: 'json',
    });
  });

  it('Pattern C through a POSIX sh Canvas speaking JSON; fields it adds are kept', async () => {
    const outcome = await run('pipeline-visualization');
    expect(outcome.failure).toBeUndefined();
    expect(outcome.state?.output).toEqual({
      format: 'mermaid',
      diagram: 'flowchart LR\n  sources --> sinks\n',
      nodes: 2,
      edges: 1,
      drawn_by: 'canvas.sh step 2',
    });
  });

  it('a format: json command that prints YAML is InvalidAgentOutput, not retried', async () => {
    const yamlSpeaker = await startWorker({
      agents: agentsYaml({
        canvas: `transport: command\ncommand: [sh, -c, 'cat >/dev/null; echo "format: mermaid"']\nformat: json`,
      }),
    });
    try {
      const input = await readFlowInput(
        'pipeline-visualization',
        join(ROOT, 'examples', 'pipeline-visualization.yaml'),
      );
      const started = await startChain(client, 'pipeline-visualization', input, {
        id: unique('yaml-speaker'),
        taskQueue: yamlSpeaker.taskQueue,
      });
      const outcome = await waitChain(started.handle);
      expect(outcome.failure).toMatchObject({
        type: 'InvalidAgentOutput',
        message: expect.stringContaining('printed something that is not JSON'),
      });
      expect(outcome.state?.handoffs[1]?.attempts).toBe(1);
    } finally {
      await yamlSpeaker.stop();
    }
  });
});
