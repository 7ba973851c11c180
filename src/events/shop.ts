import type pg from 'pg';
import type { OrderCommand } from './domain.js';

/** An order of the sample shop (schema `jaffle`, as src/etl/jaffle.ts loads it): what a PlaceOrder carries. */
export interface ShopOrder {
  readonly id: string;
  readonly customer: string;
  readonly store_id: string;
  readonly ordered_at: string;
  readonly subtotal: number;
  readonly tax_paid: number;
  readonly order_total: number;
}

/** A small stable number from an order id, so the same order always gets the same story. */
function bucket(id: string, of: number): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619) >>> 0;
  return h % of;
}

/**
 * The commands that tell one order's story: most are placed, paid and shipped; some stay unpaid, some are
 * cancelled (before or after payment), some shipped and partly refunded, one in twenty also gets a command the
 * shop refuses (shipping it again). Deterministic per order id.
 */
export function commandsFor(order: ShopOrder): OrderCommand[] {
  const place: OrderCommand = {
    type: 'PlaceOrder',
    data: {
      customer: order.customer,
      store_id: order.store_id,
      ordered_at: order.ordered_at,
      subtotal: order.subtotal,
      tax_paid: order.tax_paid,
      order_total: order.order_total,
    },
  };
  const pay: OrderCommand = { type: 'PayOrder', data: { amount: order.order_total } };
  const ship: OrderCommand = { type: 'ShipOrder', data: {} };
  const story = bucket(order.id, 20);
  if (order.order_total === 0) return [place];
  if (story === 0) return [place];
  if (story === 1) return [place, { type: 'CancelOrder', data: { reason: 'customer changed their mind' } }];
  if (story === 2) return [place, pay, { type: 'CancelOrder', data: { reason: 'out of stock' } }];
  if (story === 3)
    return [
      place,
      pay,
      ship,
      { type: 'RefundOrder', data: { amount: Math.max(1, Math.floor(order.order_total / 4)) } },
    ];
  if (story === 4) return [place, pay, ship, ship];
  return [place, pay, ship];
}

/** The sample shop's orders, oldest first (`limit` of them). */
export async function readShopOrders(client: pg.Client, options: { schema?: string; limit?: number } = {}) {
  const rows = await client.query<{
    id: string;
    customer: string;
    store_id: string;
    ordered_at: string;
    subtotal: string;
    tax_paid: string;
    order_total: string;
  }>(
    `SELECT id, customer, store_id, to_char(ordered_at, 'YYYY-MM-DD"T"HH24:MI:SS') AS ordered_at,
       subtotal, tax_paid, order_total FROM ${options.schema ?? 'jaffle'}.orders ORDER BY ordered_at, id LIMIT $1`,
    [options.limit ?? null],
  );
  return rows.rows.map((r): ShopOrder => ({
    ...r,
    subtotal: Number(r.subtotal),
    tax_paid: Number(r.tax_paid),
    order_total: Number(r.order_total),
  }));
}

/** Orders like the shop's, without the shop: `n` of them over `days` days from `from`, for tests and benchmarks. */
export function syntheticOrders(
  n: number,
  options: { from?: string; days?: number; customers?: number; prefix?: string } = {},
) {
  const from = Date.parse(`${options.from ?? '2026-10-01'}T00:00:00Z`);
  const days = options.days ?? 30;
  const customers = options.customers ?? Math.max(1, Math.floor(n / 8));
  return Array.from({ length: n }, (_, i): ShopOrder => {
    const id = `${options.prefix ?? 's'}${String(i).padStart(7, '0')}`;
    const subtotal = 100 * (1 + bucket(id + 'amount', 80));
    const tax = Math.round(subtotal * 0.06);
    const at = new Date(from + bucket(id + 'day', days) * 86_400_000 + bucket(id + 'time', 86_400) * 1000);
    return {
      id,
      customer: `c${bucket(id + 'customer', customers)}`,
      store_id: `store-${bucket(id + 'store', 4)}`,
      ordered_at: at.toISOString().slice(0, 19),
      subtotal,
      tax_paid: tax,
      order_total: subtotal + tax,
    };
  });
}
