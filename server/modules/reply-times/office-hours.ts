// Office-hour arithmetic for reply-by promises (SPEC rule 12) and out-of-hours replies (rule 13).
// Time zones come from luxon: it reads IANA zones and their daylight-saving rules through the
// platform's Intl (no bundled tz data to keep current), is well kept, and runs on Node 20+.
//
// The definition every function follows: an instant is OPEN iff its local wall-clock date (in
// the schedule's time zone) is not a holiday, that date's weekday has an entry, and its local
// wall time t satisfies opens <= t < closes. So wall times skipped by a spring-forward change
// are simply not open, and wall times repeated by a fall-back change are open both times.
//
// The code never walks minute by minute: it walks spans of constant UTC offset (one day at a
// time, a transition found by bisection) and, inside each span, the local dates it covers.
import { DateTime, IANAZone } from 'luxon';

export interface OfficeDay {
  /** ISO weekday: 1 Monday .. 7 Sunday. */
  weekday: number;
  /** Local wall time "HH:MM". */
  opens: string;
  /** Local wall time "HH:MM", after `opens`. */
  closes: string;
}

export interface Schedule {
  /** IANA time zone of the chamber, e.g. "Europe/London". */
  timeZone: string;
  officeHours: OfficeDay[];
  /** Local dates "YYYY-MM-DD", closed all day. */
  holidays: string[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** How far ahead any search looks before it gives up (about three years). */
const HORIZON = 1100 * DAY;

interface Compiled {
  zone: IANAZone;
  /** Open wall-time ranges in ms since local midnight, by ISO weekday (index 1..7), sorted. */
  byWeekday: [number, number][][];
  /** The valid entries as configured, by ISO weekday, earliest first. */
  daysByWeekday: OfficeDay[][];
  holidays: Set<string>;
  hasHours: boolean;
}

function parseWallTime(hhmm: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return null;
  return (h * 60 + min) * MINUTE;
}

function compile(s: Schedule): Compiled {
  const zone = IANAZone.create(s.timeZone);
  if (!zone.isValid) throw new RangeError(`Unknown time zone: ${s.timeZone}`);
  const entries: { day: OfficeDay; opens: number; closes: number }[] = [];
  for (const day of s.officeHours) {
    const opens = parseWallTime(day.opens);
    const closes = parseWallTime(day.closes);
    if (opens === null || closes === null || closes <= opens) continue;
    if (!Number.isInteger(day.weekday) || day.weekday < 1 || day.weekday > 7) continue;
    entries.push({ day, opens, closes });
  }
  entries.sort((a, b) => a.opens - b.opens);
  const byWeekday: [number, number][][] = Array.from({ length: 8 }, () => []);
  const daysByWeekday: OfficeDay[][] = Array.from({ length: 8 }, () => []);
  for (const e of entries) {
    // Overlapping entries of one weekday merge, so no minute counts twice.
    const ranges = byWeekday[e.day.weekday]!;
    const last = ranges[ranges.length - 1];
    if (last && e.opens <= last[1]) last[1] = Math.max(last[1], e.closes);
    else ranges.push([e.opens, e.closes]);
    daysByWeekday[e.day.weekday]!.push(e.day);
  }
  const hasHours = entries.length > 0;
  return { zone, byWeekday, daysByWeekday, holidays: new Set(s.holidays), hasHours };
}

/** Offset of the zone at `ts`, in ms (luxon gives minutes). */
function offsetAt(c: Compiled, ts: number): number {
  return c.zone.offset(ts) * MINUTE;
}

/** The first instant in (lo, hi] whose offset differs from the one at `lo` (known to differ at `hi`). */
function bisectTransition(c: Compiled, lo: number, hi: number, offsetLo: number): number {
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (offsetAt(c, mid) === offsetLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

function isoDate(wallMidnight: number): string {
  return new Date(wallMidnight).toISOString().slice(0, 10);
}

/** Open wall-time ranges of the local date starting at `wallMidnight` (ms, wall clock as UTC). */
function rangesOn(c: Compiled, wallMidnight: number): [number, number][] {
  const jsDay = new Date(wallMidnight).getUTCDay();
  const ranges = c.byWeekday[jsDay === 0 ? 7 : jsDay]!;
  if (ranges.length === 0 || c.holidays.has(isoDate(wallMidnight))) return [];
  return ranges;
}

/**
 * Open intervals [a, b) (UTC ms) that meet [start, end), in time order, clipped to it. An open
 * stretch may come out in more than one piece (at an offset change or a day's probe boundary).
 */
function* openPieces(c: Compiled, start: number, end: number): Generator<[number, number]> {
  let x = start;
  while (x < end) {
    // A span [x, y) of constant offset: probe a day ahead; bisect when the offset changed.
    // (No zone changes its offset twice within a day and back again.)
    const offset = offsetAt(c, x);
    let y = Math.min(end, x + DAY);
    if (offsetAt(c, y) !== offset) y = bisectTransition(c, x, y, offset);
    const wallFrom = x + offset;
    const wallTo = y + offset;
    for (let d = Math.floor(wallFrom / DAY) * DAY; d < wallTo; d += DAY) {
      for (const [opens, closes] of rangesOn(c, d)) {
        const a = Math.max(d + opens, wallFrom) - offset;
        const b = Math.min(d + closes, wallTo) - offset;
        if (a < b) yield [a, b];
      }
    }
    x = y;
  }
}

/**
 * The open intervals [a, b) (UTC ms) meeting [start, end), clipped to it, in time order, with
 * pieces that touch merged: for laying a schedule out once over a long span (Message Reports).
 */
export function openIntervals(s: Schedule, start: number, end: number): [number, number][] {
  const out: [number, number][] = [];
  for (const [a, b] of openPieces(compile(s), start, end)) {
    const last = out[out.length - 1];
    if (last && last[1] >= a) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Whether the clinic is open at `at` under the schedule. */
export function isOpenAt(s: Schedule, at: Date): boolean {
  const c = compile(s);
  const t = at.getTime();
  for (const [a] of openPieces(c, t, t + 1)) if (a <= t) return true;
  return false;
}

/** The earliest instant by which `workingHours` of open time have passed since `from`; null when the clinic never opens. */
export function replyBy(s: Schedule, from: Date, workingHours: number): Date | null {
  const c = compile(s);
  const t = from.getTime();
  let remaining = Math.round(workingHours * HOUR);
  if (remaining <= 0) return new Date(t);
  if (!c.hasHours) return null;
  for (const [a, b] of openPieces(c, t, t + HORIZON)) {
    if (b - a >= remaining) return new Date(a + remaining);
    remaining -= b - a;
  }
  return null;
}

/** When the clinic next opens from `at` (`at` itself while open); null when it never opens. */
export function nextOpening(s: Schedule, at: Date): Date | null {
  const c = compile(s);
  if (!c.hasHours) return null;
  const t = at.getTime();
  for (const [a] of openPieces(c, t, t + HORIZON)) return new Date(a);
  return null;
}

/** Open time in [from, to), in minutes (fractional when the ends are not on whole minutes). */
export function workingMinutesBetween(s: Schedule, from: Date, to: Date): number {
  const c = compile(s);
  const t0 = from.getTime();
  const t1 = to.getTime();
  if (!(t1 > t0) || !c.hasHours) return 0;
  let total = 0;
  for (const [a, b] of openPieces(c, t0, t1)) total += b - a;
  return total / MINUTE;
}

/** The office hours of the local day containing `at`; null on a closed weekday or a holiday. */
export function hoursOn(s: Schedule, at: Date): { opens: string; closes: string } | null {
  const c = compile(s);
  const local = DateTime.fromMillis(at.getTime(), { zone: c.zone });
  if (!local.isValid || c.holidays.has(local.toISODate())) return null;
  const day = c.daysByWeekday[local.weekday]?.[0];
  return day ? { opens: day.opens, closes: day.closes } : null;
}
