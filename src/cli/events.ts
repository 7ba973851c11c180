import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  CommandInputError,
  CommandRejectedError,
  rollbackProjection,
  sendOrderCommand,
  startProjections,
  startRebuild,
} from '../events/client.js';
import { eventStoreForCli } from '../events/config.js';
import type { EventDb } from '../events/db.js';
import { COMMAND_DATA, ORDER_COMMAND_TYPES, StreamId, type OrderCommandType } from '../events/domain.js';
import {
  isProjectionName,
  PROJECTION_NAMES,
  projectionStatus,
  type ProjectionName,
  type ProjectionStatus,
  type Until,
} from '../events/projections.js';
import { readStream } from '../events/store.js';
import { projectionRebuildWorkflowId, projectionWorkflowId } from '../identity/index.js';
import { taskQueueFromEnv } from '../temporal/connection.js';
import { printJson, withClient } from './context.js';
import { ExitCode, UsageError } from './errors.js';
import { readCheckedYaml } from './input.js';

export interface CommandOptions {
  readonly data?: string;
  readonly id?: string;
  readonly json?: boolean;
}

export interface RebuildOptions {
  readonly until?: string;
  readonly wait?: boolean;
  readonly json?: boolean;
}

function commandType(type: string): OrderCommandType {
  const found = ORDER_COMMAND_TYPES.find((t) => t === type);
  if (found === undefined) throw new UsageError(`unknown command "${type}": one of ${ORDER_COMMAND_TYPES.join(', ')}`);
  return found;
}

function projectionArg(name: string): ProjectionName {
  if (isProjectionName(name)) return name;
  throw new UsageError(`unknown projection "${name}": one of ${PROJECTION_NAMES.join(', ')}`);
}

/** `command <stream> <type> --data <file>`: checked here (exit 2), refused by the shop (exit 1), or appended. */
export async function commandCommand(stream: string, type: string, opts: CommandOptions): Promise<number> {
  if (!StreamId.safeParse(stream).success) throw new UsageError(`"${stream}" is not an order stream: order/<id>`);
  const kind = commandType(type);
  const data =
    opts.data !== undefined
      ? await readCheckedYaml<unknown>(opts.data, COMMAND_DATA[kind], {
          noun: `${kind} data`,
          valid: `valid ${kind} data`,
        })
      : {};
  return withClient(async (client) => {
    try {
      const result = await sendOrderCommand(
        client,
        stream,
        { type: kind, data },
        {
          taskQueue: taskQueueFromEnv(),
          ...(opts.id !== undefined ? { commandId: opts.id } : {}),
        },
      );
      if (opts.json) printJson(result);
      else {
        const note = result.outcome === 'duplicate' ? ' (already handled: nothing appended again)' : '';
        process.stdout.write(`${stream} ${kind} ${result.commandId}${note}\n`);
        for (const e of result.events) process.stdout.write(`  #${e.position}  v${e.version}  ${e.type}\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      if (err instanceof CommandInputError) throw new UsageError(`${kind}: ${err.message}`);
      if (!(err instanceof CommandRejectedError)) throw err;
      if (opts.json) printJson({ stream, command: kind, rejected: { type: err.type, reason: err.message } });
      process.stderr.write(`error: ${err.type}: ${err.message}\n`);
      return err.type === 'ContractViolation' ? ExitCode.Usage : ExitCode.WorkflowFailed;
    }
  });
}

async function withStore<T>(fn: (db: EventDb) => Promise<T>): Promise<T> {
  const db = await eventStoreForCli();
  if (db === undefined)
    throw new UsageError(
      'no event store: set EVENT_STORE_URL, or run a worker on this host (its embedded store is found under OUT_DIR)',
    );
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** `events <stream>`. */
export async function eventsCommand(stream: string, opts: { json?: boolean }): Promise<number> {
  if (!StreamId.safeParse(stream).success) throw new UsageError(`"${stream}" is not an order stream: order/<id>`);
  return withStore(async (db) => {
    const events = await readStream(db, stream);
    if (opts.json) printJson(events);
    else if (events.length === 0) process.stdout.write(`${stream}: no events\n`);
    else
      for (const e of events)
        process.stdout.write(
          `#${e.position}  v${e.version}  ${e.recordedAt}  ${e.type}  ${JSON.stringify(e.event.data)}  (command ${e.metadata.commandId})\n`,
        );
    return ExitCode.Ok;
  });
}

function statusLine(s: ProjectionStatus): string {
  return `${s.name.padEnd(14)} v${s.serving} serving · checkpoint ${s.checkpoint} of ${s.head} · lag ${s.lagEvents} events, ${s.lagSeconds.toFixed(1)} s`;
}

/** `projection list`. */
export async function projectionListCommand(opts: { json?: boolean }): Promise<number> {
  return withStore(async (db) => {
    const all = await Promise.all(PROJECTION_NAMES.map((n) => projectionStatus(db, n)));
    if (opts.json) printJson(all);
    else for (const s of all) process.stdout.write(`${statusLine(s)}\n`);
    return ExitCode.Ok;
  });
}

/** `projection status <name> [--watch]`. */
export async function projectionStatusCommand(
  name: string,
  opts: { json?: boolean; watch?: boolean },
): Promise<number> {
  const projection = projectionArg(name);
  return withStore(async (db) => {
    const print = async (): Promise<void> => {
      const s = await projectionStatus(db, projection);
      if (opts.json) return printJson(s);
      process.stdout.write(`${statusLine(s)}\n`);
      for (const v of s.versions)
        process.stdout.write(
          `  v${v.version}  ${v.state.padEnd(8)} checkpoint ${v.checkpoint}${v.streamPass !== undefined ? ` (stream pass: ${v.streamPass.events} events folded of those up to position ${v.streamPass.until})` : ''}${v.untilPosition !== null ? ` (as of position ${v.untilPosition})` : ''}${v.rebuildId !== null ? `  rebuild ${v.rebuildId}` : ''}\n`,
        );
    };
    await print();
    if (!opts.watch) return ExitCode.Ok;
    await withClient(async (client) => {
      const handle = client.workflow.getHandle(projectionRebuildWorkflowId(projection));
      const running = (): Promise<boolean> =>
        handle.describe().then(
          (d) => d.status.name === 'RUNNING',
          (err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return false;
            throw err;
          },
        );
      // Asked before each print, so the last block printed is the state once the rebuild has ended.
      for (let more = await running(); more;) {
        await sleep(1000);
        more = await running();
        await print();
      }
    });
    return ExitCode.Ok;
  });
}

/** `projection start`. */
export async function projectionStartCommand(): Promise<number> {
  return withClient(async (client) => {
    await startProjections(client, { taskQueue: taskQueueFromEnv() });
    for (const name of PROJECTION_NAMES) process.stdout.write(`${projectionWorkflowId(name)} running\n`);
    return ExitCode.Ok;
  });
}

function untilArg(value: string): Until {
  if (/^\d+$/.test(value)) return { position: Number(value) };
  if (Number.isNaN(Date.parse(value)))
    throw new UsageError(`--until "${value}": expected an event position (digits) or a time (2026-11-01T12:00:00Z)`);
  return { time: new Date(Date.parse(value)).toISOString() };
}

/** `projection rebuild <name> [--until] [--wait]`. */
export async function projectionRebuildCommand(name: string, opts: RebuildOptions): Promise<number> {
  const projection = projectionArg(name);
  const until = opts.until !== undefined ? untilArg(opts.until) : undefined;
  return withClient(async (client) => {
    const handle = await startRebuild(client, projection, {
      taskQueue: taskQueueFromEnv(),
      ...(until !== undefined ? { until } : {}),
    });
    if (!opts.wait) {
      if (opts.json) printJson({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
      else
        process.stdout.write(`${handle.workflowId} started; follow it with: projection status ${projection} --watch\n`);
      return ExitCode.Ok;
    }
    const result = await handle.result();
    if (opts.json) printJson(result);
    else if (result.swap !== undefined)
      process.stdout.write(
        `${projection}: v${result.version} serves (was v${result.swap.previous ?? '-'}), ${result.applied + result.swap.caughtUp} events replayed by ${result.batches} batch ${result.batches === 1 ? 'activity' : 'activities'}\n`,
      );
    else
      process.stdout.write(
        `${projection}: v${result.version} built as of position ${result.untilPosition}; read it as rm.${projection}_v${result.version}\n`,
      );
    return ExitCode.Ok;
  });
}

/** `projection rollback <name>`. */
export async function projectionRollbackCommand(name: string, opts: { json?: boolean }): Promise<number> {
  const projection = projectionArg(name);
  return withClient(async (client) => {
    try {
      const swap = await rollbackProjection(client, projection);
      if (opts.json) printJson(swap);
      else process.stdout.write(`${projection}: v${swap.serving} serves again (was v${swap.previous ?? '-'})\n`);
      return ExitCode.Ok;
    } catch (err) {
      if (!(err instanceof CommandRejectedError)) throw err;
      process.stderr.write(`error: ${err.type}: ${err.message}\n`);
      return ExitCode.WorkflowFailed;
    }
  });
}
