import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter, PayloadCodec } from '@temporalio/common';
import { DEFAULT_OUT_DIR } from '../identity/index.js';
import { ClaimCheckCodec } from './claim-check.js';
import { CodecConfigError } from './codec-config-error.js';
import { EncryptionCodec, type CodecKey } from './codec.js';

export { CodecConfigError } from './codec-config-error.js';

/** Payloads above this go to the payload store by reference: well under Temporal's 2 MB payload limit. */
export const DEFAULT_REF_THRESHOLD = '256KiB';
/** A handoff payload above this fails the handoff (`PayloadsTooLarge`, not retried): see the activity. */
export const DEFAULT_HARD_LIMIT = '64MiB';

/** How payloads are encoded, from the environment; the same for the worker, the CLI, the demo and the tests. */
export interface CodecConfig {
  /** Encryption keys, the first encrypting; none means payloads are stored in plaintext. */
  readonly keys: readonly CodecKey[];
  /** The payload store shared by everyone that reads these histories. */
  readonly payloadDir: string;
  readonly refThresholdBytes: number;
  readonly hardLimitBytes: number;
}

/**
 * STREAM_COLLAB_CODEC_KEYS (`k2:<base64>,k1:<base64>`, 32-byte keys, first encrypts) or
 * STREAM_COLLAB_CODEC_KEY_FILE (the same list, one per line or comma-separated, `#` comments);
 * STREAM_COLLAB_PAYLOAD_DIR (default `$OUT_DIR/payloads`); STREAM_COLLAB_PAYLOAD_REF_THRESHOLD (default 256KiB);
 * STREAM_COLLAB_PAYLOAD_HARD_LIMIT (default 64MiB). Keys are read here and held in memory only.
 */
export function codecConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CodecConfig {
  const inline = nonEmpty(env.STREAM_COLLAB_CODEC_KEYS);
  const file = nonEmpty(env.STREAM_COLLAB_CODEC_KEY_FILE);
  if (inline !== undefined && file !== undefined) {
    throw new CodecConfigError('set STREAM_COLLAB_CODEC_KEYS or STREAM_COLLAB_CODEC_KEY_FILE, not both');
  }
  let keys: CodecKey[] = [];
  if (inline !== undefined) keys = parseKeys(inline, 'STREAM_COLLAB_CODEC_KEYS');
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CodecConfigError(
        `STREAM_COLLAB_CODEC_KEY_FILE: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    keys = parseKeys(text, `STREAM_COLLAB_CODEC_KEY_FILE (${file})`);
  }
  const refThresholdBytes = bytesSetting(env, 'STREAM_COLLAB_PAYLOAD_REF_THRESHOLD', DEFAULT_REF_THRESHOLD);
  const hardLimitBytes = bytesSetting(env, 'STREAM_COLLAB_PAYLOAD_HARD_LIMIT', DEFAULT_HARD_LIMIT);
  if (refThresholdBytes >= hardLimitBytes) {
    throw new CodecConfigError(
      `STREAM_COLLAB_PAYLOAD_REF_THRESHOLD (${refThresholdBytes} bytes) must be below STREAM_COLLAB_PAYLOAD_HARD_LIMIT (${hardLimitBytes} bytes)`,
    );
  }
  return {
    keys,
    payloadDir: resolve(
      nonEmpty(env.STREAM_COLLAB_PAYLOAD_DIR) ?? join(nonEmpty(env.OUT_DIR) ?? DEFAULT_OUT_DIR, 'payloads'),
    ),
    refThresholdBytes,
    hardLimitBytes,
  };
}

/** The codecs of a configuration, in encoding order: claim check first (so stored payloads are whole), then encryption. */
export function payloadCodecs(config: CodecConfig): PayloadCodec[] {
  const [first, ...rest] = config.keys;
  const encryption = first !== undefined ? new EncryptionCodec([first, ...rest]) : undefined;
  const claimCheck = new ClaimCheckCodec({
    dir: config.payloadDir,
    thresholdBytes: config.refThresholdBytes,
    ...(encryption !== undefined ? { encryption } : {}),
  });
  return encryption !== undefined ? [claimCheck, encryption] : [claimCheck];
}

/**
 * The one data converter every Client and Worker of this project gets (CLI, worker, demo, tests, codec
 * server). Runs already in flight keep working when a key is added: unencrypted payloads decode as before.
 */
export function buildDataConverter(config: CodecConfig): DataConverter {
  return {
    payloadCodecs: payloadCodecs(config),
    // With a key, failure messages go into the encoded attributes, which the codec encrypts; without one they
    // stay plain, where the Web UI's event list shows them.
    ...(config.keys.length > 0 ? { failureConverterPath: FAILURE_CONVERTER_PATH } : {}),
  };
}

export function dataConverterFromEnv(env: NodeJS.ProcessEnv = process.env): DataConverter {
  return buildDataConverter(codecConfigFromEnv(env));
}

/**
 * The failure converter module, for the workflow bundle and for the SDK, which `require`s it. The compiled file
 * when there is one (the SDK cannot require TypeScript), so tests running from source need `npm run build`.
 */
export const FAILURE_CONVERTER_PATH = ((): string => {
  const compiled = fileURLToPath(new URL('../../dist/temporal/failure-converter.js', import.meta.url));
  if (existsSync(compiled)) return compiled;
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./failure-converter${ext}`, import.meta.url));
})();

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

function parseKeys(text: string, source: string): CodecKey[] {
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/[,\s]+/))
    .filter((e) => e !== '');
  if (entries.length === 0) throw new CodecConfigError(`${source}: expected at least one <key id>:<base64 key>`);
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    // The key itself never goes into a message: only its position and id.
    if (!KEY_ID.test(id)) {
      throw new CodecConfigError(
        `${source}: entry ${i + 1}: expected <key id>:<base64 key>, key id of A-Z a-z 0-9 . _ -`,
      );
    }
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (key.length !== 32) {
      throw new CodecConfigError(
        `${source}: key "${id}": expected 32 bytes of base64 (openssl rand -base64 32), got ${key.length} bytes`,
      );
    }
    if (seen.has(id)) throw new CodecConfigError(`${source}: key id "${id}" is listed twice`);
    seen.add(id);
    return { id, key };
  });
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A size such as `262144`, `256KiB`, `3MB` or `64MiB` (binary units), in bytes. */
export function parseBytes(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  if (match === null || unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

function bytesSetting(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  const value = nonEmpty(env[name]) ?? fallback;
  const bytes = parseBytes(value);
  if (bytes === undefined)
    throw new CodecConfigError(`${name}: expected a size such as 256KiB or 64MiB, got "${value}"`);
  return bytes;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
