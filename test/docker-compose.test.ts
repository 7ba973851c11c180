import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { SEARCH_ATTRIBUTES, TASK_QUEUE } from '../src/identity/index.js';
import { PROJECT_CLI } from '../src/temporal/install-cli.js';
import { uiBase } from '../src/temporal/ui.js';
import { ROOT } from './cli-process.js';
import { testClient, unique } from './helpers.js';

/*
 * docker-compose.yml against the published Compose specification, then the wiring a schema cannot see. No
 * Docker engine is needed: the validator is check-jsonschema (PyPI), whose vendored compose-spec schema follows
 * the specification's repository; the namespace job's script runs for real against the test server.
 */

const run = promisify(execFile);
const FILE = join(ROOT, 'docker-compose.yml');
const VALIDATOR = 'check-jsonschema==0.39.0';
const VALIDATOR_DIR = join(ROOT, '.tools', 'check-jsonschema');

const Service = z.looseObject({
  image: z.string().optional(),
  build: z.looseObject({ context: z.string(), dockerfile: z.string() }).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  ports: z.array(z.string()).default([]),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).default({}),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  configs: z.array(z.object({ source: z.string(), target: z.string() })).default([]),
  volumes: z.array(z.string()).default([]),
  command: z.array(z.string()).default([]),
});
const Compose = z.looseObject({ services: z.record(z.string(), Service) });
const compose = Compose.parse(parse(readFileSync(FILE, 'utf8')));

function service(name: string): z.infer<typeof Service> {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
}
const env = (name: string, key: string): string => String(service(name).environment[key] ?? '');

/** Validates a Compose file with check-jsonschema, installed from PyPI into .tools/ on first use. */
async function validate(file: string): Promise<{ ok: boolean; output: string }> {
  const options = { env: { ...process.env, PYTHONPATH: VALIDATOR_DIR } };
  const args = ['-m', 'check_jsonschema', '--builtin-schema', 'vendor.compose-spec', file];
  return run('python3', args, options).then(
    (r) => ({ ok: true, output: r.stdout }),
    (err: { stdout?: string; stderr?: string }) => ({ ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` }),
  );
}

beforeAll(async () => {
  if (existsSync(join(VALIDATOR_DIR, 'check_jsonschema'))) return;
  await run('python3', [
    '-m',
    'pip',
    'install',
    '-q',
    '--disable-pip-version-check',
    '--target',
    VALIDATOR_DIR,
    VALIDATOR,
  ]);
});

describe('docker-compose.yml', () => {
  it('is valid under the Compose specification, and a misspelt key is not', async () => {
    expect(await validate(FILE)).toEqual({ ok: true, output: 'ok -- validation done\n' });
    const broken = join(await mkdtemp(join(tmpdir(), 'compose-')), 'docker-compose.yml');
    await writeFile(broken, readFileSync(FILE, 'utf8').replace('    healthcheck:', '    helthcheck:'));
    const invalid = await validate(broken);
    expect(invalid.ok).toBe(false);
    expect(invalid.output).toContain("$.services.postgresql: Unevaluated properties are not allowed ('helthcheck'");
  });

  it('publishes the frontend on 7233 and the UI where the CLI looks for it', () => {
    expect(env('temporal', 'FRONTEND_GRPC_PORT')).toBe('7233');
    expect(service('temporal').ports).toEqual(['7233:7233']);
    expect(service('temporal-ui').ports).toEqual(['8233:8080']);
    expect(uiBase('localhost:7233', {})).toBe('http://localhost:8233');
  });

  it("points every client's TEMPORAL_ADDRESS at the temporal service, which listens beyond loopback", () => {
    for (const client of ['worker', 'temporal-ui', 'temporal-create-namespace']) {
      expect(env(client, 'TEMPORAL_ADDRESS'), client).toBe(`temporal:${env('temporal', 'FRONTEND_GRPC_PORT')}`);
    }
    expect(env('temporal', 'BIND_ON_IP')).toBe('0.0.0.0');
  });

  it('gives the server its database and the dynamic config file it will not start without', () => {
    expect(env('temporal', 'POSTGRES_SEEDS')).toBe('postgresql');
    expect(env('temporal-schema-setup', 'SQL_HOST')).toBe('postgresql');
    expect(env('temporal', 'POSTGRES_PWD')).toBe(env('postgresql', 'POSTGRES_PASSWORD'));
    expect(service('temporal').configs).toEqual([
      { source: 'temporal-dynamic-config', target: env('temporal', 'DYNAMIC_CONFIG_FILE_PATH') },
    ]);
  });

  it('starts each service once what it needs is healthy or done', () => {
    const order = Object.fromEntries(
      Object.entries(compose.services).map(([name, s]) => [
        name,
        Object.entries(s.depends_on).map(([on, d]) => `${on} ${d.condition}`),
      ]),
    );
    expect(order).toEqual({
      postgresql: [],
      'temporal-schema-setup': ['postgresql service_healthy'],
      temporal: ['temporal-schema-setup service_completed_successfully'],
      'temporal-create-namespace': ['temporal service_healthy'],
      'temporal-ui': ['temporal service_healthy'],
      worker: ['temporal service_healthy', 'temporal-create-namespace service_completed_successfully'],
    });
    for (const name of ['postgresql', 'temporal']) expect(service(name).healthcheck, name).toBeDefined();
  });

  it('runs the worker on the namespace the job creates, with the task queue the CLI uses', () => {
    expect(env('worker', 'TEMPORAL_NAMESPACE')).toBe(env('temporal-create-namespace', 'NAMESPACE'));
    expect(env('worker', 'STREAM_COLLAB_TASK_QUEUE')).toBe(TASK_QUEUE);
    expect(service('worker').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
    expect(existsSync(join(ROOT, 'Dockerfile'))).toBe(true);
    expect(service('worker').volumes).toContain(`./agents.yaml:${env('worker', 'AGENTS_FILE')}:ro`);
  });

  it("the namespace job's script creates the namespace with the search attributes of src/search-attributes.ts", async () => {
    const namespace = unique('compose-ns');
    // Compose turns $$ into $; the script runs as the admin-tools image would run it, with the dev server's CLI.
    const script = (service('temporal-create-namespace').command[0] ?? '').replaceAll('$$', '$');
    await run('sh', ['-c', script], {
      env: {
        PATH: `${join(PROJECT_CLI, '..')}:/usr/bin:/bin`,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        NAMESPACE: namespace,
      },
      timeout: 90_000,
    });
    const { client, close } = await testClient();
    try {
      const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
      expect(customAttributes).toEqual(
        Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, encodeSearchAttributeIndexedValueType(k.type)])),
      );
    } finally {
      await close();
    }
  }, 90_000);
});
