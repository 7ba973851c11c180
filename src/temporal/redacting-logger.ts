import { ApplicationFailure, type LogLevel, type LogMetadata, type Logger } from '@temporalio/common';

/**
 * With encryption on, failure messages carry agents' error bodies and payload fragments that history keeps
 * encrypted; the SDK would still print them in its `Activity failed` and workflow-task lines. This logger keeps
 * those lines (level, type, ids, timings) and replaces each error's message and stack with a pointer to the
 * encrypted history, where an authorized reader sees them through the codec server.
 */
export class RedactingLogger implements Logger {
  constructor(private readonly inner: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): unknown {
    return this.inner.log(level, message, meta === undefined ? undefined : redactMeta(meta));
  }
  trace(message: string, meta?: LogMetadata): unknown {
    return this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): unknown {
    return this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): unknown {
    return this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): unknown {
    return this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): unknown {
    return this.log('ERROR', message, meta);
  }
}

export const REDACTED = '[redacted: encrypted in history]';

function redactMeta(meta: LogMetadata): LogMetadata {
  return Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, v instanceof Error ? redactError(v) : v]));
}

function redactError(err: Error): Record<string, unknown> {
  return {
    name: err.name,
    ...(err instanceof ApplicationFailure && err.type !== undefined && err.type !== null ? { type: err.type } : {}),
    message: REDACTED,
    ...(err.cause instanceof Error ? { cause: redactError(err.cause) } : {}),
  };
}
