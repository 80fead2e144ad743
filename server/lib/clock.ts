/** The source of "now" for every rule that depends on time; tests inject their own. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

/** A clock that stands still until moved; for tests of expiry and coalescing. */
export function manualClock(start = new Date('2026-01-05T09:00:00Z')): Clock & {
  advance(ms: number): void;
  set(date: Date): void;
} {
  let now = start.getTime();
  const clock = (() => new Date(now)) as Clock & { advance(ms: number): void; set(d: Date): void };
  clock.advance = (ms: number) => {
    now += ms;
  };
  clock.set = (d: Date) => {
    now = d.getTime();
  };
  return clock;
}

export const minutes = (n: number): number => n * 60_000;
export const hours = (n: number): number => n * 3_600_000;
