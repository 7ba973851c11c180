import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';

const DIR = join(import.meta.dirname, 'fixtures', 'backfill-histories');

/**
 * Recorded by scripts/record-backfill-history.ts; each stands for runs still in flight and must replay against
 * the current code. `refused-start`: a backfill in which the server refused to start one partition's chain (a
 * hand run of it was running), so the history holds a StartChildWorkflowExecutionFailed; v1 was recorded with
 * the workflow code before patch `backfill-atomic-start` (a refused start was recorded at once), v2 with it (a
 * refused start is followed by a status look-up). `scheduled`: a schedule's `scheduledChain` runs, one that
 * started its partition's chain and one the server refused because that chain had succeeded.
 */
const RECORDED = ['v1-refused-start', 'v2-refused-start', 'v1-scheduled-ran', 'v1-scheduled-refused'];

describe('committed backfill and schedule histories', () => {
  it.each(RECORDED)('%s replays against the current workflow code', async (name) => {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    const history = historyFromJSON(JSON.parse(await readFile(join(DIR, `${name}.json`), 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, name),
    ).resolves.toBeUndefined();
  });
});
