import { aliasedTable, and, asc, count, desc, eq, gt, sql, type SQL } from 'drizzle-orm';
import type { PgSelect } from 'drizzle-orm/pg-core';
import type { Db } from '../../db/connect.js';
import { uuidArrayParam } from '../../db/arrays.js';
import { placeholder, preparedFor } from '../../db/prepared.js';
import {
  conversationReads,
  conversations,
  messages,
  patients,
  roleMembers,
  roles,
  topics,
  users,
} from '../../db/schema.js';
import { LIVE_EVENTS_CHANNEL } from '../../db/event-order.js';
import {
  clinicName,
  patientName,
  previewSource,
  proxyName,
  toMessage,
} from './messaging.repository.js';
import type { MessageRow } from './messaging.repository.js';
import { maySeeSql, preparedReader, type PreparedReader } from './visibility.policy.js';

/**
 * Conversations as a unit of work (SPEC rules 9 to 11): their state (topic, subject, status,
 * assignee, awaiting reply, red flag, reply-by, "Answered by"), the team inbox, and the
 * changes staff make to them. Who can see a conversation is kept on it by every send (the
 * roles its messages are shared with, its staff authors), so lists need no per-message look-up.
 */

type ConversationRecord = typeof conversations.$inferSelect;

export const assignee = aliasedTable(users, 'assignee');
export const answerer = aliasedTable(users, 'answerer');

/** The state every reader of a conversation may see, with the names it shows. */
export const stateFields = {
  id: conversations.id,
  patientId: conversations.patientId,
  patientName,
  subject: conversations.subject,
  topicId: conversations.topicId,
  topicName: topics.name,
  status: conversations.status,
  awaitingReply: conversations.awaitingReply,
  redFlag: conversations.redFlag,
  replyBy: conversations.replyBy,
  assigneeId: conversations.assigneeUserId,
  assigneeName: assignee.name,
  answeredById: conversations.answeredByUserId,
  answeredByName: answerer.name,
  answeredSeq: conversations.answeredSeq,
  lastSeq: conversations.lastSeq,
  staffRoleIds: conversations.staffRoleIds,
  staffAuthorIds: conversations.staffAuthorIds,
  createdAt: conversations.createdAt,
};

export type ConversationStateRow = Pick<
  ConversationRecord,
  | 'id'
  | 'patientId'
  | 'subject'
  | 'topicId'
  | 'status'
  | 'awaitingReply'
  | 'redFlag'
  | 'replyBy'
  | 'answeredSeq'
  | 'lastSeq'
  | 'staffRoleIds'
  | 'staffAuthorIds'
  | 'createdAt'
> & {
  patientName: string;
  topicName: string | null;
  assigneeId: string | null;
  assigneeName: string | null;
  answeredById: string | null;
  answeredByName: string | null;
};

/** What a reader is shown of the state (who else can see it is not read for a list). */
export type ConversationStateShown = Omit<ConversationStateRow, 'staffRoleIds' | 'staffAuthorIds'>;

/**
 * The joins `stateFields` needs, on a select that has `conversations` (left joins: a row
 * without a conversation keeps its other columns).
 */
export function withStateJoins<T extends PgSelect>(query: T) {
  return query
    .leftJoin(
      patients,
      and(
        eq(patients.chamberId, conversations.chamberId),
        eq(patients.id, conversations.patientId),
      ),
    )
    .leftJoin(
      topics,
      and(eq(topics.chamberId, conversations.chamberId), eq(topics.id, conversations.topicId)),
    )
    .leftJoin(
      assignee,
      and(
        eq(assignee.chamberId, conversations.chamberId),
        eq(assignee.id, conversations.assigneeUserId),
      ),
    )
    .leftJoin(
      answerer,
      and(
        eq(answerer.chamberId, conversations.chamberId),
        eq(answerer.id, conversations.answeredByUserId),
      ),
    );
}

/** A conversation's state, or undefined when it does not exist in the chamber. */
export async function findConversationState(
  db: Db,
  chamberId: string,
  conversationId: string,
  opts: { forUpdate?: boolean } = {},
): Promise<ConversationStateRow | undefined> {
  const query = withStateJoins(db.select(stateFields).from(conversations).$dynamic()).where(
    and(eq(conversations.chamberId, chamberId), eq(conversations.id, conversationId)),
  );
  const rows = opts.forUpdate ? await query.for('update', { of: conversations }) : await query;
  return rows[0] as ConversationStateRow | undefined;
}

/**
 * "Seen by patient": the last staff message shared with the patient (seq `answeredSeq`) and
 * when the patient's read mark passed it; null while they have not opened it.
 */
export async function patientSeen(
  db: Db,
  chamberId: string,
  conversationId: string,
  answeredSeq: number,
): Promise<{ messageId: string; at: Date } | null> {
  const rows = await db
    .select({ messageId: messages.id, at: conversationReads.updatedAt })
    .from(conversationReads)
    .innerJoin(
      messages,
      and(
        eq(messages.chamberId, conversationReads.chamberId),
        eq(messages.conversationId, conversationReads.conversationId),
        eq(messages.seq, answeredSeq),
      ),
    )
    .where(
      and(
        eq(conversationReads.chamberId, chamberId),
        eq(conversationReads.conversationId, conversationId),
        eq(conversationReads.readerKind, 'patient'),
        sql`${conversationReads.lastReadSeq} >= ${answeredSeq}`,
      ),
    );
  return rows[0] ?? null;
}

/** Whether a staff user with these roles sees at least one message of the conversation. */
export function staffCanSee(
  c: Pick<ConversationRecord, 'staffRoleIds' | 'staffAuthorIds'>,
  user: { userId: string; roleIds: string[] },
): boolean {
  return (
    c.staffAuthorIds.includes(user.userId) || c.staffRoleIds.some((r) => user.roleIds.includes(r))
  );
}

/** `staffCanSee` in SQL, on the outer query's `conversations` row. */
function staffCanSeeSql(reader: Extract<PreparedReader, { kind: 'staff' }>): SQL {
  return sql`(${conversations.staffRoleIds} && ${reader.roleIds}::uuid[] or ${reader.userId}::uuid = any(${conversations.staffAuthorIds}))`;
}

/** The Active users who can see the conversation (rule 10: who it may be assigned to), by name. */
export async function usersWhoCanSee(
  db: Db,
  chamberId: string,
  c: Pick<ConversationRecord, 'staffRoleIds' | 'staffAuthorIds'>,
): Promise<{ id: string; name: string }[]> {
  const roleIds = uuidArrayParam(c.staffRoleIds);
  const authorIds = uuidArrayParam(c.staffAuthorIds);
  return db
    .select({ id: users.id, name: users.name })
    .from(users)
    .where(
      and(
        eq(users.chamberId, chamberId),
        sql`${users.active}`,
        sql`(${users.id} = any(${authorIds}) or exists (select 1 from ${roleMembers}
              join ${roles} on ${roles.chamberId} = ${roleMembers.chamberId} and ${roles.id} = ${roleMembers.roleId} and ${roles.deletedAt} is null
             where ${roleMembers.chamberId} = ${users.chamberId} and ${roleMembers.userId} = ${users.id}
               and ${roleMembers.roleId} = any(${roleIds})))`,
      ),
    )
    .orderBy(asc(users.name), asc(users.id));
}

/** The roles an Active user of the chamber holds now (undefined: no such Active user). */
export async function activeUserRoles(
  db: Db,
  chamberId: string,
  userId: string,
): Promise<{ name: string; roleIds: string[] } | undefined> {
  const rows = await db
    .select({
      name: users.name,
      roleIds: sql<string[] | null>`array_remove(array_agg(${roles.id}), null)`,
    })
    .from(users)
    .leftJoin(
      roleMembers,
      and(eq(roleMembers.chamberId, users.chamberId), eq(roleMembers.userId, users.id)),
    )
    .leftJoin(
      roles,
      and(
        eq(roles.chamberId, roleMembers.chamberId),
        eq(roles.id, roleMembers.roleId),
        sql`${roles.deletedAt} is null`,
      ),
    )
    .where(and(eq(users.chamberId, chamberId), eq(users.id, userId), sql`${users.active}`))
    .groupBy(users.id, users.name);
  const row = rows[0];
  return row ? { name: row.name, roleIds: row.roleIds ?? [] } : undefined;
}

export interface ConversationUpdate {
  status?: 'open' | 'closed';
  assigneeUserId?: string | null;
  redFlag?: false;
}

/**
 * Applies a change of status, assignee or red flag and logs `conversation.updated` for the
 * staff who can see the conversation (and its patient when the status changed), in one
 * statement. Runs under the conversation's row lock (`findConversationState` for update).
 */
export async function updateConversation(
  db: Db,
  chamberId: string,
  conversationId: string,
  change: ConversationUpdate,
  by: { userId: string | null; now: Date },
): Promise<void> {
  const sets: SQL[] = [sql`updated_at = ${by.now.toISOString()}::timestamptz`];
  if (change.status === 'closed') {
    // Closing ends "awaiting reply" and with it the reply-by promise (rule 10).
    sets.push(sql`status = 'closed'`, sql`awaiting_reply = false`, sql`reply_by = null`);
  } else if (change.status === 'open') {
    sets.push(sql`status = 'open'`);
  }
  if (change.assigneeUserId !== undefined)
    sets.push(sql`assignee_user_id = ${change.assigneeUserId}::uuid`);
  if (change.redFlag === false) sets.push(sql`red_flag = false`);
  await db.execute(sql`
    with before as (
      select status, reply_by from conversations
       where chamber_id = ${chamberId}::uuid and id = ${conversationId}::uuid
    ), changed as (
      update conversations set ${sql.join(sets, sql`, `)}
       where chamber_id = ${chamberId}::uuid and id = ${conversationId}::uuid
      returning patient_id, status, reply_by, staff_role_ids, staff_author_ids, last_patient_visible_seq
    )
    insert into live_events (chamber_id, kind, patient_id, conversation_id, to_patient, role_ids, user_ids, data, created_at)
    select ${chamberId}::uuid, 'conversation.updated', changed.patient_id, ${conversationId}::uuid,
           changed.last_patient_visible_seq is not null
             and (changed.status, changed.reply_by) is distinct from (before.status, before.reply_by),
           changed.staff_role_ids, changed.staff_author_ids,
           jsonb_build_object('by', ${by.userId}::text), ${by.now.toISOString()}::timestamptz
      from changed, before`);
}

/** Sends "is replying…" to every app process (not stored: it is gone in 30 seconds). */
export async function notifyTyping(db: Db, payload: string): Promise<void> {
  await db.execute(sql`select pg_notify(${LIVE_EVENTS_CHANNEL}, ${payload})`);
}

/** The team inbox's views (rule 10). */
export type InboxView = 'open' | 'mine' | 'unassigned' | 'closed';

/** Where a page of the team inbox starts: after this row in the inbox order. */
export interface InboxCursor {
  notRedFlag: boolean;
  replyBy: string;
  negLastSeq: number;
}

/** One row of the team inbox: the state, and the last message the viewer may see. */
export interface TeamInboxRow extends ConversationStateShown {
  unread: number;
  sortReplyBy: string;
  last: MessageRow;
}

const readMark = aliasedTable(conversationReads, 'rd');
const unreadMessages = aliasedTable(messages, 'um');

/**
 * The team inbox of one staff user (rule 10): conversations in which they can see at least
 * one message, in the inbox order, one prepared statement per view and filter combination.
 */
const teamInboxQueries = preparedFor((db) => {
  const built = new Map<string, { execute(v: Record<string, unknown>): Promise<unknown> }>();
  return (view: InboxView, byRole: boolean, byTopic: boolean, paged: boolean) => {
    const key = `${view}:${byRole}:${byTopic}:${paged}`;
    let query = built.get(key);
    if (!query) {
      query = buildTeamInbox(
        db,
        view,
        byRole,
        byTopic,
        paged,
        `team_inbox_${key.replace(/:/g, '_')}`,
      );
      built.set(key, query);
    }
    return query;
  };
});

function buildTeamInbox(
  db: Db,
  view: InboxView,
  byRole: boolean,
  byTopic: boolean,
  paged: boolean,
  name: string,
) {
  const reader = preparedReader('staff');
  const sortReplyBy = sql`coalesce(${conversations.replyBy}, 'infinity'::timestamptz)`;
  // The page first, from the conversations alone in the inbox order (the index): a query of
  // one table is planned in microseconds, where joining the names in made planning cost more
  // than running it (measured on the benchmark data set). Names, the last message the viewer
  // may see and their unread count are then read for the page's rows only.
  const page = db
    .select({
      chamberId: conversations.chamberId,
      id: conversations.id,
      patientId: conversations.patientId,
      subject: conversations.subject,
      topicId: conversations.topicId,
      status: conversations.status,
      awaitingReply: conversations.awaitingReply,
      redFlag: conversations.redFlag,
      replyBy: conversations.replyBy,
      assigneeId: conversations.assigneeUserId,
      answeredById: conversations.answeredByUserId,
      answeredSeq: conversations.answeredSeq,
      lastSeq: conversations.lastSeq,
      createdAt: conversations.createdAt,
      sortReplyBy: sql<string>`${sortReplyBy}::text`.as('sort_reply_by'),
      sortReplyByAt: sql<Date>`${sortReplyBy}`.as('sort_reply_by_at'),
    })
    .from(conversations)
    .where(
      and(
        eq(conversations.chamberId, placeholder('chamberId')),
        eq(conversations.status, view === 'closed' ? 'closed' : 'open'),
        view === 'mine' ? eq(conversations.assigneeUserId, reader.userId) : undefined,
        view === 'unassigned' ? sql`${conversations.assigneeUserId} is null` : undefined,
        byRole
          ? sql`${placeholder('roleId')}::uuid = any(${conversations.staffRoleIds})`
          : undefined,
        byTopic ? eq(conversations.topicId, placeholder('topicId')) : undefined,
        staffCanSeeSql(reader),
        paged
          ? sql`((not ${conversations.redFlag}), ${sortReplyBy}, (-${conversations.lastSeq})) > (${placeholder('cNotRedFlag')}::boolean, ${placeholder('cReplyBy')}::timestamptz, ${placeholder('cNegLastSeq')}::bigint)`
          : undefined,
      ),
    )
    .orderBy(
      sql`(not ${conversations.redFlag})`,
      asc(sortReplyBy),
      sql`(-${conversations.lastSeq})`,
    )
    .limit(placeholder('limit'))
    .as('c');
  const nameOf = (userId: unknown) =>
    sql<
      string | null
    >`(select ${users.name} from ${users} where ${users.chamberId} = ${page.chamberId} and ${users.id} = ${userId})`;
  const pageName = sql<string>`(select ${patients.givenName} || ' ' || ${patients.familyName} from ${patients} where ${patients.chamberId} = ${page.chamberId} and ${patients.id} = ${page.patientId})`;
  // The last message the viewer may see, from `messages` alone.
  const last = db
    .select({
      id: messages.id,
      seq: messages.seq,
      conversationId: messages.conversationId,
      patientId: messages.patientId,
      authorKind: messages.authorKind,
      authorUserId: messages.authorUserId,
      authorRoleName: messages.authorRoleName,
      // Rule 18: a patient's message written by their proxy names the proxy too.
      proxyName: sql<
        string | null
      >`case when ${messages.proxyAccountId} is null then null else ${proxyName} end`.as(
        'proxy_name',
      ),
      text: previewSource(messages.text),
      sharedWithPatient: messages.sharedWithPatient,
      redFlag: messages.redFlag,
      createdAt: messages.createdAt,
    })
    .from(messages)
    .where(
      and(
        eq(messages.chamberId, page.chamberId),
        eq(messages.conversationId, page.id),
        maySeeSql(reader),
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(1)
    .as('lm');
  const readSeq = sql`coalesce((select ${readMark.lastReadSeq} from ${conversationReads} ${sql.raw('"rd"')} where ${readMark.chamberId} = ${page.chamberId} and ${readMark.conversationId} = ${page.id} and ${readMark.readerKind} = 'staff' and ${readMark.readerId} = ${reader.userId}), 0)`;
  const unread = sql<number>`(${db
    .select({ n: count() })
    .from(unreadMessages)
    .where(
      and(
        eq(unreadMessages.chamberId, page.chamberId),
        eq(unreadMessages.conversationId, page.id),
        gt(unreadMessages.seq, readSeq),
        sql`${unreadMessages.authorUserId} is distinct from ${reader.userId}`,
        maySeeSql(reader, unreadMessages),
      ),
    )})`.mapWith(Number);
  const query = db
    .select({
      id: page.id,
      patientId: page.patientId,
      patientName: pageName,
      subject: page.subject,
      topicId: page.topicId,
      topicName: sql<
        string | null
      >`(select ${topics.name} from ${topics} where ${topics.chamberId} = ${page.chamberId} and ${topics.id} = ${page.topicId})`,
      status: page.status,
      awaitingReply: page.awaitingReply,
      redFlag: page.redFlag,
      replyBy: page.replyBy,
      assigneeId: page.assigneeId,
      assigneeName: nameOf(page.assigneeId),
      answeredById: page.answeredById,
      answeredByName: nameOf(page.answeredById),
      answeredSeq: page.answeredSeq,
      lastSeq: page.lastSeq,
      createdAt: page.createdAt,
      sortReplyBy: page.sortReplyBy,
      unread,
      last: {
        id: last.id,
        seq: last.seq,
        conversationId: last.conversationId,
        patientId: last.patientId,
        authorKind: last.authorKind,
        authorUserId: last.authorUserId,
        authorName: sql<
          string | null
        >`case ${last.authorKind} when 'patient' then coalesce(${last.proxyName} || ' for ', '') || ${pageName} when 'clinic' then ${clinicName(page.chamberId)} else ${nameOf(last.authorUserId)} end`,
        authorRoleName: last.authorRoleName,
        text: last.text,
        sharedWithPatient: last.sharedWithPatient,
        redFlag: last.redFlag,
        createdAt: last.createdAt,
      },
    })
    .from(page)
    .innerJoinLateral(last, sql`true`)
    .orderBy(sql`(not ${page.redFlag})`, asc(page.sortReplyByAt), sql`(-${page.lastSeq})`);
  return query.prepare(name);
}

export async function listTeamInbox(
  db: Db,
  chamberId: string,
  viewer: { userId: string; roleIds: string[] },
  opts: {
    view: InboxView;
    roleId?: string;
    topicId?: string;
    after?: InboxCursor;
    limit: number;
  },
): Promise<TeamInboxRow[]> {
  const query = teamInboxQueries(db)(
    opts.view,
    opts.roleId !== undefined,
    opts.topicId !== undefined,
    opts.after !== undefined,
  );
  const rows = (await query.execute({
    chamberId,
    readerUserId: viewer.userId,
    readerRoleIds: viewer.roleIds,
    limit: opts.limit,
    ...(opts.roleId !== undefined ? { roleId: opts.roleId } : {}),
    ...(opts.topicId !== undefined ? { topicId: opts.topicId } : {}),
    ...(opts.after
      ? {
          cNotRedFlag: opts.after.notRedFlag,
          cReplyBy: opts.after.replyBy,
          cNegLastSeq: opts.after.negLastSeq,
        }
      : {}),
  })) as (Omit<TeamInboxRow, 'last'> & { last: Parameters<typeof toMessage>[0] })[];
  return rows.map((r) => ({ ...r, unread: Number(r.unread), last: toMessage(r.last) }));
}
