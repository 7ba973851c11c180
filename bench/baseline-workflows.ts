import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline-activities.js';

// The same timeout and retry policy our chain derives for a built-in agent with default settings.
const { handoff } = proxyActivities<BaselineActivities>({
  startToCloseTimeout: '35s',
  retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '60s' },
});

export interface BaselineResult {
  readonly connectors: number;
}

/** Pattern A by hand: the same two activity calls as our chain, with no bookkeeping around them. */
export async function baselineChain(payload: Record<string, unknown>): Promise<BaselineResult> {
  const requirements = await handoff('stream', payload);
  const output = await handoff('builder', requirements);
  const connectors = output.connectors;
  return { connectors: Array.isArray(connectors) ? connectors.length : 0 };
}
