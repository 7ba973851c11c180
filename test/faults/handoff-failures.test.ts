import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS, type BuiltinAgents } from '../../src/agents/builtin/index.js';
import { failedAttempts } from '../../src/cli/render.js';
import { cli } from '../cli-process.js';
import { builderReply, replyJson, runPatternA as runPatternAOn, startHttpAgent, testClient } from '../helpers.js';

const COMMAND_AGENT = join(import.meta.dirname, '..', 'agents', 'command-agent.mjs');

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

/** Pattern A with Builder bound as given (see helpers' runPatternA). */
function runPatternA(builderBinding: string, builtins?: BuiltinAgents) {
  return runPatternAOn(client, { builder: builderBinding }, builtins);
}

describe('each failed attempt is kept', () => {
  it('a 503, 503, 200 handoff records both 503s with their reason, shown by show, handoffs and the UI', async () => {
    const agent = await startHttpAgent((req, n, res) =>
      n <= 2 ? replyJson(res, 503, { error: `warming up ${n}` }) : replyJson(res, 200, builderReply(req)),
    );
    try {
      const { outcome, details, workflowId } = await runPatternA(`transport: http\nurl: ${agent.url}`);
      expect(outcome.status).toBe('COMPLETED');
      expect(agent.requests).toHaveLength(3);
      const builder = outcome.state?.handoffs[1];
      expect(builder).toMatchObject({ status: 'completed', attempts: 3 });
      expect(builder?.failures).toEqual([
        { attempt: 1, type: 'AgentUnavailable', status: 503, message: expect.stringContaining('warming up 1') },
        { attempt: 2, type: 'AgentUnavailable', status: 503, message: expect.stringContaining('warming up 2') },
      ]);
      // No failures recorded where there were none.
      expect(outcome.state?.handoffs[0]?.failures).toBeUndefined();
      if (outcome.state === undefined) throw new Error('no chain state');
      expect(failedAttempts(outcome.state)).toEqual([
        expect.stringMatching(/^ {2}step 2 attempt 1 failed: AgentUnavailable \(503\): .*warming up 1/),
        expect.stringMatching(/^ {2}step 2 attempt 2 failed: AgentUnavailable \(503\): .*warming up 2/),
      ]);
      expect(details).toContain('2. stream → builder: completed (3 attempts)');
      expect(details).toMatch(/↳ attempt 1: AgentUnavailable: .*warming up 1/);
      expect(details).toMatch(/↳ attempt 2: AgentUnavailable: .*warming up 2/);
      // The commands a user runs (the compiled CLI: `npm run build` first).
      const handoffs = await cli(['handoffs', workflowId, '--json']);
      expect(handoffs.code).toBe(0);
      expect(JSON.parse(handoffs.stdout)).toMatchObject({
        handoffs: [{ step: 1 }, { step: 2, attempts: 3, failures: [{ attempt: 1, status: 503 }, { attempt: 2 }] }],
      });
      const show = await cli(['show', workflowId]);
      expect(show.code).toBe(0);
      expect(show.stdout).toMatch(/step 2 attempt 2 failed: AgentUnavailable \(503\): .*warming up 2/);
    } finally {
      await agent.close();
    }
  });

  it('keeps only the last five of many failed attempts', async () => {
    const agent = await startHttpAgent((req, n, res) =>
      n <= 7 ? replyJson(res, 500, { error: `broken ${n}` }) : replyJson(res, 200, builderReply(req)),
    );
    try {
      const { outcome } = await runPatternA(
        `transport: http\nurl: ${agent.url}\nretry: { max_attempts: 8, initial_interval: 50ms, max_interval: 100ms }`,
      );
      expect(outcome.status).toBe('COMPLETED');
      const builder = outcome.state?.handoffs[1];
      expect(builder?.attempts).toBe(8);
      expect(builder?.failures?.map((f) => f.attempt)).toEqual([3, 4, 5, 6, 7]);
    } finally {
      await agent.close();
    }
  });
});

describe('every failure is typed', () => {
  it('an error no transport classified ends as HandoffFailed with the real attempt count', async () => {
    let calls = 0;
    const builtins: BuiltinAgents = {
      ...BUILTIN_AGENTS,
      builder: async () => {
        calls += 1;
        throw new Error('IO Error: Could not set lock on file "warehouse.duckdb": Conflicting lock is held');
      },
    };
    const { outcome } = await runPatternA(
      'transport: builtin\nretry: { max_attempts: 3, initial_interval: 50ms }',
      builtins,
    );
    expect(calls).toBe(3);
    expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'HandoffFailed' } });
    expect(outcome.failure?.message).toContain('Could not set lock');
    const builder = outcome.state?.handoffs[1];
    expect(builder).toMatchObject({ status: 'failed', attempts: 3, error: { type: 'HandoffFailed' } });
    expect(builder?.failures?.map((f) => [f.attempt, f.type])).toEqual([
      [1, 'HandoffFailed'],
      [2, 'HandoffFailed'],
      [3, 'HandoffFailed'],
    ]);
    // `show` lists the earlier attempts; the last one is the chain's failure line.
    if (outcome.state === undefined) throw new Error('no chain state');
    expect(failedAttempts(outcome.state).map((l) => l.split(':')[0])).toEqual([
      '  step 2 attempt 1 failed',
      '  step 2 attempt 2 failed',
    ]);
  });
});

describe("an attempt Temporal timed out (the agent's own timeout did not fire)", () => {
  /** A Builder that ignores cancellation and answers after 7 s on its first call: past timeout + slack (5.5 s). */
  function stubborn(): { builtins: BuiltinAgents; calls: () => number } {
    let calls = 0;
    const builder = BUILTIN_AGENTS.builder;
    if (builder === undefined) throw new Error('no built-in builder');
    return {
      calls: () => calls,
      builtins: {
        ...BUILTIN_AGENTS,
        builder: async (envelope, ctx) => {
          calls += 1;
          if (calls === 1) await new Promise((ok) => setTimeout(ok, 7_000));
          return builder(envelope, ctx);
        },
      },
    };
  }

  it('is recorded as AttemptLost by the attempt after it', async () => {
    const agent = stubborn();
    const { outcome } = await runPatternA('transport: builtin\ntimeout: 500ms', agent.builtins);
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.state?.handoffs[1]).toMatchObject({
      attempts: 2,
      failures: [{ attempt: 1, type: 'AttemptLost' }],
    });
  });

  it('ends the chain as AgentTimeout with its attempt count when it was the last', async () => {
    const agent = stubborn();
    const { outcome } = await runPatternA(
      'transport: builtin\ntimeout: 500ms\nretry: { max_attempts: 1 }',
      agent.builtins,
    );
    expect(outcome.failure?.type).toBe('AgentTimeout');
    expect(outcome.state?.handoffs[1]).toMatchObject({
      status: 'failed',
      attempts: 1,
      failures: [{ attempt: 1, type: 'AgentTimeout' }],
    });
  });
});

describe('retry_invalid_output holds for every kind of invalid output', () => {
  const cases: [string, (n: number) => { status: number; body: string }][] = [
    ['a 200 that is not JSON', () => ({ status: 200, body: '<html>ok</html>' })],
    ['an artifacts list that is not a list', () => ({ status: 200, body: JSON.stringify({ artifacts: 'x.sql' }) })],
  ];
  it.each(cases)('%s is retried when the binding says so, and fails at once when not', async (_what, first) => {
    const agent = await startHttpAgent((req, n, res) => {
      if (n % 2 === 1) {
        const { status, body } = first(n);
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(body);
      } else replyJson(res, 200, builderReply(req));
    });
    try {
      const retried = await runPatternA(`transport: http\nurl: ${agent.url}\nretry_invalid_output: true`);
      expect(retried.outcome.status).toBe('COMPLETED');
      expect(retried.outcome.state?.handoffs[1]).toMatchObject({
        attempts: 2,
        failures: [{ attempt: 1, type: 'InvalidAgentOutput' }],
      });
      const failed = await runPatternA(`transport: http\nurl: ${agent.url}`);
      expect(failed.outcome.failure?.type).toBe('InvalidAgentOutput');
      expect(failed.outcome.state?.handoffs[1]).toMatchObject({ status: 'failed', attempts: 1 });
      expect(agent.requests).toHaveLength(3);
    } finally {
      await agent.close();
    }
  });

  it('a command that prints something that is not YAML is retried when the binding says so', async () => {
    const binding = `transport: command\ncommand: [node, ${JSON.stringify(COMMAND_AGENT)}, garbage-first]`;
    const retried = await runPatternA(`${binding}\nretry_invalid_output: true`);
    expect(retried.outcome.status).toBe('COMPLETED');
    expect(retried.outcome.state?.handoffs[1]).toMatchObject({
      attempts: 2,
      failures: [{ attempt: 1, type: 'InvalidAgentOutput', message: expect.stringContaining('not YAML') }],
    });
    const failed = await runPatternA(binding);
    expect(failed.outcome.failure?.type).toBe('InvalidAgentOutput');
    expect(failed.outcome.state?.handoffs[1]).toMatchObject({ status: 'failed', attempts: 1 });
  });
});
