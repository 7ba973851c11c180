import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
// names.js alone: the identity index loads the SDK, which every command would then pay for at start.
import { DEFAULT_OUT_DIR } from '../identity/names.js';
import { UsageError } from './errors.js';

export interface DashboardCommandOptions {
  readonly dir?: string;
  readonly port?: string;
}

const HOST = '127.0.0.1';
const DEFAULT_PORT = 8300;
/** Where the publish stage writes a run's dashboard: `<OUT_DIR>/dashboards/<run>/`. */
const dashboardsDir = (env: NodeJS.ProcessEnv): string => join(env.OUT_DIR || DEFAULT_OUT_DIR, 'dashboards');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
};

/**
 * `dashboard`: serves the dashboards the warehouse-ETL pipeline's publish stage writes (one folder per run, and an
 * index of the runs) to a browser on this host. Read-only and static: the pages carry no script, and the server
 * answers GET and HEAD for files under the folder only. Runs published while it serves show on the next reload.
 */
export function registerDashboardCommand(cmd: Command): void {
  cmd
    .command('dashboard')
    .description("serve the warehouse-ETL pipeline's dashboards (charts of the marts, one page per run) on 127.0.0.1")
    .option('--dir <dir>', 'the dashboards folder (default $OUT_DIR/dashboards, OUT_DIR default out)')
    .option('--port <port>', `port (default ${DEFAULT_PORT}, or any free port if that is taken; 0: any free port)`)
    .action(async (opts: DashboardCommandOptions) => {
      process.exitCode = await dashboardCommand(opts);
    });
}

async function dashboardCommand(opts: DashboardCommandOptions): Promise<number> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!/^\d+$/.test(opts.port ?? '') || port > 65535)) {
    throw new UsageError(`--port: expected 0-65535, got "${opts.port}"`);
  }
  const root = resolve(opts.dir ?? dashboardsDir(process.env));
  const server = createServer((req, res) => {
    serve(root, req, res).catch((err: unknown) => {
      process.stderr.write(`dashboard: ${req.url ?? ''}: ${err instanceof Error ? err.message : String(err)}\n`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  const bound = await listen(server, port ?? DEFAULT_PORT).catch(async (err: unknown) => {
    // The default port is a convenience: when another program has it, any port will do.
    if (port === undefined && isAddressInUse(err)) return listen(server, 0);
    if (isAddressInUse(err)) throw new UsageError(`--port ${port}: the port is in use`);
    throw err;
  });
  process.stdout.write(`dashboards: http://${HOST}:${bound}/ (serving ${root})\n`);
  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
  return 0;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((ok, fail) => {
    const onError = (err: Error): void => fail(err);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      const address = server.address();
      ok(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function isAddressInUse(err: unknown): boolean {
  return err instanceof Error && 'code' in err && err.code === 'EADDRINUSE';
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head = false): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    // The pages and charts need nothing but their own images and inline styles; an SVG opened alone runs nothing.
    'content-security-policy': "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
  });
  res.end(head ? undefined : body);
}

/** A file of the dashboards folder for a request path, or the reason there is none. */
async function serve(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const head = req.method === 'HEAD';
  if (req.method !== 'GET' && !head) {
    res.setHeader('allow', 'GET, HEAD');
    return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n');
  }
  // The path as sent, not parsed as a URL: `//host/x` must stay a path, not become a host.
  const pathname = `/${((req.url ?? '/').split(/[?#]/)[0] ?? '').replace(/^\/+/, '')}`;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n', head);
  }
  if (resolve(root, `.${decoded}`) === root && !existsSync(join(root, 'index.html'))) {
    return send(res, 200, CONTENT_TYPES['.html'] ?? '', emptyPage(root), head);
  }
  const target = await within(root, decoded);
  if (target === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  const info = await stat(target).catch(() => undefined);
  if (info?.isDirectory() === true) {
    // A run's page links its charts relatively: it must be read from `<run>/`, not `<run>`.
    if (!pathname.endsWith('/')) {
      res.writeHead(301, { location: `${pathname}/` });
      return void res.end();
    }
    const index = await readFile(join(target, 'index.html')).catch(() => undefined);
    if (index !== undefined) return send(res, 200, CONTENT_TYPES['.html'] ?? '', index, head);
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  }
  const body = info?.isFile() === true ? await readFile(target).catch(() => undefined) : undefined;
  if (body === undefined) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n', head);
  const type = CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream';
  return send(res, 200, type, body, head);
}

/**
 * The real path of `path` (a URL path, decoded) under `root`, or undefined if it would leave it: by `..`, by a
 * NUL or backslash, or by a symbolic link that points outside.
 */
async function within(root: string, path: string): Promise<string | undefined> {
  if (path.includes('\0') || path.includes('\\')) return undefined;
  const inside = (base: string, candidate: string): boolean => {
    const rel = relative(base, candidate);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  const target = resolve(root, `.${path}`);
  if (!inside(root, target)) return undefined;
  const [realRoot, realTarget] = await Promise.all([
    realpath(root).catch(() => root),
    realpath(target).catch(() => undefined),
  ]);
  return realTarget !== undefined && inside(realRoot, realTarget) ? realTarget : undefined;
}

function emptyPage(root: string): string {
  const escaped = root.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dashboards</title></head>
<body><h1>No dashboards yet</h1><p>The warehouse-ETL pipeline's publish stage writes them into ${escaped}.</p></body></html>
`;
}
