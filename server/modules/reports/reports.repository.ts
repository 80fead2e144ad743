import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { uuidArrayParam } from '../../db/arrays.js';
import { messages, roles, topics } from '../../db/schema.js';
import type { WorkingCalendar } from './working-calendar.js';

/**
 * The reply-times report's queries. The heavy work is done by the database in a few
 * statements: each conversation's times are turned into working time there, by a binary search
 * (`width_bucket`) in the calendar's boundaries (`working-calendar.ts`), and the percentiles
 * are PostgreSQL's `percentile_cont`.
 */

/** Who the report is for (rule 4) and what it covers. */
export interface ReportScope {
  chamberId: string;
  userId: string;
  roleIds: string[];
  calendar: WorkingCalendar;
  now: Date;
  /** Reply within (working hours), in seconds. */
  promiseSeconds: number;
  /** Working seconds from the calendar's start to now (`workedSecondsAt`). */
  workedNow: number;
}

/** The figures of one group (or of all) from the database, in seconds, before rounding. */
export interface FiguresRow {
  started: number;
  replies: number;
  clockP50: number | null;
  clockP90: number | null;
  workP50: number | null;
  workP90: number | null;
  /** First replies within the promise. */
  within: number;
  /** Conversations whose outcome is known: answered, or unanswered past the promise. */
  decided: number;
  overdue: number;
}

const float8Array = (values: number[]): SQL => sql`${`{${values.join(',')}}`}::float8[]`;

/**
 * Working seconds at an instant from its epoch (seconds) and its bucket (`width_bucket` of the
 * epoch in the boundaries `b`), with `w` the working seconds at each boundary: see
 * `workedSecondsAt`, its twin in TypeScript.
 */
function workedAt(seconds: SQL, bucket: SQL): SQL {
  return sql`(coalesce(cal.w[${bucket}], 0) + case when ${bucket} % 2 = 1 then ${seconds} - cal.b[${bucket}] else 0 end)`;
}

/**
 * One row per conversation of the report (patient-started on a day of the range, visible to the
 * viewer) with its day, topic, roles, time to first reply in clock and working seconds, whether
 * its outcome against the promise is known, and whether it is overdue now. The first reply is the
 * first staff message shared with the patient: the conversation starts with the patient's
 * message, so every such message comes after it.
 */
function reportConversations(s: ReportScope, roleIds: string[]): SQL {
  // No SQL comments in here: the benchmark replays the statement on one line. The calendar's
  // arrays are bound in a one-row `cal` that PostgreSQL folds into the query, read by every row
  // and never copied into a row (500,000 copies of a few kB each would dominate); rule 4 at
  // conversation level is `staffCanSee` (a role of the viewer, or the viewer wrote in it);
  // `offset 0` keeps the inner select apart, so each time becomes an epoch and a bucket once.
  const c = s.calendar;
  const started = workedAt(sql`x.started`, sql`x.started_bucket`);
  // Whether the conversation is shared with each of the roles asked for, worked out once a row.
  const inRoles = roleIds.map(
    (id, i) => sql`, c.staff_role_ids @> ${uuidArrayParam([id])} as ${sql.raw(`in_role_${i}`)}`,
  );
  const inRoleColumns = roleIds.map((_, i) => sql.raw(`, x.in_role_${i}`));
  return sql`
    select x.day, x.topic_id, x.overdue${sql.join(inRoleColumns, sql``)},
           x.replied - x.started as clock_s,
           case when x.replied is not null
             then ${workedAt(sql`x.replied`, sql`x.replied_bucket`)} - ${started} end as work_s,
           x.replied is not null or ${s.workedNow}::float8 - ${started} > ${s.promiseSeconds} as decided
      from (
        select c.topic_id${sql.join(inRoles, sql``)},
               width_bucket(date_part('epoch', c.created_at), cal.d) as day,
               date_part('epoch', c.created_at) as started,
               date_part('epoch', c.first_reply_at) as replied,
               width_bucket(date_part('epoch', c.created_at), cal.b) as started_bucket,
               width_bucket(date_part('epoch', c.first_reply_at), cal.b) as replied_bucket,
               c.status = 'open' and c.awaiting_reply and c.reply_by < ${s.now.toISOString()}::timestamptz as overdue
          from (select ${float8Array(c.boundaries)} as b, ${float8Array(c.dayStarts)} as d) cal
         cross join conversations c
         where c.chamber_id = ${s.chamberId}::uuid
           and c.started_by_kind = 'patient'
           and c.created_at >= ${new Date(c.start).toISOString()}::timestamptz
           and c.created_at < ${new Date(c.end).toISOString()}::timestamptz
           and (c.staff_role_ids && ${uuidArrayParam(s.roleIds)} or ${s.userId}::uuid = any(c.staff_author_ids))
        offset 0
      ) x
     cross join (select ${float8Array(c.boundaries)} as b, ${float8Array(c.workedAt)} as w) cal`;
}

/**
 * The figures of a group, as columns named with `prefix`, over the rows `filter` keeps (all
 * when none). PostgreSQL computes each repeated aggregate once.
 */
function figures(promiseSeconds: number, prefix: string, filter?: SQL): SQL {
  const only = filter ? sql` filter (where ${filter})` : sql``;
  const and = (condition: SQL) => (filter ? sql`${filter} and ${condition}` : condition);
  const name = (column: string) => sql.raw(`${prefix}${column}`);
  return sql`(count(*)${only})::int as ${name('started')},
    (count(clock_s)${only})::int as ${name('replies')},
    (percentile_cont(array[0.5, 0.9]) within group (order by clock_s)${only})[1] as ${name('clock_p50')},
    (percentile_cont(array[0.5, 0.9]) within group (order by clock_s)${only})[2] as ${name('clock_p90')},
    (percentile_cont(array[0.5, 0.9]) within group (order by work_s)${only})[1] as ${name('work_p50')},
    (percentile_cont(array[0.5, 0.9]) within group (order by work_s)${only})[2] as ${name('work_p90')},
    (count(*) filter (where ${and(sql`work_s <= ${promiseSeconds}`)}))::int as ${name('within')},
    (count(*) filter (where ${and(sql`decided`)}))::int as ${name('decided')},
    (count(*) filter (where ${and(sql`overdue`)}))::int as ${name('overdue')}`;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toFigures(r: Record<string, unknown>, prefix: string): FiguresRow {
  const at = (column: string) => r[`${prefix}${column}`];
  return {
    started: Number(at('started')),
    replies: Number(at('replies')),
    clockP50: num(at('clock_p50')),
    clockP90: num(at('clock_p90')),
    workP50: num(at('work_p50')),
    workP90: num(at('work_p90')),
    within: Number(at('within')),
    decided: Number(at('decided')),
    overdue: Number(at('overdue')),
  };
}

/** No conversation: the figures of an empty group. */
export const NO_FIGURES: FiguresRow = {
  started: 0,
  replies: 0,
  clockP50: null,
  clockP90: null,
  workP50: null,
  workP90: null,
  within: 0,
  decided: 0,
  overdue: 0,
};

/**
 * The conversation figures in one statement: all together, per day of the range (1-based
 * position in the calendar's days), and per topic (null: "No topic") or per role of the viewer
 * (a conversation counts for each of its roles the viewer holds) as the report is grouped.
 */
export async function conversationFigures(
  db: Db,
  s: ReportScope,
  groupBy: 'role' | 'topic' | 'day',
): Promise<{
  total: FiguresRow;
  byDay: Map<number, FiguresRow>;
  byTopic: Map<string | null, FiguresRow>;
  byRole: Map<string, FiguresRow>;
}> {
  const roleIds = groupBy === 'role' ? s.roleIds : [];
  // Per role: one set of figures per role, over the rows of that role, in the same pass (the
  // roles' aggregates of each day's group are left unread).
  const roleColumns = roleIds.map(
    (_, i) => sql`, ${figures(s.promiseSeconds, `r${i}_`, sql.raw(`in_role_${i}`))}`,
  );
  const byTopic = groupBy === 'topic';
  // grouping(day, topic_id): 1 = by day, 2 = by topic, 3 = all.
  const kind = byTopic ? sql`grouping(day, topic_id)` : sql`grouping(day) * 2 + 1`;
  const result = await db.execute<Record<string, unknown>>(sql`
    select ${kind} as kind, day, ${byTopic ? sql`topic_id` : sql`null::uuid`} as topic_id,
           ${figures(s.promiseSeconds, 'a_')}${sql.join(roleColumns, sql``)}
      from (${reportConversations(s, roleIds)}) r
     group by grouping sets (${byTopic ? sql`(day), (), (topic_id)` : sql`(day), ()`})`);
  let total = NO_FIGURES;
  const byDay = new Map<number, FiguresRow>();
  const topics = new Map<string | null, FiguresRow>();
  const byRole = new Map<string, FiguresRow>();
  for (const row of result.rows) {
    const k = Number(row.kind);
    if (k === 3) {
      total = toFigures(row, 'a_');
      roleIds.forEach((id, i) => byRole.set(id, toFigures(row, `r${i}_`)));
    } else if (k === 1 && row.day !== null) byDay.set(Number(row.day), toFigures(row, 'a_'));
    else if (k === 2) topics.set((row.topic_id as string | null) ?? null, toFigures(row, 'a_'));
  }
  return { total, byDay, byTopic: topics, byRole };
}

const timestampArray = (values: number[]): SQL =>
  sql`${`{${values.map((t) => new Date(t).toISOString()).join(',')}}`}::timestamptz[]`;

/**
 * Patients' messages written on a day of the range while the clinic was closed, that the viewer
 * may see (rule 4: shared with a role the viewer holds): in all, and by the grouping (per role of the viewer, by the
 * roles each message is shared with; per topic of its conversation; per day). Only the closed
 * stretches are read, each a range of an index on the messages' time.
 */
export async function messagesOutOfHours(
  db: Db,
  s: ReportScope,
  groupBy: 'role' | 'topic' | 'day',
): Promise<{ total: number; byKey: Map<string | number | null, number> }> {
  const closed = s.calendar.closed;
  const byKey = new Map<string | number | null, number>();
  if (closed.length === 0) return { total: 0, byKey };
  const stretches = sql`unnest(${timestampArray(closed.map((c) => c.from))}, ${timestampArray(
    closed.map((c) => c.to),
  )}, ${`{${closed.map((c) => c.day).join(',')}}`}::int[]) as closed(starts, ends, day)
     join ${messages} on ${messages.chamberId} = ${s.chamberId}::uuid
      and ${messages.authorKind} = 'patient'
      and ${messages.createdAt} >= closed.starts and ${messages.createdAt} < closed.ends`;
  // Rule 4 (`maySeeSql`) for a patient's message comes down to its roles: it has no staff
  // author. Said so, the index on the messages' time answers it without reading the table.
  const visible = sql`${messages.roleIds} && ${uuidArrayParam(s.roleIds)}`;
  if (groupBy === 'role') {
    const perRole = s.roleIds.map(
      (id, i) =>
        sql`, (count(*) filter (where ${messages.roleIds} @> ${uuidArrayParam([id])}))::int as ${sql.raw(`r${i}`)}`,
    );
    const result = await db.execute<Record<string, unknown>>(sql`
      select count(*)::int as total${sql.join(perRole, sql``)}
        from ${stretches}
       where ${visible}`);
    const row = result.rows[0] ?? {};
    s.roleIds.forEach((id, i) => byKey.set(id, Number(row[`r${i}`] ?? 0)));
    return { total: Number(row.total ?? 0), byKey };
  }
  const key = groupBy === 'topic' ? sql`c.topic_id` : sql`closed.day`;
  const join =
    groupBy === 'topic'
      ? sql`join conversations c on c.chamber_id = ${messages.chamberId} and c.id = ${messages.conversationId}`
      : sql``;
  const result = await db.execute<{ key: string | number | null; count: number }>(sql`
    select ${key} as key, count(*)::int as count
      from ${stretches} ${join}
     where ${visible}
     group by 1`);
  let total = 0;
  for (const r of result.rows) {
    total += Number(r.count);
    byKey.set(
      groupBy === 'day' ? Number(r.key) : ((r.key as string | null) ?? null),
      Number(r.count),
    );
  }
  return { total, byKey };
}

/** The names of roles of the chamber, by id (deleted ones too: a viewer may still hold one). */
export async function roleNames(
  db: Db,
  chamberId: string,
  roleIds: string[],
): Promise<{ id: string; name: string }[]> {
  if (roleIds.length === 0) return [];
  return db
    .select({ id: roles.id, name: roles.name })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), inArray(roles.id, roleIds)))
    .orderBy(asc(sql`lower(${roles.name})`), asc(roles.id));
}

/** The chamber's topics with whether each is deleted, by name. */
export async function topicNames(
  db: Db,
  chamberId: string,
): Promise<{ id: string; name: string; deleted: boolean }[]> {
  return db
    .select({
      id: topics.id,
      name: topics.name,
      deleted: sql<boolean>`${topics.deletedAt} is not null`,
    })
    .from(topics)
    .where(eq(topics.chamberId, chamberId))
    .orderBy(asc(sql`lower(${topics.name})`), asc(topics.id));
}
