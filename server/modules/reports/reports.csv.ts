import type { ReplyTimesFigures, ReplyTimesReport } from '../../../common/contract/reports.js';

/**
 * A CSV cell: always quoted, and defused so a spreadsheet never runs it as a formula (a cell
 * starting with = + - @, a tab or a carriage return gets a leading apostrophe; OWASP's advice).
 */
export function csvCell(value: string | number | null): string {
  let s = value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return `"${s.replace(/"/g, '""')}"`;
}

const GROUP_HEADER = { role: 'role', topic: 'topic', day: 'day' } as const;

const HEADER = [
  'conversations_started',
  'first_replies',
  'median_first_reply_working_hours',
  'median_first_reply_clock_hours',
  'p90_first_reply_working_hours',
  'p90_first_reply_clock_hours',
  'answered_within_promise',
  'overdue',
  'messages_out_of_hours',
];

function figureCells(f: ReplyTimesFigures): (string | number | null)[] {
  return [
    f.conversationsStarted,
    f.firstReplies,
    f.medianFirstReply.workingHours,
    f.medianFirstReply.clockHours,
    f.p90FirstReply.workingHours,
    f.p90FirstReply.clockHours,
    f.answeredWithinPromise,
    f.overdue,
    f.messagesOutOfHours,
  ];
}

/** The report as CSV: a header, one line per row, then a Total line; CRLF line ends (RFC 4180). */
export function replyTimesCsv(report: ReplyTimesReport): string {
  const lines = [
    [GROUP_HEADER[report.groupBy], ...HEADER],
    ...report.rows.map((r) => [r.group.name, ...figureCells(r.figures)]),
    ['Total', ...figureCells(report.totals)],
  ];
  return lines.map((cells) => cells.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
