import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

const { Payload: PayloadMessage } = proto.temporal.api.common.v1;

/** The metadata `encoding` of an encrypted payload; the SDK refuses to read it without this codec. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key a payload was encrypted with, so a rotated key ring still finds it. */
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** One AES-256 key and the id recorded next to everything it encrypts. */
export interface CodecKey {
  readonly id: string;
  readonly key: Buffer;
}

/** A payload names a key id that is not configured: old histories need the key they were written with. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/**
 * AES-256-GCM over the whole serialized payload (data and metadata), after Temporal's encryption sample. The
 * first key encrypts; every key decrypts, so rotating means putting a new key first and keeping the old ones
 * until no history that needs them is retained. Payloads without the encrypted encoding pass through, so runs
 * started before a key was configured stay readable.
 */
export class EncryptionCodec implements PayloadCodec {
  private readonly byId: ReadonlyMap<string, Buffer>;

  constructor(private readonly keys: readonly [CodecKey, ...CodecKey[]]) {
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id new payloads are encrypted with. */
  get primaryKeyId(): string {
    return this.keys[0].id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  encrypt(payload: Payload): Payload {
    const { id, key } = this.keys[0];
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, key, iv);
    const plain = PayloadMessage.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(id) },
      data: sealed,
    };
  }

  decrypt(payload: Payload): Payload {
    if (metadataText(payload, 'encoding') !== ENCRYPTED_ENCODING) return payload;
    const id = metadataText(payload, KEY_ID_METADATA);
    const key = id !== undefined ? this.byId.get(id) : undefined;
    if (id === undefined || key === undefined) {
      throw new CodecKeyError(
        `payload encrypted with key id "${id ?? '(none)'}", which is not configured (configured: ${[...this.byId.keys()].join(', ')}); add that key to STREAM_COLLAB_CODEC_KEYS or STREAM_COLLAB_CODEC_KEY_FILE`,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES)
      throw new CodecKeyError(`payload encrypted with key id "${id}" is truncated`);
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return PayloadMessage.decode(plain);
    } catch {
      throw new CodecKeyError(
        `payload encrypted with key id "${id}" does not decrypt with the configured key of that id: the key material differs or the payload was altered`,
      );
    }
  }
}

/** A metadata entry as text, or undefined. */
export function metadataText(payload: Payload, key: string): string | undefined {
  const value = payload.metadata?.[key];
  return value === undefined || value === null ? undefined : Buffer.from(value).toString('utf8');
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

/** The serialized form the encryption and the claim check both work on. */
export function serializePayload(payload: Payload): Uint8Array {
  return PayloadMessage.encode(payload).finish();
}

export function deserializePayload(bytes: Uint8Array): Payload {
  return PayloadMessage.decode(bytes);
}
