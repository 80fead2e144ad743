import { DateTime } from 'luxon';
import {
  REPORT_MAX_DAYS,
  type ReplyTimesFigures,
  type ReplyTimesQuery,
  type ReplyTimesReport,
  type ReplyTimesRow,
  type ReportGroupBy,
} from '../../../common/contract/reports.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { auditRead } from '../audit/audit.service.js';
import type { StaffActor } from '../auth/actor.js';
import { scheduleOf } from '../reply-times/clinic-rules.js';
import { findClinicRules } from '../reply-times/reply-times.repository.js';
import { replyTimesCsv } from './reports.csv.js';
import {
  conversationFigures,
  messagesOutOfHours,
  NO_FIGURES,
  roleNames,
  topicNames,
  type FiguresRow,
  type ReportScope,
} from './reports.repository.js';
import { buildWorkingCalendar, workedSecondsAt } from './working-calendar.js';

/** The row of conversations without a topic, in the per-topic report. */
export const NO_TOPIC = 'No topic';

/** Dates a report may cover: the product keeps no older messages, and later ones are typos. */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2100;

/** A local date of the query, or a 422 naming the field. */
function localDate(value: string, field: 'from' | 'to'): DateTime {
  const d = DateTime.fromISO(value, { zone: 'utc' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !d.isValid || d.toISODate() !== value)
    throw invalid('validation_failed', `${field} must be a date (YYYY-MM-DD).`, field);
  if (d.year < FIRST_YEAR || d.year > LAST_YEAR)
    throw invalid(
      'validation_failed',
      `${field} must be a date between ${FIRST_YEAR} and ${LAST_YEAR}.`,
      field,
    );
  return d;
}

/** The range of a query, checked: real dates, from <= to, at most REPORT_MAX_DAYS days. */
export function checkRange(q: Pick<ReplyTimesQuery, 'from' | 'to'>): { from: string; to: string } {
  const from = localDate(q.from, 'from');
  const to = localDate(q.to, 'to');
  if (to < from) throw invalid('validation_failed', 'to must be on or after from.', 'to');
  if (to.diff(from, 'days').days + 1 > REPORT_MAX_DAYS)
    throw invalid(
      'validation_failed',
      `A report covers at most ${REPORT_MAX_DAYS} days: choose a later from or an earlier to.`,
      'to',
    );
  return { from: q.from, to: q.to };
}

const hours = (seconds: number | null): number | null =>
  seconds === null ? null : Math.round(seconds / 36) / 100;

/** A group's figures as the API answers them: hours with 2 decimals, the share with 3. */
function present(f: FiguresRow, messagesOutOfHours: number): ReplyTimesFigures {
  return {
    conversationsStarted: f.started,
    firstReplies: f.replies,
    medianFirstReply: { workingHours: hours(f.workP50), clockHours: hours(f.clockP50) },
    p90FirstReply: { workingHours: hours(f.workP90), clockHours: hours(f.clockP90) },
    answeredWithinPromise:
      f.decided === 0 ? null : Math.round((f.within / f.decided) * 1000) / 1000,
    overdue: f.overdue,
    messagesOutOfHours,
  };
}

/** Admin > Message Reports: reply times per role, topic and day (rule 4 applies to every figure). */
export function createReportService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function replyTimesReport(
    actor: StaffActor,
    q: ReplyTimesQuery,
    now: Date,
  ): Promise<ReplyTimesReport> {
    const { from, to } = checkRange(q);
    const groupBy: ReportGroupBy = q.groupBy ?? 'role';
    const rules = await findClinicRules(db, { id: actor.chamberId });
    if (!rules) throw notFound('That clinic');
    const calendar = buildWorkingCalendar(scheduleOf(rules), from, to, now);
    const scope: ReportScope = {
      chamberId: actor.chamberId,
      userId: actor.userId,
      roleIds: actor.roleIds,
      calendar,
      now,
      promiseSeconds: rules.replyWithinWorkingHours * 3600,
      workedNow: workedSecondsAt(calendar, now.getTime() / 1000),
    };
    // The two heavy statements run side by side on two of the pool's connections: the report
    // takes the longer of them, not their sum (one connection on the embedded database).
    const [conversations, outOfHours, roles, topics] = await Promise.all([
      conversationFigures(db, scope, groupBy),
      messagesOutOfHours(db, scope, groupBy),
      groupBy === 'role' ? roleNames(db, actor.chamberId, actor.roleIds) : Promise.resolve([]),
      groupBy === 'topic' ? topicNames(db, actor.chamberId) : Promise.resolve([]),
    ]);
    const ooh = outOfHours.byKey;

    const figuresOf = (map: Map<unknown, FiguresRow>, key: unknown) => map.get(key) ?? NO_FIGURES;
    let rows: ReplyTimesRow[];
    if (groupBy === 'role') {
      rows = roles.map((r) => ({
        group: { id: r.id, name: r.name },
        figures: present(figuresOf(conversations.byRole, r.id), ooh.get(r.id) ?? 0),
      }));
    } else if (groupBy === 'topic') {
      const withData = (id: string | null) =>
        conversations.byTopic.has(id) || (ooh.get(id) ?? 0) > 0;
      rows = topics
        .filter((t) => !t.deleted || withData(t.id))
        .map((t) => ({
          group: { id: t.id, name: t.name },
          figures: present(figuresOf(conversations.byTopic, t.id), ooh.get(t.id) ?? 0),
        }));
      if (withData(null))
        rows.push({
          group: { id: null, name: NO_TOPIC },
          figures: present(figuresOf(conversations.byTopic, null), ooh.get(null) ?? 0),
        });
    } else {
      rows = calendar.days.map((day, i) => ({
        group: { id: day, name: day },
        figures: present(figuresOf(conversations.byDay, i + 1), ooh.get(i + 1) ?? 0),
      }));
    }

    return {
      from,
      to,
      groupBy,
      timeZone: rules.timeZone,
      replyWithinWorkingHours: rules.replyWithinWorkingHours,
      generatedAt: now.toISOString(),
      rows,
      totals: present(conversations.total, outOfHours.total),
      series: calendar.days.map((day, i) => {
        const f = figuresOf(conversations.byDay, i + 1);
        return {
          day,
          conversationsStarted: f.started,
          medianFirstReplyClockHours: hours(f.clockP50),
        };
      }),
    };
  }

  return {
    /** The reply-times report for the viewer (audited, without any message text). */
    async replyTimes(actor: StaffActor, q: ReplyTimesQuery): Promise<ReplyTimesReport> {
      const now = clock();
      const report = await replyTimesReport(actor, q, now);
      await auditRead(ctx, actor, now, {
        action: 'reports.viewed',
        details: {
          report: 'reply_times',
          from: report.from,
          to: report.to,
          groupBy: report.groupBy,
        },
      });
      return report;
    },

    /** The same report as CSV, with the file name to save it under (audited). */
    async replyTimesCsv(
      actor: StaffActor,
      q: ReplyTimesQuery,
    ): Promise<{ filename: string; csv: string }> {
      const now = clock();
      const report = await replyTimesReport(actor, q, now);
      await auditRead(ctx, actor, now, {
        action: 'reports.exported',
        details: {
          report: 'reply_times',
          from: report.from,
          to: report.to,
          groupBy: report.groupBy,
          rows: report.rows.length,
        },
      });
      return {
        filename: `message-reports-reply-times-${report.groupBy}-${report.from}-to-${report.to}.csv`,
        csv: replyTimesCsv(report),
      };
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
