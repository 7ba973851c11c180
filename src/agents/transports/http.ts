import { FailureType } from '../../identity/index.js';
import { HandoffError, type Transport } from '../transport.js';
import { field } from '../../field.js';

export interface HttpTransportOptions {
  readonly agent: string;
  readonly url: string;
  /** The bearer token, read from the environment by the caller; never logged or recorded. */
  readonly token?: string;
}

const REJECTED = new Set([400, 409, 422]);

/**
 * POSTs the envelope as JSON. 2xx → the JSON body is the reply; 400/409/422 → rejected, not retried;
 * 408/429/5xx, resets and timeouts → retried, honouring Retry-After; any other status → rejected.
 */
export function httpTransport(options: HttpTransportOptions): Transport {
  return async (envelope, ctx) => {
    const timeout = AbortSignal.timeout(ctx.timeoutMs);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'idempotency-key': ctx.idempotencyKey,
    };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    let response: Response;
    let body: string;
    try {
      response = await fetch(options.url, {
        method: 'POST',
        headers,
        body: JSON.stringify(envelope),
        signal: AbortSignal.any([ctx.signal, timeout]),
      });
      body = await response.text();
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      if (timeout.aborted) {
        throw new HandoffError(
          FailureType.AgentTimeout,
          `${options.agent} did not answer within ${ctx.timeoutMs} ms`,
          true,
        );
      }
      throw new HandoffError(
        FailureType.AgentUnavailable,
        `${options.agent} at ${options.url}: ${describeNetworkError(err)}`,
        true,
      );
    }
    const status = response.status;
    if (status >= 200 && status < 300) {
      try {
        return parseJson(body);
      } catch {
        throw new HandoffError(
          FailureType.InvalidAgentOutput,
          `${options.agent} answered ${status} with a body that is not JSON: ${excerpt(body)}`,
          false,
          { status },
        );
      }
    }
    if (status === 408 || status === 429 || status >= 500) {
      const delay = retryAfterMs(response.headers.get('retry-after'));
      throw new HandoffError(
        FailureType.AgentUnavailable,
        `${options.agent} answered ${status}${delay !== undefined ? ` (Retry-After ${Math.round(delay / 1000)}s)` : ''}: ${excerpt(body)}`,
        true,
        { status, ...(delay !== undefined ? { nextRetryDelayMs: delay } : {}) },
      );
    }
    const reason = REJECTED.has(status) ? 'rejected the handoff' : 'refused the request';
    throw new HandoffError(
      FailureType.AgentRejected,
      `${options.agent} ${reason} with ${status}: ${excerpt(body)}`,
      false,
      { status },
    );
  };
}

/** JSON.parse, typed as what it is: unknown until a contract checks it. */
function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** Retry-After as delay-seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function describeNetworkError(err: unknown): string {
  const cause: unknown = err instanceof Error ? err.cause : undefined;
  const code = field(cause, 'code');
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code} (${message})` : message;
}

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty body)';
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}
