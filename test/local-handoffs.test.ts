import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_AGENTS, type BuiltinAgents } from '../src/agents/builtin/index.js';
import { HandoffError } from '../src/agents/transport.js';
import { FailureType, StreamStep } from '../src/identity/index.js';
import { runPatternA as runPatternAOn, testClient } from './helpers.js';

const LOCAL = 'transport: builtin\nlocal: true';

let client: Client;
let closeClient: () => Promise<void>;
beforeAll(async () => {
  ({ client, close: closeClient } = await testClient());
});
afterAll(async () => closeClient());

/** Pattern A on a worker with the given bindings; the outcome, the run's history and what the UI shows. */
async function runPatternA(bindings: Record<string, string>, builtins?: BuiltinAgents) {
  const run = await runPatternAOn(client, bindings, builtins);
  const history = await run.handle.fetchHistory();
  const description = await run.handle.describe();
  return { ...run, events: history.events ?? [], description };
}

/** A built-in Builder that fails with `type` on its first `failures` calls, then answers as the real one. */
function flaky(
  failures: number,
  type: FailureType,
  retryable: boolean,
): { builtins: BuiltinAgents; calls: () => number } {
  let calls = 0;
  const builder = BUILTIN_AGENTS.builder;
  if (builder === undefined) throw new Error('no built-in builder');
  return {
    calls: () => calls,
    builtins: {
      ...BUILTIN_AGENTS,
      builder: async (envelope, ctx) => {
        calls += 1;
        if (calls <= failures) throw new HandoffError(type, `builder not ready (call ${calls})`, retryable);
        return builder(envelope, ctx);
      },
    },
  };
}

describe('local: true bindings run handoffs as local activities', () => {
  it('an all-local chain completes, records its handoffs, and shows where it is', async () => {
    const { outcome, details, events, description } = await runPatternA({ stream: LOCAL, builder: LOCAL });
    expect(outcome.status).toBe('COMPLETED');
    expect(outcome.state?.handoffs.map((h) => [h.step, h.to, h.status, h.attempts, h.transport])).toEqual([
      [1, 'stream', 'completed', 1, 'builtin'],
      [2, 'builder', 'completed', 1, 'builtin'],
    ]);
    expect(outcome.state?.output).toHaveProperty('connectors');
    // No activity task went through the server: each handoff is a local-activity marker in history.
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    const markers = events.flatMap((e) =>
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity' ? [e] : [],
    );
    // agentPolicies, then one per handoff.
    expect(markers).toHaveLength(3);
    expect(details).toContain('1. schema → stream: completed');
    expect(details).toContain('2. stream → builder: completed');
    // A completed chain records no step: StreamStep is where a chain failed.
    expect(description.typedSearchAttributes.get(StreamStep)).toBeUndefined();
  });

  it('a binding without local: true still schedules activities', async () => {
    const { outcome, events } = await runPatternA({ stream: LOCAL });
    expect(outcome.status).toBe('COMPLETED');
    const scheduled = events.flatMap((e) => {
      const type = e.activityTaskScheduledEventAttributes?.activityType?.name;
      return type !== undefined && type !== null ? [type] : [];
    });
    expect(scheduled).toEqual(['deliverHandoff']);
  });

  it('a local handoff that fails retryably is retried per its policy and records the attempts', async () => {
    const agent = flaky(2, FailureType.AgentUnavailable, true);
    const { outcome } = await runPatternA(
      { builder: `${LOCAL}\nretry: { max_attempts: 3, initial_interval: 50ms }` },
      agent.builtins,
    );
    expect(outcome.status).toBe('COMPLETED');
    expect(agent.calls()).toBe(3);
    expect(outcome.state?.handoffs[1]).toMatchObject({ status: 'completed', attempts: 3 });
  });

  it('a local handoff that keeps failing stops at max_attempts with its failure type', async () => {
    const agent = flaky(Infinity, FailureType.AgentUnavailable, true);
    const { outcome } = await runPatternA(
      { builder: `${LOCAL}\nretry: { max_attempts: 2, initial_interval: 50ms }` },
      agent.builtins,
    );
    expect(agent.calls()).toBe(2);
    expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'AgentUnavailable' } });
    expect(outcome.state?.handoffs[1]).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: { type: 'AgentUnavailable', message: 'builder not ready (call 2)' },
    });
  });

  it('a local handoff rejected by its agent is not retried (the non-retryable types still apply)', async () => {
    const agent = flaky(Infinity, FailureType.AgentRejected, false);
    const { outcome, description } = await runPatternA(
      { builder: `${LOCAL}\nretry: { max_attempts: 5, initial_interval: 50ms }` },
      agent.builtins,
    );
    expect(agent.calls()).toBe(1);
    expect(outcome).toMatchObject({ status: 'FAILED', failure: { type: 'AgentRejected' } });
    expect(outcome.state?.handoffs[1]).toMatchObject({ status: 'failed', attempts: 1 });
    // StreamStep names the handoff it failed at, so "failed at a step" queries work for local handoffs too.
    expect(description.typedSearchAttributes.get(StreamStep)).toBe('2 stream→builder');
  });
});
