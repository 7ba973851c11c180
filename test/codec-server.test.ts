import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { ClaimCheckCodec } from '../src/temporal/claim-check.js';
import { EncryptionCodec, metadataText } from '../src/temporal/codec.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { PROJECT_CLI } from '../src/temporal/install-cli.js';
import { startWorker, testClient, unique } from './helpers.js';
import { startProcess, waitForOutput, type Running } from './faults/processes.js';

const UI_ORIGIN = 'http://127.0.0.1:8233';
const TOKEN = randomBytes(24).toString('hex');
const KEY = randomBytes(32);
let dir: string;
let env: NodeJS.ProcessEnv;
let server: Running;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stream-collab-codec-'));
  env = {
    ...process.env,
    STREAM_COLLAB_CODEC_KEYS: `k2:${KEY.toString('base64')}`,
    STREAM_COLLAB_CODEC_KEY_FILE: '',
    STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads'),
    STREAM_COLLAB_CODEC_SERVER_TOKEN: TOKEN,
  };
  server = startProcess(['bin/stream-collab.js', 'codec-server', '--port', '0', '--ui-origin', UI_ORIGIN], env);
  await waitForOutput(server, 'codec server: http://');
  url = /codec server: (http:\/\/\S+)/.exec(server.output())?.[1] ?? '';
});
afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');
const plain = { metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: json({ hello: 'world' }) };

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const Body = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), z.string()), data: z.string() })),
});

describe('stream-collab codec-server', () => {
  it('listens on loopback and refuses requests without a valid bearer token (401)', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await post('/decode', { payloads: [plain] })).status).toBe(401);
    expect(
      (await post('/decode', { payloads: [plain] }, { authorization: 'Bearer wrong-token-0123456789' })).status,
    ).toBe(401);
    expect((await post('/encode', { payloads: [plain] })).status).toBe(401);
  });

  it('encodes and decodes with the token: ciphertext names its key id, decoding gives the payload back', async () => {
    const encoded = await post('/encode', { payloads: [plain] }, auth);
    expect(encoded.status).toBe(200);
    const { payloads } = Body.parse(await encoded.json());
    const [sealed] = payloads;
    expect(Buffer.from(sealed?.metadata.encoding ?? '', 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed?.metadata['encryption-key-id'] ?? '', 'base64').toString()).toBe('k2');
    expect(Buffer.from(sealed?.data ?? '', 'base64').includes('world')).toBe(false);
    const decoded = await post('/decode', { payloads }, auth);
    expect(decoded.status).toBe(200);
    expect(await decoded.json()).toEqual({ payloads: [plain] });
  });

  it('decodes what the worker wrote: an encrypted claim-check reference resolves to the stored payload', async () => {
    const encryption = new EncryptionCodec([{ id: 'k2', key: KEY }]);
    const claimCheck = new ClaimCheckCodec({ dir: join(dir, 'payloads'), thresholdBytes: 1024, encryption });
    const big = {
      metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) },
      data: new Uint8Array(Buffer.from(JSON.stringify({ notes: 'x'.repeat(4096) }))),
    };
    const [wire] = await encryption.encode(await claimCheck.encode([big]));
    const sent = {
      metadata: Object.fromEntries(
        Object.entries(wire?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
      ),
      data: Buffer.from(wire?.data ?? []).toString('base64'),
    };
    const decoded = await post('/decode', { payloads: [sent] }, auth);
    expect(decoded.status).toBe(200);
    const { payloads } = Body.parse(await decoded.json());
    expect(JSON.parse(Buffer.from(payloads[0]?.data ?? '', 'base64').toString())).toEqual({ notes: 'x'.repeat(4096) });
  });

  it('names the key id it lacks', async () => {
    const other = new EncryptionCodec([{ id: 'k0-retired', key: randomBytes(32) }]);
    const [sealed] = await other.encode([
      { metadata: { encoding: new Uint8Array(Buffer.from('json/plain')) }, data: new Uint8Array(Buffer.from('1')) },
    ]);
    expect(sealed !== undefined && metadataText(sealed, 'encryption-key-id')).toBe('k0-retired');
    const response = await post(
      '/decode',
      {
        payloads: [
          {
            metadata: Object.fromEntries(
              Object.entries(sealed?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
            ),
            data: Buffer.from(sealed?.data ?? []).toString('base64'),
          },
        ],
      },
      auth,
    );
    expect(response.status).toBe(422);
    expect(z.object({ error: z.string() }).parse(await response.json()).error).toContain(
      'key id "k0-retired", which is not configured (configured: k2)',
    );
  });

  it('answers CORS preflight for the configured UI origin only', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/decode`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const allowed = await preflight(UI_ORIGIN);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(allowed.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, X-Namespace');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    const other = await preflight('http://evil.example:8233');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    // A request from another origin is refused even with the token.
    const cross = await post('/decode', { payloads: [plain] }, { ...auth, origin: 'http://evil.example:8233' });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('access-control-allow-origin')).toBeNull();
    const same = await post('/decode', { payloads: [plain] }, { ...auth, origin: UI_ORIGIN });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
  });

  it('lets `temporal workflow show --codec-endpoint` print a run decrypted, and only ciphertext without it', async () => {
    const marker = `codec_marker_${randomBytes(4).toString('hex')}`;
    const worker = await startWorker({ env });
    const { client, close } = await testClient(env);
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders', marker], target_model: 'fct_codec' },
        {
          id: unique('codec'),
          taskQueue: worker.taskQueue,
        },
      );
      expect((await waitChain(started.handle)).status).toBe('COMPLETED');
      // `-o json` prints each payload's data in base64: decode every one and look for the marker in them.
      const show = async (extra: readonly string[]): Promise<string> => {
        const { stdout } = await promisify(execFile)(
          PROJECT_CLI,
          [
            'workflow',
            'show',
            '-w',
            started.workflowId,
            '--address',
            inject('temporalAddress'),
            '-o',
            'json',
            ...extra,
          ],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        return [...stdout.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)]
          .map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8'))
          .join('\n');
      };
      const withoutCodec = await show([]);
      expect(withoutCodec.length).toBeGreaterThan(0);
      expect(withoutCodec).not.toContain(marker);
      expect(await show(['--codec-endpoint', url, '--codec-auth', `Bearer ${TOKEN}`])).toContain(marker);
    } finally {
      await worker.stop();
      await close();
    }
  });
});
