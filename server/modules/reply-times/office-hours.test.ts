import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  hoursOn,
  isOpenAt,
  nextOpening,
  replyBy,
  workingMinutesBetween,
  type OfficeDay,
  type Schedule,
} from './office-hours.js';

// Office-hour arithmetic (SPEC rule 12): worked examples, the daylight-saving weekends, zones
// with half-hour offsets, and properties against a slow reference that walks minute by minute.

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const weekdays = (opens: string, closes: string, days = [1, 2, 3, 4, 5]): OfficeDay[] =>
  days.map((weekday) => ({ weekday, opens, closes }));

const london = (officeHours: OfficeDay[], holidays: string[] = []): Schedule => ({
  timeZone: 'Europe/London',
  officeHours,
  holidays,
});

const at = (iso: string) => new Date(iso);
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('worked examples (Europe/London, Mon–Fri 08:00–18:30)', () => {
  const s = london(weekdays('08:00', '18:30'));

  it('adds working hours across the weekend', () => {
    // Friday 5 June 2026 17:00 BST: 1.5 h on Friday, 10.5 h on Monday, 4 h on Tuesday.
    expect(iso(replyBy(s, at('2026-06-05T16:00:00Z'), 16))).toBe('2026-06-09T11:00:00.000Z');
    // From 17:30: 1 h + 10.5 h + 4.5 h, Tuesday 12:30 BST.
    expect(iso(replyBy(s, at('2026-06-05T16:30:00Z'), 16))).toBe('2026-06-09T11:30:00.000Z');
  });

  it('counts a message sent out of hours from the next opening', () => {
    // Saturday: all of Monday (10.5 h), then 5.5 h of Tuesday, 13:30 BST.
    expect(iso(replyBy(s, at('2026-06-06T09:00:00Z'), 16))).toBe('2026-06-09T12:30:00.000Z');
    // Monday 07:59:30 BST: the first half minute is closed.
    expect(iso(replyBy(s, at('2026-06-08T06:59:30Z'), 1))).toBe('2026-06-08T08:00:00.000Z');
  });

  it('skips holidays', () => {
    // Monday 31 August 2026 is the summer bank holiday.
    const withHoliday = london(weekdays('08:00', '18:30'), ['2026-08-31']);
    expect(iso(replyBy(withHoliday, at('2026-08-28T16:00:00Z'), 16))).toBe(
      '2026-09-02T11:00:00.000Z',
    );
    expect(iso(replyBy(s, at('2026-08-28T16:00:00Z'), 16))).toBe('2026-09-01T11:00:00.000Z');
    expect(isOpenAt(withHoliday, at('2026-08-31T10:00:00Z'))).toBe(false);
    expect(hoursOn(withHoliday, at('2026-08-31T10:00:00Z'))).toBeNull();
  });

  it('puts a reply-by that uses up a day exactly at closing time', () => {
    expect(iso(replyBy(s, at('2026-06-08T07:00:00Z'), 10.5))).toBe('2026-06-08T17:30:00.000Z');
    expect(isOpenAt(s, at('2026-06-08T17:30:00Z'))).toBe(false);
    expect(isOpenAt(s, at('2026-06-08T17:29:59.999Z'))).toBe(true);
    expect(isOpenAt(s, at('2026-06-08T07:00:00Z'))).toBe(true);
  });

  it('keeps milliseconds', () => {
    expect(iso(replyBy(s, at('2026-06-08T09:15:42.123Z'), 2))).toBe('2026-06-08T11:15:42.123Z');
    expect(workingMinutesBetween(s, at('2026-06-08T09:00:00Z'), at('2026-06-08T09:00:30Z'))).toBe(
      0.5,
    );
  });

  it('answers the next opening, the open instant itself, and working minutes', () => {
    expect(iso(nextOpening(s, at('2026-06-05T17:30:00Z')))).toBe('2026-06-08T07:00:00.000Z');
    expect(iso(nextOpening(s, at('2026-06-05T12:34:56.789Z')))).toBe('2026-06-05T12:34:56.789Z');
    // Friday 18:00 BST to Monday 09:00 BST: 30 minutes on Friday, 60 on Monday.
    expect(workingMinutesBetween(s, at('2026-06-05T17:00:00Z'), at('2026-06-08T08:00:00Z'))).toBe(
      90,
    );
    expect(workingMinutesBetween(s, at('2026-06-08T08:00:00Z'), at('2026-06-05T17:00:00Z'))).toBe(
      0,
    );
    // A full week is 5 × 10.5 hours.
    expect(workingMinutesBetween(s, at('2026-06-01T00:00:00Z'), at('2026-06-08T00:00:00Z'))).toBe(
      5 * 630,
    );
  });

  it("answers the local day's hours", () => {
    expect(hoursOn(s, at('2026-06-05T22:59:00Z'))).toEqual({ opens: '08:00', closes: '18:30' });
    // 00:30 BST on Saturday.
    expect(hoursOn(s, at('2026-06-05T23:30:00Z'))).toBeNull();
    // 00:30 GMT on Monday, winter.
    expect(hoursOn(s, at('2026-01-05T00:30:00Z'))).toEqual({ opens: '08:00', closes: '18:30' });
  });

  it('answers null or nothing when the clinic never opens', () => {
    const never = london([]);
    expect(replyBy(never, at('2026-06-05T16:00:00Z'), 16)).toBeNull();
    expect(nextOpening(never, at('2026-06-05T16:00:00Z'))).toBeNull();
    expect(isOpenAt(never, at('2026-06-05T16:00:00Z'))).toBe(false);
    expect(
      workingMinutesBetween(never, at('2026-06-01T00:00:00Z'), at('2026-07-01T00:00:00Z')),
    ).toBe(0);
    // Entries that close before they open are no office hours.
    expect(replyBy(london(weekdays('18:00', '08:00')), at('2026-06-05T16:00:00Z'), 1)).toBeNull();
    expect(iso(replyBy(s, at('2026-06-05T16:00:00Z'), 0))).toBe('2026-06-05T16:00:00.000Z');
  });

  it('gives up, quickly, when every opening is years away', () => {
    // Open on Mondays only, and every Monday of the next seven years a holiday (well past the
    // three-year search horizon, and past the 366-holiday limit of settings).
    const holidays: string[] = [];
    for (let t = Date.UTC(2026, 5, 8); t < Date.UTC(2033, 0, 1); t += 7 * DAY) {
      holidays.push(new Date(t).toISOString().slice(0, 10));
    }
    const mondays = london(weekdays('08:00', '18:30', [1]), holidays);
    const started = performance.now();
    expect(replyBy(mondays, at('2026-06-05T16:00:00Z'), 16)).toBeNull();
    expect(nextOpening(mondays, at('2026-06-05T16:00:00Z'))).toBeNull();
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('merges overlapping entries of one weekday', () => {
    const overlapping = london([
      { weekday: 1, opens: '08:00', closes: '12:00' },
      { weekday: 1, opens: '10:00', closes: '13:00' },
    ]);
    expect(
      workingMinutesBetween(overlapping, at('2026-06-08T00:00:00Z'), at('2026-06-09T00:00:00Z')),
    ).toBe(300);
    expect(hoursOn(overlapping, at('2026-06-08T12:00:00Z'))).toEqual({
      opens: '08:00',
      closes: '12:00',
    });
  });

  it('refuses an unknown time zone', () => {
    expect(() => isOpenAt({ ...s, timeZone: 'Mars/Olympus' }, new Date())).toThrow(RangeError);
  });
});

describe('daylight saving in Europe/London', () => {
  // Sundays 00:00–03:00: the clock changes at 01:00 GMT (spring) and 02:00 BST (autumn).
  const sundayNight = london([{ weekday: 7, opens: '00:00', closes: '03:00' }]);

  it('the spring-forward gap is not open time (29 March 2026)', () => {
    // 00:00–01:00 GMT, then 02:00–03:00 BST: two hours, 00:00Z to 02:00Z.
    const sat = at('2026-03-28T12:00:00Z');
    expect(workingMinutesBetween(sundayNight, sat, at('2026-03-30T00:00:00Z'))).toBe(120);
    expect(iso(nextOpening(sundayNight, sat))).toBe('2026-03-29T00:00:00.000Z');
    expect(iso(replyBy(sundayNight, sat, 1))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(replyBy(sundayNight, sat, 1.5))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(replyBy(sundayNight, sat, 2))).toBe('2026-03-29T02:00:00.000Z');
    // 2 h 30 min reaches into the next Sunday, 5 April 00:30 BST.
    expect(iso(replyBy(sundayNight, sat, 2.5))).toBe('2026-04-04T23:30:00.000Z');
    expect(isOpenAt(sundayNight, at('2026-03-29T01:59:59Z'))).toBe(true);
    expect(isOpenAt(sundayNight, at('2026-03-29T02:00:00Z'))).toBe(false);
  });

  it('the repeated fall-back hour is open both times (25 October 2026)', () => {
    // 00:00 BST (23:00Z Saturday) to 03:00 GMT (03:00Z): four hours.
    const sat = at('2026-10-24T12:00:00Z');
    expect(workingMinutesBetween(sundayNight, sat, at('2026-10-26T00:00:00Z'))).toBe(240);
    expect(iso(nextOpening(sundayNight, sat))).toBe('2026-10-24T23:00:00.000Z');
    expect(isOpenAt(sundayNight, at('2026-10-25T00:30:00Z'))).toBe(true); // 01:30 BST
    expect(isOpenAt(sundayNight, at('2026-10-25T01:30:00Z'))).toBe(true); // 01:30 GMT
    expect(iso(replyBy(sundayNight, sat, 4))).toBe('2026-10-25T03:00:00.000Z');
    expect(iso(replyBy(sundayNight, sat, 3))).toBe('2026-10-25T02:00:00.000Z');
    expect(hoursOn(sundayNight, at('2026-10-25T01:30:00Z'))).toEqual({
      opens: '00:00',
      closes: '03:00',
    });
  });

  it('normal hours across the change weekends', () => {
    const s = london(weekdays('08:00', '18:30'));
    // Friday 17:00 GMT, 27 March 2026, to Tuesday 12:00 BST.
    expect(iso(replyBy(s, at('2026-03-27T17:00:00Z'), 16))).toBe('2026-03-31T11:00:00.000Z');
    // Friday 17:00 BST, 23 October 2026, to Tuesday 12:00 GMT.
    expect(iso(replyBy(s, at('2026-10-23T16:00:00Z'), 16))).toBe('2026-10-27T12:00:00.000Z');
    // Same in 2027 (28 March, 31 October).
    expect(iso(replyBy(s, at('2027-03-26T17:00:00Z'), 16))).toBe('2027-03-30T11:00:00.000Z');
    expect(iso(replyBy(s, at('2027-10-29T16:00:00Z'), 16))).toBe('2027-11-02T12:00:00.000Z');
  });
});

describe('half-hour offsets', () => {
  it('Asia/Kolkata (+05:30, no daylight saving)', () => {
    const s: Schedule = {
      timeZone: 'Asia/Kolkata',
      officeHours: weekdays('09:00', '17:00'),
      holidays: [],
    };
    // Monday 1 June 2026 16:00 IST = 10:30Z; 1 h on Monday, 1 h on Tuesday from 09:00 IST.
    expect(iso(replyBy(s, at('2026-06-01T10:30:00Z'), 2))).toBe('2026-06-02T04:30:00.000Z');
    expect(isOpenAt(s, at('2026-06-01T03:29:59Z'))).toBe(false);
    expect(isOpenAt(s, at('2026-06-01T03:30:00Z'))).toBe(true);
    expect(hoursOn(s, at('2026-06-05T18:45:00Z'))).toBeNull(); // Saturday 00:15 IST
  });

  it('Australia/Lord_Howe (+10:30/+11, a 30-minute daylight-saving shift)', () => {
    const s: Schedule = {
      timeZone: 'Australia/Lord_Howe',
      officeHours: [{ weekday: 7, opens: '00:00', closes: '03:00' }],
      holidays: [],
    };
    // Sunday 5 April 2026: 02:00 (+11) goes back to 01:30 (+10:30); 00:00 +11 to 03:00 +10:30.
    expect(workingMinutesBetween(s, at('2026-04-04T00:00:00Z'), at('2026-04-06T00:00:00Z'))).toBe(
      210,
    );
    expect(iso(nextOpening(s, at('2026-04-04T00:00:00Z')))).toBe('2026-04-04T13:00:00.000Z');
    expect(iso(replyBy(s, at('2026-04-04T00:00:00Z'), 3.5))).toBe('2026-04-04T16:30:00.000Z');
    // Sunday 4 October 2026: 02:00 (+10:30) jumps to 02:30 (+11); 00:00 +10:30 to 03:00 +11.
    expect(workingMinutesBetween(s, at('2026-10-03T00:00:00Z'), at('2026-10-05T00:00:00Z'))).toBe(
      150,
    );
    expect(iso(replyBy(s, at('2026-10-03T00:00:00Z'), 2.5))).toBe('2026-10-03T16:00:00.000Z');
  });

  it('Australia/Adelaide (+09:30/+10:30)', () => {
    const sundays: Schedule = {
      timeZone: 'Australia/Adelaide',
      officeHours: [{ weekday: 7, opens: '00:00', closes: '03:00' }],
      holidays: [],
    };
    // Sunday 5 April 2026: 03:00 (+10:30) goes back to 02:00 (+09:30): four hours open.
    expect(
      workingMinutesBetween(sundays, at('2026-04-04T00:00:00Z'), at('2026-04-06T00:00:00Z')),
    ).toBe(240);
    // Sunday 4 October 2026: 02:00 (+09:30) jumps to 03:00 (+10:30): two hours open.
    expect(
      workingMinutesBetween(sundays, at('2026-10-03T00:00:00Z'), at('2026-10-05T00:00:00Z')),
    ).toBe(120);
    expect(iso(replyBy(sundays, at('2026-10-03T00:00:00Z'), 2))).toBe('2026-10-03T16:30:00.000Z');

    const s: Schedule = { ...sundays, officeHours: weekdays('08:00', '18:30') };
    // Friday 3 April 2026 17:00 ACDT (06:30Z) to Tuesday 12:00 ACST (02:30Z).
    expect(iso(replyBy(s, at('2026-04-03T06:30:00Z'), 16))).toBe('2026-04-07T02:30:00.000Z');
  });
});

// ---------------------------------------------------------------------------------------------
// The slow reference: it reads the wall clock through Intl (not luxon) minute by minute. Every
// zone used has whole-minute offsets changing on whole minutes, so open or closed is constant
// within each UTC minute; a `from` inside a minute starts with that minute's remainder.

const ZONES = [
  'Europe/London',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'Australia/Adelaide',
  // Chile changes its clocks at midnight: autumn repeats the last hour of Saturday.
  'America/Santiago',
] as const;

const WEEKDAY: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formats = new Map<string, Intl.DateTimeFormat>();
function wallClock(zone: string, ms: number) {
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formats.set(zone, f);
  }
  // format() and a pattern: three times faster than formatToParts(), and this runs per minute.
  const m = /^(\w{3}), (\d{2})\/(\d{2})\/(\d{4}), (\d{2}):(\d{2})$/.exec(f.format(ms));
  if (!m) throw new Error(`Unexpected wall clock format: ${f.format(ms)}`);
  return {
    date: `${m[4]}-${m[3]}-${m[2]}`,
    weekday: WEEKDAY[m[1]!]!,
    minutes: Number(m[5]) * 60 + Number(m[6]),
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

function refOpen(s: Schedule, ms: number): boolean {
  const w = wallClock(s.timeZone, ms);
  if (s.holidays.includes(w.date)) return false;
  return s.officeHours.some(
    (d) =>
      d.weekday === w.weekday && toMinutes(d.opens) <= w.minutes && w.minutes < toMinutes(d.closes),
  );
}

/** Pieces [x, end) of at most a minute, each within one UTC minute, from `from` on. */
function* minutesFrom(from: number, limit: number): Generator<[number, number]> {
  let x = from;
  while (x < limit) {
    const end = Math.min(limit, (Math.floor(x / MINUTE) + 1) * MINUTE);
    yield [x, end];
    x = end;
  }
}

const REF_HORIZON = 16 * DAY;

/** The reference reply-by, or 'beyond' when it is not reached within REF_HORIZON. */
function refReplyBy(s: Schedule, from: number, hours: number): number | 'beyond' {
  let remaining = hours * 60 * MINUTE;
  for (const [x, end] of minutesFrom(from, from + REF_HORIZON)) {
    if (!refOpen(s, x)) continue;
    if (end - x >= remaining) return x + remaining;
    remaining -= end - x;
  }
  return 'beyond';
}

function refNextOpening(s: Schedule, from: number): number | 'beyond' {
  for (const [x] of minutesFrom(from, from + REF_HORIZON)) if (refOpen(s, x)) return x;
  return 'beyond';
}

function refWorkingMinutes(s: Schedule, from: number, to: number): number {
  let total = 0;
  for (const [x, end] of minutesFrom(from, to)) if (refOpen(s, x)) total += end - x;
  return total / MINUTE;
}

// Clock changes of each zone in 2026–2027, found hourly and narrowed to the minute.
function transitions(zone: string): number[] {
  const offset = (ms: number) => {
    const w = wallClock(zone, ms);
    return (
      Date.parse(`${w.date}T00:00:00Z`) + w.minutes * MINUTE - Math.floor(ms / MINUTE) * MINUTE
    );
  };
  const found: number[] = [];
  const hour = 60 * MINUTE;
  for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += hour) {
    if (offset(t) === offset(t + hour)) continue;
    let lo = t;
    let hi = t + hour;
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
      if (offset(mid) === offset(lo)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}
const CHANGES = Object.fromEntries(ZONES.map((z) => [z, transitions(z)])) as Record<
  (typeof ZONES)[number],
  number[]
>;

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

const officeDay = (weekday: number) =>
  fc
    .tuple(fc.constantFrom(15, 15, 1), fc.nat(1439), fc.nat(1439))
    .filter(([grid, a, b]) => Math.floor(a / grid) !== Math.floor(b / grid))
    .map(([grid, a, b]): OfficeDay => {
      const [lo, hi] = [Math.floor(a / grid) * grid, Math.floor(b / grid) * grid].sort(
        (x, y) => x - y,
      );
      return { weekday, opens: hhmm(lo!), closes: hhmm(hi!) };
    });

const officeHours: fc.Arbitrary<OfficeDay[]> = fc
  .subarray([1, 2, 3, 4, 5, 6, 7], { minLength: 0 })
  .chain((days) =>
    days.length === 0 ? fc.constant<OfficeDay[]>([]) : fc.tuple(...days.map(officeDay)),
  );

const START = Date.UTC(2026, 0, 1);
const END = Date.UTC(2028, 0, 1);

const scenario = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    officeHours,
    holidayOffsets: fc.array(fc.integer({ min: -2, max: 20 }), { maxLength: 6 }),
    anywhere: fc.integer({ min: START, max: END - 1 }),
    nearChange: fc.integer({ min: -3 * DAY, max: 3 * DAY }),
    changeIndex: fc.nat(),
    pickChange: fc.boolean(),
    hours: fc.integer({ min: 1, max: 40 }),
    span: fc.integer({ min: 0, max: 10 * DAY }),
  })
  .map((r) => {
    const changes = CHANGES[r.zone];
    const from =
      r.pickChange && changes.length > 0
        ? changes[r.changeIndex % changes.length]! + r.nearChange
        : r.anywhere;
    const holidays = r.holidayOffsets.map((d) =>
      new Date(from + d * DAY).toISOString().slice(0, 10),
    );
    const schedule: Schedule = { timeZone: r.zone, officeHours: r.officeHours, holidays };
    return { schedule, from, hours: r.hours, to: from + r.span };
  });

// About 50 ms a run on this 2-core machine, most of it the reference's 16 days of minutes.
const RUNS = 200;

describe('properties against the minute-by-minute reference', () => {
  it('the reference sees the clock changes', () => {
    expect(CHANGES['Europe/London']).toContain(Date.parse('2026-03-29T01:00:00Z'));
    expect(CHANGES['Europe/London']).toContain(Date.parse('2026-10-25T01:00:00Z'));
    expect(CHANGES['Asia/Kolkata']).toEqual([]);
    expect(CHANGES['Australia/Lord_Howe']).toHaveLength(4);
  });

  it(`replyBy, nextOpening, isOpenAt and workingMinutesBetween agree (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenario, ({ schedule, from, hours, to }) => {
        const fromDate = new Date(from);
        expect(isOpenAt(schedule, fromDate)).toBe(refOpen(schedule, from));
        expect(workingMinutesBetween(schedule, fromDate, new Date(to))).toBeCloseTo(
          refWorkingMinutes(schedule, from, to),
          9,
        );

        const fast = replyBy(schedule, fromDate, hours);
        const slow = refReplyBy(schedule, from, hours);
        if (slow === 'beyond') {
          // Not reached within the reference's horizon: the fast answer is later (or none).
          if (fast !== null) expect(fast.getTime()).toBeGreaterThan(from + REF_HORIZON);
          if (schedule.officeHours.length === 0) expect(fast).toBeNull();
        } else {
          expect(fast?.getTime()).toBe(slow);
        }

        const opening = nextOpening(schedule, fromDate);
        const slowOpening = refNextOpening(schedule, from);
        if (slowOpening === 'beyond') {
          if (opening !== null) expect(opening.getTime()).toBeGreaterThan(from + REF_HORIZON);
        } else {
          expect(opening?.getTime()).toBe(slowOpening);
        }
      }),
      { numRuns: RUNS },
    );
  }, 120_000);

  it('isOpenAt and hoursOn agree with the wall clock at random instants (2,000 runs)', () => {
    fc.assert(
      fc.property(
        scenario,
        fc.integer({ min: -2 * DAY, max: 2 * DAY }),
        ({ schedule, from }, shift) => {
          const t = from + shift;
          expect(isOpenAt(schedule, new Date(t))).toBe(refOpen(schedule, t));
          const w = wallClock(schedule.timeZone, t);
          const hours = hoursOn(schedule, new Date(t));
          const day = schedule.officeHours.find((d) => d.weekday === w.weekday);
          if (!day || schedule.holidays.includes(w.date)) expect(hours).toBeNull();
          else expect(hours).toEqual({ opens: day.opens, closes: day.closes });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
