import type { ChainInput } from './chain.js';

/**
 * Chain code 4: search attributes set by the starter, failed data-quality checks fail the chain, `local: true`
 * handoffs run as local activities, all without asking `patched()`.
 */
export const CODE_NO_PATCHES = 4;
/** Chain code 5: `StreamStep` is set once, to the handoff the chain failed at, instead of at every step. */
export const CODE_STEP_ON_FAILURE = 5;

/**
 * The chain code our starters write into {@link ChainInput.code}. Raise it (and keep the branches of the older
 * values) when a change would alter the commands of a chain started with it.
 */
export const CHAIN_CODE = CODE_STEP_ON_FAILURE;

/** A chain's input as our starters write it: stamped with {@link CHAIN_CODE}. */
export function chainInput(
  payload: Record<string, unknown>,
  options: Omit<ChainInput, 'payload' | 'code'> = {},
): ChainInput {
  return { payload, ...options, code: CHAIN_CODE };
}
