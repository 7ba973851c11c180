import type { ChainInput } from './chain.js';

/**
 * The chain code our starters write into {@link ChainInput.code}: search attributes set by the starter,
 * failed data-quality checks fail the chain, `local: true` handoffs run as local activities. Raise it (and keep
 * the branches of the older values) when a change would alter the commands of a chain started with it.
 */
export const CHAIN_CODE = 4;

/** A chain's input as our starters write it: stamped with {@link CHAIN_CODE}. */
export function chainInput(
  payload: Record<string, unknown>,
  options: Omit<ChainInput, 'payload' | 'code'> = {},
): ChainInput {
  return { payload, ...options, code: CHAIN_CODE };
}
