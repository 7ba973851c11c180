import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = join(import.meta.dirname, 'fixtures', 'histories');

/** The chains `npm run record-histories` records in each generation. */
const RECORDED = [
  'analytics-pipeline',
  'contract-violation',
  'cost-aware-pipeline',
  'http-retries',
  'pipeline-testing',
  'pipeline-visualization',
  'schema-to-pipeline',
];

/** Every recorded generation (v1, v2, …): each stands for chains that may still be in flight. */
async function histories(): Promise<{ workflowId: string; history: ReturnType<typeof historyFromJSON> }[]> {
  const files = (await readdir(DIR, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(await readFile(join(DIR, f), 'utf8'))),
    })),
  );
}

describe('committed histories', () => {
  it('all replay against the current workflow code', async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const all = await histories();
    const generations = [...new Set(all.map((h) => h.workflowId.split('/')[0]))];
    expect(generations).toEqual(['v1', 'v2', 'v3', 'v4', 'v5']);
    expect(all.map((h) => h.workflowId)).toEqual(generations.flatMap((g) => RECORDED.map((name) => `${g}/${name}`)));
    const results = Worker.runReplayHistories({ workflowBundle: { codePath: inject('workflowBundlePath') } }, all);
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of results) {
      replayed += 1;
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(all.length);
  });

  it("the pipelines' recorded runs replay too (a completed warehouse-etl, and one whose check failed)", async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const dir = join(import.meta.dirname, 'fixtures', 'pipeline-histories');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
    expect(files).toEqual(['v1/warehouse-etl-check-failed.json', 'v1/warehouse-etl.json']);
    const all = await Promise.all(
      files.map(async (f) => ({
        workflowId: f.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(join(dir, f), 'utf8'))),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      all,
    )) {
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });

  it('reject workflow code that changed without patched()', async () => {
    const { history } = (await histories()).find((h) => h.workflowId === 'v1/schema-to-pipeline') ?? {};
    const bundle = await bundleWorkflowCode({
      workflowsPath: join(import.meta.dirname, 'fixtures', 'drifted', 'workflows.ts'),
      logger: quiet,
    });
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, history, 'schema-to-pipeline')).rejects.toThrow(
      /[Nn]ondetermin/,
    );
  });
});

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };
