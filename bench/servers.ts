import { startCluster } from '../src/cluster/cluster.js';
import { TOPOLOGY } from '../src/cluster/topology.js';
import { localTarget } from '../src/temporal/connection.js';
import { resolveServer, type ResolvedServer } from '../src/temporal/devserver.js';

/** The servers a benchmark runs on, one after the other: the dev server (SQLite) and the cluster (PostgreSQL). */
export type ServerKind = 'dev' | 'cluster';

/** `--server dev|cluster|both` → the kinds, in the order they run. */
export function serverKinds(flag: string): ServerKind[] {
  if (flag === 'both') return ['dev', 'cluster'];
  if (flag === 'dev' || flag === 'cluster') return [flag];
  throw new Error(`--server: expected dev, cluster or both, got ${flag}`);
}

/**
 * `dev`: the server the tests use (TEMPORAL_ADDRESS if set, else a dev server); `cluster`: a fresh single-node
 * `npm run cluster` topology (Temporal Server on a private PostgreSQL, no UI), stopped with `stop()`.
 */
export async function startBenchServer(kind: ServerKind): Promise<ResolvedServer & { readonly label: string }> {
  const log = (line: string): void => console.log(`[${kind}] ${line}`);
  if (kind === 'dev') {
    const server = await resolveServer({ log });
    return { ...server, label: server.source === 'TEMPORAL_ADDRESS' ? 'TEMPORAL_ADDRESS' : 'dev server (SQLite)' };
  }
  const cluster = await startCluster({ ui: false, log });
  return {
    target: localTarget(cluster.address, cluster.namespace),
    source: 'cluster',
    label: `cluster (Server ${TOPOLOGY.server.version}, PostgreSQL)`,
    stop: () => cluster.stop(),
  };
}
