import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { TOPOLOGY } from '../src/cluster/topology.js';
import { SEARCH_ATTRIBUTES } from '../src/identity/index.js';
import { PROJECT_CLI } from '../src/temporal/install-cli.js';
import { ROOT } from './processes.js';

/*
 * docker-compose.yml and `npm run cluster` describe one topology: the same Temporal Server and UI versions, schema
 * versions, database credentials, namespace settings, search attributes, history shards and dynamic config. The
 * local side is src/cluster/topology.ts, which the cluster is started from; test/cluster/ checks that a running
 * cluster has what the topology says.
 */

const Service = z.looseObject({
  image: z.string().optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  ports: z.array(z.string()).default([]),
  command: z.array(z.string()).default([]),
});
const Compose = z.looseObject({
  services: z.record(z.string(), Service),
  configs: z.record(z.string(), z.object({ content: z.string() })),
});
const compose = Compose.parse(parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')));

function service(name: string): z.infer<typeof Service> {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}
const env = (name: string, key: string): string => String(service(name).environment[key] ?? '');
const script = (name: string): string => service(name).command.join('\n');

describe('docker-compose.yml and the local topology (src/cluster/topology.ts)', () => {
  it('run the same Temporal Server, admin-tools and UI versions', () => {
    const { server, ui } = TOPOLOGY;
    expect(service('temporal').image).toBe(`temporalio/server:${server.version}`);
    expect(service('temporal-schema-setup').image).toBe(`temporalio/admin-tools:${server.version}`);
    expect(service('temporal-create-namespace').image).toBe(`temporalio/admin-tools:${server.version}`);
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${ui.version}`);
  });

  it('migrate both databases to the same schema versions, with the same plugin and credentials', () => {
    const setup = script('temporal-schema-setup');
    const migrated = Object.fromEntries(
      [...setup.matchAll(/--db (\w+) update-schema -d "\$\$schema\/(\w+)\/versioned" -v (\S+)/g)].map((m) => [
        m[1],
        `${m[2]} ${m[3]}`,
      ]),
    );
    const { schema } = TOPOLOGY.server;
    expect(migrated).toEqual({
      temporal: `temporal ${schema.temporal}`,
      temporal_visibility: `visibility ${schema.visibility}`,
    });
    expect(setup).toContain(`schema=/etc/temporal/${schema.dir}\n`);
    expect(env('temporal-schema-setup', 'SQL_PLUGIN')).toBe(schema.plugin);
    expect(env('temporal', 'DB')).toBe(schema.plugin);
    for (const key of ['POSTGRES_USER', 'POSTGRES_PASSWORD']) {
      expect(env('postgresql', key), key).toBe(
        key.endsWith('USER') ? TOPOLOGY.database.user : TOPOLOGY.database.password,
      );
    }
    expect(env('temporal', 'NUM_HISTORY_SHARDS')).toBe(String(TOPOLOGY.server.historyShards));
  });

  it('create the same namespace, with the same retention and search attributes', () => {
    const job = script('temporal-create-namespace');
    const { namespace } = TOPOLOGY;
    expect(env('temporal-create-namespace', 'NAMESPACE')).toBe(namespace.name);
    expect(env('worker', 'TEMPORAL_NAMESPACE')).toBe(namespace.name);
    expect([...job.matchAll(/--retention (\S+)/g)].map((m) => m[1])).toEqual([namespace.retention]);
    const attributes = [...job.matchAll(/--name (\w+) --type (\w+)/g)].map((m) => ({ name: m[1], type: m[2] }));
    expect(attributes).toEqual(namespace.searchAttributes);
    expect(namespace.searchAttributes.map((a) => a.name)).toEqual(SEARCH_ATTRIBUTES.map((k) => k.name));
  });

  it('give the server the same dynamic config, and publish the same ports', () => {
    expect(parse(compose.configs['temporal-dynamic-config']?.content ?? '')).toEqual(TOPOLOGY.dynamicConfig);
    expect(env('temporal', 'FRONTEND_GRPC_PORT')).toBe(String(TOPOLOGY.ports.frontend));
    expect(service('temporal').ports).toEqual([`${TOPOLOGY.ports.frontend}:${TOPOLOGY.ports.frontend}`]);
    expect(service('temporal-ui').ports.map((p) => p.split(':')[0])).toEqual([String(TOPOLOGY.ports.ui)]);
  });

  it('is the release line of the dev server the rest of the suite runs on (same minor, same UI)', async () => {
    const { stdout } = await promisify(execFile)(PROJECT_CLI, ['--version']);
    const [, server, ui] = /\(Server (\S+), UI (\S+)\)/.exec(stdout) ?? [];
    const minor = (v: string | undefined): string => (v ?? '').split('.').slice(0, 2).join('.');
    expect(minor(server)).toBe(minor(TOPOLOGY.server.version));
    expect(ui).toBe(TOPOLOGY.ui.version);
  });
});
