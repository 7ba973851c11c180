import { describe, expect, it } from 'vitest';
import { expandRange, parseDay, partitionForScheduledTime, PartitionRangeError } from '../src/identity/index.js';

describe('partitions', () => {
  it('a day range crossing a month end, both ends included', () => {
    expect(expandRange('2026-01-30', '2026-02-02', 'day')).toEqual([
      'date_key=2026-01-30',
      'date_key=2026-01-31',
      'date_key=2026-02-01',
      'date_key=2026-02-02',
    ]);
  });

  it('leap days, week starts and months', () => {
    expect(expandRange('2028-02-28', '2028-03-01', 'day')).toHaveLength(3);
    expect(expandRange('2026-11-04', '2026-11-20', 'week')).toEqual([
      'week_key=2026-11-02',
      'week_key=2026-11-09',
      'week_key=2026-11-16',
    ]);
    expect(expandRange('2026-11-30', '2027-01-01', 'month')).toEqual([
      'month_key=2026-11',
      'month_key=2026-12',
      'month_key=2027-01',
    ]);
    expect(expandRange('2026-01-01', '2026-12-31', 'day')).toHaveLength(365);
  });

  it.each([
    ['2026-02-30', '2026-03-01', '--from: expected a date as YYYY-MM-DD, got "2026-02-30"'],
    ['2026-03-01', '03/05/2026', '--to: expected a date as YYYY-MM-DD, got "03/05/2026"'],
    ['2026-03-05', '2026-03-01', '--to: expected a date on or after --from (2026-03-05), got "2026-03-01"'],
  ])('refuses %s..%s', (from, to, message) => {
    expect(() => expandRange(from, to, 'day')).toThrow(new PartitionRangeError(message));
  });

  it('a daily schedule at 02:00 processes the previous day', () => {
    expect(partitionForScheduledTime(new Date('2026-11-27T02:00:00Z'), 'day', 1)).toBe('date_key=2026-11-26');
    expect(partitionForScheduledTime(new Date('2026-12-01T02:00:00Z'), 'day', 1)).toBe('date_key=2026-11-30');
    expect(partitionForScheduledTime(new Date('2026-12-01T02:00:00Z'), 'month', 1)).toBe('month_key=2026-11');
    expect(parseDay('2026-13-01')).toBeUndefined();
  });
});
