import type { CommandRequest } from './domain.js';

/**
 * The order command contract (`CommandRequest` in domain.ts) checked without zod, for the order aggregate's update
 * validator. The workflow sandbox evaluates its modules for every workflow and keeps them while the workflow is
 * cached, so zod there cost each order aggregate about 1 MB and a fifth of its command throughput
 * (`npm run bench:events`). domain.ts stays the contract: the edge (CLI, client) checks with it, and
 * `test/events/command-check.test.ts` holds this check to it on generated commands, valid and not.
 */
export type CommandCheck =
  { readonly ok: true; readonly value: CommandRequest } | { readonly ok: false; readonly issues: readonly string[] };

type Fields = Record<string, (value: unknown, path: string) => string | undefined>;

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?Z?$/;

const cents =
  (positive: boolean) =>
  (value: unknown, path: string): string | undefined =>
    typeof value === 'number' && Number.isSafeInteger(value) && (positive ? value > 0 : value >= 0)
      ? undefined
      : `${path}: expected ${positive ? 'a positive' : 'a non-negative'} integer (cents), got ${show(value)}`;

const text =
  (optional: boolean) =>
  (value: unknown, path: string): string | undefined =>
    (optional && value === undefined) || (typeof value === 'string' && value.length >= 1)
      ? undefined
      : `${path}: expected a non-empty string, got ${show(value)}`;

const timestamp = (value: unknown, path: string): string | undefined =>
  typeof value === 'string' && TIMESTAMP.test(value)
    ? undefined
    : `${path}: expected YYYY-MM-DDTHH:MM:SS, got ${show(value)}`;

const DATA: Record<CommandRequest['command']['type'], Fields> = {
  PlaceOrder: {
    customer: text(false),
    store_id: text(false),
    ordered_at: timestamp,
    subtotal: cents(false),
    tax_paid: cents(false),
    order_total: cents(false),
  },
  PayOrder: { amount: cents(true) },
  ShipOrder: { carrier: text(true) },
  CancelOrder: { reason: text(false) },
  RefundOrder: { amount: cents(true), reason: text(true) },
};

/** Checks one command request; issues name the field (`command.data.amount: …`). */
export function checkCommandRequest(raw: unknown): CommandCheck {
  const issues: string[] = [];
  if (!isRecord(raw)) return { ok: false, issues: [`(command): expected a mapping, got ${show(raw)}`] };
  unknownKeys(raw, ['commandId', 'command'], '(command)', issues);
  const id = raw.commandId;
  if (typeof id !== 'string' || id.length < 1 || id.length > 200)
    issues.push(`commandId: expected a string of 1 to 200 characters, got ${show(id)}`);
  const command = raw.command;
  if (!isRecord(command)) {
    issues.push(`command: expected a mapping, got ${show(command)}`);
    return { ok: false, issues };
  }
  const type = command.type;
  const fields = typeof type === 'string' && Object.hasOwn(DATA, type) ? DATA[type as keyof typeof DATA] : undefined;
  if (fields === undefined) {
    issues.push(`command.type: expected one of ${Object.keys(DATA).join(', ')}, got ${show(type)}`);
    return { ok: false, issues };
  }
  unknownKeys(command, ['type', 'data'], 'command', issues);
  // ShipOrder's data may be left out (zod: `.default({})`).
  const data = type === 'ShipOrder' && command.data === undefined ? {} : command.data;
  if (!isRecord(data)) issues.push(`command.data: expected a mapping, got ${show(data)}`);
  else {
    unknownKeys(data, Object.keys(fields), 'command.data', issues);
    for (const [name, check] of Object.entries(fields)) {
      const issue = check(data[name], `command.data.${name}`);
      if (issue !== undefined) issues.push(issue);
    }
    if (
      type === 'PlaceOrder' &&
      issues.length === 0 &&
      data.order_total !== (data.subtotal as number) + (data.tax_paid as number)
    )
      issues.push('command.data.order_total: order_total must equal subtotal + tax_paid');
  }
  if (issues.length > 0 || !isRecord(data)) return { ok: false, issues };
  // Only the contract's fields, and no `undefined` where a field was left out (as zod returns it).
  const value = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
  return { ok: true, value: { commandId: id as string, command: { type, data: value } } as CommandRequest };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownKeys(value: Record<string, unknown>, known: readonly string[], path: string, issues: string[]): void {
  const extra = Object.keys(value).filter((k) => !known.includes(k));
  if (extra.length > 0) issues.push(`${path}: unrecognized key${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`);
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json === undefined ? typeof value : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
