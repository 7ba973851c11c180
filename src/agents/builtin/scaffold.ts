import { stringify } from 'yaml';
import type { PlanItem } from '../../contracts/scaffold-output.js';
import { StreamToScaffold } from '../../contracts/stream-to-scaffold.js';
import { reject, unsupported } from './reject.js';
import type { BuiltinAgent } from './types.js';

const HOURS_PER_MONTH = 730;

/**
 * The price table the built-in Scaffold estimates with: illustrative on-demand list prices in USD, close to
 * public cloud prices in 2026 but not a quote. Change the version when changing a price, so estimates in
 * recorded chains say which table they came from.
 */
export const PRICE_TABLE = {
  version: 'stream-collab list prices 2026-11 (USD, illustrative)',
  kafkaBrokerHour: 0.21,
  kafkaStorageGbMonth: 0.1,
  sparkGbMemoryHour: 0.0125,
  snowflakeCredit: 3.0,
  snowflakeCreditsPerHour: {
    XSMALL: 1,
    SMALL: 2,
    MEDIUM: 4,
    LARGE: 8,
    XLARGE: 16,
    '2XLARGE': 32,
    '3XLARGE': 64,
    '4XLARGE': 128,
  },
  /** Hours a day a warehouse runs unless the need says `active_hours_per_day`. */
  warehouseActiveHoursPerDay: 8,
} as const;

function gigabytes(size: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(GB|TB|PB)/i.exec(size);
  const n = Number(match?.[1] ?? 0);
  const unit = (match?.[2] ?? 'GB').toUpperCase();
  return unit === 'PB' ? n * 1_000_000 : unit === 'TB' ? n * 1000 : n;
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

function item(resource: string, spec: string, quantity: number, unit: string, unitPrice: number): PlanItem {
  return { resource, spec, quantity, unit, unit_price_usd: unitPrice, monthly_cost_usd: round2(quantity * unitPrice) };
}

/** The built-in Scaffold: a provisioning plan for the needs, priced from PRICE_TABLE per month. */
export const scaffold: BuiltinAgent = async (envelope) => {
  if (envelope.input_contract !== 'stream-to-scaffold' || envelope.reply_contract !== 'scaffold-output') {
    throw unsupported('scaffold', envelope.input_contract, envelope.reply_contract);
  }
  const { infrastructure_needs: needs } = StreamToScaffold.parse(envelope.payload);
  const plan: PlanItem[] = [];
  const p = PRICE_TABLE;
  if (needs.kafka) {
    const { brokers, storage } = needs.kafka;
    plan.push(item('kafka.broker', `${brokers} brokers`, brokers * HOURS_PER_MONTH, 'broker-hour', p.kafkaBrokerHour));
    plan.push(item('kafka.storage', storage, gigabytes(storage), 'GB-month', p.kafkaStorageGbMonth));
  }
  if (needs.spark) {
    const { workers, memory } = needs.spark;
    const gb = Number(/^(\d+)/.exec(memory)?.[1] ?? 0);
    plan.push(
      item('spark.workers', `${workers} × ${gb}GB`, workers * gb * HOURS_PER_MONTH, 'GB-hour', p.sparkGbMemoryHour),
    );
  }
  if (needs.warehouse) {
    const { type, warehouse_size: size } = needs.warehouse;
    if (type.toLowerCase() !== 'snowflake') {
      throw reject(
        'scaffold',
        `infrastructure_needs.warehouse.type: no prices for "${type}"; the price table knows Snowflake`,
      );
    }
    const hours =
      typeof needs.warehouse.active_hours_per_day === 'number'
        ? needs.warehouse.active_hours_per_day
        : p.warehouseActiveHoursPerDay;
    const credits = p.snowflakeCreditsPerHour[size] * hours * 30;
    plan.push(item('warehouse.snowflake', `${size}, ${hours} h/day`, credits, 'credit', p.snowflakeCredit));
  }
  const monthly = round2(plan.reduce((sum, i) => sum + i.monthly_cost_usd, 0));
  return {
    plan,
    monthly_cost_usd: monthly,
    price_table: p.version,
    artifacts: [
      {
        name: 'provisioning-plan.yaml',
        content: stringify({ infrastructure_needs: needs, plan, monthly_cost_usd: monthly, price_table: p.version }),
      },
    ],
  };
};
