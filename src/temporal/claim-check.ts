import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import {
  ENCRYPTED_ENCODING,
  deserializePayload,
  metadataText,
  serializePayload,
  utf8,
  type EncryptionCodec,
} from './codec.js';

/** The metadata `encoding` of a payload that travels as a reference to the payload store. */
export const REFERENCE_ENCODING = 'binary/stream-collab-ref';
const SHA_METADATA = 'stream-collab-ref-sha256';

/** A reference names a payload the store does not hold, or holds altered. */
export class PayloadStoreError extends Error {
  override name = 'PayloadStoreError';
}

export interface ClaimCheckOptions {
  /** The folder the worker, the CLI and the codec server share (content-addressed files named by SHA-256). */
  readonly dir: string;
  /** Serialized payloads above this many bytes are stored and travel as a reference. */
  readonly thresholdBytes: number;
  /** Encrypts stored payloads at rest when a key is configured. */
  readonly encryption?: EncryptionCodec;
}

/**
 * The claim-check pattern as a payload codec, run before encryption: a payload above the threshold is written
 * to the payload store under the SHA-256 of its serialized form and replaced by a small reference, so a reply
 * far above Temporal's 2 MB payload limit goes through history as a few hundred bytes. Decoding reads it back
 * and checks the digest, so every reader with the codec (worker, CLI, codec server) sees the real payload.
 * Stored files are never deleted here: a reference in a retained history must keep resolving.
 */
export class ClaimCheckCodec implements PayloadCodec {
  constructor(private readonly options: ClaimCheckOptions) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.offload(p)));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((p) => this.resolve(p)));
  }

  private async offload(payload: Payload): Promise<Payload> {
    // Nearly every payload is far below the threshold: an upper bound on its serialized size spares serializing it.
    if (sizeBound(payload) <= this.options.thresholdBytes) return payload;
    const bytes = serializePayload(payload);
    if (bytes.length <= this.options.thresholdBytes) return payload;
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const stored =
      this.options.encryption !== undefined ? serializePayload(this.options.encryption.encrypt(payload)) : bytes;
    await mkdir(this.options.dir, { recursive: true });
    const file = join(this.options.dir, sha256);
    // Write then rename: a concurrent reader never sees half a file, and equal payloads share one file.
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, stored);
    await rename(temp, file);
    return {
      metadata: { encoding: utf8(REFERENCE_ENCODING), [SHA_METADATA]: utf8(sha256) },
      data: utf8(JSON.stringify({ sha256, bytes: bytes.length })),
    };
  }

  private async resolve(payload: Payload): Promise<Payload> {
    if (metadataText(payload, 'encoding') !== REFERENCE_ENCODING) return payload;
    const sha256 = metadataText(payload, SHA_METADATA) ?? '';
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new PayloadStoreError(`payload reference without a valid sha256`);
    const file = join(this.options.dir, sha256);
    let stored: Buffer;
    try {
      stored = await readFile(file);
    } catch {
      throw new PayloadStoreError(
        `payload ${sha256} is stored by reference but ${file} is missing; point STREAM_COLLAB_PAYLOAD_DIR (or OUT_DIR) at the worker's payload store`,
      );
    }
    const inner = deserializePayload(stored);
    if (this.options.encryption === undefined && metadataText(inner, 'encoding') === ENCRYPTED_ENCODING) {
      throw new PayloadStoreError(
        `payload ${sha256} is stored encrypted; configure STREAM_COLLAB_CODEC_KEYS to read it`,
      );
    }
    const plain = this.options.encryption !== undefined ? this.options.encryption.decrypt(inner) : inner;
    const bytes = serializePayload(plain);
    if (createHash('sha256').update(bytes).digest('hex') !== sha256) {
      throw new PayloadStoreError(`payload ${sha256} in ${file} does not match its digest`);
    }
    return plain;
  }
}

/**
 * An upper bound on a payload's serialized (protobuf) size without serializing it: each field costs its bytes
 * plus at most a tag and a length prefix; a key's UTF-8 form is at most three bytes per UTF-16 unit.
 */
function sizeBound(payload: Payload): number {
  const FIELD_OVERHEAD = 11;
  let bound = (payload.data?.length ?? 0) + FIELD_OVERHEAD;
  for (const [key, value] of Object.entries(payload.metadata ?? {})) {
    bound += 3 * key.length + (value?.length ?? 0) + 4 * FIELD_OVERHEAD;
  }
  return bound;
}
