import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'event-histories');

/** The runs `npm run record-event-histories` records in each generation. */
const RECORDED = [
  'order-aggregate-1',
  'order-aggregate-2',
  'projection-1',
  'projection-2',
  'projection-3',
  'projection-rebuild-1',
  'projection-rebuild-2',
  'projection-rebuild-until-1',
];

describe('committed histories of the event-sourcing workflows', () => {
  it('all replay against the current workflow code', async () => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const files = (await readdir(DIR, { recursive: true })).filter((f) => f.endsWith('.json')).sort();
    expect(files.filter((f) => f.startsWith('v1/')).map((f) => f.slice(3, -5))).toEqual(RECORDED);
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: f.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(join(DIR, f), 'utf8'))),
      })),
    );
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      histories,
    )) {
      replayed += 1;
      if (result.error !== undefined) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  });
});
