import { compileRedFlags, DEFAULT_RED_FLAG_PHRASES } from '../../../common/red-flags.js';
import { isOpenAt, nextOpening, replyBy, type Schedule } from './office-hours.js';

/** What rules 12 to 14 read of a chamber. */
export interface ClinicRules {
  name: string;
  timeZone: string;
  officeHours: { weekday: number; opens: string; closes: string }[];
  holidays: string[];
  replyWithinWorkingHours: number;
  outOfHoursMessage: string;
  /** Null: the built-in list. */
  redFlagPhrases: string[] | null;
  emergencyAdvice: string;
  clinicPhone: string;
}

/** The chamber's office hours as the arithmetic of `office-hours.ts` takes them. */
export function scheduleOf(c: ClinicRules): Schedule {
  return { timeZone: c.timeZone, officeHours: c.officeHours, holidays: c.holidays };
}

/** The red flag phrases in force: the chamber's, else the built-in list. */
export function redFlagPhrasesOf(c: Pick<ClinicRules, 'redFlagPhrases'>): readonly string[] {
  return c.redFlagPhrases ?? DEFAULT_RED_FLAG_PHRASES;
}

// Compiled matchers by phrase list: a chamber's list changes rarely, and compiling 200 phrases
// for every message would cost more than matching them.
const matchers = new Map<string, (text: string) => string[]>();
const MATCHERS_KEPT = 100;

/** The red flag phrases (rule 14) a text contains, under the chamber's list. */
export function redFlagsIn(c: Pick<ClinicRules, 'redFlagPhrases'>, text: string): string[] {
  const phrases = redFlagPhrasesOf(c);
  const key = phrases.join('\n');
  let match = matchers.get(key);
  if (!match) {
    if (matchers.size >= MATCHERS_KEPT) matchers.delete(matchers.keys().next().value!);
    match = compileRedFlags(phrases);
    matchers.set(key, match);
  }
  return match(text);
}

/** When the clinic promises a first reply to a message sent at `at` (rule 12); null: no hours. */
export function promisedReplyBy(c: ClinicRules, at: Date): Date | null {
  return replyBy(scheduleOf(c), at, c.replyWithinWorkingHours);
}

/** Never opening again: the closed period an automatic message answers has no end. */
const NEVER = new Date(8_640_000_000_000_000);

/**
 * Rule 13: the automatic message a patient's message sent at `at` gets, and the end of the
 * closed period it answers (sent once per conversation per period), or null when the clinic is
 * open, has no out-of-hours message, or already answered this period.
 */
export function outOfHoursReply(
  c: ClinicRules,
  at: Date,
  answeredUntil: Date | null,
  redFlag: boolean,
): { text: string; until: Date } | null {
  if (!c.outOfHoursMessage.trim()) return null;
  const schedule = scheduleOf(c);
  if (isOpenAt(schedule, at)) return null;
  const until = nextOpening(schedule, at) ?? NEVER;
  if (answeredUntil?.getTime() === until.getTime()) return null;
  const parts = [c.outOfHoursMessage.trim()];
  if (redFlag) {
    parts.push(c.emergencyAdvice.trim());
    if (c.clinicPhone.trim()) parts.push(`Clinic phone: ${c.clinicPhone.trim()}`);
  }
  return { text: parts.join('\n\n'), until };
}
