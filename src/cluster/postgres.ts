import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../temporal/devserver.js';
import { supervise, waitFor, type Supervised } from './processes.js';
import { TOPOLOGY } from './topology.js';

/** Debian's PostgreSQL 15 (`apt-get install postgresql`; .ci/run installs it if missing). */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface ClusterPostgres {
  readonly port: number;
  readonly process: Supervised;
  /** A client as the Temporal user on `database`; `end()` it. */
  connect(database: string): Promise<pg.Client>;
}

/**
 * A private PostgreSQL cluster in `dir`, on a free port of 127.0.0.1, whose superuser is the topology's database
 * user. PostgreSQL refuses to run as root, so as root initdb and postgres run as the unprivileged `postgres`
 * user (runuser), which owns `dir`.
 */
export async function startPostgres(dir: string, log: string): Promise<ClusterPostgres> {
  const asRoot = process.getuid?.() === 0;
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const as = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  if (asRoot) {
    const id = (flag: string): number =>
      Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, id('-u'), id('-g'));
  }
  const { user } = TOPOLOGY.database;
  const [initCmd, initArgs] = as(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', user, '-E', 'UTF8']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed (is Debian's postgresql installed?): ${init.stderr}`);
  const port = await freePort();
  const [cmd, args] = as(join(PG_BIN, 'postgres'), [
    ...['-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir],
    // Two server nodes hold up to 2 × (20 + 2) connections, tools and tests a few more.
    ...['-c', 'max_connections=200'],
  ]);
  const server = supervise('postgres', cmd, args, log);
  const { password } = TOPOLOGY.database;
  const connect = async (database: string): Promise<pg.Client> => {
    const client = new pg.Client({ host: '127.0.0.1', port, user, password, database });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  };
  await waitFor(
    `PostgreSQL on port ${port}`,
    async () => {
      await (await connect('postgres')).end();
      return true;
    },
    server,
    30_000,
  );
  return { port, process: server, connect };
}
