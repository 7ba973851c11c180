import Table from 'cli-table3';
import { describePayload, isContractName } from '../flows';
import type { ChainOutcome } from '../temporal/chains';
import type { ChainState, HandoffRecord } from '../workflows/chain';

function describe(contract: string, payload: Record<string, unknown> | undefined): string {
  if (payload === undefined) return '';
  return isContractName(contract) ? describePayload(contract, payload) : contract;
}

function duration(h: HandoffRecord): string {
  if (h.startedAt === undefined || h.finishedAt === undefined) return '';
  return `${Date.parse(h.finishedAt) - Date.parse(h.startedAt)} ms`;
}

/** The chain as a short table: step, from → to, transport, attempts, what was handed over and what came back. */
export function chainTable(state: ChainState): string {
  const table = new Table({
    head: ['step', 'from → to', 'transport', 'attempts', 'handed over', 'got back', 'status', 'took'],
    style: { head: [], border: [] },
  });
  for (const h of state.handoffs) {
    table.push([
      String(h.step),
      `${h.from} → ${h.to}`,
      h.transport ?? '',
      h.attempts > 0 ? String(h.attempts) : '',
      describe(h.inputContract, h.input),
      h.status === 'failed' ? `${h.error?.type ?? 'failed'}` : describe(h.replyContract, h.output),
      h.status,
      duration(h),
    ]);
  }
  return table.toString();
}

/** The human-readable report of one chain: header, table, failure, artifacts, UI link. */
export function chainReport(workflowId: string, runId: string, outcome: ChainOutcome, uiBase?: string): string {
  const lines: string[] = [];
  const state = outcome.state;
  const head =
    state !== undefined
      ? `${state.flow} (Pattern ${state.pattern})${state.partition !== undefined ? ` · ${state.partition}` : ''}`
      : '';
  lines.push(`${head} ${workflowId} — ${outcome.status}`.trim());
  if (state !== undefined) lines.push(chainTable(state));
  if (outcome.failure !== undefined) lines.push(`failed: ${outcome.failure.type}: ${outcome.failure.message}`);
  for (const a of state?.artifacts ?? []) lines.push(`  artifact ${a.name}: ${a.path} (${a.bytes} bytes)`);
  if (uiBase !== undefined) lines.push(`  UI: ${uiLink(uiBase, workflowId, runId)}`);
  return lines.join('\n');
}

/** The Temporal UI page of a run. */
export function uiLink(uiBase: string, workflowId: string, runId: string, namespace = 'default'): string {
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
}

/** The --json shape of a chain: {workflowId, runId, status, handoffs, result}. */
export function chainJson(workflowId: string, runId: string, outcome: ChainOutcome): Record<string, unknown> {
  return {
    workflowId,
    runId,
    status: outcome.status,
    handoffs: outcome.state?.handoffs ?? [],
    result: outcome.status === 'COMPLETED' ? (outcome.state ?? null) : null,
    ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
  };
}
