import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isOpenAt, workingMinutesBetween, type Schedule } from '../reply-times/office-hours.js';
import {
  buildWorkingCalendar,
  daysBetween,
  isOpenInCalendar,
  workedSecondsAt,
} from './working-calendar.js';

// The report's calendar (what the database reads) against the office-hour arithmetic of rule 12:
// an instant is open in the calendar exactly when `isOpenAt` says so, and the working time
// between two instants is `workingMinutesBetween`, across clock changes, holidays and zones with
// half-hour offsets.

const DAY = 86_400_000;

const schedules: Record<string, Schedule> = {
  'London Mon–Fri 08:00–18:30, a holiday': {
    timeZone: 'Europe/London',
    officeHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '08:00', closes: '18:30' })),
    holidays: ['2026-03-30', '2026-10-26'],
  },
  // Open in the small hours of Sunday: the hour skipped in March and the hour repeated in October.
  'London Sunday 00:30–02:30': {
    timeZone: 'Europe/London',
    officeHours: [{ weekday: 7, opens: '00:30', closes: '02:30' }],
    holidays: [],
  },
  'Kolkata (+05:30) Mon–Sat 09:00–17:00': {
    timeZone: 'Asia/Kolkata',
    officeHours: [1, 2, 3, 4, 5, 6].map((weekday) => ({
      weekday,
      opens: '09:00',
      closes: '17:00',
    })),
    holidays: ['2026-03-27'],
  },
  'Adelaide (+09:30/+10:30) two entries a day': {
    timeZone: 'Australia/Adelaide',
    officeHours: [
      { weekday: 1, opens: '08:00', closes: '12:00' },
      { weekday: 1, opens: '13:00', closes: '17:00' },
      { weekday: 7, opens: '01:00', closes: '04:00' },
    ],
    holidays: [],
  },
  'never open': { timeZone: 'Europe/London', officeHours: [], holidays: [] },
};

// The span covers the last Sundays of March and October 2026 (Europe) and the first Sunday of
// April and October (Adelaide); the calendar goes on to `until`, after the range.
const FROM = '2026-03-20';
const TO = '2026-10-31';
const UNTIL = new Date('2026-11-10T12:00:00Z');

describe.each(Object.entries(schedules))('the calendar of %s', (_name, s) => {
  const calendar = buildWorkingCalendar(s, FROM, TO, UNTIL);
  const start = calendar.start;
  const end = UNTIL.getTime();
  const instant = fc.integer({ min: start, max: end - 1 });

  it('is open exactly when isOpenAt says so', () => {
    fc.assert(
      fc.property(instant, (t) => {
        expect(isOpenInCalendar(calendar, t / 1000)).toBe(isOpenAt(s, new Date(t)));
      }),
      { numRuns: 500 },
    );
  });

  it('is open exactly when isOpenAt says so on either side of each boundary', () => {
    // The last boundary may be the calendar's own end (it stops just after UNTIL).
    for (const b of calendar.boundaries.filter((x) => x * 1000 < end)) {
      for (const t of [Math.round(b * 1000) - 1, Math.round(b * 1000)]) {
        expect(isOpenInCalendar(calendar, t / 1000), new Date(t).toISOString()).toBe(
          isOpenAt(s, new Date(t)),
        );
      }
    }
  });

  it('gives the working time between two instants as workingMinutesBetween', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        const [t0, t1] = a <= b ? [a, b] : [b, a];
        const worked =
          (workedSecondsAt(calendar, t1 / 1000) - workedSecondsAt(calendar, t0 / 1000)) / 60;
        expect(worked).toBeCloseTo(workingMinutesBetween(s, new Date(t0), new Date(t1)), 6);
      }),
      { numRuns: 300 },
    );
  });

  it('lists the closed stretches of the range, each on its local day', () => {
    const inClosed = (t: number) => calendar.closed.find((c) => c.from <= t && t < c.to);
    fc.assert(
      fc.property(fc.integer({ min: calendar.start, max: calendar.end - 1 }), (t) => {
        const stretch = inClosed(t);
        expect(Boolean(stretch)).toBe(!isOpenAt(s, new Date(t)));
        if (stretch) expect(calendar.dayStarts[stretch.day - 1]! * 1000).toBeLessThanOrEqual(t);
        if (stretch && stretch.day < calendar.dayStarts.length)
          expect(t).toBeLessThan(calendar.dayStarts[stretch.day]! * 1000);
      }),
      { numRuns: 500 },
    );
    for (let i = 1; i < calendar.closed.length; i += 1)
      expect(calendar.closed[i]!.from).toBeGreaterThanOrEqual(calendar.closed[i - 1]!.to);
  });

  it('starts each day of the range at its local midnight', () => {
    expect(calendar.days).toEqual(daysBetween(FROM, TO));
    expect(calendar.dayStarts).toHaveLength(calendar.days.length);
    for (let i = 1; i < calendar.dayStarts.length; i += 1) {
      const hours = (calendar.dayStarts[i]! - calendar.dayStarts[i - 1]!) / 3600;
      expect([23, 24, 25]).toContain(hours);
    }
  });
});

describe('the calendar of a day-light saving change in London', () => {
  const s = schedules['London Sunday 00:30–02:30']!;
  const calendar = buildWorkingCalendar(
    s,
    '2026-03-29',
    '2026-03-29',
    new Date('2026-03-29T00:00:00Z'),
  );

  it('has a 23-hour day and opens only for the wall times that exist', () => {
    expect(calendar.end - calendar.start).toBe(23 * 3_600_000);
    // 00:30–01:00 GMT, then the clock jumps to 02:00 BST; 02:00–02:30 BST is 01:00–01:30 UTC.
    expect(calendar.boundaries.map((b) => new Date(b * 1000).toISOString())).toEqual([
      '2026-03-29T00:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
    ]);
    expect(workedSecondsAt(calendar, calendar.end / 1000) / 60).toBe(60);
    expect(calendar.end - calendar.start).toBeLessThan(DAY);
  });
});
