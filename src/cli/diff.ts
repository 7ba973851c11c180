import { diffPayloads, formatChanges, type PayloadChange } from '../diff.js';
import type { HandoffRecord } from '../workflows/chain.js';
import { ExitCode } from './errors.js';
import { loadChain, requireState, type LoadedChain } from './load-chain.js';
import { printJson, withClient } from './context.js';

/** The differences at one step of two chains. */
export interface HandoffDiff {
  readonly step: number;
  readonly a?: string;
  readonly b?: string;
  readonly input: PayloadChange[];
  readonly output: PayloadChange[];
}

/**
 * `diff <a> <b>`: per handoff, the field-level differences between what two chains handed over and got back,
 * e.g. a replay against its original, or one partition against another.
 */
export async function diffCommand(idA: string, idB: string, options: { json?: boolean }): Promise<number> {
  return withClient(async (client) => {
    const a = await loadChain(client, idA);
    const b = await loadChain(client, idB);
    const handoffs = diffChains(a, b);
    const same = handoffs.every((h) => h.a === h.b && h.input.length === 0 && h.output.length === 0);
    if (options.json === true) {
      printJson({ a: side(a), b: side(b), identical: same, handoffs });
      return ExitCode.Ok;
    }
    const lines = [`a: ${header(a)}`, `b: ${header(b)}`];
    for (const h of handoffs) {
      lines.push('', `step ${h.step}: ${h.a === h.b ? h.a : `${h.a ?? '(none)'} | ${h.b ?? '(none)'}`}`);
      lines.push(...section('input', h.input), ...section('output', h.output));
    }
    if (same) lines.push('', 'no differences');
    console.log(lines.join('\n'));
    return ExitCode.Ok;
  });
}

/** Step by step, what differs between the handoffs of `a` and `b`; a step only one has differs in full. */
export function diffChains(a: LoadedChain, b: LoadedChain): HandoffDiff[] {
  const ha = requireState(a).handoffs;
  const hb = requireState(b).handoffs;
  const out: HandoffDiff[] = [];
  for (let i = 0; i < Math.max(ha.length, hb.length); i += 1) {
    const x = ha[i];
    const y = hb[i];
    out.push({
      step: i + 1,
      ...(x !== undefined ? { a: describe(x) } : {}),
      ...(y !== undefined ? { b: describe(y) } : {}),
      input: diffPayloads(x?.input, y?.input),
      output: diffPayloads(x?.output, y?.output),
    });
  }
  return out;
}

function describe(h: HandoffRecord): string {
  const error = h.error !== undefined ? ` ${h.error.type}` : '';
  return `${h.from} → ${h.to} (${h.inputContract} → ${h.replyContract}) ${h.status}${error}`;
}

function section(name: string, changes: readonly PayloadChange[]): string[] {
  if (changes.length === 0) return [`  ${name}: same`];
  return [`  ${name}:`, ...formatChanges(changes).map((l) => `    ${l}`)];
}

function header(c: LoadedChain): string {
  const state = c.outcome.state;
  const partition = state?.partition !== undefined ? ` · ${state.partition}` : '';
  return `${c.workflowId} (${state?.flow ?? c.description.type}${partition}) ${c.outcome.status}`;
}

function side(c: LoadedChain): Record<string, unknown> {
  return { workflowId: c.workflowId, runId: c.runId, flow: c.outcome.state?.flow, status: c.outcome.status };
}
