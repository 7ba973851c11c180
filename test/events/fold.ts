import type { EventDb } from '../../src/events/db.js';
import { EMPTY_ORDER, evolve, type OrderEvent, type OrderState } from '../../src/events/domain.js';
import type { ProjectionName } from '../../src/events/projections.js';
import { readAll, type StoredEvent } from '../../src/events/store.js';

/**
 * The read models folded from scratch in TypeScript with the domain's own `evolve`, independently of the SQL the
 * projections run: what every read model must equal, row for row.
 */
export type Rows = Record<string, unknown>[];

interface Order {
  id: string;
  placed: Extract<OrderEvent, { type: 'OrderPlaced' }>['data'];
  state: OrderState;
  updatedAt: string;
}

export async function allEvents(db: EventDb, until = Number.MAX_SAFE_INTEGER): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ;) {
    const page = await readAll(db, after, 50_000);
    out.push(...page.filter((e) => e.position <= until));
    if (page.length < 50_000 || (page.at(-1)?.position ?? 0) >= until) return out;
    after = page.at(-1)?.position ?? after;
  }
}

export function foldReadModels(events: readonly StoredEvent[]): Record<ProjectionName, Rows> {
  const orders = new Map<string, Order>();
  const days = new Map<
    string,
    { orders: number; subtotal: number; order_total: number; paid: number; refunded: number }
  >();
  const customers = new Map<string, { orders: number; paid: number; refunded: number; first: string; last: string }>();
  for (const e of events) {
    const id = e.streamId.slice('order/'.length);
    const order: Order =
      orders.get(id) ??
      (e.event.type === 'OrderPlaced'
        ? { id, placed: e.event.data, state: EMPTY_ORDER, updatedAt: '' }
        : (() => {
            throw new Error(`${e.streamId} starts with ${e.event.type}`);
          })());
    order.state = evolve(order.state, e.event);
    order.updatedAt = e.recordedAt;
    orders.set(id, order);
    const day = order.placed.ordered_at.slice(0, 10);
    const d = days.get(day) ?? { orders: 0, subtotal: 0, order_total: 0, paid: 0, refunded: 0 };
    const at = order.placed.ordered_at.replace('T', ' ').replace('Z', '');
    const c = customers.get(order.placed.customer) ?? { orders: 0, paid: 0, refunded: 0, first: at, last: at };
    if (e.event.type === 'OrderPlaced') {
      d.orders += 1;
      d.subtotal += e.event.data.subtotal;
      d.order_total += e.event.data.order_total;
      c.orders += 1;
      c.first = at < c.first ? at : c.first;
      c.last = at > c.last ? at : c.last;
    }
    if (e.event.type === 'OrderPaid') {
      d.paid += e.event.data.amount;
      c.paid += e.event.data.amount;
    }
    if (e.event.type === 'OrderRefunded') {
      d.refunded += e.event.data.amount;
      c.refunded += e.event.data.amount;
    }
    days.set(day, d);
    customers.set(order.placed.customer, c);
  }
  const byKey = (key: string) => (a: Record<string, unknown>, b: Record<string, unknown>) =>
    String(a[key]) < String(b[key]) ? -1 : String(a[key]) > String(b[key]) ? 1 : 0;
  return {
    order_summary: [...orders.values()]
      .map((o) => ({
        id: o.id,
        customer: o.placed.customer,
        store_id: o.placed.store_id,
        ordered_at: o.placed.ordered_at.replace('T', ' ').replace('Z', ''),
        order_total: o.placed.order_total,
        status: o.state.status,
        paid: o.state.paid,
        refunded: o.state.refunded,
        version: o.state.version,
      }))
      .sort(byKey('id')),
    daily_revenue: [...days.entries()]
      .map(([date_key, d]) => ({ date_key, ...d, revenue: d.paid - d.refunded }))
      .sort(byKey('date_key')),
    customer_ltv: [...customers.entries()]
      .map(([customer, c]) => ({
        customer,
        orders: c.orders,
        paid: c.paid,
        refunded: c.refunded,
        ltv: c.paid - c.refunded,
        first_order_at: c.first,
        last_order_at: c.last,
      }))
      .sort(byKey('customer')),
  };
}

/** The same columns read from a read model (the serving view, or one version's table), ordered like the fold. */
export async function readModel(db: EventDb, name: ProjectionName, relation = `rm.${name}`): Promise<Rows> {
  const sql: Record<ProjectionName, string> = {
    order_summary: `SELECT id, customer, store_id, to_char(ordered_at, 'YYYY-MM-DD HH24:MI:SS') AS ordered_at,
      order_total::float8 AS order_total, status, paid::float8 AS paid, refunded::float8 AS refunded, version
      FROM ${relation} ORDER BY id COLLATE "C"`,
    daily_revenue: `SELECT to_char(date_key, 'YYYY-MM-DD') AS date_key, orders, subtotal::float8 AS subtotal,
      order_total::float8 AS order_total, paid::float8 AS paid, refunded::float8 AS refunded,
      revenue::float8 AS revenue FROM ${relation} ORDER BY date_key`,
    customer_ltv: `SELECT customer, orders, paid::float8 AS paid, refunded::float8 AS refunded, ltv::float8 AS ltv,
      to_char(first_order_at, 'YYYY-MM-DD HH24:MI:SS') AS first_order_at,
      to_char(last_order_at, 'YYYY-MM-DD HH24:MI:SS') AS last_order_at FROM ${relation} ORDER BY customer COLLATE "C"`,
  };
  return db.query(sql[name]);
}
