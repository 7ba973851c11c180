import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkCommandRequest } from '../../src/events/command-check.js';
import { CommandRequest } from '../../src/events/domain.js';

/** Values a field may hold: right ones, near misses and wrong types. */
const anyValue = fc.oneof(
  fc.integer({ min: -3, max: 5_000 }),
  fc.constantFrom(0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1),
  fc.constantFrom('', 'x', 'cust-1', 'store-1', '2026-11-02T12:00:00', '2026-11-02 12:00:00.5Z', '2026-11-02', 'late'),
  fc.string({ maxLength: 4 }),
  fc.constantFrom(null, undefined, true, [], {}),
);

const FIELDS = ['customer', 'store_id', 'ordered_at', 'subtotal', 'tax_paid', 'order_total', 'amount', 'reason'];
const fieldName = fc.oneof(fc.constantFrom(...FIELDS, 'carrier'), fc.constantFrom('extra', 'Amount'));

/** Data with some of the contract's fields (right or wrong) and now and then one it does not know. */
const data = fc.oneof(
  fc.dictionary(fieldName, anyValue, { maxKeys: 7 }),
  // A valid PlaceOrder (whose total may or may not add up), so the refinement and the happy path are reached often.
  fc
    .record({
      customer: fc.constantFrom('c1', ''),
      store_id: fc.constant('s1'),
      ordered_at: fc.constantFrom('2026-11-02T12:00:00', '2026-11-02T12:00'),
      subtotal: fc.integer({ min: 0, max: 100 }),
      tax_paid: fc.integer({ min: 0, max: 10 }),
    })
    .chain((d) => fc.constantFrom(d.subtotal + d.tax_paid, d.subtotal).map((order_total) => ({ ...d, order_total }))),
  fc.record({ amount: fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -2, max: 300 })) }),
  fc.record({ amount: fc.integer({ min: 1, max: 300 }), reason: fc.constantFrom('r', '', undefined) }),
  fc.record({ carrier: fc.constantFrom('dhl', '', undefined) }, { requiredKeys: [] }),
  fc.constantFrom(undefined, null, 'x', [], {}),
);

const TYPES = ['PlaceOrder', 'PayOrder', 'ShipOrder', 'CancelOrder', 'RefundOrder'];

const request = fc.oneof(
  // A well-formed envelope, so most of the cases reach the data.
  fc.record({
    commandId: fc.constant('c-1'),
    command: fc.record({ type: fc.constantFrom(...TYPES), data }, { requiredKeys: ['type'] }),
  }),
  fc.record(
    {
      commandId: fc.oneof(fc.constantFrom('c-1', '', 'x'.repeat(200), 'x'.repeat(201)), fc.integer()),
      command: fc.oneof(
        fc.record(
          { type: fc.oneof(fc.constantFrom(...TYPES), fc.constantFrom('Ship', 'constructor', '')), data },
          { requiredKeys: ['type'] },
        ),
        fc.record({ type: fc.constantFrom(...TYPES), data, extra: fc.constant(1) }),
        anyValue,
      ),
    },
    { requiredKeys: ['command'] },
  ),
  fc.record({
    commandId: fc.constant('c-1'),
    command: fc.record({ type: fc.constant('PayOrder'), data }),
    more: anyValue,
  }),
  anyValue,
);

describe('the order aggregate’s command check', () => {
  it('accepts and rejects exactly what the zod contract does, and returns the same command', () => {
    fc.assert(
      fc.property(request, (raw) => {
        const zod = CommandRequest.safeParse(raw);
        const ours = checkCommandRequest(raw);
        expect(ours.ok).toBe(zod.success);
        if (ours.ok && zod.success) expect(ours.value).toEqual(zod.data);
        if (!ours.ok) expect(ours.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 5_000 },
    );
  });

  it('accepts each command type, and names the field it refuses', () => {
    const place = {
      customer: 'c1',
      store_id: 's1',
      ordered_at: '2026-11-02T12:00:00',
      subtotal: 100,
      tax_paid: 6,
      order_total: 106,
    };
    const ok = [
      { type: 'PlaceOrder', data: place },
      { type: 'PayOrder', data: { amount: 106 } },
      { type: 'ShipOrder' },
      { type: 'CancelOrder', data: { reason: 'changed my mind' } },
      { type: 'RefundOrder', data: { amount: 6, reason: 'late' } },
    ];
    for (const command of ok) expect(checkCommandRequest({ commandId: 'c', command }).ok).toBe(true);
    expect(checkCommandRequest({ commandId: 'c', command: { type: 'ShipOrder' } })).toEqual({
      ok: true,
      value: { commandId: 'c', command: { type: 'ShipOrder', data: {} } },
    });
    const refused = (command: unknown): readonly string[] => {
      const checked = checkCommandRequest({ commandId: 'c', command });
      return checked.ok ? [] : checked.issues;
    };
    expect(refused({ type: 'PayOrder', data: { amount: -5 } })).toEqual([
      'command.data.amount: expected a positive integer (cents), got -5',
    ]);
    expect(refused({ type: 'RefundOrder', data: { amount: 0 } })).toHaveLength(1);
    expect(refused({ type: 'PlaceOrder', data: { ...place, order_total: 100 } })).toEqual([
      'command.data.order_total: order_total must equal subtotal + tax_paid',
    ]);
    expect(refused({ type: 'Refund', data: {} })[0]).toMatch(/^command\.type: expected one of PlaceOrder, /);
    expect(refused({ type: 'CancelOrder', data: { reason: 'x', why: 1 } })).toEqual([
      'command.data: unrecognized key why',
    ]);
  });
});
