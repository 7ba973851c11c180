import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDashboard } from '../src/etl/dashboard.js';
import { buildMarts, PARTITION } from './etl/dashboard-fixture.js';
import { runCli, startProcess, waitForOutput, type Running } from './processes.js';

let dir = '';
let dashboards = '';
let server: Running;
let base = '';

interface Answer {
  readonly status: number;
  readonly type: string | undefined;
  readonly location: string | undefined;
  readonly body: string;
}

/** A request with the path sent exactly as written (no URL normalisation), as a hostile client would send it. */
function get(path: string, method = 'GET'): Promise<Answer> {
  const url = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: url.hostname, port: url.port, path, method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () =>
        ok({ status: res.statusCode ?? 0, type: res.headers['content-type'], location: res.headers.location, body }),
      );
    });
    req.on('error', fail);
    req.end();
  });
}

const urlOf = (p: Running): string => /dashboards: (http:\/\/\S+)/.exec(p.output())?.[1] ?? '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dashboard-cli-'));
  dashboards = join(dir, 'dashboards');
  const warehouse = join(dir, 'warehouse.duckdb');
  await buildMarts(warehouse);
  await writeDashboard({
    warehouse,
    dir: join(dashboards, 'run-1'),
    title: 'run one',
    partition: PARTITION,
    marts: ['main.fct_sales', 'main.mart_customer_revenue'],
  });
  await writeFile(join(dir, 'secret.txt'), 'not for the browser');
  await symlink(join(dir, 'secret.txt'), join(dashboards, 'run-1', 'link.txt'));
  server = startProcess(['bin/stream-collab.js', 'dashboard', '--dir', dashboards, '--port', '0'], process.env);
  await waitForOutput(server, 'dashboards: http://');
  base = urlOf(server);
});

afterAll(async () => {
  server?.killGroup();
  await rm(dir, { recursive: true, force: true });
});

describe('stream-collab dashboard', () => {
  it('serves the runs index, a run page and its charts with their content types', async () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const root = await get('/');
    expect(root).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(root.body).toContain('<a href="run-1/">run one</a>');
    expect(await get('/run-1')).toMatchObject({ status: 301, location: '/run-1/' });
    const page = await get('/run-1/');
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    const svg = await get('/run-1/main.fct_sales.by-day.svg');
    expect(svg).toMatchObject({ status: 200, type: 'image/svg+xml' });
    expect(svg.body).toMatch(/^<svg /);
    expect((await get('/run-1/dashboard.json')).type).toBe('application/json; charset=utf-8');
    expect((await get('/run-1/nothing.svg')).status).toBe(404);
    expect((await get('/', 'POST')).status).toBe(405);
  });

  it('serves nothing outside its folder', async () => {
    for (const path of [
      '/../secret.txt',
      '/run-1/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/run-1/..%2f..%2fsecret.txt',
      '/..%5csecret.txt',
      '/run-1/link.txt',
      '/%00',
      '/%zz',
      '//secret.txt',
    ]) {
      const answer = await get(path);
      expect([400, 404], path).toContain(answer.status);
      expect(answer.body, path).not.toContain('not for the browser');
    }
  });

  it('takes any free port when 8300 is taken, refuses a taken --port, and stops on SIGTERM', async () => {
    // Hold 8300 if it is free; if another program holds it, it is taken all the same.
    const holder: Server = createServer();
    await new Promise<void>((ok) => {
      holder.once('error', () => ok());
      holder.listen(8300, '127.0.0.1', () => ok());
    });
    const fallback = startProcess(['bin/stream-collab.js', 'dashboard', '--dir', dashboards], process.env);
    try {
      await waitForOutput(fallback, 'dashboards: http://');
      expect(urlOf(fallback)).not.toBe('http://127.0.0.1:8300/');
      expect((await fetch(`${urlOf(fallback)}run-1/`)).status).toBe(200);
      const taken = await runCli(['dashboard', '--dir', dashboards, '--port', '8300'], process.env);
      expect(taken.code).toBe(2);
      expect(taken.stderr).toContain('--port 8300: the port is in use');
      expect(await fallback.stop()).toBe(0);
      expect(fallback.groupAlive()).toBe(false);
    } finally {
      fallback.killGroup();
      holder.close();
    }
  });
});
