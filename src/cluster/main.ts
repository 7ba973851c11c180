import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startCluster } from './cluster.js';
import { TOPOLOGY } from './topology.js';

/**
 * `npm run cluster [-- --nodes 2] [--ui off] [--write-env <file>]`: the production topology on this machine,
 * without Docker — builds (once) and starts PostgreSQL, Temporal Server and its UI as docker-compose.yml describes
 * them, prints the addresses, and stops everything on Ctrl-C (SIGINT) or SIGTERM. `--write-env` also writes the
 * addresses as `NAME=value` lines, for scripts (.ci/run).
 */
const FLAGS = {
  nodes: { type: 'string', default: '1' },
  ui: { type: 'string', default: 'on' },
  'write-env': { type: 'string' },
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: FLAGS, strict: true, allowPositionals: false });
  const nodes = Number(values.nodes);
  if (!Number.isInteger(nodes) || nodes < 1)
    throw new UsageError(`--nodes: expected an integer ≥ 1, got ${values.nodes}`);
  if (values.ui !== 'on' && values.ui !== 'off') throw new UsageError(`--ui: expected on or off, got ${values.ui}`);
  const log = (line: string): void => console.log(`[cluster] ${line}`);
  const started = Date.now();
  const cluster = await startCluster({ nodes, ui: values.ui === 'on', defaultPorts: true, log });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): void => {
    stopping ??= (async () => {
      log(`${signal}: stopping the UI server, ${nodes} server node(s) and PostgreSQL`);
      await cluster.stop();
      log('stopped');
      // Open handles of the gRPC and pg clients would otherwise keep the process alive after its children are gone.
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const env = {
    TEMPORAL_ADDRESS: cluster.address,
    TEMPORAL_NAMESPACE: cluster.namespace,
    ...(cluster.uiUrl !== undefined ? { TEMPORAL_UI_URL: cluster.uiUrl } : {}),
  };
  if (values['write-env'] !== undefined) {
    writeFileSync(
      values['write-env'],
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
  }
  console.log(
    [
      `Temporal Server ${TOPOLOGY.server.version} on PostgreSQL, ${nodes} node(s), up in ${((Date.now() - started) / 1000).toFixed(1)} s:`,
      ...cluster.nodes.map((n) => `  node ${n.index}: frontend ${n.address} (pid ${n.process.pid})`),
      `  PostgreSQL:  127.0.0.1:${cluster.postgresPort} (user ${TOPOLOGY.database.user})`,
      ...(cluster.uiUrl !== undefined ? [`  Web UI:      ${cluster.uiUrl} (UI server ${TOPOLOGY.ui.version})`] : []),
      `  configs and logs: ${cluster.dir}`,
      '',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${v}`),
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

class UsageError extends Error {}

main().catch((err: unknown) => {
  console.error(`cluster: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
