import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';

/*
 * Static checks of docker-compose.yml and the worker's Dockerfile. No Docker engine is needed (or called): the
 * file is parsed and its wiring compared, so a renamed service or a wrong port fails here rather than at
 * `docker compose up`. Every check is a function returning problems, and each is also run against a
 * deliberately broken copy to show it can fail.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');

const TEMPORAL = 'temporal';
const POSTGRES = 'postgresql';
const UI = 'temporal-ui';
const WORKER = 'worker';
const SCHEMA_JOB = 'temporal-schema-setup';
const NAMESPACE_JOB = 'temporal-create-namespace';

// Only the parts of the Compose spec these checks read; other keys pass through untouched.
const scalar = z.union([z.string(), z.number(), z.boolean()]);
const stringOrList = z.union([z.string(), z.array(z.string())]);
const port = z.union([z.string(), z.number()]);

const Service = z.looseObject({
  image: z.string().optional(),
  build: z
    .union([z.string(), z.looseObject({ context: z.string().optional(), dockerfile: z.string().optional() })])
    .optional(),
  environment: z.union([z.array(z.string()), z.record(z.string(), scalar.nullable())]).optional(),
  ports: z
    .array(
      z.union([
        z.string(),
        z.number(),
        z.looseObject({
          target: port,
          published: port.optional(),
          host_ip: z.string().optional(),
          protocol: z.string().optional(),
        }),
      ]),
    )
    .optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.looseObject({ condition: z.string().optional() }).nullable())])
    .optional(),
  healthcheck: z.looseObject({ test: stringOrList.optional(), disable: z.boolean().optional() }).optional(),
  volumes: z
    .array(
      z.union([
        z.string(),
        z.looseObject({ type: z.string().optional(), source: z.string().optional(), target: z.string() }),
      ]),
    )
    .optional(),
  configs: z
    .array(z.union([z.string(), z.looseObject({ source: z.string(), target: z.string().optional() })]))
    .optional(),
  command: stringOrList.optional(),
  entrypoint: stringOrList.optional(),
});

const Compose = z.looseObject({
  services: z.record(z.string(), Service),
  volumes: z.record(z.string(), z.looseObject({}).nullable()).optional(),
  configs: z
    .record(z.string(), z.looseObject({ content: z.string().optional(), file: z.string().optional() }))
    .optional(),
});

type Compose = z.infer<typeof Compose>;
type Service = z.infer<typeof Service>;

function loadCompose(text: string): Compose {
  const raw: unknown = parse(text);
  return Compose.parse(raw);
}

function service(compose: Compose, name: string): Service {
  const found = compose.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
}

/** Both Compose spellings (list of KEY=VALUE, or a map); a bare KEY takes the host's value, so it is unknown here. */
function environment(svc: Service): Map<string, string> {
  const env = new Map<string, string>();
  const raw = svc.environment;
  if (Array.isArray(raw)) {
    for (const entry of raw) {
      const eq = entry.indexOf('=');
      if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
    }
  } else if (raw !== undefined) {
    for (const [key, value] of Object.entries(raw)) if (value !== null) env.set(key, String(value));
  }
  return env;
}

/** Dependency name to its condition; the short (list) form means service_started. */
function dependencies(svc: Service): Map<string, string> {
  const deps = new Map<string, string>();
  const raw = svc.depends_on;
  if (Array.isArray(raw)) for (const name of raw) deps.set(name, 'service_started');
  else if (raw !== undefined) {
    for (const [name, spec] of Object.entries(raw)) deps.set(name, spec?.condition ?? 'service_started');
  }
  return deps;
}

interface PortMapping {
  readonly published: string | undefined;
  readonly target: string;
  readonly protocol: string;
}

/** Short syntax is `[host_ip:][published:]target[/protocol]`; a bracketed IPv6 host_ip may contain colons. */
function portMappings(svc: Service): PortMapping[] {
  return (svc.ports ?? []).map((spec): PortMapping => {
    if (typeof spec === 'number') return { published: undefined, target: String(spec), protocol: 'tcp' };
    if (typeof spec !== 'string') {
      return {
        published: spec.published === undefined ? undefined : String(spec.published),
        target: String(spec.target),
        protocol: spec.protocol ?? 'tcp',
      };
    }
    const [mapping = '', protocol = 'tcp'] = spec.split('/');
    const withoutIp = mapping.startsWith('[') ? mapping.slice(mapping.indexOf(']') + 2) : mapping;
    const parts = withoutIp.split(':');
    const target = parts.at(-1) ?? '';
    const published = parts.length >= 2 ? parts.at(-2) : undefined;
    return { published, target, protocol };
  });
}

function publishedPorts(compose: Compose): Map<string, string[]> {
  const byPort = new Map<string, string[]>();
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const mapping of portMappings(svc)) {
      if (mapping.published === undefined) continue;
      const key = `${mapping.published}/${mapping.protocol}`;
      byPort.set(key, [...(byPort.get(key) ?? []), name]);
    }
  }
  return byPort;
}

function splitAddress(address: string): { host: string; port: string } | undefined {
  const match = /^([^:/\s]+):(\d+)$/.exec(address);
  return match?.[1] !== undefined && match[2] !== undefined ? { host: match[1], port: match[2] } : undefined;
}

function scriptOf(svc: Service): string {
  const parts = [svc.entrypoint, svc.command].flatMap((p) => (p === undefined ? [] : Array.isArray(p) ? p : [p]));
  return parts.join('\n');
}

// --- checks: each returns what is wrong, empty when all is well ---

function missingServices(compose: Compose, names: readonly string[]): string[] {
  return names.filter((name) => compose.services[name] === undefined).map((name) => `service ${name} is missing`);
}

const CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully']);

function dependencyProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const [dep, condition] of dependencies(svc)) {
      const target = compose.services[dep];
      if (target === undefined) problems.push(`${name} depends on ${dep}, which is not a service`);
      else if (dep === name) problems.push(`${name} depends on itself`);
      if (!CONDITIONS.has(condition)) problems.push(`${name} waits for ${dep} with unknown condition ${condition}`);
      // service_healthy on a service without a healthcheck never becomes true, so `up` fails.
      if (
        condition === 'service_healthy' &&
        target !== undefined &&
        (target.healthcheck?.test === undefined || target.healthcheck.disable === true)
      ) {
        problems.push(`${name} waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
      }
    }
  }
  return problems;
}

function portProblems(compose: Compose): string[] {
  return [...publishedPorts(compose)]
    .filter(([, owners]) => owners.length > 1)
    .map(([key, owners]) => `host port ${key} is published by ${owners.join(', ')}`);
}

const DEFAULT_FRONTEND_PORT = '7233';
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** The frontend's gRPC port: the server's config template reads FRONTEND_GRPC_PORT, default 7233. */
function frontendPort(compose: Compose, temporalName: string): string {
  return environment(service(compose, temporalName)).get('FRONTEND_GRPC_PORT') ?? DEFAULT_FRONTEND_PORT;
}

/** `client`'s TEMPORAL_ADDRESS must name the temporal service and the port its frontend listens on. */
function addressProblems(compose: Compose, clientName: string, temporalName: string): string[] {
  const client = compose.services[clientName];
  const temporal = compose.services[temporalName];
  if (client === undefined || temporal === undefined) return [`${clientName} or ${temporalName} is missing`];
  const address = environment(client).get('TEMPORAL_ADDRESS');
  if (address === undefined) return [`${clientName} has no TEMPORAL_ADDRESS`];
  const parts = splitAddress(address);
  if (parts === undefined) return [`${clientName}'s TEMPORAL_ADDRESS ${address} is not host:port`];
  const problems: string[] = [];
  if (parts.host !== temporalName)
    problems.push(`${clientName} dials host ${parts.host}, not the ${temporalName} service`);
  const listening = frontendPort(compose, temporalName);
  if (parts.port !== listening)
    problems.push(`${clientName} dials port ${parts.port}, but ${temporalName} listens on ${listening}`);
  return problems;
}

/** The frontend must listen beyond loopback and publish its port, or neither containers nor the host reach it. */
function frontendProblems(compose: Compose, temporalName: string): string[] {
  const temporal = service(compose, temporalName);
  const env = environment(temporal);
  const problems: string[] = [];
  // Unset, the image's entrypoint binds the container's own IP, which a `localhost` healthcheck cannot reach.
  const bind = env.get('BIND_ON_IP');
  if (bind !== undefined && LOOPBACK.has(bind))
    problems.push(`${temporalName} binds ${bind}: other containers cannot reach it`);
  const probesLocalhost = /\blocalhost\b|127\.0\.0\.1/.test(scriptOf({ command: temporal.healthcheck?.test }));
  if (probesLocalhost && bind !== '0.0.0.0')
    problems.push(`${temporalName}'s healthcheck probes localhost, so BIND_ON_IP must be 0.0.0.0`);
  const listening = frontendPort(compose, temporalName);
  if (!portMappings(temporal).some((p) => p.target === listening))
    problems.push(`${temporalName} does not publish its frontend port ${listening}`);
  return problems;
}

const SQL_PLUGINS = new Set(['postgres12', 'postgres12_pgx']);

/** The server's persistence settings (its config template's env) must match what the postgres service sets up. */
function databaseProblems(compose: Compose, temporalName: string, postgresName: string): string[] {
  const temporal = environment(service(compose, temporalName));
  const postgres = environment(service(compose, postgresName));
  const problems: string[] = [];
  const plugin = temporal.get('DB') ?? '(unset)';
  if (!SQL_PLUGINS.has(plugin)) problems.push(`${temporalName}'s DB is ${plugin}, not a PostgreSQL plugin`);
  for (const key of ['POSTGRES_SEEDS', 'VISIBILITY_POSTGRES_SEEDS']) {
    const seeds = temporal.get(key);
    if (seeds === undefined && key === 'VISIBILITY_POSTGRES_SEEDS') continue;
    const hosts = (seeds ?? '').split(',').map((h) => h.trim());
    if (hosts.some((h) => h !== postgresName))
      problems.push(`${temporalName}'s ${key} is ${seeds ?? '(unset)'}, not ${postgresName}`);
  }
  const pgPort = postgres.get('PGPORT') ?? '5432';
  if ((temporal.get('DB_PORT') ?? '5432') !== pgPort)
    problems.push(`${temporalName}'s DB_PORT is not ${postgresName}'s port ${pgPort}`);
  const pgUser = postgres.get('POSTGRES_USER') ?? 'postgres';
  if (temporal.get('POSTGRES_USER') !== pgUser) problems.push(`${temporalName}'s POSTGRES_USER is not ${pgUser}`);
  if (temporal.get('POSTGRES_PWD') !== postgres.get('POSTGRES_PASSWORD'))
    problems.push(`${temporalName}'s POSTGRES_PWD is not ${postgresName}'s password`);
  return problems;
}

/** The one-shot schema job must set up, on the same server, the databases the server reads, before it starts. */
function schemaJobProblems(compose: Compose, jobName: string, temporalName: string, postgresName: string): string[] {
  const job = compose.services[jobName];
  if (job === undefined) return [`service ${jobName} is missing`];
  const env = environment(job);
  const temporal = environment(service(compose, temporalName));
  const problems: string[] = [];
  const expected: [string, string | undefined][] = [
    ['SQL_HOST', postgresName],
    ['SQL_PORT', temporal.get('DB_PORT') ?? '5432'],
    ['SQL_PLUGIN', temporal.get('DB')],
    ['SQL_USER', temporal.get('POSTGRES_USER')],
    ['SQL_PASSWORD', temporal.get('POSTGRES_PWD')],
  ];
  for (const [key, want] of expected) {
    if (env.get(key) !== want)
      problems.push(`${jobName}'s ${key} is ${env.get(key) ?? '(unset)'}, not ${want ?? '(unset)'}`);
  }
  const script = scriptOf(job);
  for (const db of [temporal.get('DBNAME') ?? 'temporal', temporal.get('VISIBILITY_DBNAME') ?? 'temporal_visibility']) {
    for (const step of ['create', 'setup-schema', 'update-schema']) {
      if (!script.includes(`--db ${db} ${step}`)) problems.push(`${jobName} does not run ${step} on ${db}`);
    }
  }
  if (dependencies(service(compose, temporalName)).get(jobName) !== 'service_completed_successfully') {
    problems.push(`${temporalName} does not wait for ${jobName} to complete`);
  }
  return problems;
}

/** A fresh server lacks the worker's namespace: a job must create that very one before the worker starts. */
function namespaceJobProblems(compose: Compose, jobName: string, workerName: string): string[] {
  const job = compose.services[jobName];
  if (job === undefined) return [`service ${jobName} is missing`];
  const problems: string[] = [];
  const wanted = environment(service(compose, workerName)).get('TEMPORAL_NAMESPACE') ?? 'default';
  const created = environment(job).get('NAMESPACE');
  if (created !== wanted) {
    problems.push(`${jobName} creates namespace ${created ?? '(unset)'}, the worker polls ${wanted}`);
  }
  if (!scriptOf(job).includes('namespace create')) problems.push(`${jobName} never runs \`namespace create\``);
  if (dependencies(service(compose, workerName)).get(jobName) !== 'service_completed_successfully') {
    problems.push(`${workerName} does not wait for ${jobName} to complete`);
  }
  return problems;
}

const SERVER_WORKDIR = '/etc/temporal';
const DEFAULT_DYNAMIC_CONFIG = '/etc/temporal/config/dynamicconfig/docker.yaml';

/** temporalio/server 1.30+ ships no dynamic config file and exits when the configured one is missing. */
function dynamicConfigProblems(compose: Compose, temporalName: string): string[] {
  const temporal = service(compose, temporalName);
  const path = posix.resolve(
    SERVER_WORKDIR,
    environment(temporal).get('DYNAMIC_CONFIG_FILE_PATH') ?? DEFAULT_DYNAMIC_CONFIG,
  );
  const fromConfigs = (temporal.configs ?? []).some((c) => {
    const source = typeof c === 'string' ? c : c.source;
    const target = typeof c === 'string' ? `/${c}` : (c.target ?? `/${c.source}`);
    const defined = compose.configs?.[source];
    return target === path && defined !== undefined && (defined.content !== undefined || defined.file !== undefined);
  });
  const fromVolumes = mounts(temporal).some((m) => m.target === path || path.startsWith(`${m.target}/`));
  return fromConfigs || fromVolumes ? [] : [`${temporalName} has nothing at its dynamic config path ${path}`];
}

/** Pinned: an explicit tag, not `latest`, and no unresolved `${...}` that could default to it. */
function imageReferenceProblem(reference: string): string | undefined {
  const [name = ''] = reference.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const tag = colon > lastSlash ? name.slice(colon + 1) : undefined;
  if (tag === undefined || tag === '') return `${reference} has no tag`;
  if (!/^\w[\w.-]{0,127}$/.test(tag)) return `${reference} has an unresolved or invalid tag`;
  if (tag === 'latest') return `${reference} is pinned to latest`;
  return undefined;
}

function imageProblems(compose: Compose): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(compose.services)) {
    if (svc.image === undefined) {
      if (svc.build === undefined) problems.push(`${name} has neither an image nor a build`);
      continue;
    }
    // A built service's image is the name its build is tagged with, not a pull.
    if (svc.build !== undefined) continue;
    const problem = imageReferenceProblem(svc.image);
    if (problem !== undefined) problems.push(`${name}: ${problem}`);
  }
  return problems;
}

interface Mount {
  readonly source: string | undefined;
  readonly target: string;
}

function mounts(svc: Service): Mount[] {
  return (svc.volumes ?? []).map((v): Mount => {
    if (typeof v !== 'string') return { source: v.source, target: v.target };
    const parts = v.split(':');
    return parts.length === 1
      ? { source: undefined, target: parts[0] ?? '' }
      : { source: parts[0], target: parts[1] ?? '' };
  });
}

const isNamedVolume = (source: string): boolean =>
  !source.startsWith('.') && !source.startsWith('~') && !isAbsolute(source);

/** Named volumes must be declared, and PostgreSQL's data must live in one so `down` and `up` keep it. */
function volumeProblems(compose: Compose, postgresName: string): string[] {
  const problems: string[] = [];
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const { source } of mounts(svc)) {
      if (source !== undefined && isNamedVolume(source) && compose.volumes?.[source] === undefined) {
        problems.push(`${name} mounts volume ${source}, which is not declared`);
      }
    }
  }
  const data = mounts(service(compose, postgresName)).find((m) => m.target === '/var/lib/postgresql/data');
  if (data?.source === undefined || !isNamedVolume(data.source))
    problems.push(`${postgresName}'s data is not in a named volume`);
  return problems;
}

/** OUT_DIR must be a volume (artifacts outlive the container) and AGENTS_FILE a file that exists. */
function workerProblems(compose: Compose, workerName: string, root: string): string[] {
  const worker = service(compose, workerName);
  const env = environment(worker);
  const problems: string[] = [];
  const outDir = env.get('OUT_DIR');
  if (outDir !== '/app/out') problems.push(`${workerName}'s OUT_DIR is ${outDir ?? '(unset)'}, not /app/out`);
  const out = mounts(worker).find((m) => m.target === outDir);
  if (out?.source === undefined || !isNamedVolume(out.source))
    problems.push(`${workerName}'s OUT_DIR is not a named volume`);
  const agentsFile = env.get('AGENTS_FILE');
  const agents = mounts(worker).find((m) => m.target === agentsFile);
  if (agentsFile === undefined || agents?.source === undefined)
    problems.push(`${workerName}'s AGENTS_FILE is not mounted`);
  else if (!existsSync(resolve(root, agents.source)))
    problems.push(`${workerName} mounts ${agents.source}, which does not exist`);
  return problems;
}

function dockerfilePath(compose: Compose, serviceName: string, root: string): string | undefined {
  const build = service(compose, serviceName).build;
  if (build === undefined) return undefined;
  const context = typeof build === 'string' ? build : (build.context ?? '.');
  const dockerfile = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
  return resolve(root, context, dockerfile);
}

/** Instructions with comments dropped and `\` continuations joined. */
function dockerInstructions(text: string): { keyword: string; args: string }[] {
  const joined = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.search(/\s/);
      return space < 0
        ? { keyword: line.toUpperCase(), args: '' }
        : { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space).trim() };
    });
}

/** Docker reads a CMD that is not a valid JSON array of strings as shell form. */
function execForm(args: string): string[] | undefined {
  if (!args.startsWith('[')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(args);
  } catch {
    return undefined;
  }
  const parsed = z.array(z.string()).safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The last CMD must run `npm run worker`, and every base image must be pinned. */
function dockerfileTextProblems(text: string): string[] {
  const instructions = dockerInstructions(text);
  const problems: string[] = [];
  const stages = new Set<string>();
  for (const { keyword, args } of instructions.filter((i) => i.keyword === 'FROM')) {
    const words = args.split(/\s+/).filter((w) => !w.startsWith('--'));
    const image = words[0] ?? '';
    if (words[1]?.toUpperCase() === 'AS' && words[2] !== undefined) stages.add(words[2]);
    if (stages.has(image) && words[2] !== image) continue;
    const problem = imageReferenceProblem(image);
    if (problem !== undefined) problems.push(`${keyword} ${problem}`);
  }
  const cmd = instructions.filter((i) => i.keyword === 'CMD').at(-1);
  if (cmd === undefined) return [...problems, 'the Dockerfile has no CMD'];
  const command = (execForm(cmd.args)?.join(' ') ?? cmd.args).split(/\s+/).join(' ');
  if (command !== 'npm run worker') problems.push(`CMD runs \`${command}\`, not \`npm run worker\``);
  return problems;
}

function dockerfileProblems(compose: Compose, serviceName: string, root: string): string[] {
  const path = dockerfilePath(compose, serviceName, root);
  if (path === undefined) return [`${serviceName} is not built`];
  if (!existsSync(path)) return [`${serviceName}'s Dockerfile ${path} does not exist`];
  return dockerfileTextProblems(readFileSync(path, 'utf8'));
}

// --- test helpers for the broken copies ---

function setEnv(svc: Service, key: string, value: string | undefined): void {
  const raw = svc.environment;
  if (Array.isArray(raw)) {
    const kept = raw.filter((entry) => !entry.startsWith(`${key}=`));
    svc.environment = value === undefined ? kept : [...kept, `${key}=${value}`];
  } else {
    const next = { ...raw };
    if (value === undefined) delete next[key];
    else next[key] = value;
    svc.environment = next;
  }
}

const COMPOSE = loadCompose(readFileSync(COMPOSE_FILE, 'utf8'));
const broken = (): Compose => structuredClone(COMPOSE);

describe('docker-compose.yml', () => {
  it('parses into the Compose shape, and malformed files do not', () => {
    expect(Object.keys(COMPOSE.services).length).toBeGreaterThan(0);
    expect(() => loadCompose('services: [')).toThrow();
    expect(() => loadCompose('services:\n  web:\n    ports: 7233\n')).toThrow();
    expect(() => loadCompose('version: "3"\n')).toThrow();
  });

  it('has the Temporal server, PostgreSQL, the UI, the worker and the two setup jobs', () => {
    const names = [TEMPORAL, POSTGRES, UI, WORKER, SCHEMA_JOB, NAMESPACE_JOB];
    expect(missingServices(COMPOSE, names)).toEqual([]);
    const copy = broken();
    delete copy.services[WORKER];
    expect(missingServices(copy, names)).toEqual([`service ${WORKER} is missing`]);
  });

  it('depends only on services that exist, with conditions that can be met', () => {
    expect(dependencyProblems(COMPOSE)).toEqual([]);

    const typo = broken();
    service(typo, WORKER).depends_on = { temporall: { condition: 'service_started' } };
    expect(dependencyProblems(typo)).toEqual([`${WORKER} depends on temporall, which is not a service`]);

    const list = broken();
    service(list, UI).depends_on = ['postgres'];
    expect(dependencyProblems(list)).toEqual([`${UI} depends on postgres, which is not a service`]);

    const unhealthy = broken();
    service(unhealthy, WORKER).depends_on = { [UI]: { condition: 'service_healthy' } };
    expect(dependencyProblems(unhealthy)).toEqual([
      `${WORKER} waits for ${UI} to be healthy, but ${UI} has no healthcheck`,
    ]);

    const itself = broken();
    service(itself, UI).depends_on = [UI];
    expect(dependencyProblems(itself)).toEqual([`${UI} depends on itself`]);

    const condition = broken();
    service(condition, UI).depends_on = { [TEMPORAL]: { condition: 'service_ready' } };
    expect(dependencyProblems(condition)).toEqual([`${UI} waits for ${TEMPORAL} with unknown condition service_ready`]);
  });

  it('publishes each host port once: the frontend on 7233 and the UI on 8233', () => {
    expect(portProblems(COMPOSE)).toEqual([]);
    expect(portMappings(service(COMPOSE, TEMPORAL))).toContainEqual({
      published: '7233',
      target: '7233',
      protocol: 'tcp',
    });
    expect(portMappings(service(COMPOSE, UI))).toEqual([{ published: '8233', target: '8080', protocol: 'tcp' }]);

    const clash = broken();
    service(clash, UI).ports = ['127.0.0.1:7233:8080'];
    expect(portProblems(clash)).toEqual([`host port 7233/tcp is published by ${TEMPORAL}, ${UI}`]);

    const longForm = broken();
    service(longForm, WORKER).ports = [{ target: 9000, published: 8233 }];
    expect(portProblems(longForm)).toEqual([`host port 8233/tcp is published by ${UI}, ${WORKER}`]);
  });

  it("points the worker's and the UI's TEMPORAL_ADDRESS at the temporal service's frontend port", () => {
    for (const client of [WORKER, UI, NAMESPACE_JOB]) expect(addressProblems(COMPOSE, client, TEMPORAL)).toEqual([]);
    expect(frontendProblems(COMPOSE, TEMPORAL)).toEqual([]);

    const localhost = broken();
    setEnv(service(localhost, WORKER), 'TEMPORAL_ADDRESS', 'localhost:7233');
    expect(addressProblems(localhost, WORKER, TEMPORAL)).toEqual([
      `${WORKER} dials host localhost, not the ${TEMPORAL} service`,
    ]);

    const wrongPort = broken();
    setEnv(service(wrongPort, UI), 'TEMPORAL_ADDRESS', `${TEMPORAL}:8233`);
    expect(addressProblems(wrongPort, UI, TEMPORAL)).toEqual([
      `${UI} dials port 8233, but ${TEMPORAL} listens on 7233`,
    ]);

    // Moving the server's port without moving its clients is caught too.
    const moved = broken();
    setEnv(service(moved, TEMPORAL), 'FRONTEND_GRPC_PORT', '7234');
    expect(addressProblems(moved, WORKER, TEMPORAL)).toEqual([
      `${WORKER} dials port 7233, but ${TEMPORAL} listens on 7234`,
    ]);
    expect(frontendProblems(moved, TEMPORAL)).toEqual([`${TEMPORAL} does not publish its frontend port 7234`]);

    const noAddress = broken();
    setEnv(service(noAddress, WORKER), 'TEMPORAL_ADDRESS', undefined);
    expect(addressProblems(noAddress, WORKER, TEMPORAL)).toEqual([`${WORKER} has no TEMPORAL_ADDRESS`]);

    const malformed = broken();
    setEnv(service(malformed, UI), 'TEMPORAL_ADDRESS', 'http://temporal');
    expect(addressProblems(malformed, UI, TEMPORAL)).toEqual([
      `${UI}'s TEMPORAL_ADDRESS http://temporal is not host:port`,
    ]);

    const loopback = broken();
    setEnv(service(loopback, TEMPORAL), 'BIND_ON_IP', '127.0.0.1');
    expect(frontendProblems(loopback, TEMPORAL)).toEqual([
      `${TEMPORAL} binds 127.0.0.1: other containers cannot reach it`,
      `${TEMPORAL}'s healthcheck probes localhost, so BIND_ON_IP must be 0.0.0.0`,
    ]);
  });

  it("points the server's persistence at the postgres service, and sets up its schema first", () => {
    expect(databaseProblems(COMPOSE, TEMPORAL, POSTGRES)).toEqual([]);
    expect(schemaJobProblems(COMPOSE, SCHEMA_JOB, TEMPORAL, POSTGRES)).toEqual([]);

    const seeds = broken();
    setEnv(service(seeds, TEMPORAL), 'POSTGRES_SEEDS', 'postgres');
    expect(databaseProblems(seeds, TEMPORAL, POSTGRES)).toEqual([
      `${TEMPORAL}'s POSTGRES_SEEDS is postgres, not ${POSTGRES}`,
    ]);

    const plugin = broken();
    setEnv(service(plugin, TEMPORAL), 'DB', 'postgresql');
    expect(databaseProblems(plugin, TEMPORAL, POSTGRES)).toEqual([
      `${TEMPORAL}'s DB is postgresql, not a PostgreSQL plugin`,
    ]);

    const password = broken();
    setEnv(service(password, POSTGRES), 'POSTGRES_PASSWORD', 'changed');
    expect(databaseProblems(password, TEMPORAL, POSTGRES)).toEqual([
      `${TEMPORAL}'s POSTGRES_PWD is not ${POSTGRES}'s password`,
    ]);

    const pgPort = broken();
    setEnv(service(pgPort, POSTGRES), 'PGPORT', '5433');
    expect(databaseProblems(pgPort, TEMPORAL, POSTGRES)).toEqual([
      `${TEMPORAL}'s DB_PORT is not ${POSTGRES}'s port 5433`,
    ]);

    const host = broken();
    setEnv(service(host, SCHEMA_JOB), 'SQL_HOST', 'localhost');
    expect(schemaJobProblems(host, SCHEMA_JOB, TEMPORAL, POSTGRES)).toEqual([
      `${SCHEMA_JOB}'s SQL_HOST is localhost, not ${POSTGRES}`,
    ]);

    const visibility = broken();
    setEnv(service(visibility, TEMPORAL), 'VISIBILITY_DBNAME', 'visibility');
    expect(schemaJobProblems(visibility, SCHEMA_JOB, TEMPORAL, POSTGRES)).toEqual([
      `${SCHEMA_JOB} does not run create on visibility`,
      `${SCHEMA_JOB} does not run setup-schema on visibility`,
      `${SCHEMA_JOB} does not run update-schema on visibility`,
    ]);

    const order = broken();
    service(order, TEMPORAL).depends_on = { [SCHEMA_JOB]: { condition: 'service_started' } };
    expect(schemaJobProblems(order, SCHEMA_JOB, TEMPORAL, POSTGRES)).toEqual([
      `${TEMPORAL} does not wait for ${SCHEMA_JOB} to complete`,
    ]);
  });

  it('creates the namespace the worker polls before the worker starts', () => {
    expect(namespaceJobProblems(COMPOSE, NAMESPACE_JOB, WORKER)).toEqual([]);

    const other = broken();
    setEnv(service(other, WORKER), 'TEMPORAL_NAMESPACE', 'pipelines');
    expect(namespaceJobProblems(other, NAMESPACE_JOB, WORKER)).toEqual([
      `${NAMESPACE_JOB} creates namespace default, the worker polls pipelines`,
    ]);

    const noop = broken();
    service(noop, NAMESPACE_JOB).command = ['temporal operator namespace list'];
    expect(namespaceJobProblems(noop, NAMESPACE_JOB, WORKER)).toEqual([
      `${NAMESPACE_JOB} never runs \`namespace create\``,
    ]);

    const early = broken();
    service(early, WORKER).depends_on = { [TEMPORAL]: { condition: 'service_healthy' } };
    expect(namespaceJobProblems(early, NAMESPACE_JOB, WORKER)).toEqual([
      `${WORKER} does not wait for ${NAMESPACE_JOB} to complete`,
    ]);
  });

  it('gives the server the dynamic config file it refuses to start without', () => {
    expect(dynamicConfigProblems(COMPOSE, TEMPORAL)).toEqual([]);
    const path = '/etc/temporal/config/dynamicconfig/docker.yaml';

    const none = broken();
    service(none, TEMPORAL).configs = [];
    expect(dynamicConfigProblems(none, TEMPORAL)).toEqual([
      `${TEMPORAL} has nothing at its dynamic config path ${path}`,
    ]);

    // A relative path is resolved against the image's working directory, /etc/temporal.
    const elsewhere = broken();
    setEnv(service(elsewhere, TEMPORAL), 'DYNAMIC_CONFIG_FILE_PATH', 'config/dynamicconfig/development-sql.yaml');
    expect(dynamicConfigProblems(elsewhere, TEMPORAL)).toEqual([
      `${TEMPORAL} has nothing at its dynamic config path /etc/temporal/config/dynamicconfig/development-sql.yaml`,
    ]);

    const undeclared = broken();
    delete undeclared.configs;
    expect(dynamicConfigProblems(undeclared, TEMPORAL)).toEqual([
      `${TEMPORAL} has nothing at its dynamic config path ${path}`,
    ]);
  });

  it('pins every image to a tag other than latest', () => {
    expect(imageProblems(COMPOSE)).toEqual([]);
    for (const reference of [
      'postgres:16-alpine',
      'localhost:5000/team/ui:2.49.1',
      'temporalio/server:1.31.0@sha256:abc',
    ]) {
      expect(imageReferenceProblem(reference)).toBeUndefined();
    }

    const cases: [string, string][] = [
      ['temporalio/ui:latest', 'temporalio/ui:latest is pinned to latest'],
      ['temporalio/ui', 'temporalio/ui has no tag'],
      ['localhost:5000/temporalio/ui', 'localhost:5000/temporalio/ui has no tag'],
      ['temporalio/ui:${UI_VERSION}', 'temporalio/ui:${UI_VERSION} has an unresolved or invalid tag'],
    ];
    for (const [reference, problem] of cases) {
      const copy = broken();
      service(copy, UI).image = reference;
      expect(imageProblems(copy)).toEqual([`${UI}: ${problem}`]);
    }

    const neither = broken();
    delete service(neither, WORKER).build;
    expect(imageProblems(neither)).toEqual([`${WORKER} has neither an image nor a build`]);
  });

  it("keeps PostgreSQL's data and the worker's artifacts in declared named volumes, and mounts agents.yaml", () => {
    expect(volumeProblems(COMPOSE, POSTGRES)).toEqual([]);
    expect(workerProblems(COMPOSE, WORKER, ROOT)).toEqual([]);

    const anonymous = broken();
    service(anonymous, POSTGRES).volumes = ['/var/lib/postgresql/data'];
    expect(volumeProblems(anonymous, POSTGRES)).toEqual([`${POSTGRES}'s data is not in a named volume`]);

    const undeclared = broken();
    service(undeclared, POSTGRES).volumes = ['pgdata:/var/lib/postgresql/data'];
    expect(volumeProblems(undeclared, POSTGRES)).toEqual([`${POSTGRES} mounts volume pgdata, which is not declared`]);

    const outDir = broken();
    setEnv(service(outDir, WORKER), 'OUT_DIR', '/app/output');
    expect(workerProblems(outDir, WORKER, ROOT)).toEqual([
      `${WORKER}'s OUT_DIR is /app/output, not /app/out`,
      `${WORKER}'s OUT_DIR is not a named volume`,
    ]);

    const missing = broken();
    service(missing, WORKER).volumes = ['./agent.yaml:/app/agents.yaml:ro', 'worker-out:/app/out'];
    expect(workerProblems(missing, WORKER, ROOT)).toEqual([`${WORKER} mounts ./agent.yaml, which does not exist`]);

    const unmounted = broken();
    service(unmounted, WORKER).volumes = ['worker-out:/app/out'];
    expect(workerProblems(unmounted, WORKER, ROOT)).toEqual([`${WORKER}'s AGENTS_FILE is not mounted`]);
  });

  it('builds the worker from a Dockerfile that exists and whose CMD is `npm run worker`', () => {
    expect(dockerfileProblems(COMPOSE, WORKER, ROOT)).toEqual([]);

    const context = broken();
    service(context, WORKER).build = { context: './docker' };
    expect(dockerfileProblems(context, WORKER, ROOT)).toEqual([
      `${WORKER}'s Dockerfile ${join(ROOT, 'docker', 'Dockerfile')} does not exist`,
    ]);

    expect(dockerfileTextProblems('FROM node:20.19-bookworm-slim\nCMD ["node", "src/worker.ts"]\n')).toEqual([
      'CMD runs `node src/worker.ts`, not `npm run worker`',
    ]);
    expect(dockerfileTextProblems('FROM node:20.19-bookworm-slim\nCMD npm run \\\n  worker\n')).toEqual([]);
    expect(
      dockerfileTextProblems(
        'FROM node:20.19-bookworm-slim\nCMD ["npm", "run", "worker"]\nCMD ["npm", "run", "demo"]\n',
      ),
    ).toEqual(['CMD runs `npm run demo`, not `npm run worker`']);
    expect(dockerfileTextProblems('FROM node\n# CMD ["npm", "run", "worker"]\n')).toEqual([
      'FROM node has no tag',
      'the Dockerfile has no CMD',
    ]);
    expect(dockerfileTextProblems('FROM node:latest AS deps\nFROM deps\nCMD ["npm", "run", "worker"]\n')).toEqual([
      'FROM node:latest is pinned to latest',
    ]);
  });
});
