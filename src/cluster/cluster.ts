import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { stringify } from 'yaml';
import { ensureSearchAttributes } from '../temporal/search-attributes.js';
import { CLUSTER_BIN, installCluster } from './install.js';
import { startPostgres, type ClusterPostgres } from './postgres.js';
import { supervise, waitFor, type Supervised } from './processes.js';
import { TOPOLOGY } from './topology.js';

export interface ClusterOptions {
  /** Server processes, each running every service, in one cluster over one database (default 1). */
  readonly nodes?: number;
  /**
   * History shards (default the topology's 4). With 4, consistent hashing can give every shard to one of two nodes
   * (seen in about 1 run of 8); a test that needs both nodes to own shards asks for more.
   */
  readonly historyShards?: number;
  /** Start the Web UI server too (default true). */
  readonly ui?: boolean;
  /** Take the topology's ports (7233, 8233) when they are free, as `npm run cluster` does; else free ports. */
  readonly defaultPorts?: boolean;
  readonly log?: (line: string) => void;
}

/** One Temporal Server process of the cluster. */
export interface ClusterNode {
  readonly index: number;
  /** Its frontend, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly process: Supervised;
}

/** A member of the cluster as its database records it (`cluster_membership`), heartbeating now. */
export interface Member {
  readonly role: string;
  readonly address: string;
}

export interface RunningCluster {
  /** The first node's frontend: what clients, workers and the UI dial. */
  readonly address: string;
  readonly namespace: string;
  readonly uiUrl?: string;
  readonly nodes: readonly ClusterNode[];
  readonly postgresPort: number;
  /** Where the configs and logs are (removed by `stop()`). */
  readonly dir: string;
  /** The live members of the ring, from the database. */
  members(): Promise<Member[]>;
  /** Which node owns each history shard now, by the owner the shard's record names (its history service). */
  shardOwners(): Promise<Map<number, number | undefined>>;
  /** Starts a node that died (or was killed) again, on its ports, and waits until it is back in every ring. */
  restartNode(index: number): Promise<void>;
  /** Stops the UI, the nodes and PostgreSQL, each as a process group, and removes `dir`. */
  stop(): Promise<void>;
}

/** Temporal's service roles (membership ring ids in `cluster_membership.role`). */
const ROLES = new Map([
  [1, 'frontend'],
  [2, 'history'],
  [3, 'matching'],
  [4, 'worker'],
]);

/**
 * The topology of src/cluster/topology.ts on this machine: a private PostgreSQL, the two databases created and
 * migrated with temporal-sql-tool, `nodes` Temporal Server processes (one cluster, Temporal's membership over
 * the database), the namespace with its retention and search attributes, and the UI server. If anything fails
 * to start, what did start is stopped before the error is thrown.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<RunningCluster> {
  const log = options.log ?? (() => undefined);
  const count = options.nodes ?? 1;
  await installCluster(log);
  const dir = await mkdtemp(join(tmpdir(), 'stream-collab-cluster-'));
  // PostgreSQL's data folder inside is owned by the unprivileged `postgres` user, who must be able to reach it.
  await chmod(dir, 0o711);
  let postgres: ClusterPostgres | undefined;
  const nodes: ClusterNode[] = [];
  let ui: Supervised | undefined;
  const stopAll = async (): Promise<void> => {
    await ui?.stop();
    await Promise.all(nodes.map((n) => n.process.stop()));
    // SIGINT is PostgreSQL's fast shutdown.
    await postgres?.process.stop('SIGINT');
  };
  try {
    postgres = await startPostgres(join(dir, 'pg'), join(dir, 'postgres.log'));
    const pgPort = postgres.port;
    await setupSchema(pgPort, log);
    log(`PostgreSQL 15 on 127.0.0.1:${pgPort}, databases ${TOPOLOGY.database.databases.join(', ')} migrated`);

    const dynamicConfig = join(dir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfig, stringify(TOPOLOGY.dynamicConfig));
    const prefer = async (port: number): Promise<number> =>
      options.defaultPorts === true && (await isFree(port)) ? port : serverPort();
    const frontends: number[] = [];
    for (let i = 0; i < count; i++)
      frontends.push(i === 0 ? await prefer(TOPOLOGY.ports.frontend) : await serverPort());
    const firstAddress = `127.0.0.1:${frontends[0] ?? 0}`;
    const historyPorts = new Map<number, number>();
    const startNode = (index: number, address: string): ClusterNode => {
      const node = {
        index,
        address,
        process: supervise(
          `temporal-server node ${index}`,
          CLUSTER_BIN.server,
          ['--config-file', join(dir, `node-${index}.yaml`), '--allow-no-auth', 'start'],
          join(dir, `node-${index}.log`),
        ),
      };
      nodes[index] = node;
      return node;
    };
    for (const [index, frontend] of frontends.entries()) {
      const config = join(dir, `node-${index}.yaml`);
      const history = await serverPort();
      historyPorts.set(history, index);
      const shards = options.historyShards ?? TOPOLOGY.server.historyShards;
      const settings = await serverConfig(frontend, history, shards, firstAddress, pgPort, dynamicConfig);
      writeFileSync(config, stringify(settings));
    }
    // One after the other: on an empty database the first node writes the cluster metadata, and a second node
    // starting at the same moment can lose that insert race and exit (seen here).
    for (const [index, frontend] of frontends.entries()) {
      const node = startNode(index, `127.0.0.1:${frontend}`);
      await waitFor(`node ${index}'s frontend on ${node.address}`, () => serving(node.address), node.process);
    }
    const db = postgres;
    const members = (): Promise<Member[]> => liveMembers(db);
    const everyRing = (n: number) => async () => (await members()).length === n * ROLES.size;
    await waitFor(`${count} node(s) in every ring`, everyRing(count));
    await prepareNamespace(nodes, log);

    let uiUrl: string | undefined;
    if (options.ui ?? true) {
      // The frontend port + 1000 when free, where uiBase (src/temporal/ui.ts) and the CLI's links look for it.
      const beside = (frontends[0] ?? 0) + 1000;
      const port = (await isFree(beside)) ? beside : await serverPort();
      ui = startUi(dir, firstAddress, port);
      uiUrl = `http://127.0.0.1:${port}`;
      const url = uiUrl;
      await waitFor(`the UI server on ${url}`, async () => (await fetch(url)).ok, ui, 60_000);
    }
    return {
      address: firstAddress,
      namespace: TOPOLOGY.namespace.name,
      ...(uiUrl !== undefined ? { uiUrl } : {}),
      nodes,
      postgresPort: pgPort,
      dir,
      members,
      shardOwners: () => shardOwners(db, historyPorts),
      restartNode: async (index) => {
        const old = nodes[index];
        if (old === undefined) throw new Error(`no node ${index}`);
        if (old.process.alive()) throw new Error(`node ${index} is running`);
        const node = startNode(index, old.address);
        await waitFor(`node ${index}'s frontend on ${node.address}`, () => serving(node.address), node.process);
        await waitFor(`${nodes.length} node(s) in every ring`, everyRing(nodes.length), node.process);
      },
      stop: async () => {
        await stopAll();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    throw new Error(`${err instanceof Error ? err.message : String(err)} (configs and logs kept in ${dir})`, {
      cause: err,
    });
  }
}

/** Creates both databases and brings their schemas to the topology's versions, as docker-compose.yml's job does. */
async function setupSchema(port: number, log: (line: string) => void): Promise<void> {
  const { user, password } = TOPOLOGY.database;
  const { plugin, temporal, visibility } = TOPOLOGY.server.schema;
  const base = ['--plugin', plugin, '--ep', '127.0.0.1', '-p', String(port), '-u', user, '--pw', password];
  for (const [db, name, version] of [
    ['temporal', 'temporal', temporal],
    ['temporal_visibility', 'visibility', visibility],
  ] as const) {
    const sql = (...args: string[]): Promise<void> => run(CLUSTER_BIN.sqlTool, [...base, '--db', db, ...args]);
    await sql('create');
    await sql('setup-schema', '-v', '0.0');
    await sql('update-schema', '-d', join(CLUSTER_BIN.schema, name, 'versioned'), '-v', version);
  }
  log(`schemas: temporal ${temporal}, temporal_visibility ${visibility}`);
}

/** The server's config for one node: every service, on its own ports, over the shared database. */
async function serverConfig(
  frontend: number,
  history: number,
  historyShards: number,
  firstAddress: string,
  pgPort: number,
  dynamicConfig: string,
): Promise<Record<string, unknown>> {
  const { user, password } = TOPOLOGY.database;
  const store = (databaseName: string, maxConns: number) => ({
    sql: {
      pluginName: TOPOLOGY.server.schema.plugin,
      databaseName,
      connectAddr: `127.0.0.1:${pgPort}`,
      connectProtocol: 'tcp',
      user,
      password,
      maxConns,
      maxIdleConns: maxConns,
      maxConnLifetime: '1h',
    },
  });
  const rpc = async (grpcPort: number) => ({
    rpc: { grpcPort, membershipPort: await serverPort(), bindOnLocalHost: true },
  });
  const frontendRpc = await rpc(frontend);
  return {
    log: { stdout: true, level: 'info' },
    persistence: {
      defaultStore: 'postgres-default',
      visibilityStore: 'postgres-visibility',
      numHistoryShards: historyShards,
      datastores: { 'postgres-default': store('temporal', 20), 'postgres-visibility': store('temporal_visibility', 2) },
    },
    global: { membership: { maxJoinDuration: '30s', broadcastAddress: '127.0.0.1' } },
    services: {
      frontend: { rpc: { ...frontendRpc.rpc, httpPort: await serverPort() } },
      history: await rpc(history),
      matching: await rpc(await serverPort()),
      worker: await rpc(await serverPort()),
    },
    clusterMetadata: {
      enableGlobalNamespace: false,
      failoverVersionIncrement: 10,
      masterClusterName: 'active',
      currentClusterName: 'active',
      clusterInformation: {
        active: { enabled: true, initialFailoverVersion: 1, rpcName: 'frontend', rpcAddress: firstAddress },
      },
    },
    dcRedirectionPolicy: { policy: 'noop' },
    dynamicConfigClient: { filepath: dynamicConfig, pollInterval: '10s' },
  };
}

/** Registers the namespace (retention from the topology) and its search attributes; waits until every node knows it. */
async function prepareNamespace(nodes: readonly ClusterNode[], log: (line: string) => void): Promise<void> {
  const { name, retention, searchAttributes } = TOPOLOGY.namespace;
  const first = nodes[0];
  if (first === undefined) throw new Error('a cluster needs a node');
  const connection = await Connection.connect({ address: first.address });
  try {
    await connection.workflowService
      .registerNamespace({ namespace: name, workflowExecutionRetentionPeriod: msToTs(retention) })
      .catch((err: unknown) => {
        if (!/already exists|AlreadyExists/i.test(String(err))) throw err;
      });
    // A new namespace reaches the frontends' caches within seconds ("Namespace default is not found" until then).
    await waitFor(`search attributes on ${name}`, async () => {
      await ensureSearchAttributes(connection, name);
      return true;
    });
  } finally {
    await connection.close();
  }
  for (const node of nodes) {
    await waitFor(`namespace ${name} on node ${node.index}`, async () => {
      const c = await Connection.connect({ address: node.address, connectTimeout: '2s' });
      try {
        const found = await c.operatorService.listSearchAttributes({ namespace: name });
        return searchAttributes.every((a) => found.customAttributes?.[a.name] !== undefined);
      } finally {
        await c.close();
      }
    });
  }
  log(`namespace ${name}: retention ${retention}, search attributes ${searchAttributes.map((a) => a.name).join(', ')}`);
}

function startUi(dir: string, address: string, port: number): Supervised {
  const config = join(dir, 'ui');
  mkdirSync(config, { recursive: true });
  writeFileSync(
    join(config, 'development.yaml'),
    stringify({
      temporalGrpcAddress: address,
      port,
      publicPath: '',
      enableUi: true,
      defaultNamespace: TOPOLOGY.namespace.name,
      cors: { cookieInsecure: true, allowOrigins: [], unsafeAllowAllOrigins: false },
      refreshInterval: '1m',
    }),
  );
  return supervise(
    'temporal-ui-server',
    CLUSTER_BIN.uiServer,
    ['--root', dir, '--config', 'ui', '--env', 'development', 'start'],
    join(dir, 'ui.log'),
  );
}

/** Members heartbeating now, per the database's `cluster_membership` table. */
async function liveMembers(postgres: ClusterPostgres): Promise<Member[]> {
  const client = await postgres.connect('temporal');
  try {
    const { rows } = await client.query<{ role: number; rpc_address: string; rpc_port: number }>(
      // Temporal's own cutoff for a healthy host (ringpop/monitor.go): a heartbeat within the last 20 s. A node
      // restarted on the same ports has a new host id, hence DISTINCT.
      `SELECT DISTINCT role, rpc_address, rpc_port FROM cluster_membership
       WHERE last_heartbeat > now() - interval '20 seconds' ORDER BY role, rpc_port`,
    );
    return rows.map((r) => ({
      role: ROLES.get(r.role) ?? `role ${r.role}`,
      address: `${r.rpc_address}:${r.rpc_port}`,
    }));
  } finally {
    await client.end();
  }
}

async function shardOwners(
  postgres: ClusterPostgres,
  historyPorts: ReadonlyMap<number, number>,
): Promise<Map<number, number | undefined>> {
  const client = await postgres.connect('temporal');
  try {
    const { rows } = await client.query<{ shard_id: number; data: Buffer }>(
      'SELECT shard_id, data FROM shards ORDER BY shard_id',
    );
    // ShardInfo is a protobuf blob; its owner field is the owning history host's identity, `127.0.0.1:<port>`.
    return new Map(
      rows.map((r) => {
        const port = /127\.0\.0\.1:(\d+)/.exec(r.data.toString('latin1'))?.[1];
        return [r.shard_id, port !== undefined ? historyPorts.get(Number(port)) : undefined];
      }),
    );
  } finally {
    await client.end();
  }
}

/** Whether the frontend at `address` answers. */
async function serving(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: '2s' });
  try {
    await connection.workflowService.getClusterInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/** Where serverPort starts looking: below the kernel's ephemeral range, where freePort() never lands. */
const SERVER_PORTS_FROM = 17233;
const handedOut = new Set<number>();

/**
 * A free port for the server, below 32768: the database records members' ports in a smallint column
 * (`cluster_membership.rpc_port`), and a node whose membership port is larger dies at start.
 */
async function serverPort(): Promise<number> {
  for (let port = SERVER_PORTS_FROM + (process.pid % 1000) * 10; port < 32768; port++) {
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port below 32768 for the Temporal Server');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0 ? ok() : fail(new Error(`${command} ${args.join(' ')} failed (exit ${String(code)}):\n${out}`)),
    );
  });
}
