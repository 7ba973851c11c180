import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, ROOT } from '../cli-process.js';
import { agentsYaml, replyJson, startHttpAgent, startWorker, unique, type TestWorker } from '../helpers.js';

const EXAMPLE_D = join(ROOT, 'examples', 'pipeline-testing.yaml');

/** A Radar reply with the given check statuses, as an HTTP agent in any language would send it. */
function radarReply(statuses: readonly string[]): Record<string, unknown> {
  const checks = statuses.map((status, i) => ({
    check: `row_count > ${i}`,
    table: 'fct_sales',
    sql: `SELECT count(*) > ${i} AS passed FROM fct_sales`,
    status,
    actual: i,
  }));
  const count = (...names: string[]): number => statuses.filter((s) => names.includes(s)).length;
  return {
    checks,
    scenarios: [],
    summary: { passed: count('passed', 'pass'), failed: count('failed', 'fail'), skipped: count('skipped') },
  };
}

let statuses: string[] = [];
let agent: Awaited<ReturnType<typeof startHttpAgent>>;
let worker: TestWorker;
beforeAll(async () => {
  agent = await startHttpAgent((_req, _n, res) => replyJson(res, 200, radarReply(statuses)));
  worker = await startWorker({ agents: agentsYaml({ radar: `transport: http\nurl: ${agent.url}` }) });
});
afterAll(async () => {
  await worker.stop();
  await agent.close();
});

async function runD(): Promise<Awaited<ReturnType<typeof cli>>> {
  return cli(['run', 'pipeline-testing', '--input', EXAMPLE_D, '--id', unique('dq'), '--json'], {
    STREAM_COLLAB_TASK_QUEUE: worker.taskQueue,
  });
}

describe('data-quality failures fail', () => {
  it.each([
    ['failed', ['passed', 'failed', 'failed', 'skipped']],
    ['fail (the earlier spelling)', ['pass', 'fail', 'fail', 'skipped']],
  ])('a Radar reply with %s checks ends the chain as DataQualityFailed, exit 1', async (_what, given) => {
    statuses = given;
    const r = await runD();
    expect(r.code).toBe(1);
    const out: unknown = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      status: 'FAILED',
      failure: {
        type: 'DataQualityFailed',
        message: expect.stringContaining(
          '2 data-quality checks failed: row_count > 1 on fct_sales (actual 1); row_count > 2 on fct_sales (actual 2)',
        ),
      },
      handoffs: [{ status: 'completed' }, { status: 'completed', attempts: 1 }],
    });
    // Nothing to retry: the agent was asked once per chain.
    expect(agent.requests.filter((q) => q.body.chain_id === Reflect.get(Object(out), 'workflowId'))).toHaveLength(1);
  });

  it('a Radar reply whose checks passed or were skipped completes, exit 0', async () => {
    statuses = ['passed', 'pass', 'skipped'];
    const r = await runD();
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'COMPLETED' });
  });
});
