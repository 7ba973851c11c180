import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimCheckCodec, REFERENCE_ENCODING } from '../src/temporal/claim-check.js';
import { metadataText, serializePayload } from '../src/temporal/codec.js';

describe('the claim-check codec', () => {
  it('offloads exactly the payloads whose serialized form is above the threshold (the size bound never skips one)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'claim-check-'));
    const thresholdBytes = 200;
    const codec = new ClaimCheckCodec({ dir, thresholdBytes });
    await fc.assert(
      fc.asyncProperty(
        // Around the threshold, where an underestimate would let a payload through.
        fc.integer({ min: 120, max: 260 }).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })),
        fc.dictionary(fc.string({ maxLength: 12, unit: 'grapheme' }), fc.uint8Array({ maxLength: 40 }), {
          maxKeys: 3,
        }),
        async (data, metadata) => {
          const payload = { metadata, data };
          const [encoded] = await codec.encode([payload]);
          const offloaded = encoded !== undefined && metadataText(encoded, 'encoding') === REFERENCE_ENCODING;
          expect(offloaded).toBe(serializePayload(payload).length > thresholdBytes);
        },
      ),
      { numRuns: 400 },
    );
  });
});
