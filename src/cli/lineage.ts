import { writeFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { mermaidLabel as label } from '../render/mermaid.js';
import { mermaidToSvg } from '../render/svg.js';
import { parseWorkflowId, StreamBackfill } from '../identity/index.js';
import type { ChainState, HandoffRecord } from '../workflows/chain.js';
import { ExitCode, UsageError } from './errors.js';
import { chainTypesClause, listChains, quote, type ChainListing } from './list.js';
import { loadChain, type LoadedChain } from './load-chain.js';
import { withClient } from './context.js';

export interface LineageOptions {
  readonly format?: string;
  readonly out?: string;
}

/** Partitions drawn one by one; the rest of a large backfill is counted in one node. */
const MAX_PARTITION_NODES = 40;
/** Partitions read from visibility for the counts. */
const MAX_PARTITIONS = 1000;

/**
 * `lineage <workflowId>`: the chain as a diagram, agents as nodes and handoffs as edges labelled with step,
 * contracts and attempts, the failed handoff in red; with what it came from (the chain it replays, the backfill
 * it belongs to) and, for a backfill, its partitions and their status, found by `StreamBackfill="<id>"`.
 */
export async function lineageCommand(workflowId: string, options: LineageOptions): Promise<number> {
  const format = options.format ?? 'mermaid';
  if (format !== 'mermaid' && format !== 'svg')
    throw new UsageError(`unknown --format "${format}"; use mermaid or svg`);
  const mermaid = await withClient(async (client) => {
    const loaded = await loadChain(client, workflowId);
    const partitions = await backfillPartitions(client, workflowId);
    if (
      loaded.outcome.state === undefined &&
      partitions.length === 0 &&
      parseWorkflowId(workflowId).kind !== 'backfill'
    ) {
      throw new UsageError(`${workflowId} is a ${loaded.description.type} workflow, neither a chain nor a backfill`);
    }
    return lineageMermaid(loaded, partitions);
  });
  const text = format === 'svg' ? await mermaidToSvg(mermaid) : mermaid;
  if (options.out === undefined) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  else {
    await writeFile(options.out, text);
    console.log(`wrote ${options.out} (${format}, ${Buffer.byteLength(text)} bytes)`);
  }
  return ExitCode.Ok;
}

/**
 * The chains a backfill ran, by the StreamBackfill search attribute each carries (the backfill carries it too,
 * hence the workflow types); sorted by partition.
 */
async function backfillPartitions(client: Client, workflowId: string): Promise<ChainListing[]> {
  const query = `${StreamBackfill.name} = ${quote(workflowId)} AND ${chainTypesClause()}`;
  const { chains } = await listChains(client, query, MAX_PARTITIONS);
  return chains.sort((x, y) => (x.partition ?? x.workflowId).localeCompare(y.partition ?? y.workflowId));
}

/** The lineage of a loaded workflow as a Mermaid flowchart. */
export function lineageMermaid(loaded: LoadedChain, partitions: readonly ChainListing[]): string {
  const g = new Flowchart();
  const state = loaded.outcome.state;
  const status = loaded.outcome.status;
  let root: string;
  if (state !== undefined) {
    drawChain(g, loaded.workflowId, status, state);
    root = agentId(firstParty(state));
  } else {
    root = 'w_root';
    g.node(root, [loaded.workflowId, `${loaded.description.type} · ${status}`], statusClass(status));
  }
  drawPartitions(g, root, partitions);
  return g.toString();
}

function drawChain(g: Flowchart, workflowId: string, status: string, state: ChainState): void {
  // Default ids already carry the partition; one given with --id may not.
  const partition =
    state.partition !== undefined && !workflowId.includes(state.partition) ? ` · ${state.partition}` : '';
  g.open('chain', `${workflowId}${partition} · ${status}`);
  const parties = [...new Set(state.handoffs.flatMap((h) => [h.from, h.to]))];
  for (const party of parties) g.node(agentId(party), [party], partyClass(state, party));
  g.close();
  for (const h of state.handoffs) {
    const pending = h.status === 'pending' || h.status === 'reused';
    g.edge(
      agentId(h.from),
      agentId(h.to),
      edgeLabel(h),
      pending ? 'dotted' : h.status === 'failed' ? 'failed' : 'solid',
    );
  }
  if (state.replayOf !== undefined) {
    const { workflowId: of, fromStep, overridden } = state.replayOf;
    const into = state.handoffs.find((h) => h.step === fromStep);
    g.node('w_replay_of', [of, 'replayed chain'], 'other');
    g.edge(
      'w_replay_of',
      agentId(into?.to ?? firstParty(state)),
      `replay from step ${fromStep}${overridden ? ', input overridden' : ''}`,
      'dotted',
    );
  }
  if (state.backfill !== undefined) {
    g.node('w_backfill', [state.backfill, 'backfill'], 'other');
    g.edge('w_backfill', agentId(firstParty(state)), state.partition ?? 'partition', 'dotted');
  }
}

function drawPartitions(g: Flowchart, root: string, partitions: readonly ChainListing[]): void {
  if (partitions.length === 0) return;
  const counts = new Map<string, number>();
  for (const p of partitions) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s.toLowerCase()}`).join(', ');
  const more = partitions.length >= MAX_PARTITIONS ? '+' : '';
  g.open('partitions', `partitions: ${partitions.length}${more} (${summary})`);
  const shown = partitions.slice(0, MAX_PARTITION_NODES);
  shown.forEach((p, i) => g.node(`p_${i}`, [p.partition ?? p.workflowId, p.status], statusClass(p.status)));
  const rest = partitions.length - shown.length;
  if (rest > 0) g.node('p_more', [`… ${rest}${more} more`], 'other');
  g.close();
  shown.forEach((p, i) => g.edge(root, `p_${i}`, p.flow ?? ''));
  if (rest > 0) g.edge(root, 'p_more', '', 'dotted');
}

/** Three short lines, so the label fits the box the renderer sizes for it: step and contract, reply, outcome. */
function edgeLabel(h: HandoffRecord): string[] {
  const tries = `${h.attempts} attempt${h.attempts === 1 ? '' : 's'}`;
  const outcome: Record<HandoffRecord['status'], string> = {
    completed: tries,
    failed: `✖ ${h.error?.type ?? 'failed'} · ${tries}`,
    running: 'running',
    pending: 'pending',
    reused: 'reused (recorded)',
  };
  return [`${h.step} · ${h.inputContract}`, `↩ ${h.replyContract}`, outcome[h.status]];
}

/**
 * An agent's colour: that of the last handoff to it (a reused one was completed by the chain replayed), or, for
 * the first party, completed once its handoff went through. Pending agents keep the renderer's neutral box.
 */
function partyClass(state: ChainState, party: string): string | undefined {
  const into = state.handoffs.filter((h) => h.to === party).at(-1);
  const status = into?.status ?? state.handoffs.find((h) => h.from === party)?.status;
  if (status === 'completed' || status === 'reused') return 'completed';
  if (into === undefined) return undefined;
  return status === 'failed' ? 'failed' : status === 'running' ? 'running' : undefined;
}

/** Who hands over the first payload: where a backfill or a replay feeds the chain. */
function firstParty(state: ChainState): string {
  return state.handoffs[0]?.from ?? 'requester';
}

function agentId(party: string): string {
  return `a_${party.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function statusClass(status: string): string {
  if (status === 'COMPLETED') return 'completed';
  if (status === 'FAILED' || status === 'TIMED_OUT' || status === 'TERMINATED') return 'failed';
  if (status === 'RUNNING') return 'running';
  return 'other';
}

type EdgeStyle = 'solid' | 'dotted' | 'failed';

/** Just enough of a Mermaid flowchart writer: quoted, entity-escaped labels; edge styles by index. */
class Flowchart {
  private readonly lines = ['flowchart LR'];
  private readonly failedEdges: number[] = [];
  private edges = 0;
  private depth = 1;

  open(id: string, title: string): void {
    this.lines.push(`${this.indent()}subgraph ${id}[${label([title])}]`);
    this.depth += 1;
  }

  close(): void {
    this.depth -= 1;
    this.lines.push(`${this.indent()}end`);
  }

  node(id: string, text: readonly string[], cls?: string): void {
    this.lines.push(`${this.indent()}${id}[${label(text)}]${cls !== undefined ? `:::${cls}` : ''}`);
  }

  edge(from: string, to: string, text: string | readonly string[], style: EdgeStyle = 'solid'): void {
    const arrow = style === 'dotted' ? '-.->' : '-->';
    const parts = typeof text === 'string' ? [text] : text;
    this.lines.push(`${this.indent()}${from} ${arrow}${parts.join('') !== '' ? `|${label(parts)}|` : ''} ${to}`);
    if (style === 'failed') this.failedEdges.push(this.edges);
    this.edges += 1;
  }

  toString(): string {
    const styles = [
      'classDef completed fill:#e8f5e9,stroke:#2e7d32,color:#1b5e20',
      'classDef failed fill:#fde2e1,stroke:#c62828,color:#8e0000',
      'classDef running fill:#e3f2fd,stroke:#1565c0,color:#0d47a1',
      'classDef other fill:#f4f4f5,stroke:#71717a,color:#3f3f46',
      ...this.failedEdges.map((i) => `linkStyle ${i} stroke:#c62828,stroke-width:2px`),
    ];
    return `${[...this.lines, ...styles.map((s) => `  ${s}`)].join('\n')}\n`;
  }

  private indent(): string {
    return '  '.repeat(this.depth);
  }
}
