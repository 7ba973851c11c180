import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpTransport, retryAfterMs } from '../src/agents/transports/http.js';
import type { CallContext, Envelope } from '../src/agents/transport.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { agentsYaml, builderReply, replyJson, startHttpAgent, startWorker, testClient, unique } from './helpers.js';
import type { Client } from '@temporalio/client';

const INPUT = { source_tables: ['orders'], target_model: 'fct_sales' };

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

/** Runs Pattern A with Builder bound as given; returns the outcome and the chain's workflow id. */
async function runPatternA(builderBinding: string, env: NodeJS.ProcessEnv = process.env) {
  const worker = await startWorker({ agents: agentsYaml({ builder: builderBinding }), env });
  try {
    const started = await startChain(client, 'schema-to-pipeline', INPUT, {
      id: unique('transport'),
      taskQueue: worker.taskQueue,
    });
    const outcome = await waitChain(started.handle);
    let failure: unknown;
    try {
      await started.handle.result();
    } catch (err) {
      failure = err;
    }
    return { outcome, failure, workflowId: started.workflowId };
  } finally {
    await worker.stop();
  }
}

describe('an HTTP agent', () => {
  it('gets the envelope, a stable Idempotency-Key and the bearer token; its reply is the next payload', async () => {
    const agent = await startHttpAgent((req, _n, res) => replyJson(res, 200, builderReply(req)));
    try {
      const { outcome, workflowId } = await runPatternA(
        `transport: http\nurl: ${agent.url}\ntoken_env: TEST_BUILDER_TOKEN`,
        {
          ...process.env,
          TEST_BUILDER_TOKEN: 's3cret-token',
        },
      );
      expect(outcome.status).toBe('COMPLETED');
      expect(agent.requests).toHaveLength(1);
      const [req] = agent.requests;
      expect(req?.headers.authorization).toBe('Bearer s3cret-token');
      expect(req?.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
      expect(req?.body).toMatchObject({
        chain_id: workflowId,
        flow: 'schema-to-pipeline',
        step: 2,
        from: 'stream',
        to: 'builder',
        input_contract: 'stream-to-builder',
        reply_contract: 'builder-output',
        payload: { connector_requirements: [{ api: 'orders_api', method: 'incremental', key: 'updated_at' }] },
      });
      const builder = outcome.state?.handoffs[1];
      expect(builder).toMatchObject({ status: 'completed', attempts: 1, transport: 'http' });
      expect(builder?.output).toMatchObject({ connectors: [{ built_by: 'http-agent' }] });
      // The token is never written to history.
      const history = JSON.stringify(await client.workflow.getHandle(workflowId).fetchHistory());
      expect(history).not.toContain('s3cret-token');
    } finally {
      await agent.close();
    }
  });

  it('that fails twice with 503 is retried; the chain records attempts = 3 and one Idempotency-Key', async () => {
    const agent = await startHttpAgent((req, n, res) =>
      n <= 2 ? replyJson(res, 503, { error: 'warming up' }) : replyJson(res, 200, builderReply(req)),
    );
    try {
      const { outcome } = await runPatternA(`transport: http\nurl: ${agent.url}`);
      expect(outcome.status).toBe('COMPLETED');
      expect(outcome.state?.handoffs[1]).toMatchObject({ status: 'completed', attempts: 3 });
      expect(agent.requests).toHaveLength(3);
      expect(new Set(agent.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    } finally {
      await agent.close();
    }
  });

  it('answering 429 with Retry-After is retried no sooner than it asked', async () => {
    const agent = await startHttpAgent((req, n, res) =>
      n === 1
        ? replyJson(res, 429, { error: 'slow down' }, { 'retry-after': '2' })
        : replyJson(res, 200, builderReply(req)),
    );
    try {
      const { outcome } = await runPatternA(`transport: http\nurl: ${agent.url}\nretry: { initial_interval: 100ms }`);
      expect(outcome.status).toBe('COMPLETED');
      const [first, second] = agent.requests;
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1900);
      expect(outcome.state?.handoffs[1]?.attempts).toBe(2);
    } finally {
      await agent.close();
    }
  });

  it('answering 422 fails the chain at once with AgentRejected, without a retry', async () => {
    const agent = await startHttpAgent((_req, _n, res) => replyJson(res, 422, { error: 'unsupported api orders_api' }));
    try {
      const { outcome, failure } = await runPatternA(`transport: http\nurl: ${agent.url}`);
      expect(agent.requests).toHaveLength(1);
      expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'AgentRejected' } });
      expect(outcome.state?.handoffs[1]).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: { type: 'AgentRejected' },
      });
      // The cause chain: workflow failure → ApplicationFailure(AgentRejected) → ActivityFailure → ApplicationFailure(AgentRejected).
      if (!(failure instanceof WorkflowFailedError))
        throw new Error(`expected WorkflowFailedError, got ${String(failure)}`);
      const top = failure.cause;
      if (!(top instanceof ApplicationFailure)) throw new Error(`expected ApplicationFailure, got ${String(top)}`);
      expect(top.type).toBe('AgentRejected');
      expect(top.message).toContain('handoff 2 (stream → builder) failed');
      expect(top.cause).toBeInstanceOf(ActivityFailure);
      const root = top.cause?.cause;
      if (!(root instanceof ApplicationFailure)) throw new Error(`expected ApplicationFailure, got ${String(root)}`);
      expect(root.type).toBe('AgentRejected');
      expect(root.nonRetryable).toBe(true);
      expect(root.message).toContain('unsupported api orders_api');
    } finally {
      await agent.close();
    }
  });

  it('that hangs past its timeout is abandoned and retried', async () => {
    const agent = await startHttpAgent((req, n, res) => {
      if (n > 1) replyJson(res, 200, builderReply(req));
      // The first request is never answered.
    });
    try {
      const started = Date.now();
      const { outcome } = await runPatternA(`transport: http\nurl: ${agent.url}\ntimeout: 500ms`);
      expect(outcome.status).toBe('COMPLETED');
      expect(agent.requests).toHaveLength(2);
      expect(outcome.state?.handoffs[1]?.attempts).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    } finally {
      await agent.close();
    }
  });

  it('whose reply breaks the reply contract fails with InvalidAgentOutput naming the field', async () => {
    const agent = await startHttpAgent((_req, _n, res) =>
      replyJson(res, 200, { connectors: [{ name: 'x', api: 'orders_api', table: 'orders', method: 'sometimes' }] }),
    );
    try {
      const { outcome } = await runPatternA(`transport: http\nurl: ${agent.url}`);
      expect(agent.requests).toHaveLength(1);
      expect(outcome.failure?.type).toBe('InvalidAgentOutput');
      expect(outcome.failure?.message).toContain(
        'connectors[0].method: expected one of "incremental" | "full" | "cdc", got "sometimes"',
      );
      expect(outcome.failure?.message).toContain('connectors[0].extraction_sql: missing required field');
    } finally {
      await agent.close();
    }
  });
});

describe('HTTP failure classification', () => {
  const envelope: Envelope = {
    chain_id: 'c',
    flow: 'schema-to-pipeline',
    step: 2,
    from: 'stream',
    to: 'builder',
    input_contract: 'stream-to-builder',
    reply_contract: 'builder-output',
    payload: {},
  };
  const ctx: CallContext = { signal: new AbortController().signal, timeoutMs: 2000, idempotencyKey: 'k', attempt: 1 };

  it.each([
    [400, 'AgentRejected', false],
    [404, 'AgentRejected', false],
    [409, 'AgentRejected', false],
    [408, 'AgentUnavailable', true],
    [500, 'AgentUnavailable', true],
    [502, 'AgentUnavailable', true],
  ])('status %i is %s (retryable: %s)', async (status, type, retryable) => {
    const agent = await startHttpAgent((_req, _n, res) => replyJson(res, status, { error: 'x' }));
    try {
      await expect(httpTransport({ agent: 'builder', url: agent.url })(envelope, ctx)).rejects.toMatchObject({
        type,
        retryable,
      });
    } finally {
      await agent.close();
    }
  });

  it('a body that is not JSON is InvalidAgentOutput', async () => {
    const agent = await startHttpAgent((_req, _n, res) => res.end('<html>ok</html>'));
    try {
      await expect(httpTransport({ agent: 'builder', url: agent.url })(envelope, ctx)).rejects.toMatchObject({
        type: 'InvalidAgentOutput',
      });
    } finally {
      await agent.close();
    }
  });

  it('a refused connection is AgentUnavailable, named as such', async () => {
    const agent = await startHttpAgent(() => undefined);
    await agent.close();
    await expect(httpTransport({ agent: 'builder', url: agent.url })(envelope, ctx)).rejects.toMatchObject({
      type: 'AgentUnavailable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(10_000 + 3000).toUTCString(), 10_000)).toBe(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('a command agent', () => {
  const script = join(import.meta.dirname, 'agents', 'command-agent.mjs');
  const binding = (mode: string, extra = '') =>
    `transport: command\ncommand: [node, ${JSON.stringify(script)}, ${mode}]${extra}`;

  async function calls(log: string): Promise<{ pid: number; attempt: number }[]> {
    const text = await readFile(log, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { pid: number; attempt: number });
  }

  it('gets the payload as YAML on stdin and answers on stdout', async () => {
    const { outcome } = await runPatternA(binding('ok'));
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.state?.handoffs[1]).toMatchObject({
      transport: 'command',
      attempts: 1,
      output: { connectors: [{ built_by: 'command-agent', api: 'orders_api' }] },
    });
  });

  it('that exits 65 rejects the handoff, without a retry', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'cmd-')), 'calls.log');
    const { outcome } = await runPatternA(binding('reject', `\nenv: { CALL_LOG: ${JSON.stringify(log)} }`));
    expect(outcome.failure?.type).toBe('AgentRejected');
    expect(outcome.failure?.message).toContain('I cannot build connectors');
    expect(await calls(log)).toHaveLength(1);
  });

  it('that exits 1 is retried', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'cmd-')), 'calls.log');
    const { outcome } = await runPatternA(binding('crash-first', `\nenv: { CALL_LOG: ${JSON.stringify(log)} }`));
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.state?.handoffs[1]?.attempts).toBe(2);
    expect((await calls(log)).map((c) => c.attempt)).toEqual([1, 2]);
  });

  it('still running at its timeout is killed, retried, and fails with AgentTimeout', async () => {
    const log = join(await mkdtemp(join(tmpdir(), 'cmd-')), 'calls.log');
    const { outcome } = await runPatternA(
      binding('sleep', `\ntimeout: 2s\nretry: { max_attempts: 2 }\nenv: { CALL_LOG: ${JSON.stringify(log)} }`),
    );
    expect(outcome.failure?.type).toBe('AgentTimeout');
    const made = await calls(log);
    expect(made.map((c) => c.attempt)).toEqual([1, 2]);
    for (const { pid } of made) expect(() => process.kill(pid, 0)).toThrow();
  });
});
