import { Type, type Static } from 'typebox';
import { Nullable, Timestamp } from './common.js';

/**
 * Admin > Message Reports: reply times per role, topic and day (SPEC Part 2). Every figure
 * counts only what the viewer may see (rule 4), whatever their admin permission.
 *
 * Definitions, the same in the JSON answer, the CSV and the page:
 * - A conversation counts when a patient started it (not staff) on a day of the range, in the
 *   chamber's time zone, and the viewer can see it: one of its messages is shared with a role
 *   the viewer holds, or the viewer wrote in it.
 * - Its first reply is the first staff message shared with the patient (the clinic's automatic
 *   out-of-hours message is not a reply; nor is an internal note). It may come after the range.
 * - Time to first reply is measured from the patient's first message, in clock hours and in
 *   working hours (open time under the chamber's current Reply Times settings: office hours,
 *   clinic holidays, time zone).
 * - Answered within the promise: the first reply came within **Reply within (working hours)**.
 *   The share is of conversations whose outcome is known: answered, or still unanswered after
 *   the promised working hours have passed. Null when there is none.
 * - Overdue: of the conversations counted, those open, awaiting reply and past their reply-by now.
 * - Messages out of hours: patients' messages written on a day of the range while the clinic
 *   was closed (current settings), that the viewer may see (rule 4: shared with a role the
 *   viewer holds); per role, by the roles each message is shared with.
 */

/** A local date, YYYY-MM-DD (the service checks that it is a real day). */
const localDate = (description: string) =>
  Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', maxLength: 10, description });

/** The largest range a report covers, in days (inclusive). */
export const REPORT_MAX_DAYS = 366;

/** How the rows of a report are grouped. */
export const ReportGroupBy = Type.Union(
  [Type.Literal('role'), Type.Literal('topic'), Type.Literal('day')],
  { description: 'role (the viewer’s roles), topic, or day' },
);
export type ReportGroupBy = Static<typeof ReportGroupBy>;

/** `GET /api/v1/admin/reports/reply-times` (and `.csv`): the range and the grouping. */
export const ReplyTimesQuery = Type.Object(
  {
    from: localDate("first day, YYYY-MM-DD in the clinic's time zone (inclusive)"),
    to: localDate(`last day, YYYY-MM-DD (inclusive); from <= to, at most ${REPORT_MAX_DAYS} days`),
    groupBy: Type.Optional(ReportGroupBy),
  },
  { additionalProperties: false },
);
export type ReplyTimesQuery = Static<typeof ReplyTimesQuery>;

/** A duration to first reply, in working hours and in clock hours; null when nothing was answered. */
const replyDuration = (description: string) =>
  Type.Object(
    {
      workingHours: Nullable(
        Type.Number({ description: 'open time of the clinic only, hours (2 decimals)' }),
      ),
      clockHours: Nullable(Type.Number({ description: 'elapsed time, hours (2 decimals)' })),
    },
    { additionalProperties: false, description },
  );
export const ReplyDuration = replyDuration('a time to first reply');
export type ReplyDuration = Static<typeof ReplyDuration>;

/** The figures of one group, or of the whole report. */
export const ReplyTimesFigures = Type.Object(
  {
    conversationsStarted: Type.Integer({ description: 'conversations patients started' }),
    firstReplies: Type.Integer({ description: 'of those, how many have a first reply' }),
    medianFirstReply: replyDuration('median time to first reply'),
    p90FirstReply: replyDuration('90th percentile of the time to first reply'),
    answeredWithinPromise: Nullable(
      Type.Number({
        minimum: 0,
        maximum: 1,
        description:
          'share (0 to 1, 3 decimals) of the conversations with a known outcome whose first reply came within Reply within (working hours)',
      }),
    ),
    overdue: Type.Integer({ description: 'open, awaiting reply and past reply-by now' }),
    messagesOutOfHours: Type.Integer({
      description: "patients' messages written while the clinic was closed",
    }),
  },
  { additionalProperties: false },
);
export type ReplyTimesFigures = Static<typeof ReplyTimesFigures>;

/** One row: a role, a topic ("No topic": id null) or a day, with its figures. */
export const ReplyTimesRow = Type.Object(
  {
    group: Type.Object(
      {
        id: Nullable(
          Type.String({
            description: 'the role or topic id, the day (YYYY-MM-DD), or null for "No topic"',
          }),
        ),
        name: Type.String({ description: 'what the row is shown as' }),
      },
      { additionalProperties: false },
    ),
    figures: ReplyTimesFigures,
  },
  { additionalProperties: false },
);
export type ReplyTimesRow = Static<typeof ReplyTimesRow>;

/** One day of the chart: how many conversations started, and their median first reply. */
export const ReplyTimesDay = Type.Object(
  {
    day: Type.String({ description: 'YYYY-MM-DD' }),
    conversationsStarted: Type.Integer(),
    medianFirstReplyClockHours: Nullable(Type.Number()),
  },
  { additionalProperties: false },
);
export type ReplyTimesDay = Static<typeof ReplyTimesDay>;

/** The reply-times report: its rows, the totals (each conversation once) and the daily series. */
export const ReplyTimesReport = Type.Object(
  {
    from: Type.String({ description: 'YYYY-MM-DD' }),
    to: Type.String({ description: 'YYYY-MM-DD' }),
    groupBy: ReportGroupBy,
    timeZone: Type.String({ description: 'the clinic’s time zone the days are read in' }),
    replyWithinWorkingHours: Type.Integer({ description: 'the promise the share is measured by' }),
    generatedAt: Timestamp,
    rows: Type.Array(ReplyTimesRow),
    totals: ReplyTimesFigures,
    series: Type.Array(ReplyTimesDay, { description: 'every day of the range, in order' }),
  },
  { additionalProperties: false },
);
export type ReplyTimesReport = Static<typeof ReplyTimesReport>;

/** The CSV answer: one line per row and a Total line. */
export const ReplyTimesCsv = Type.String({
  description:
    'text/csv: group, conversations_started, first_replies, median_first_reply_working_hours, median_first_reply_clock_hours, p90_first_reply_working_hours, p90_first_reply_clock_hours, answered_within_promise, overdue, messages_out_of_hours; a Total line last. Cells that a spreadsheet would read as a formula start with an apostrophe.',
});
