/** Hours as the report shows them: "2.5 h", or a dash when there is nothing to measure. */
export function formatHours(hours: number | null): string {
  return hours === null ? '—' : `${hours.toLocaleString('en-GB', { maximumFractionDigits: 1 })} h`;
}

/** A share (0 to 1) as a percentage, or a dash when there is none. */
export function formatShare(share: number | null): string {
  return share === null
    ? '—'
    : share.toLocaleString('en-GB', { style: 'percent', maximumFractionDigits: 0 });
}

/** A local date (YYYY-MM-DD) shown short: "5 Jan". */
export function formatDay(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    day: 'numeric',
    month: 'short',
  }).format(new Date(Date.UTC(y!, m! - 1, d!)));
}

/** Today in the clinic's time zone, YYYY-MM-DD. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(now);
}

/** A local date `days` days before (negative: after) another. */
export function daysBefore(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! - days)).toISOString().slice(0, 10);
}
