import type { Command } from 'commander';
import type { CommandOptions, RebuildOptions } from './events.js';

/**
 * Event sourcing: `command`, `events`, `projection list|status|start|rebuild|rollback`. The event store is
 * EVENT_STORE_URL, or the embedded one a worker on this host serves (found under OUT_DIR). Actions import their
 * module on use.
 */
export function registerEventCommands(cmd: Command): void {
  cmd
    .command('command <stream> <type>')
    .description(
      'send a command to an order (e.g. order/1042 PlaceOrder): prints the events it appended with their positions; exit 1 if the shop refuses it, 2 if it is malformed',
    )
    .option('-d, --data <file>', "the command's data, as YAML (ShipOrder needs none)")
    .option('--id <commandId>', 'the command id: sent again with the same id, it appends nothing (default: a new UUID)')
    .option('--json', 'print JSON')
    .action(async (stream: string, type: string, opts: CommandOptions) => {
      process.exitCode = await (await import('./events.js')).commandCommand(stream, type, opts);
    });
  cmd
    .command('events <stream>')
    .description("an order's event stream: position, version, type, data, command id")
    .option('--json', 'print JSON')
    .action(async (stream: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./events.js')).eventsCommand(stream, opts);
    });
  const projection = cmd.command('projection').description('the read models folded from the event store');
  projection
    .command('list')
    .description('each projection: serving version, checkpoint, lag behind the store')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      process.exitCode = await (await import('./events.js')).projectionListCommand(opts);
    });
  projection
    .command('status <name>')
    .description('one projection: its versions, checkpoint and lag; --watch follows it while a rebuild runs')
    .option('--watch', 'print it every second until no rebuild of it runs')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean; watch?: boolean }) => {
      process.exitCode = await (await import('./events.js')).projectionStatusCommand(name, opts);
    });
  projection
    .command('start')
    .description('start the projection workflows that are not running (they follow the store from then on)')
    .action(async () => {
      process.exitCode = await (await import('./events.js')).projectionStartCommand();
    });
  projection
    .command('rebuild <name>')
    .description(
      'replay the store from position 0 into a new version while the current one serves, then swap atomically; with --until, build it as of a past point and keep it aside',
    )
    .option('--until <positionOrTime>', 'an event position, or a time (2026-11-01T12:00:00Z)')
    .option('--wait', 'wait for the rebuild and print what it did')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: RebuildOptions) => {
      process.exitCode = await (await import('./events.js')).projectionRebuildCommand(name, opts);
    });
  projection
    .command('rollback <name>')
    .description('serve the previous version again (caught up first, in the same transaction)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      process.exitCode = await (await import('./events.js')).projectionRollbackCommand(name, opts);
    });
}
