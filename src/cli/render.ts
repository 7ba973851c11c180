import Table from 'cli-table3';
import { field } from '../field.js';
import { describePayload, isContractName } from '../flows.js';
import type { ChainOutcome } from '../temporal/chains.js';
import type { ChainState, HandoffRecord } from '../workflows/chain.js';
import { etlStageTables } from './etl-report.js';

function describe(contract: string, payload: Record<string, unknown> | undefined): string {
  if (payload === undefined) return '';
  return isContractName(contract) ? describePayload(contract, payload) : contract;
}

function duration(h: HandoffRecord): string {
  if (h.startedAt === undefined || h.finishedAt === undefined) return '';
  return `${Date.parse(h.finishedAt) - Date.parse(h.startedAt)} ms`;
}

/**
 * A table whose cells are never cut: ids, statuses and partitions are what a reader copies into the next command.
 * Only free-text columns given in `wrap` (column index → width) wrap, at word boundaries.
 */
export function cliTable(head: readonly string[], wrap: Readonly<Record<number, number>> = {}): Table.Table {
  const widths = head.map((_, i) => wrap[i] ?? null);
  return new Table({
    head: [...head],
    style: { head: [], border: [] },
    ...(Object.keys(wrap).length > 0 ? { colWidths: widths, wordWrap: true } : {}),
  });
}

/** The chain as a short table: step, from → to, transport, attempts, what was handed over and what came back. */
export function chainTable(state: ChainState): string {
  const table = cliTable(['step', 'from → to', 'transport', 'attempts', 'handed over', 'got back', 'status', 'took']);
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
export function chainReport(workflowId: string, outcome: ChainOutcome, link?: string): string {
  const lines: string[] = [];
  const state = outcome.state;
  const head =
    state !== undefined
      ? `${state.flow} (Pattern ${state.pattern})${state.partition !== undefined ? ` · ${state.partition}` : ''}`
      : '';
  lines.push(`${head} ${workflowId} — ${outcome.status}`.trim());
  if (state !== undefined) lines.push(chainTable(state), ...failedAttempts(state));
  if (state?.flow === 'warehouse-etl') lines.push(...etlStageTables(state));
  if (outcome.failure !== undefined) lines.push(`failed: ${outcome.failure.type}: ${outcome.failure.message}`);
  const highlight = state?.status === 'completed' ? outputHighlight(state) : undefined;
  if (highlight !== undefined) lines.push(`  ${highlight}`);
  for (const a of state?.artifacts ?? []) lines.push(`  artifact ${a.name}: ${a.path} (${a.bytes} bytes)`);
  if (link !== undefined) lines.push(`  UI: ${link}`);
  return lines.join('\n');
}

/**
 * One line per failed attempt a handoff recorded: why its `attempts` is more than 1. A failed handoff's last
 * attempt is left out: the chain's failure line says it.
 */
export function failedAttempts(state: ChainState): string[] {
  return state.handoffs.flatMap((h) =>
    (h.failures ?? [])
      .filter((f) => h.status !== 'failed' || f.attempt !== h.attempts)
      .map(
        (f) =>
          `  step ${h.step} attempt ${f.attempt} failed: ${f.type}${f.status !== undefined ? ` (${f.status})` : ''}: ${f.message}`,
      ),
  );
}

/** What the last agent produced, in one line: the figure a reader of the chain looks for first. */
export function outputHighlight(state: ChainState): string | undefined {
  const out = state.output;
  if (out === undefined) return undefined;
  const list = (key: string): unknown[] => {
    const value = field(out, key);
    return Array.isArray(value) ? value : [];
  };
  switch (state.flow) {
    case 'schema-to-pipeline':
      return `builder: ${list('connectors')
        .map((c) => `${String(field(c, 'table'))} (${String(field(c, 'method'))})`)
        .join(', ')}`;
    case 'analytics-pipeline':
      return `schema: created ${list('tables')
        .map((t) => String(field(t, 'name')))
        .join(', ')} in ${String(field(out, 'warehouse'))}`;
    case 'pipeline-visualization':
      return `canvas: ${String(field(out, 'nodes'))} nodes, ${String(field(out, 'edges'))} edges (Mermaid${field(out, 'svg_artifact') !== undefined ? ' and SVG' : ''})`;
    case 'pipeline-testing': {
      const skipped = list('checks').filter((c) => field(c, 'status') === 'skipped');
      const why = skipped.length > 0 ? ` (skipped: ${String(field(skipped[0], 'reason'))})` : '';
      return `radar: ${String(field(field(out, 'summary'), 'passed'))} passed, ${String(field(field(out, 'summary'), 'failed'))} failed, ${skipped.length} skipped${why}`;
    }
    case 'warehouse-etl': {
      const rows = list('charts').reduce((n: number, c) => n + Number(field(c, 'rows') ?? 0), 0);
      return `publish: ${list('charts').length} charts (${rows} rows) in ${String(field(out, 'dashboard'))}`;
    }
    case 'cost-aware-pipeline':
      return `scaffold: about $${Number(field(out, 'monthly_cost_usd')).toLocaleString('en-US', { maximumFractionDigits: 0 })} a month (${String(field(out, 'price_table'))})`;
  }
}

/**
 * The --json shape of a chain: {workflowId, runId, status, ui?, handoffs, result, failure?}. The handoffs appear
 * once, at the top; `result` is the rest of the completed chain (output, artifacts, partition, …).
 */
export function chainJson(
  workflowId: string,
  runId: string,
  outcome: ChainOutcome,
  link?: string,
): Record<string, unknown> {
  return {
    workflowId,
    runId,
    status: outcome.status,
    ...(link !== undefined ? { ui: link } : {}),
    handoffs: outcome.state?.handoffs ?? [],
    result: chainResult(outcome),
    ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
  };
}

/** A completed chain without its handoffs, which the --json shapes list once, beside it; null otherwise. */
export function chainResult(outcome: ChainOutcome): Omit<ChainState, 'handoffs'> | null {
  if (outcome.status !== 'COMPLETED' || outcome.state === undefined) return null;
  const { handoffs: _listedBeside, ...rest } = outcome.state;
  return rest;
}
