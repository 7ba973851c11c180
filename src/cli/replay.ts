import { formatChanges } from '../diff.js';
import { FLOWS, isContractName } from '../flows.js';
import { parseWorkflowId } from '../identity/index.js';
import { taskQueueFromEnv } from '../temporal/connection.js';
import { planReplay, ReplayError, resolveStep, runReplay, type ReplayReport } from '../temporal/replay.js';
import type { ChainState } from '../workflows/chain.js';
import { printJson, runLink, withClient } from './context.js';
import { ExitCode, UsageError } from './errors.js';
import { flowArg, readContractFile } from './input.js';
import { loadChain, requireState } from './load-chain.js';
import { chainResult } from './render.js';
import { quote, sinceArg } from './list.js';

export interface ReplayOptions {
  readonly fromStep?: string;
  readonly override?: string;
  readonly flow?: string;
  readonly since?: string;
  readonly until?: string;
  readonly maxConcurrent?: string;
  readonly json?: boolean;
}

/**
 * `replay <workflowId> --from-step <n|agent> [--override file]`: re-drives a recorded chain from one handoff,
 * reusing the recorded outputs before it, and reports per handoff whether the output changed.
 * `replay --flow <flow> --since <time> --from-step <agent>`: the same for every completed chain of a flow.
 */
export async function replayCommand(workflowId: string | undefined, o: ReplayOptions): Promise<number> {
  if (o.fromStep === undefined) throw new UsageError('--from-step: expected a step number or an agent name');
  if (workflowId !== undefined && o.flow !== undefined) throw new UsageError('give a workflow id or --flow, not both');
  if (workflowId === undefined) return bulkReplay(o);
  return withClient(async (client, target) => {
    const original = requireState(await loadChain(client, workflowId));
    const fromStep = stepArg(original, o.fromStep ?? '');
    const override = o.override !== undefined ? await readOverride(original, fromStep, o.override) : undefined;
    const plan = wrap(() => planReplay(original, fromStep, override));
    const report = await runReplay(client, original, plan, taskQueueFromEnv());
    if (o.json === true) printJson(reportJson(report));
    else console.log(reportText(report, runLink(target, report.workflowId, report.runId)));
    return report.outcome.status === 'COMPLETED' ? ExitCode.Ok : ExitCode.WorkflowFailed;
  });
}

async function bulkReplay(o: ReplayOptions): Promise<number> {
  if (o.flow === undefined) throw new UsageError('expected a workflow id, or --flow with --since');
  if (o.since === undefined)
    throw new UsageError('--since: expected a time (2026-11-01, 2026-11-01T08:00:00Z) or an age (1h, 2d)');
  const flow = flowArg(o.flow);
  const now = new Date();
  const since = sinceArg(o.since, now);
  const until = o.until !== undefined ? sinceArg(o.until, now) : undefined;
  const limit = Number(o.maxConcurrent ?? '4');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new UsageError(`--max-concurrent: expected a whole number from 1 to 100, got "${o.maxConcurrent ?? ''}"`);
  return withClient(async (client) => {
    const query = [
      `WorkflowType = ${quote(FLOWS[flow].workflowType)}`,
      // Chains of this deployment only: its task queue is what its worker (and agents) serve.
      `TaskQueue = ${quote(taskQueueFromEnv())}`,
      `ExecutionStatus = "Completed"`,
      `StartTime >= ${quote(since.toISOString())}`,
      ...(until !== undefined ? [`StartTime <= ${quote(until.toISOString())}`] : []),
    ].join(' AND ');
    const ids: string[] = [];
    for await (const wf of client.workflow.list({ query }))
      if (parseWorkflowId(wf.workflowId).kind !== 'replay') ids.push(wf.workflowId);
    const results: { workflowId: string; replay?: string; status: string; changedSteps: number[]; error?: string }[] =
      [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < ids.length) {
        const id = ids[next];
        next += 1;
        if (id === undefined) continue;
        try {
          const original = requireState(await loadChain(client, id));
          const plan = wrap(() => planReplay(original, stepArg(original, o.fromStep ?? ''), undefined));
          const report = await runReplay(client, original, plan, taskQueueFromEnv());
          const changedSteps = report.handoffs.filter((h) => h.outputChanges.length > 0).map((h) => h.step);
          results.push({ workflowId: id, replay: report.workflowId, status: report.outcome.status, changedSteps });
        } catch (err) {
          results.push({
            workflowId: id,
            status: 'NOT_REPLAYED',
            changedSteps: [],
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, ids.length)) }, worker));
    const completed = results.filter((r) => r.status === 'COMPLETED');
    const summary = {
      flow,
      matched: ids.length,
      replayed: completed.length,
      changed: completed.filter((r) => r.changedSteps.length > 0).length,
      failed: results.length - completed.length,
      chains: results,
    };
    if (o.json === true) printJson(summary);
    else {
      for (const r of results) {
        const what =
          r.error ??
          (r.changedSteps.length > 0 ? `output changed at step ${r.changedSteps.join(', ')}` : 'output unchanged');
        console.log(`${r.status.padEnd(12)} ${r.workflowId} → ${r.replay ?? '-'}: ${what}`);
      }
      console.log(
        `${summary.matched} chains matched; ${summary.replayed} replayed (${summary.changed} with changed output), ${summary.failed} failed`,
      );
    }
    return summary.failed > 0 ? ExitCode.WorkflowFailed : ExitCode.Ok;
  });
}

function stepArg(state: ChainState, fromStep: string): number {
  return wrap(() => resolveStep(state, fromStep));
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ReplayError) throw new UsageError(err.message);
    throw err;
  }
}

/** The override file, checked against the contract of the payload it replaces. */
async function readOverride(state: ChainState, fromStep: number, file: string): Promise<Record<string, unknown>> {
  const contract = state.handoffs[fromStep - 1]?.inputContract ?? '';
  if (!isContractName(contract)) throw new UsageError(`step ${fromStep} has no known input contract`);
  return readContractFile(contract, file, {
    noun: 'override',
    valid: `a valid ${contract} payload for step ${fromStep}`,
  });
}

function reportJson(report: ReplayReport): Record<string, unknown> {
  return {
    workflowId: report.workflowId,
    runId: report.runId,
    replayOf: report.original,
    status: report.outcome.status,
    ...(report.outcome.failure !== undefined ? { failure: report.outcome.failure } : {}),
    handoffs: report.handoffs.map((h) => ({ ...h, outputChanged: h.outputChanges.length > 0 })),
    result: chainResult(report.outcome),
  };
}

function reportText(report: ReplayReport, link?: string): string {
  const lines = [`replay ${report.workflowId} of ${report.original.workflowId} — ${report.outcome.status}`];
  for (const h of report.handoffs) {
    const head = `  ${h.step}. ${h.from} → ${h.to}: ${h.how}`;
    if (h.how === 'reused') {
      lines.push(`${head} (recorded output, agent not called)`);
      continue;
    }
    if (h.inputChanges.length > 0)
      lines.push(
        `${head}; input differs from the original:`,
        ...formatChanges(h.inputChanges).map((l) => `       ${l}`),
      );
    else lines.push(head);
    if (h.how === 'called') {
      lines.push(
        h.outputChanges.length === 0 ? '     output: same as the original' : '     output differs from the original:',
      );
      lines.push(...formatChanges(h.outputChanges).map((l) => `       ${l}`));
    }
  }
  if (report.outcome.failure !== undefined)
    lines.push(`failed: ${report.outcome.failure.type}: ${report.outcome.failure.message}`);
  if (link !== undefined) lines.push(`  UI: ${link}`);
  return lines.join('\n');
}
