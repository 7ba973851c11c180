/**
 * Partitions: the slice of data one chain covers, and part of its workflow id. Pure date arithmetic in UTC,
 * shared by the CLI, the backfill workflow and scheduled runs, so it must stay deterministic and free of Node
 * built-ins. Changing how a date maps to a partition renames the partitions of runs already made.
 */
export const GRAINS = ['day', 'week', 'month'] as const;
export type Grain = (typeof GRAINS)[number];

/** The partitions a backfill covers: a date range at a grain, or a list given by hand. */
export type PartitionSource =
  { readonly range: { from: string; to: string; grain: Grain } } | { readonly list: readonly string[] };

/** At most this many partitions per backfill: far past any real need, short of an accidental century. */
export const MAX_PARTITIONS = 100_000;

export function isGrain(value: string): value is Grain {
  return GRAINS.some((g) => g === value);
}

export class PartitionRangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PartitionRangeError';
  }
}

/** A `YYYY-MM-DD` calendar date at 00:00 UTC, or undefined when it is not one (2026-02-30 is not). */
export function parseDay(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return undefined;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d ? date : undefined;
}

function iso(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Monday of the ISO week holding `date`. */
function weekStart(date: Date): Date {
  const back = (date.getUTCDay() + 6) % 7;
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() - back));
}

/** The partition a date falls in: `date_key=2026-11-01`, `week_key=2026-10-26` (its Monday), `month_key=2026-11`. */
export function partitionOf(date: Date, grain: Grain): string {
  if (grain === 'day') return `date_key=${iso(date)}`;
  if (grain === 'week') return `week_key=${iso(weekStart(date))}`;
  return `month_key=${iso(date).slice(0, 7)}`;
}

function step(date: Date, grain: Grain, n: number): Date {
  if (grain === 'day') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + n));
  if (grain === 'week') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 7 * n));
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + n, 1));
}

/** Every partition from `from` to `to`, both included, in order. Refuses a malformed or reversed range. */
export function expandRange(from: string, to: string, grain: Grain): string[] {
  const start = parseDay(from);
  const end = parseDay(to);
  if (start === undefined) throw new PartitionRangeError(`--from: expected a date as YYYY-MM-DD, got "${from}"`);
  if (end === undefined) throw new PartitionRangeError(`--to: expected a date as YYYY-MM-DD, got "${to}"`);
  if (end < start) throw new PartitionRangeError(`--to: expected a date on or after --from (${from}), got "${to}"`);
  const first =
    grain === 'week'
      ? weekStart(start)
      : grain === 'month'
        ? new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1))
        : start;
  const out: string[] = [];
  for (let d = first; d <= end; d = step(d, grain, 1)) {
    out.push(partitionOf(d, grain));
    if (out.length > MAX_PARTITIONS)
      throw new PartitionRangeError(`the range holds more than ${MAX_PARTITIONS} ${grain} partitions`);
  }
  return out;
}

/**
 * The partition a scheduled run processes: the one `lag` periods before its scheduled time, so a daily
 * schedule at 02:00 processes the previous day (lag 1), and lag 0 the current one.
 */
export function partitionForScheduledTime(scheduled: Date, grain: Grain, lag: number): string {
  return partitionOf(step(scheduled, grain, -lag), grain);
}
