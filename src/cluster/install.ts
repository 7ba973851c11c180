import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TOPOLOGY } from './topology.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Everything `npm run cluster` builds and writes: git-ignored, project-local. */
export const CLUSTER_DIR = join(ROOT, '.cluster');
const BIN_DIR = join(CLUSTER_DIR, 'bin');
const STAMP = join(BIN_DIR, 'versions.json');

/** The binaries and schema files of the topology, once installed. */
export const CLUSTER_BIN = {
  server: join(BIN_DIR, 'temporal-server'),
  sqlTool: join(BIN_DIR, 'temporal-sql-tool'),
  uiServer: join(BIN_DIR, 'temporal-ui-server'),
  /** schema/postgresql/v12 of the server module, copied out of the Go module cache. */
  schema: join(CLUSTER_DIR, TOPOLOGY.server.schema.dir),
} as const;

/** What the installed binaries were built from; a different stamp means a rebuild. */
function wantedStamp(): string {
  const { server, ui, goToolchain } = TOPOLOGY;
  return JSON.stringify({ server: server.version, ui: ui.version, go: goToolchain }, null, 2) + '\n';
}

/** Whether the binaries of this topology's versions are there. */
export function clusterInstalled(): boolean {
  if (!existsSync(STAMP) || readFileSync(STAMP, 'utf8') !== wantedStamp()) return false;
  return Object.values(CLUSTER_BIN).every((path) => existsSync(path));
}

/**
 * Builds Temporal Server, temporal-sql-tool and the UI server from the Go module proxy into .cluster/bin (with
 * the pinned Go toolchain, which the proxy serves) and copies the server's PostgreSQL schemas next to them.
 * Skips all of it when the version stamp matches. Needs `go` on PATH.
 */
export async function installCluster(log: (line: string) => void = console.log): Promise<void> {
  if (clusterInstalled()) {
    log(`cluster binaries: ${BIN_DIR} (server ${TOPOLOGY.server.version}, UI ${TOPOLOGY.ui.version}, already built)`);
    return;
  }
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.error !== undefined || go.status !== 0) {
    throw new Error('building the cluster needs Go (https://go.dev/dl/); `go version` failed');
  }
  const started = Date.now();
  const build = join(CLUSTER_DIR, 'build');
  rmSync(build, { recursive: true, force: true });
  rmSync(STAMP, { force: true });
  const { server, ui } = TOPOLOGY;
  log(`building Temporal Server ${server.version}, temporal-sql-tool and UI server ${ui.version} into ${BIN_DIR}`);
  // Both at once: separate modules need separate `go install`s, and each alone leaves a core idle at times.
  await Promise.all([
    goInstall(join(build, 'server'), [
      `${server.module}/cmd/server@v${server.version}`,
      `${server.module}/cmd/tools/sql@v${server.version}`,
    ]),
    goInstall(join(build, 'ui'), [`${ui.module}/cmd/server@v${ui.version}`]),
  ]);
  mkdirSync(BIN_DIR, { recursive: true });
  renameSync(join(build, 'server', 'server'), CLUSTER_BIN.server);
  renameSync(join(build, 'server', 'sql'), CLUSTER_BIN.sqlTool);
  renameSync(join(build, 'ui', 'server'), CLUSTER_BIN.uiServer);
  rmSync(build, { recursive: true, force: true });

  const modCache = goEnv('GOMODCACHE');
  const source = join(modCache, `${server.module}@v${server.version}`, server.schema.dir);
  rmSync(CLUSTER_BIN.schema, { recursive: true, force: true });
  cpSync(source, CLUSTER_BIN.schema, { recursive: true });
  writeFileSync(STAMP, wantedStamp());
  log(`built in ${Math.round((Date.now() - started) / 1000)} s`);
}

function goInstall(gobin: string, packages: string[]): Promise<void> {
  mkdirSync(gobin, { recursive: true });
  const env = { ...process.env, GOBIN: gobin, GOTOOLCHAIN: TOPOLOGY.goToolchain, GOFLAGS: '-trimpath' };
  return new Promise((ok, fail) => {
    const child = spawn('go', ['install', ...packages], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`go install ${packages.join(' ')} failed (exit ${String(code)})`)),
    );
  });
}

function goEnv(name: string): string {
  const result = spawnSync('go', ['env', name], {
    encoding: 'utf8',
    env: { ...process.env, GOTOOLCHAIN: TOPOLOGY.goToolchain },
  });
  const value = result.stdout.trim();
  if (result.status !== 0 || value === '') throw new Error(`go env ${name} failed: ${result.stderr}`);
  return value;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installCluster().catch((err: unknown) => {
    console.error(`cluster install: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
