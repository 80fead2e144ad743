import { DateTime } from 'luxon';
import { openIntervals, type Schedule } from '../reply-times/office-hours.js';

/**
 * The clinic's open time over a report's span, laid out for the database: the open intervals
 * as one sorted list of boundaries (open, close, open, close, …) with the working time reached
 * at each, so a report finds the working time at an instant with one binary search
 * (`width_bucket`) instead of walking days for each of many conversations.
 *
 * An instant is open exactly when `office-hours.ts` says so (`isOpenAt`), and the working time
 * between two instants is its `workingMinutesBetween`: `working-calendar.test.ts` holds them
 * against each other, across daylight-saving changes, holidays and half-hour offsets.
 */
export interface WorkingCalendar {
  /** Open-interval boundaries in epoch seconds, strictly increasing: odd positions open. */
  boundaries: number[];
  /** Working seconds from the calendar's start to each boundary. */
  workedAt: number[];
  /** The local midnight (epoch seconds) starting each day of the report, in order. */
  dayStarts: number[];
  /** The report's days, YYYY-MM-DD, in the same order as `dayStarts`. */
  days: string[];
  /** The report's span [start, end) (ms): the first local midnight and the one after the last day. */
  start: number;
  end: number;
  /**
   * The closed stretches of the report's span [from, to) (ms), cut at local midnights, each
   * with its day (1-based position in `days`), in order.
   */
  closed: { from: number; to: number; day: number }[];
}

/** Local midnight of a local date (the first instant of that date where midnight is skipped). */
export function localMidnight(date: string, timeZone: string): number {
  return DateTime.fromISO(date, { zone: timeZone }).startOf('day').toMillis();
}

/** The local dates from `from` to `to` (inclusive), YYYY-MM-DD. */
export function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  const last = DateTime.fromISO(to, { zone: 'utc' });
  for (let d = DateTime.fromISO(from, { zone: 'utc' }); d <= last; d = d.plus({ days: 1 }))
    days.push(d.toISODate()!);
  return days;
}

/**
 * The calendar of a report on the local days `from` to `to`: the day starts of those days, and
 * the open time from the first of them until `until` or the end of the last day, whichever is
 * later (a first reply may come after the report's last day).
 */
export function buildWorkingCalendar(
  s: Schedule,
  from: string,
  to: string,
  until: Date,
): WorkingCalendar {
  const days = daysBetween(from, to);
  const dayStarts = days.map((d) => localMidnight(d, s.timeZone));
  const start = dayStarts[0]!;
  const end = localMidnight(
    DateTime.fromISO(to, { zone: 'utc' }).plus({ days: 1 }).toISODate()!,
    s.timeZone,
  );
  const open = openIntervals(s, start, Math.max(end, until.getTime() + 1));
  const boundaries: number[] = [];
  const workedAt: number[] = [];
  let worked = 0;
  for (const [a, b] of open) {
    boundaries.push(a / 1000, b / 1000);
    workedAt.push(worked, (worked += (b - a) / 1000));
  }
  // The gaps between open intervals, day by day.
  const closed: WorkingCalendar['closed'] = [];
  let k = 0;
  dayStarts.forEach((from, i) => {
    const to = dayStarts[i + 1] ?? end;
    let x = from;
    while (k < open.length && open[k]![1] <= x) k += 1;
    for (let j = k; j < open.length && open[j]![0] < to; j += 1) {
      const [a, b] = open[j]!;
      if (a > x) closed.push({ from: x, to: Math.min(a, to), day: i + 1 });
      x = Math.max(x, Math.min(b, to));
    }
    if (x < to) closed.push({ from: x, to, day: i + 1 });
  });
  return {
    boundaries,
    workedAt,
    dayStarts: dayStarts.map((t) => t / 1000),
    days,
    start,
    end,
    closed,
  };
}

/** How many boundaries are at or before `seconds`: PostgreSQL's `width_bucket(seconds, boundaries)`. */
export function bucketOf(sortedBounds: number[], seconds: number): number {
  let lo = 0;
  let hi = sortedBounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedBounds[mid]! <= seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Working seconds from the calendar's start to an instant (epoch seconds); the SQL does the same. */
export function workedSecondsAt(c: WorkingCalendar, seconds: number): number {
  const k = bucketOf(c.boundaries, seconds);
  if (k === 0) return 0;
  return c.workedAt[k - 1]! + (k % 2 === 1 ? seconds - c.boundaries[k - 1]! : 0);
}

/** Whether the clinic is open at an instant (epoch seconds), by the calendar; the SQL does the same. */
export function isOpenInCalendar(c: WorkingCalendar, seconds: number): boolean {
  return bucketOf(c.boundaries, seconds) % 2 === 1;
}
