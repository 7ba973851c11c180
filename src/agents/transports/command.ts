import { spawn } from 'node:child_process';
import { parse, stringify } from 'yaml';
import { FailureType } from '../../identity/index.js';
import { HandoffError, type Transport } from '../transport.js';

export interface CommandTransportOptions {
  readonly agent: string;
  readonly command: readonly string[];
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** YAML (default) or JSON, on stdin and stdout alike. */
  readonly format?: 'yaml' | 'json';
}

/** sysexits' EX_DATAERR: the agent refuses this input. */
export const EX_DATAERR = 65;

/**
 * Runs the command without a shell: the payload as YAML (or JSON, `format: json`) on stdin, the envelope's
 * other fields as STREAM_COLLAB_* variables, the reply in the same format on stdout. Exit 65 → rejected;
 * another non-zero exit or a signal → retried; still running at the timeout → killed and retried.
 */
export function commandTransport(options: CommandTransportOptions): Transport {
  const format = options.format ?? 'yaml';
  return (envelope, ctx) =>
    new Promise((resolve, reject) => {
      const [program, ...args] = options.command;
      if (program === undefined) throw new Error('command binding without a program');
      const child = spawn(program, args, {
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: {
          ...process.env,
          ...options.env,
          STREAM_COLLAB_CHAIN_ID: envelope.chain_id,
          STREAM_COLLAB_FLOW: envelope.flow,
          STREAM_COLLAB_STEP: String(envelope.step),
          STREAM_COLLAB_FROM: envelope.from,
          STREAM_COLLAB_TO: envelope.to,
          STREAM_COLLAB_PARTITION: envelope.partition ?? '',
          STREAM_COLLAB_INPUT_CONTRACT: envelope.input_contract,
          STREAM_COLLAB_REPLY_CONTRACT: envelope.reply_contract,
          STREAM_COLLAB_IDEMPOTENCY_KEY: ctx.idempotencyKey,
          STREAM_COLLAB_ATTEMPT: String(ctx.attempt),
          STREAM_COLLAB_FORMAT: format,
        },
      });
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let timedOut = false;
      const kill = (): void => {
        child.kill('SIGKILL');
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, ctx.timeoutMs);
      ctx.signal.addEventListener('abort', kill, { once: true });
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      // A command that exits without reading stdin makes the write fail with EPIPE; its exit code decides.
      child.stdin.on('error', () => undefined);
      child.stdin.end(format === 'json' ? `${JSON.stringify(envelope.payload)}\n` : stringify(envelope.payload));
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(
          new HandoffError(
            FailureType.AgentUnavailable,
            `${options.agent}: cannot run ${program}: ${err.message}`,
            true,
          ),
        );
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        ctx.signal.removeEventListener('abort', kill);
        const errText = tail(Buffer.concat(stderr).toString('utf8'));
        if (ctx.signal.aborted)
          return reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('cancelled'));
        if (timedOut) {
          return reject(
            new HandoffError(
              FailureType.AgentTimeout,
              `${options.agent} did not finish within ${ctx.timeoutMs} ms (killed)`,
              true,
            ),
          );
        }
        if (code === EX_DATAERR) {
          return reject(
            new HandoffError(
              FailureType.AgentRejected,
              `${options.agent} rejected the handoff (exit 65): ${errText}`,
              false,
            ),
          );
        }
        if (code !== 0) {
          const how = signal !== null ? `was killed by ${signal}` : `exited ${String(code)}`;
          return reject(new HandoffError(FailureType.AgentUnavailable, `${options.agent} ${how}: ${errText}`, true));
        }
        const out = Buffer.concat(stdout).toString('utf8');
        try {
          return resolve(format === 'json' ? parseJson(out) : (parse(out) as unknown));
        } catch (err) {
          return reject(
            new HandoffError(
              FailureType.InvalidAgentOutput,
              `${options.agent} printed something that is not ${format === 'json' ? 'JSON' : 'YAML'}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
              false,
            ),
          );
        }
      });
    });
}

/** JSON.parse, typed as what it is: unknown until a contract checks it. */
function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

function tail(text: string): string {
  const flat = text.trim();
  if (flat === '') return '(nothing on stderr)';
  return flat.length > 500 ? `...${flat.slice(-497)}` : flat;
}
