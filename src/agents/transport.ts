import type { FailureType } from '../identity/index.js';
import type { AgentName, ContractName, FlowName, Party } from '../flows.js';

/**
 * What every agent receives, whatever its transport. HTTP agents get it as the JSON body; command agents get
 * `payload` as YAML on stdin and the rest as STREAM_COLLAB_* environment variables.
 */
export interface Envelope {
  readonly chain_id: string;
  readonly flow: FlowName;
  readonly step: number;
  readonly from: Party;
  readonly to: AgentName;
  readonly partition?: string;
  /** Contract `payload` satisfies, and the contract the reply must satisfy. */
  readonly input_contract: ContractName;
  readonly reply_contract: ContractName;
  readonly payload: Record<string, unknown>;
}

export interface CallContext {
  /** Aborted when the activity is cancelled or its timeout passes. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** Stable across retries of one handoff. */
  readonly idempotencyKey: string;
  readonly attempt: number;
}

/** Delivers one envelope and returns the agent's raw reply, still to be checked against its contract. */
export type Transport = (envelope: Envelope, ctx: CallContext) => Promise<unknown>;

/** A classified transport failure; the activity turns it into a typed ApplicationFailure. */
export class HandoffError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
    readonly retryable: boolean,
    readonly extra: {
      readonly nextRetryDelayMs?: number;
      readonly status?: number;
      readonly issues?: readonly { path: string; message: string }[];
    } = {},
  ) {
    super(message);
    this.name = 'HandoffError';
  }
}
