import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadChain } from '../src/cli/load-chain.js';
import { startChain, waitChain } from '../src/temporal/chains.js';
import { codecConfigFromEnv, CodecConfigError } from '../src/temporal/data-converter.js';
import { cli } from './cli-process.js';
import { startWorker, testClient, unique } from './helpers.js';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;
const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'stream-collab-rotation-'));
  dirs.push(dir);
  return dir;
}

describe('codec keys', () => {
  it('come from STREAM_COLLAB_CODEC_KEYS or a key file, first one encrypting; bad ones are refused by name', async () => {
    const dir = await tempDir();
    const file = join(dir, 'keys');
    await writeFile(file, `# rotated 2026-11\n${k2}\n${k1}\n`);
    expect(codecConfigFromEnv({ STREAM_COLLAB_CODEC_KEY_FILE: file }).keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(codecConfigFromEnv({ STREAM_COLLAB_CODEC_KEYS: `${k2},${k1}` }).keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(codecConfigFromEnv({}).keys).toEqual([]);
    const refused = (env: NodeJS.ProcessEnv): string => {
      try {
        codecConfigFromEnv(env);
      } catch (err) {
        expect(err).toBeInstanceOf(CodecConfigError);
        return err instanceof Error ? err.message : '';
      }
      return 'accepted';
    };
    expect(refused({ STREAM_COLLAB_CODEC_KEYS: k1, STREAM_COLLAB_CODEC_KEY_FILE: file })).toContain('not both');
    expect(refused({ STREAM_COLLAB_CODEC_KEYS: 'k1:c2hvcnQ=' })).toContain('key "k1": expected 32 bytes');
    expect(refused({ STREAM_COLLAB_CODEC_KEYS: `${k1},${k1}` })).toContain('"k1" is listed twice');
    expect(refused({ STREAM_COLLAB_CODEC_KEY_FILE: join(dir, 'missing') })).toContain('cannot read');
    expect(refused({ STREAM_COLLAB_PAYLOAD_REF_THRESHOLD: 'lots' })).toContain('STREAM_COLLAB_PAYLOAD_REF_THRESHOLD');
    // The key material never shows in a message.
    expect(refused({ STREAM_COLLAB_CODEC_KEYS: `${k1},${k1}` })).not.toContain(k1.slice(3));
  });

  it('rotate: a chain written with k1 reads back with k2,k1; with k2 alone the CLI names the missing k1', async () => {
    const dir = await tempDir();
    const base = { ...process.env, STREAM_COLLAB_PAYLOAD_DIR: join(dir, 'payloads'), STREAM_COLLAB_CODEC_KEY_FILE: '' };
    const before = { ...base, STREAM_COLLAB_CODEC_KEYS: k1 };
    const worker = await startWorker({ env: before });
    const { client, close } = await testClient(before);
    let workflowId: string;
    try {
      const started = await startChain(
        client,
        'schema-to-pipeline',
        { source_tables: ['orders'], target_model: 'fct_rotation' },
        { id: unique('rotation'), taskQueue: worker.taskQueue },
      );
      workflowId = started.workflowId;
      expect((await waitChain(started.handle)).status).toBe('COMPLETED');
    } finally {
      await close();
      await worker.stop();
    }
    const after = await testClient({ ...base, STREAM_COLLAB_CODEC_KEYS: `${k2},${k1}` });
    try {
      const loaded = await loadChain(after.client, workflowId);
      expect(loaded.outcome.state?.handoffs[0]?.input).toEqual({
        source_tables: ['orders'],
        target_model: 'fct_rotation',
      });
    } finally {
      await after.close();
    }
    const lost = await cli(['handoffs', workflowId], {
      STREAM_COLLAB_PAYLOAD_DIR: base.STREAM_COLLAB_PAYLOAD_DIR,
      STREAM_COLLAB_CODEC_KEYS: k2,
    });
    expect(lost.code).not.toBe(0);
    expect(lost.stderr).toContain('payload encrypted with key id "k1", which is not configured (configured: k2)');
  });
});
