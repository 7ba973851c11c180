import type { Command } from 'commander';

/** backfill, replay, schedule: running flows over many partitions and times. Actions import their modules on use. */
export function registerOpsCommands(cmd: Command): void {
  void cmd;
}
