import { z } from 'zod';

/**
 * The shop's orders as an event-sourced aggregate: commands (what a caller asks), events (what happened) and the
 * pure functions between them. `decide` refuses what a shop would refuse; `evolve` folds events into state. Both
 * are deterministic and do no I/O, so the store folds with them inside its transaction and tests fold with them
 * from scratch. Amounts are integer cents, like the Jaffle Shop's `orders`.
 */

const Cents = z.number().int().nonnegative();
/** `YYYY-MM-DDTHH:MM:SS` (optionally fractional seconds and `Z`): the order's own clock, its first ten characters its day. */
const Timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/, 'expected YYYY-MM-DDTHH:MM:SS');

export const PlaceOrderData = z
  .strictObject({
    customer: z.string().min(1),
    store_id: z.string().min(1),
    ordered_at: Timestamp,
    subtotal: Cents,
    tax_paid: Cents,
    order_total: Cents,
  })
  .refine((d) => d.order_total === d.subtotal + d.tax_paid, {
    message: 'order_total must equal subtotal + tax_paid',
    path: ['order_total'],
  });
export type PlaceOrderData = z.infer<typeof PlaceOrderData>;

export const PayOrderData = z.strictObject({ amount: Cents.positive() });
export const ShipOrderData = z.strictObject({ carrier: z.string().min(1).optional() });
export const CancelOrderData = z.strictObject({ reason: z.string().min(1) });
export const RefundOrderData = z.strictObject({ amount: Cents.positive(), reason: z.string().min(1).optional() });

/**
 * A command on one order: its type and its data. Checked at the edge; the workflow's update validator checks the same
 * contract without zod (command-check.ts, held to this one by a test).
 */
export const OrderCommand = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('PlaceOrder'), data: PlaceOrderData }),
  z.strictObject({ type: z.literal('PayOrder'), data: PayOrderData }),
  z.strictObject({ type: z.literal('ShipOrder'), data: ShipOrderData.default({}) }),
  z.strictObject({ type: z.literal('CancelOrder'), data: CancelOrderData }),
  z.strictObject({ type: z.literal('RefundOrder'), data: RefundOrderData }),
]);
export type OrderCommand = z.infer<typeof OrderCommand>;

/** The data contract of each command type, for reading a command's data file at the edge. */
export const COMMAND_DATA = {
  PlaceOrder: PlaceOrderData,
  PayOrder: PayOrderData,
  ShipOrder: ShipOrderData,
  CancelOrder: CancelOrderData,
  RefundOrder: RefundOrderData,
} as const;
export type OrderCommandType = OrderCommand['type'];
export const ORDER_COMMAND_TYPES: readonly OrderCommandType[] = [
  'PlaceOrder',
  'PayOrder',
  'ShipOrder',
  'CancelOrder',
  'RefundOrder',
];

/**
 * An event as the store keeps it. `schema` is the version of the event type's data: a later change to a type's data
 * gets a new number and an upcaster, so events already stored stay readable (no upcasting exists yet: all are 1).
 */
export type OrderEvent =
  | { readonly type: 'OrderPlaced'; readonly schema: 1; readonly data: PlaceOrderData }
  | { readonly type: 'OrderPaid'; readonly schema: 1; readonly data: { readonly amount: number } }
  | { readonly type: 'OrderShipped'; readonly schema: 1; readonly data: { readonly carrier?: string } }
  | { readonly type: 'OrderCancelled'; readonly schema: 1; readonly data: { readonly reason: string } }
  | {
      readonly type: 'OrderRefunded';
      readonly schema: 1;
      readonly data: { readonly amount: number; readonly reason?: string };
    };
export type OrderEventType = OrderEvent['type'];

const StoredEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('OrderPlaced'), schema: z.literal(1), data: PlaceOrderData }),
  z.object({ type: z.literal('OrderPaid'), schema: z.literal(1), data: z.object({ amount: z.number().int() }) }),
  z.object({
    type: z.literal('OrderShipped'),
    schema: z.literal(1),
    data: z.object({ carrier: z.string().optional() }),
  }),
  z.object({ type: z.literal('OrderCancelled'), schema: z.literal(1), data: z.object({ reason: z.string() }) }),
  z.object({
    type: z.literal('OrderRefunded'),
    schema: z.literal(1),
    data: z.object({ amount: z.number().int(), reason: z.string().optional() }),
  }),
]);

/** An event read back from the store, checked (the place an upcaster of older `schema` versions would go). */
export function readEvent(type: string, schema: number, data: unknown): OrderEvent {
  return StoredEvent.parse({ type, schema, data });
}

export type OrderStatus = 'new' | 'placed' | 'paid' | 'shipped' | 'cancelled' | 'refunded';

/** An order as its events leave it. `cancelled` and `refunded` (all that was paid, refunded) are closed. */
export interface OrderState {
  readonly status: OrderStatus;
  readonly orderTotal: number;
  readonly paid: number;
  readonly refunded: number;
  /** How many events the stream holds: the expected version of the next append. */
  readonly version: number;
}

export const EMPTY_ORDER: OrderState = { status: 'new', orderTotal: 0, paid: 0, refunded: 0, version: 0 };

export function evolve(state: OrderState, event: OrderEvent): OrderState {
  const version = state.version + 1;
  switch (event.type) {
    case 'OrderPlaced':
      return { ...state, status: 'placed', orderTotal: event.data.order_total, version };
    case 'OrderPaid':
      return { ...state, status: 'paid', paid: state.paid + event.data.amount, version };
    case 'OrderShipped':
      return { ...state, status: 'shipped', version };
    case 'OrderCancelled':
      return { ...state, status: 'cancelled', version };
    case 'OrderRefunded': {
      const refunded = state.refunded + event.data.amount;
      const full = state.status !== 'cancelled' && refunded >= state.paid;
      return { ...state, status: full ? 'refunded' : state.status, refunded, version };
    }
  }
}

export function fold(events: readonly OrderEvent[], from: OrderState = EMPTY_ORDER): OrderState {
  return events.reduce(evolve, from);
}

/** What a command comes to: the events to append, or the reason the shop refuses it. */
export type Decision = { readonly events: OrderEvent[] } | { readonly rejected: string };

const CLOSED: readonly OrderStatus[] = ['cancelled', 'refunded'];

/** The shop's rules. A refusal appends nothing. */
export function decide(state: OrderState, command: OrderCommand): Decision {
  if (command.type !== 'PlaceOrder' && state.status === 'new') return { rejected: 'the order has not been placed' };
  if (CLOSED.includes(state.status)) return { rejected: `the order is ${state.status}: it takes no more commands` };
  switch (command.type) {
    case 'PlaceOrder':
      if (state.status !== 'new') return { rejected: 'the order has already been placed' };
      return { events: [{ type: 'OrderPlaced', schema: 1, data: command.data }] };
    case 'PayOrder':
      if (state.status !== 'placed') return { rejected: `the order is already ${state.status}` };
      if (command.data.amount !== state.orderTotal)
        return { rejected: `a payment must be the order total, ${state.orderTotal}, not ${command.data.amount}` };
      return { events: [{ type: 'OrderPaid', schema: 1, data: { amount: command.data.amount } }] };
    case 'ShipOrder':
      if (state.status === 'placed') return { rejected: 'an unpaid order cannot be shipped' };
      if (state.status === 'shipped') return { rejected: 'the order has already been shipped' };
      return { events: [{ type: 'OrderShipped', schema: 1, data: command.data }] };
    case 'CancelOrder': {
      if (state.status === 'shipped') return { rejected: 'a shipped order cannot be cancelled; refund it instead' };
      const cancelled: OrderEvent = { type: 'OrderCancelled', schema: 1, data: { reason: command.data.reason } };
      const owed = state.paid - state.refunded;
      // Cancelling a paid order gives the money back in the same append: both events or neither.
      return owed > 0
        ? { events: [cancelled, { type: 'OrderRefunded', schema: 1, data: { amount: owed, reason: 'cancelled' } }] }
        : { events: [cancelled] };
    }
    case 'RefundOrder': {
      if (state.status === 'placed') return { rejected: 'nothing has been paid to refund' };
      const refundable = state.paid - state.refunded;
      if (command.data.amount > refundable)
        return { rejected: `a refund of ${command.data.amount} is more than the ${refundable} left to refund` };
      return { events: [{ type: 'OrderRefunded', schema: 1, data: command.data }] };
    }
  }
}

/** `order/<id>`: the stream of one order. Ids are the shop's (Jaffle's are UUIDs). */
export const STREAM_ID = /^order\/[A-Za-z0-9_.-]{1,100}$/;
export const StreamId = z.string().regex(STREAM_ID, 'expected order/<id> (letters, digits, _ . -)');

/** A command as the aggregate's update takes it: the command, and the id that makes a retry append once. */
export const CommandRequest = z.strictObject({
  commandId: z.string().min(1).max(200),
  command: OrderCommand,
});
export type CommandRequest = z.infer<typeof CommandRequest>;
