import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { FLOWS } from '../flows.js';
import { StreamBackfill, StreamFlow, StreamPartition, StreamReplayOf, StreamStep } from '../identity/index.js';
import { ExitCode, UsageError } from './errors.js';
import { flowArg } from './input.js';
import { CHAIN_WORKFLOW_TYPES } from './load-chain.js';
import { printJson, withClient } from './context.js';
import { cliTable } from './render.js';

export interface ListOptions {
  readonly flow?: string;
  readonly status?: string;
  readonly partition?: string;
  readonly since?: string;
  readonly limit?: string;
  readonly json?: boolean;
}

/** `--status` words and the ExecutionStatus value each stands for in a visibility query. */
const STATUSES: Readonly<Record<string, string>> = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
};

const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

const DEFAULT_LIMIT = 50;

/** One row of `list`. */
export interface ChainListing {
  readonly workflowId: string;
  readonly runId: string;
  readonly flow?: string;
  readonly partition?: string;
  readonly status: string;
  /** StreamStep: the handoff a failed chain stopped at (chains before chain code 5: the last one started). */
  readonly step?: string;
  readonly startTime: string;
  readonly closeTime?: string;
  readonly backfill?: string;
  readonly replayOf?: string;
}

/**
 * `list`: chains found through Temporal visibility, newest first, filtered by the search attributes every
 * chain carries. Chains started before those attributes existed show up unfiltered by flow or partition only.
 */
export async function listCommand(options: ListOptions, now: Date = new Date()): Promise<number> {
  const query = listQuery(options, now);
  const limit = limitArg(options.limit);
  return withClient(async (client) => {
    const { chains, more } = await listChains(client, query, limit);
    if (options.json === true) {
      printJson({ query, chains });
      return ExitCode.Ok;
    }
    if (chains.length === 0) {
      console.log(`no chains match: ${query}`);
      return ExitCode.Ok;
    }
    const table = cliTable(['workflow id', 'flow', 'partition', 'status', 'step', 'started']);
    for (const c of chains) {
      table.push([c.workflowId, c.flow ?? '', c.partition ?? '', c.status, c.step ?? '', shortTime(c.startTime)]);
    }
    console.log(table.toString());
    if (more) console.log(`(the first ${limit}; --limit raises it)`);
    return ExitCode.Ok;
  });
}

/** The visibility query for the options: only chain workflow types, then each filter given. */
export function listQuery(options: ListOptions, now: Date): string {
  const clauses = [chainTypesClause()];
  if (options.flow !== undefined) clauses.push(`${StreamFlow.name} = ${quote(flowArg(options.flow))}`);
  if (options.partition !== undefined) clauses.push(`${StreamPartition.name} = ${quote(options.partition)}`);
  if (options.status !== undefined) clauses.push(`ExecutionStatus = ${quote(statusArg(options.status))}`);
  if (options.since !== undefined) clauses.push(`StartTime >= ${quote(sinceArg(options.since, now).toISOString())}`);
  return clauses.join(' AND ');
}

/** Only chains: a backfill carries StreamFlow and StreamBackfill too. */
export function chainTypesClause(): string {
  return `WorkflowType IN (${CHAIN_WORKFLOW_TYPES.map(quote).join(', ')})`;
}

/** Up to `limit` chains matching `query`, and whether there were more. */
export async function listChains(
  client: Client,
  query: string,
  limit: number,
): Promise<{ chains: ChainListing[]; more: boolean }> {
  const chains: ChainListing[] = [];
  for await (const info of client.workflow.list({ query, pageSize: Math.min(limit + 1, 1000) })) {
    if (chains.length === limit) return { chains, more: true };
    chains.push(listing(info));
  }
  return { chains, more: false };
}

function listing(info: WorkflowExecutionInfo): ChainListing {
  const attrs = info.typedSearchAttributes;
  const flow = attrs.get(StreamFlow) ?? Object.values(FLOWS).find((f) => f.workflowType === info.type)?.name;
  const partition = attrs.get(StreamPartition);
  const step = attrs.get(StreamStep);
  const backfill = attrs.get(StreamBackfill);
  const replayOf = attrs.get(StreamReplayOf);
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    ...(flow !== undefined ? { flow } : {}),
    ...(partition !== undefined ? { partition } : {}),
    status: info.status.name,
    ...(step !== undefined ? { step } : {}),
    startTime: info.startTime.toISOString(),
    ...(info.closeTime !== undefined ? { closeTime: info.closeTime.toISOString() } : {}),
    ...(backfill !== undefined ? { backfill } : {}),
    ...(replayOf !== undefined ? { replayOf } : {}),
  };
}

/** A string literal in a visibility query. */
export function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function statusArg(status: string): string {
  const value = STATUSES[status.toLowerCase()];
  if (value === undefined) {
    throw new UsageError(`unknown --status "${status}"; expected one of ${Object.keys(STATUSES).join(', ')}`);
  }
  return value;
}

/** `--since`: an ISO date or time (`2026-11-01`, `2026-11-01T08:00:00Z`) or an age (`30m`, `1h`, `2d`, `1w`). */
export function sinceArg(since: string, now: Date): Date {
  const age = /^(\d+)([mhdw])$/.exec(since);
  if (age !== null) return new Date(now.getTime() - Number(age[1]) * (UNIT_MS[age[2] ?? ''] ?? 0));
  const at = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(since)
    ? Date.parse(since)
    : Number.NaN;
  if (Number.isNaN(at)) {
    throw new UsageError(
      `--since "${since}" is neither an ISO date (2026-11-01, 2026-11-01T08:00:00Z) nor an age (30m, 1h, 2d, 1w)`,
    );
  }
  return new Date(at);
}

function limitArg(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!/^\d+$/.test(limit) || Number(limit) < 1) throw new UsageError(`--limit "${limit}" is not a positive number`);
  return Number(limit);
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}
