import type { Command } from 'commander';

/** list, handoffs, diff, lineage, export: reading chains back. Actions import their modules on use. */
export function registerInspectCommands(cmd: Command): void {
  void cmd;
}
