import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveServer } from '../../src/temporal/devserver.js';
import { agentsYaml, builderReply, replyJson, startHttpAgent, unique } from '../helpers.js';
import { occurrences, runCli, startProcess, waitForOutput } from './processes.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

type Canary = 'input' | 'reply' | 'error';
type Counts = Record<Canary, number>;

interface CanaryRun {
  readonly db: Counts;
  readonly dbAfterStop: Counts;
  readonly workerLog: Counts;
  readonly cliStderr: Counts;
  readonly runCodes: readonly (number | null)[];
  readonly runStdout: readonly string[];
  readonly handoffsStdout: string;
  readonly builderCalls: { readonly ok: number; readonly failing: number };
  readonly canaries: Record<Canary, string>;
}

/**
 * Two chains on a dev server of our own (SQLite file, WAL), a real worker process and the real CLI: one with a
 * canary in an input field (a source table and an extra field) whose HTTP Builder puts another canary in its
 * reply, one whose Builder fails with the third canary in its error body (503, then 422). Then every canary is
 * counted in the server's database files, the worker's log and the CLI's stderr.
 */
async function canaryRun(key: string | undefined): Promise<CanaryRun> {
  const dir = await mkdtemp(join(tmpdir(), 'stream-collab-canary-'));
  dirs.push(dir);
  const tag = randomBytes(4).toString('hex');
  const canaries: Record<Canary, string> = {
    input: `cnryinput_${tag}`,
    reply: `cnryreply_${tag}`,
    error: `cnryerror_${tag}`,
  };
  let failing = 0;
  let ok = 0;
  const agent = await startHttpAgent((req, _n, res) => {
    if (JSON.stringify(req.body.payload).includes('failing_orders')) {
      failing += 1;
      if (failing === 1) replyJson(res, 503, { error: `upstream down: ${canaries.error}` });
      else replyJson(res, 422, { error: `rejected: ${canaries.error}` });
      return;
    }
    ok += 1;
    replyJson(res, 200, builderReply(req, canaries.reply));
  });
  const dbFile = join(dir, 'temporal.db');
  const server = await resolveServer({
    dbFilename: dbFile,
    install: false,
    env: { ...process.env, TEMPORAL_ADDRESS: '' },
  });
  let stopped: Promise<void> | undefined;
  const stopServer = (): Promise<void> => (stopped ??= server.stop());
  const agentsFile = join(dir, 'agents.yaml');
  await writeFile(agentsFile, agentsYaml({ builder: `transport: http\nurl: ${agent.url}` }));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.target.connection.address,
    TEMPORAL_NAMESPACE: server.target.namespace,
    AGENTS_FILE: agentsFile,
    OUT_DIR: join(dir, 'out'),
    STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads'),
    STREAM_COLLAB_TASK_QUEUE: unique('canary'),
    STREAM_COLLAB_CODEC_KEYS: key ?? '',
    STREAM_COLLAB_CODEC_KEY_FILE: '',
  };
  const worker = startProcess(['dist/worker.js'], env);
  try {
    await waitForOutput(worker, 'worker: task queue');
    const okInput = join(dir, 'ok.yaml');
    await writeFile(
      okInput,
      `source_tables: [orders, orders_${canaries.input}]\ntarget_model: fct_canary\nowner_note: ${canaries.input}\n`,
    );
    const failingInput = join(dir, 'failing.yaml');
    await writeFile(failingInput, 'source_tables: [failing_orders]\ntarget_model: fct_canary\n');
    const okId = `canary/ok/${tag}`;
    const runs = [
      await runCli(['run', 'schema-to-pipeline', '-i', okInput, '--id', okId], env),
      await runCli(['run', 'schema-to-pipeline', '-i', failingInput, '--id', `canary/failing/${tag}`], env),
    ];
    const handoffs = await runCli(['handoffs', okId], env);
    const db = countAll(await readDbFiles(dir), canaries);
    await worker.stop();
    await stopServer();
    const dbAfterStop = countAll(await readDbFiles(dir), canaries);
    return {
      db,
      dbAfterStop,
      workerLog: countAll(Buffer.from(worker.output()), canaries),
      cliStderr: countAll(Buffer.from([...runs, handoffs].map((r) => r.stderr).join('\n')), canaries),
      runCodes: runs.map((r) => r.code),
      runStdout: runs.map((r) => r.stdout),
      handoffsStdout: handoffs.stdout,
      builderCalls: { ok, failing },
      canaries,
    };
  } finally {
    await worker.stop();
    await stopServer();
    await agent.close();
  }
}

/** The server's SQLite files: the database, its write-ahead log and shared memory, whichever exist. */
async function readDbFiles(dir: string): Promise<Buffer> {
  const files = (await readdir(dir)).filter((f) => f.startsWith('temporal.db'));
  return Buffer.concat(await Promise.all(files.map((f) => readFile(join(dir, f)))));
}

function countAll(haystack: Buffer, canaries: Record<Canary, string>): Counts {
  return {
    input: occurrences(haystack, canaries.input),
    reply: occurrences(haystack, canaries.reply),
    error: occurrences(haystack, canaries.error),
  };
}

const NONE: Counts = { input: 0, reply: 0, error: 0 };

describe('a canary in an input field, an agent reply and an agent error', () => {
  it('is found 0 times in the server database and the worker and CLI logs with a codec key', async () => {
    const run = await canaryRun(`k1:${randomBytes(32).toString('base64')}`);
    console.log('with key', JSON.stringify({ db: run.db, dbAfterStop: run.dbAfterStop, worker: run.workerLog }));
    expect(run.runCodes).toEqual([0, 1]);
    expect(run.builderCalls).toEqual({ ok: 1, failing: 2 });
    expect(run.db).toEqual(NONE);
    expect(run.dbAfterStop).toEqual(NONE);
    expect(run.workerLog).toEqual(NONE);
    expect(run.cliStderr).toEqual(NONE);
    // The CLI holds the key: it reads the payloads and the failure back decrypted.
    expect(occurrences(run.handoffsStdout, run.canaries.input)).toBeGreaterThan(0);
    expect(occurrences(run.handoffsStdout, run.canaries.reply)).toBeGreaterThan(0);
    expect(run.runStdout[1]).toContain('failed: AgentRejected: handoff 2 (stream → builder) failed: builder rejected');
    // Once in the chain's failure and once in the failed attempt it records (the 503 before the 422).
    expect(occurrences(run.runStdout[1] ?? '', run.canaries.error)).toBe(2);
  });

  it('is found by the same scan without a key (so the scan can fail)', async () => {
    const run = await canaryRun(undefined);
    console.log('without key', JSON.stringify({ db: run.db, dbAfterStop: run.dbAfterStop, worker: run.workerLog }));
    expect(run.runCodes).toEqual([0, 1]);
    expect(run.db.input).toBeGreaterThan(0);
    expect(run.db.reply).toBeGreaterThan(0);
    expect(run.db.error).toBeGreaterThan(0);
    expect(run.dbAfterStop.input).toBeGreaterThan(0);
    expect(run.workerLog.error).toBeGreaterThan(0);
  });
});
