import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';

export interface CodecServerOptions {
  readonly host: string;
  readonly port: number;
  /** Browser origins (the Web UI) allowed by CORS; requests from any other origin are refused. */
  readonly uiOrigins: readonly string[];
  /** The bearer token every /encode and /decode request must carry. */
  readonly token: string;
  /** The project's codecs, in encoding order. */
  readonly codecs: readonly PayloadCodec[];
  /** One line per request: method, path, status, payload count; never a payload. */
  readonly log?: (line: string) => void;
}

export interface RunningCodecServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The JSON form of payloads in Temporal's codec server protocol: metadata values and data in base64. */
const PayloadsBody = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.string()).nullish(),
      data: z.string().nullish(),
    }),
  ),
});
type PayloadsBody = z.infer<typeof PayloadsBody>;

const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * Temporal's remote codec protocol (`POST /encode`, `POST /decode`, as the Web UI's codec endpoint and
 * `temporal --codec-endpoint` call it), running the same codecs as the worker: an authorized reader sees
 * decrypted payloads and claim-checked payloads resolved. Every request needs the bearer token (401 without),
 * CORS answers only the configured UI origins, and nothing about a payload is logged.
 */
export async function startCodecServer(options: CodecServerOptions): Promise<RunningCodecServer> {
  const log = options.log ?? (() => undefined);
  const expected = digest(options.token);
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`${req.method ?? ''} ${req.url ?? ''} 500 ${err instanceof Error ? err.name : 'error'}`);
      if (!res.headersSent) reply(res, 500, { error: 'codec server error' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    const allowed = origin !== undefined && options.uiOrigins.includes(origin);
    if (allowed) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    res.setHeader('Vary', 'Origin');
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    const op = path.endsWith('/decode') ? 'decode' : path.endsWith('/encode') ? 'encode' : undefined;
    const done = (status: number, body: unknown, count = 0): void => {
      log(`${req.method ?? ''} ${path} ${status}${count > 0 ? ` ${count} payloads` : ''}`);
      reply(res, status, body);
    };
    if (origin !== undefined && !allowed) return done(403, { error: `origin ${origin} is not allowed` });
    if (req.method === 'OPTIONS') return done(op !== undefined ? 204 : 404, undefined);
    if (op === undefined) return done(404, { error: 'POST /encode or /decode' });
    if (req.method !== 'POST') return done(405, { error: 'POST only' });
    if (!authorized(req.headers.authorization, expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return done(401, { error: 'a valid bearer token is required' });
    }
    const raw = await readBody(req);
    if (raw === undefined) return done(413, { error: `body above ${MAX_BODY_BYTES} bytes` });
    let body: PayloadsBody;
    try {
      body = PayloadsBody.parse(JSON.parse(raw));
    } catch {
      return done(400, { error: 'expected JSON {"payloads": [{"metadata": {...base64}, "data": base64}]}' });
    }
    const payloads = body.payloads.map(fromJson);
    let result: Payload[];
    try {
      result = op === 'encode' ? await encode(options.codecs, payloads) : await decode(options.codecs, payloads);
    } catch (err) {
      // Key ids and store paths only: codec errors never carry payload content.
      return done(422, { error: err instanceof Error ? err.message : String(err) });
    }
    done(200, { payloads: result.map(toJson) }, result.length);
  }

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

async function encode(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  let out = payloads;
  for (const codec of codecs) out = await codec.encode(out);
  return out;
}

async function decode(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  let out = payloads;
  for (const codec of [...codecs].reverse()) out = await codec.decode(out);
  return out;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests in constant time, so response timing says nothing about the token. */
function authorized(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), expected);
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((ok, fail) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => ok(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (body === undefined) {
    res.writeHead(status);
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function fromJson(p: PayloadsBody['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}
