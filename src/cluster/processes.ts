import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A process of the topology, in its own process group, its output appended to a log file. */
export interface Supervised {
  readonly name: string;
  readonly pid: number;
  readonly log: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** The signal to the whole group, then SIGKILL to the group after `graceMs`; resolves once it exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** kill -9 to the whole group, at once, and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `command args` detached (a process group of its own), stdout and stderr to `log`. */
export function supervise(name: string, command: string, args: readonly string[], log: string): Supervised {
  const out = createWriteStream(log, { flags: 'a' });
  const child: ChildProcess = spawn(command, [...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  // Two sources, one file: neither may end it; it ends once the child's output has all been read.
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.once('close', () => out.end());
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.once('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const alive = (): boolean => child.exitCode === null && child.signalCode === null;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // the group is gone
    }
  };
  return {
    name,
    pid,
    log,
    alive,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      if (alive()) {
        signalGroup(signal);
        if ((await Promise.race([exited.then(() => true), sleep(graceMs, false)])) === false) signalGroup('SIGKILL');
        await exited;
      }
      // Whatever the leader left in its group (runuser's postgres, say) goes with it.
      signalGroup('SIGKILL');
    },
    async kill() {
      signalGroup('SIGKILL');
      await exited;
    },
  };
}

/** Polls `check` until it resolves true, failing with `what` (and the process's log path) after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  process?: Supervised,
  timeoutMs = 120_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (process !== undefined && !process.alive()) throw new Error(`${process.name} exited; see ${process.log}`);
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}${process !== undefined ? `; see ${process.log}` : ''}`);
    }
    await sleep(250);
  }
}
