/**
 * Limits of what the API accepts, counted the same way by the server and by both web apps.
 * Plain values and functions only: the web bundles import this file at run time.
 */

/** A message is 1 to 5,000 characters, counted as Unicode code points (an emoji counts 1). */
export const MESSAGE_MAX_LENGTH = 5000;

/** Length of a text as the API counts it: Unicode code points, not UTF-16 units. */
export function textLength(text: string): number {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

/** Page sizes of the lists. */
export const PAGE_SIZE = 20;
export const MESSAGE_PAGE_SIZE = 50;
export const MAX_PAGE_LIMIT = 100;

/** The most characters of a conversation's subject (rule 9). */
export const SUBJECT_MAX_LENGTH = 120;

/** The most characters of a Message Topic's name (rule 9). */
export const TOPIC_NAME_MAX = 100;

/** How long "<name> is replying…" lasts after the last keystroke, in seconds (rule 11). */
export const TYPING_SECONDS = 30;

/** Reply Times and Patient Safety (SPEC rules 12 to 14). */
export const RED_FLAG_PHRASE_MAX = 100;
export const RED_FLAG_PHRASES_MAX = 200;
export const OUT_OF_HOURS_MESSAGE_MAX = 1000;
export const EMERGENCY_ADVICE_MAX = 500;
export const CLINIC_PHONE_MAX = 40;
export const CLINIC_HOLIDAYS_MAX = 366;
export const REPLY_WITHIN_MAX_HOURS = 200;
