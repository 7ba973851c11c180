import { spawn, type ChildProcess } from 'node:child_process';
import { inject } from 'vitest';
import { ROOT } from './cli-process.js';

/** A worker process started as a user or a supervisor starts it, in its own process group. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything the process group wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code of the process started (npm, or node). */
  readonly exited: Promise<number | null>;
  /** Whether any process of the group is still alive. */
  groupAlive(): boolean;
  /** SIGKILL to the whole group; safe to call twice. */
  killGroup(): void;
}

/**
 * Starts `npm run worker` (`how: 'npm'`) or `node dist/worker.js` (`how: 'node'`) against the test server.
 * The compiled worker is what ships, so tests run it, not the sources (`npm test` builds first).
 */
export function startWorkerProcess(env: Record<string, string>, how: 'npm' | 'node' = 'node'): WorkerProcess {
  const [command, args] =
    how === 'npm' ? ['npm', ['run', '--silent', 'worker']] : [process.execPath, ['dist/worker.js']];
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), NPM_CONFIG_UPDATE_NOTIFIER: 'false', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const pgid = child.pid;
  const groupAlive = (): boolean => {
    if (pgid === undefined) return false;
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  return {
    child,
    output: () => text,
    exited,
    groupAlive,
    killGroup: () => {
      if (pgid !== undefined && groupAlive()) process.kill(-pgid, 'SIGKILL');
    },
  };
}
