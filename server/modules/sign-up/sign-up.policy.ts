// SPEC rule 17 (self sign-up) as pure decisions: what a well-formed sign-up is, which band an
// invite code opens, and which existing patient a sign-up links.

/** The earliest date of birth a sign-up accepts. */
const EARLIEST_BIRTH = '1880-01-01';

/** Whether `YYYY-MM-DD` names a real calendar date, not after `today` (UTC) nor before 1880. */
export function isPlausibleDateOfBirth(dateOfBirth: string, today: Date): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(dateOfBirth);
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d)
    return false;
  return dateOfBirth >= EARLIEST_BIRTH && dateOfBirth <= today.toISOString().slice(0, 10);
}

/** An invite code as it is compared: spaces around it dropped; letter case is ignored in SQL. */
export function normaliseInviteCode(code: string): string {
  return code.trim();
}

/**
 * The band an invite code opens, from the bands with online access whose code matches it
 * letter case aside: the one whose code is written exactly so, else the only one. Two bands
 * differing only in letter case and neither typed exactly: none (the code is ambiguous).
 */
export function bandForInviteCode<B extends { code: string | null }>(
  bands: B[],
  typed: string,
): B | undefined {
  const exact = bands.filter((b) => b.code?.trim() === typed);
  if (exact.length === 1) return exact[0];
  return bands.length === 1 ? bands[0] : undefined;
}

const sameName = (a: string, b: string) =>
  a.trim().localeCompare(b.trim(), undefined, { sensitivity: 'base' }) === 0;

/**
 * The existing patient a sign-up links (rule 17: the same email and date of birth, and no
 * portal account): the only one; among several (twins sharing a parent's email), the only one
 * whose first name is the one typed; otherwise none, and the sign-up makes a new record for
 * staff to review rather than guess.
 */
export function patientToLink<P extends { givenName: string }>(
  candidates: P[],
  firstName: string,
): P | undefined {
  if (candidates.length === 1) return candidates[0];
  const named = candidates.filter((p) => sameName(p.givenName, firstName));
  return named.length === 1 ? named[0] : undefined;
}
