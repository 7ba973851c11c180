import { stringify } from 'yaml';
import type { HandoffRecord } from '../workflows/chain.js';
import { ExitCode, UsageError } from './errors.js';
import { loadChain, requireState } from './load-chain.js';
import { printJson, withClient } from './context.js';

export interface HandoffsOptions {
  readonly yaml?: boolean;
  readonly json?: boolean;
}

/**
 * `handoffs <workflowId>`: every handoff with the full payload it carried in and the reply it got back, as
 * YAML (default) or JSON: from the result, the failure's details, or the `chain` query while it runs.
 */
export async function handoffsCommand(workflowId: string, options: HandoffsOptions): Promise<number> {
  if (options.yaml === true && options.json === true) throw new UsageError('choose one of --yaml and --json');
  return withClient(async (client) => {
    const loaded = await loadChain(client, workflowId);
    const state = requireState(loaded);
    const doc = {
      workflowId,
      runId: loaded.runId,
      flow: state.flow,
      status: loaded.outcome.status,
      ...(state.partition !== undefined ? { partition: state.partition } : {}),
      ...(state.backfill !== undefined ? { backfill: state.backfill } : {}),
      ...(state.replayOf !== undefined ? { replayOf: state.replayOf } : {}),
      ...(loaded.outcome.failure !== undefined ? { failure: loaded.outcome.failure } : {}),
      handoffs: state.handoffs.map(ordered),
    };
    if (options.json === true) printJson(doc);
    else process.stdout.write(stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
    return ExitCode.Ok;
  });
}

/** A handoff with its fields in reading order: who, how it went, then the payloads, longest last. */
function ordered(h: HandoffRecord): Record<string, unknown> {
  const { step, from, to, inputContract, replyContract, status, transport, attempts, startedAt, finishedAt } = h;
  return {
    step,
    from,
    to,
    inputContract,
    replyContract,
    status,
    ...(transport !== undefined ? { transport } : {}),
    attempts,
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    ...(h.error !== undefined ? { error: h.error } : {}),
    ...(h.failures !== undefined ? { failures: h.failures } : {}),
    artifacts: h.artifacts,
    ...(h.input !== undefined ? { input: h.input } : {}),
    ...(h.output !== undefined ? { output: h.output } : {}),
  };
}
