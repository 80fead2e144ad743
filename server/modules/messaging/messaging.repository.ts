import {
  aliasedTable,
  and,
  asc,
  count,
  desc,
  eq,
  gt,
  inArray,
  isNotNull,
  isNull,
  lt,
  max,
  notExists,
  or,
  sql,
  type SQL,
  type SQLWrapper,
} from 'drizzle-orm';
import { uuidArray } from '../../db/arrays.js';
import type { Db } from '../../db/connect.js';
import {
  chambers,
  conversationReads,
  conversations,
  documents,
  liveEvents,
  messageAttachments,
  messages,
  notifications,
  patients,
  portalAccounts,
  roles,
  topics,
  users,
} from '../../db/schema.js';
import {
  maySee,
  maySeeSql,
  preparedReader,
  readerValues,
  type PreparedReader,
  type Reader,
} from './visibility.policy.js';
import { placeholder, preparedPages } from '../../db/prepared.js';
import type { ClinicRules } from '../reply-times/clinic-rules.js';

type MessageRecord = typeof messages.$inferSelect;
type DocumentRecord = typeof documents.$inferSelect;

/** A document attached to a message. */
export type AttachmentRow = Pick<
  DocumentRecord,
  'id' | 'title' | 'contentType' | 'sizeBytes' | 'createdAt'
>;

/** A message with its author's name and its attachments, as the presenters need it. */
export type MessageRow = Pick<
  MessageRecord,
  | 'id'
  | 'seq'
  | 'conversationId'
  | 'patientId'
  | 'authorKind'
  | 'authorUserId'
  | 'authorRoleName'
  | 'text'
  | 'sharedWithPatient'
  | 'redFlag'
  | 'createdAt'
> & { authorName: string; attachments: AttachmentRow[] };

/** One line of the Inbox or the Feed: the conversation and its last message the reader may see. */
export interface ConversationSummaryRow {
  id: string;
  awaitingReply: boolean;
  createdAt: Date;
  subject: string | null;
  topicId: string | null;
  topicName: string | null;
  status: 'open' | 'closed';
  replyBy: Date | null;
  assigneeId: string | null;
  assigneeName: string | null;
  unreadCount: number;
  last: MessageRow;
}

/** The patient's full name (`patients` joined). */
export const patientName = sql<string>`${patients.givenName} || ' ' || ${patients.familyName}`;

/** A message's author as readers see them: the patient's name or the staff user's (`users` left-joined). */
/** The clinic's name, the author of its automatic messages (rule 13). */
export const clinicName = (chamberId: SQLWrapper) =>
  sql<string>`(select ${chambers.name} from ${chambers} where ${chambers.id} = ${chamberId})`;

/**
 * The proxy who wrote a patient's message (rule 18), by the name on their account or their own
 * patient record.
 */
export const proxyName = sql<string>`(select coalesce(pa.name, own.given_name || ' ' || own.family_name, pa.email)
    from ${portalAccounts} pa
    left join ${patients} own on own.chamber_id = pa.chamber_id and own.id = pa.patient_id
   where pa.chamber_id = ${messages.chamberId} and pa.id = ${messages.proxyAccountId})`;

/** A patient's message shows "<proxy> for <patient>" when their proxy wrote it (rule 18). */
export const authorName = sql<
  string | null
>`case ${messages.authorKind} when 'patient' then (case when ${messages.proxyAccountId} is null then ${patientName} else ${proxyName} || ' for ' || ${patientName} end) when 'clinic' then ${clinicName(messages.chamberId)} else ${users.name} end`;

/** A message's columns with its author's name (`patients` and `users` joined). */
export const messageFields = {
  id: messages.id,
  seq: messages.seq,
  conversationId: messages.conversationId,
  patientId: messages.patientId,
  authorKind: messages.authorKind,
  authorUserId: messages.authorUserId,
  authorName: authorName.as('author_name'),
  authorRoleName: messages.authorRoleName,
  text: messages.text,
  sharedWithPatient: messages.sharedWithPatient,
  redFlag: messages.redFlag,
  createdAt: messages.createdAt,
};

/**
 * A list line shows a preview of its last message (140 characters with spaces collapsed), so
 * lists read the start of the text only, never a whole 5,000-character message per row. The
 * first 1,000 characters always hold the preview unless the text opens with hundreds of spaces.
 */
export const previewSource = (text: typeof messages.text) =>
  sql<string>`left(${text}, 1000)`.as('preview_source');

/** `messageFields` for a list line: the text cut to what its preview needs. */
const lineMessageFields = { ...messageFields, text: previewSource(messages.text) };

const attachmentFields = {
  id: documents.id,
  title: documents.title,
  contentType: documents.contentType,
  sizeBytes: documents.sizeBytes,
  createdAt: documents.createdAt,
};

export type MessageFields = Omit<MessageRow, 'authorName' | 'attachments'> & {
  authorName: string | null;
};

export function toMessage(r: MessageFields): MessageRow {
  return { ...r, authorName: r.authorName ?? '', attachments: [] };
}

/** The assignee of a list line's conversation. */
const lineAssignee = aliasedTable(users, 'line_assignee');

const conversationFields = {
  id: conversations.id,
  awaitingReply: conversations.awaitingReply,
  createdAt: conversations.createdAt,
  subject: conversations.subject,
  topicId: conversations.topicId,
  topicName: topics.name,
  status: conversations.status,
  replyBy: conversations.replyBy,
  assigneeId: conversations.assigneeUserId,
  assigneeName: lineAssignee.name,
};

/** The topic and the assignee of a list line (`conversationFields`). */
const lineJoins = {
  topic: and(eq(topics.chamberId, conversations.chamberId), eq(topics.id, conversations.topicId)),
  assignee: and(
    eq(lineAssignee.chamberId, conversations.chamberId),
    eq(lineAssignee.id, conversations.assigneeUserId),
  ),
};

function toSummary(r: {
  conversation: Omit<ConversationSummaryRow, 'unreadCount' | 'last'>;
  unreadCount: number;
  last: MessageFields;
}): ConversationSummaryRow {
  return { ...r.conversation, unreadCount: r.unreadCount, last: toMessage(r.last) };
}

/** The author's patient (for the name) and user (for a staff author's name). */
const authorJoins = {
  patient: and(eq(patients.chamberId, messages.chamberId), eq(patients.id, messages.patientId)),
  user: and(eq(users.chamberId, messages.chamberId), eq(users.id, messages.authorUserId)),
};

export async function findConversation(db: Db, chamberId: string, conversationId: string) {
  const rows = await db
    .select({
      id: conversations.id,
      patientId: conversations.patientId,
      awaitingReply: conversations.awaitingReply,
      createdAt: conversations.createdAt,
      patientName,
    })
    .from(conversations)
    .innerJoin(
      patients,
      and(
        eq(patients.chamberId, conversations.chamberId),
        eq(patients.id, conversations.patientId),
      ),
    )
    .where(and(eq(conversations.chamberId, chamberId), eq(conversations.id, conversationId)));
  return rows[0];
}

/**
 * SPEC rule 2: the Role for new messages now, the configured one if it still exists, else the
 * built-in Appointment Reminder Admin. Undefined only for a chamber without a built-in role.
 */
export async function resolveRoleForNewMessages(
  db: Db,
  chamberId: string,
): Promise<string | undefined> {
  const configured = eq(roles.id, chambers.roleForNewMessagesId);
  const rows = await db
    .select({ id: roles.id })
    .from(roles)
    .innerJoin(chambers, eq(chambers.id, roles.chamberId))
    .where(
      and(
        eq(roles.chamberId, chamberId),
        isNull(roles.deletedAt),
        or(configured, sql`${roles.isBuiltIn}`),
      ),
    )
    .orderBy(sql`(${configured}) desc nulls last`)
    .limit(1);
  return rows[0]?.id;
}

/**
 * What the send of a patient's message needs of the chamber besides routing: its reply times
 * (rule 12), out-of-hours answer (rule 13) and red flag settings (rule 14), as one JSON value.
 */
export type ClinicRow = ClinicRules;

const clinicJson = sql`json_build_object(
  'name', ch.name, 'timeZone', ch.time_zone, 'officeHours', ch.office_hours,
  'holidays', to_jsonb(ch.clinic_holidays), 'replyWithinWorkingHours', ch.reply_within_working_hours,
  'outOfHoursMessage', ch.out_of_hours_message, 'redFlagPhrases', to_jsonb(ch.red_flag_phrases),
  'emergencyAdvice', ch.emergency_advice, 'clinicPhone', ch.clinic_phone)`;

/** A `ClinicRow` as the driver answers it (JSON parsed, or its text). */
function toClinic(v: ClinicRow | string): ClinicRow {
  return typeof v === 'string' ? (JSON.parse(v) as ClinicRow) : v;
}

/** Where a patient's message goes, and the state and settings its send decides by. */
export interface PatientRoute {
  roleIds: string[];
  topicFound: boolean;
  assigneeUserId: string | null;
  clinic: ClinicRow;
  /** The conversation's state before this message (a new one: not awaiting). */
  awaitingReply: boolean;
  replyBy: Date | null;
  outOfHoursAnsweredUntil: Date | null;
}

/**
 * Where a patient's message goes (rules 2 and 9): the role of the conversation's topic (or of
 * the topic it starts with), else the Role for new messages, else the built-in role; for a
 * reply also the roles of the last staff message shared with the patient, and the assignee
 * (with one of their roles that sees the conversation, when they hold none of the others).
 * `topicFound` is false when a new conversation names a topic that is not offered (unknown,
 * of another chamber, inactive or deleted). One statement.
 */
export async function routeOfPatientMessage(
  db: Db,
  chamberId: string,
  to: { conversationId: string } | { topicId: string | null },
  first: {
    /** The Idempotency-Key's claim, written first in the same statement (`claimed`). */
    claim?: SQLWrapper;
    /** A new conversation, written in the same statement when its topic is found. */
    start?: NewConversation;
  } = {},
): Promise<PatientRoute & { claimed: boolean }> {
  const conversationId = 'conversationId' in to ? to.conversationId : null;
  const startTopicId = 'topicId' in to ? to.topicId : null;
  const topicFound = startTopicId === null ? sql`true` : sql`exists (select 1 from topic)`;
  const rows = await db.execute<{
    claimed: boolean;
    role_ids: string[] | string | null;
    topic_found: boolean;
    assignee_user_id: string | null;
    clinic: ClinicRow | string;
    awaiting_reply: boolean | null;
    reply_by_ms: number | string | null;
    out_of_hours_answered_until_ms: number | string | null;
  }>(sql`
    with ${first.claim ? sql`claim as (${first.claim.getSQL()}),` : sql``} conv as (
      select topic_id, answered_seq, assignee_user_id, staff_role_ids, awaiting_reply, reply_by,
             out_of_hours_answered_until from conversations
       where chamber_id = ${chamberId}::uuid and id = ${conversationId}::uuid
    ), topic as (
      select t.role_id from topics t
       where t.chamber_id = ${chamberId}::uuid
         and ${
           conversationId
             ? sql`t.id = (select topic_id from conv)`
             : sql`t.id = ${startTopicId}::uuid and t.active and t.deleted_at is null`
         }
    ), ${first.start ? sql`started as (${insertConversationSql(first.start, topicFound)}),` : sql``} main as (
      select r.id from roles r join chambers ch on ch.id = r.chamber_id
       where r.chamber_id = ${chamberId}::uuid and r.deleted_at is null
         and (r.id = (select role_id from topic) or r.id = ch.role_for_new_messages_id or r.is_built_in)
       order by (r.id = (select role_id from topic)) desc nulls last,
                (r.id = ch.role_for_new_messages_id) desc nulls last
       limit 1
    ), answered as (
      select r.id from messages m
        join roles r on r.chamber_id = m.chamber_id and r.id = any(m.role_ids) and r.deleted_at is null
       where m.chamber_id = ${chamberId}::uuid and m.seq = (select answered_seq from conv)
    ), routed as (
      select id from main union select id from answered
    ), assignee_role as (
      -- The assignee must be able to read what they are told of: when they hold none of the
      -- roles above, the message is also shared with one of theirs that already sees the
      -- conversation (the first by name).
      select r.id from role_members rm
        join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
       where rm.chamber_id = ${chamberId}::uuid and rm.user_id = (select assignee_user_id from conv)
         and rm.role_id = any(coalesce((select staff_role_ids from conv), '{}'::uuid[]))
         and not exists (select 1 from role_members held
                          where held.chamber_id = rm.chamber_id and held.user_id = rm.user_id
                            and held.role_id in (select id from routed))
       order by r.name, r.id
       limit 1
    )
    select array(select id::text from routed union select id::text from assignee_role) as role_ids,
           ${topicFound} as topic_found,
           ${first.claim ? sql`exists (select 1 from claim)` : sql`true`} as claimed,
           (select assignee_user_id from conv)::text as assignee_user_id,
           ${clinicJson} as clinic,
           (select awaiting_reply from conv) as awaiting_reply,
           (select extract(epoch from reply_by) * 1000 from conv)::float8 as reply_by_ms,
           (select extract(epoch from out_of_hours_answered_until) * 1000 from conv)::float8
             as out_of_hours_answered_until_ms
      from chambers ch where ch.id = ${chamberId}::uuid`);
  const row = rows.rows[0]!;
  const ms = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
  return {
    claimed: row.claimed,
    roleIds: uuidArray(row.role_ids),
    topicFound: row.topic_found,
    assigneeUserId: row.assignee_user_id,
    clinic: toClinic(row.clinic),
    awaitingReply: row.awaiting_reply ?? false,
    replyBy: ms(row.reply_by_ms),
    outOfHoursAnsweredUntil: ms(row.out_of_hours_answered_until_ms),
  };
}

/** The names of the author's roles as shown beside their messages (built-in role only if alone). */
export async function authorRoleLabel(
  db: Db,
  chamberId: string,
  roleIds: string[],
): Promise<string | null> {
  if (roleIds.length === 0) return null;
  const rows = await db
    .select({ name: roles.name, isBuiltIn: roles.isBuiltIn })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), inArray(roles.id, roleIds), isNull(roles.deletedAt)))
    .orderBy(asc(roles.name));
  const own = rows.filter((x) => !x.isBuiltIn);
  const shown = own.length > 0 ? own : rows;
  return shown.length > 0 ? shown.map((x) => x.name).join(', ') : null;
}

export interface NewConversation {
  chamberId: string;
  id: string;
  patientId: string;
  startedByKind: 'patient' | 'staff';
  topicId: string | null;
  subject: string | null;
  now: Date;
}

export async function insertConversation(db: Db, row: NewConversation): Promise<void> {
  await db.execute(insertConversationSql(row, sql`true`));
}

/**
 * A new conversation's row, written only `when` holds (a part of a larger statement: the
 * route of a patient's message writes it once its topic is found). Raw SQL for the condition.
 */
function insertConversationSql(row: NewConversation, when: SQL): SQL {
  const now = sql`${row.now.toISOString()}::timestamptz`;
  return sql`
    insert into conversations (chamber_id, id, patient_id, started_by_kind, topic_id, subject,
                               last_message_at, awaiting_reply, created_at, updated_at)
    select ${row.chamberId}::uuid, ${row.id}::uuid, ${row.patientId}::uuid, ${row.startedByKind},
           ${row.topicId}::uuid, ${row.subject}, ${now}, false, ${now}, ${now}
     where ${when}`;
}

export interface NewMessage {
  chamberId: string;
  id: string;
  conversationId: string;
  patientId: string;
  /** `clinic`: the automatic out-of-hours message (rule 13). */
  authorKind: 'patient' | 'staff' | 'clinic';
  authorUserId: string | null;
  /** A patient's message written by their proxy (rule 18): the proxy's portal account. */
  proxyAccountId?: string | null;
  authorRoleName: string | null;
  text: string;
  sharedWithPatient: boolean;
  roleIds: string[];
  /** Send and close (rule 10). */
  close: boolean;
  /** The text matched a red flag phrase (rule 14): the message and its conversation are marked. */
  redFlag?: boolean;
  /** A patient's message: the reply-by to promise if the conversation has none yet (rule 12). */
  replyBy?: Date | null;
  /** The clinic's automatic message: the end of the closed period it answers (rule 13). */
  outOfHoursAnsweredUntil?: Date;
  /**
   * Notifications of the message are written in its transaction up to this many role members;
   * beyond, its event says they follow (`notifyLater`) and a `notification_fan_out` job writes them.
   */
  notifyInlineLimit?: number;
  now: Date;
}

/** A message written: its seq, and whether its roles are too large to notify in its transaction. */
export interface InsertedMessage {
  seq: number;
  notifyLater: boolean;
}

/**
 * Writes a message with its audience and moves the conversation on: its order, the patient's
 * Inbox order when the patient may see it, "awaiting reply", its status (a patient's message
 * reopens it; Send and close closes it), who can see it and "Answered by"; and logs the
 * message (and the conversation's change, when its state changed) as live events. Returns the
 * message's seq. A reply runs under its conversation's lock (`lockConversation`).
 */
export async function insertMessage(db: Db, m: NewMessage): Promise<InsertedMessage> {
  // The message with its audience and the conversation's new order in one statement: they run
  // while the conversation's lock is held, so every round trip saved shortens the time other
  // writers of the conversation wait. (Data-modifying CTEs: raw SQL.)
  const roleIds = [...new Set(m.roleIds)].sort();
  const patientSees = maySee({ kind: 'patient', patientId: m.patientId }, { ...m, roleIds });
  // The clinic's automatic message does not answer the patient (rule 13).
  const awaiting = m.close
    ? sql`false`
    : m.authorKind === 'patient'
      ? sql`true`
      : patientSees && m.authorKind === 'staff'
        ? sql`false`
        : sql`awaiting_reply`;
  const status = m.close ? sql`'closed'` : m.authorKind === 'patient' ? sql`'open'` : sql`status`;
  const promised = m.replyBy
    ? sql`${m.replyBy.toISOString()}::timestamptz`
    : sql`null::timestamptz`;
  const redFlag = m.redFlag === true;
  const now = sql`${m.now.toISOString()}::timestamptz`;
  const roleArray = sql`array[${sql.join(
    roleIds.map((r) => sql`${r}`),
    sql`, `,
  )}]::uuid[]`;
  const authors = m.authorUserId ? sql`array[${m.authorUserId}]::uuid[]` : sql`'{}'::uuid[]`;
  // A large role's notifications are written after the commit (rule 3 unchanged): counting
  // its members stops one past the limit, whatever the role's size.
  const fan =
    m.notifyInlineLimit !== undefined && roleIds.length > 0
      ? sql`select count(*) > ${m.notifyInlineLimit} as later
              from (select 1 from role_members
                     where chamber_id = ${m.chamberId}::uuid and role_id = any(${roleArray})
                     limit ${m.notifyInlineLimit + 1}) members`
      : sql`select false as later`;
  const inserted = await db.execute<{ seq: number | string; later: boolean }>(sql`
    with fan as (${fan}), message as (
      insert into messages (chamber_id, id, conversation_id, patient_id, author_kind, author_user_id, proxy_account_id, author_role_name, text, shared_with_patient, role_ids, red_flag, created_at)
      values (${m.chamberId}::uuid, ${m.id}::uuid, ${m.conversationId}::uuid, ${m.patientId}::uuid, ${m.authorKind}, ${m.authorUserId}::uuid, ${m.proxyAccountId ?? null}::uuid,
              ${m.authorRoleName}, ${m.text}, ${m.sharedWithPatient}, ${roleArray}, ${redFlag}, ${m.now.toISOString()}::timestamptz)
      returning seq
    ), before as (
      select status, awaiting_reply, reply_by, answered_by_user_id, red_flag from conversations
       where chamber_id = ${m.chamberId}::uuid and id = ${m.conversationId}::uuid
    ), moved as (
      update conversations
         set last_message_at = ${now},
             last_seq = (select seq from message),
             last_patient_visible_seq = ${patientSees ? sql`(select seq from message)` : sql`last_patient_visible_seq`},
             awaiting_reply = ${awaiting},
             status = ${status},
             reply_by = case when ${awaiting} then coalesce(reply_by, ${promised}) end,
             red_flag = red_flag or ${redFlag},
             ${
               m.outOfHoursAnsweredUntil
                 ? sql`out_of_hours_answered_until = ${m.outOfHoursAnsweredUntil.toISOString()}::timestamptz,`
                 : sql``
             }
             staff_role_ids = array(select distinct unnest(staff_role_ids || ${roleArray})),
             staff_author_ids = array(select distinct unnest(staff_author_ids || ${authors})),
             ${
               m.authorKind === 'staff' && patientSees
                 ? sql`answered_by_user_id = ${m.authorUserId}::uuid, answered_seq = (select seq from message),
                       first_reply_at = case when started_by_kind = 'patient' then coalesce(first_reply_at, ${now}) end,`
                 : sql``
             }
             updated_at = ${now}
       where chamber_id = ${m.chamberId}::uuid and id = ${m.conversationId}::uuid
      returning status, awaiting_reply, reply_by, answered_by_user_id, red_flag, staff_role_ids, staff_author_ids, last_patient_visible_seq
    ), logged as (
      insert into live_events (chamber_id, kind, patient_id, conversation_id, message_id, to_patient, role_ids, user_ids, data, created_at)
      select ${m.chamberId}::uuid, 'message', ${m.patientId}::uuid, ${m.conversationId}::uuid, ${m.id}::uuid,
             ${m.sharedWithPatient}, ${roleArray}, ${authors},
             case when (select later from fan) then '{"notify":"later"}'::jsonb end, ${now}
      union all
      -- The conversation's state changed: staff who can see it hear of it, the patient only
      -- of a new status or reply-by of a conversation they can see (rule 11).
      select ${m.chamberId}::uuid, 'conversation.updated', ${m.patientId}::uuid, ${m.conversationId}::uuid, null,
             moved.last_patient_visible_seq is not null
               and (moved.status, moved.reply_by) is distinct from (before.status, before.reply_by),
             moved.staff_role_ids, moved.staff_author_ids, null, ${now}
        from moved, before
       where (moved.status, moved.awaiting_reply, moved.reply_by, moved.answered_by_user_id, moved.red_flag)
             is distinct from (before.status, before.awaiting_reply, before.reply_by, before.answered_by_user_id, before.red_flag)
    )
    select seq, (select later from fan) as later from message`);
  // The driver answers a bigint as text (pg) or a number (PGlite); the schema reads it as a number.
  const row = inserted.rows[0]!;
  return { seq: Number(row.seq), notifyLater: row.later };
}

/** Who is notified of a message, and how (rule 3). */
export interface MessageNotifications {
  chamberId: string;
  roleIds: string[];
  /** The conversation's assignee, notified whatever their roles. */
  alsoUserId: string | null;
  /** The author: never notified of their own message. */
  exceptUserId: string | null;
  kind: 'patient_message' | 'staff_message';
  patientId: string;
  conversationId: string;
  messageId: string;
  now: Date;
}

/**
 * Notifies every Active member of the roles (each user once) and `alsoUserId` (the assignee),
 * except the author: one unread item per user and conversation, counting its new messages.
 */
export async function insertNotifications(db: Db, n: MessageNotifications): Promise<number> {
  const statement = notificationsStatement(db, n);
  return statement ? (await statement).rows.length : 0;
}

/** `insertNotifications` as a statement not yet sent (for `writeTogether`); null: no one. */
export function notificationsStatement(db: Db, n: MessageNotifications) {
  if (n.roleIds.length === 0 && !n.alsoUserId) return null;
  const now = sql`${n.now.toISOString()}::timestamptz`;
  // insert … select … on conflict with a partial index: raw SQL. Rows are taken in user order,
  // so two writers of one conversation's notifications lock them in the same order.
  return db.execute(sql`
    insert into notifications (chamber_id, id, user_id, kind, patient_id, conversation_id, message_id, message_count, created_at, updated_at)
    select ${n.chamberId}::uuid, gen_random_uuid(), x.user_id, ${n.kind}, ${n.patientId}::uuid, ${n.conversationId}::uuid, ${n.messageId}::uuid, 1, ${now}, ${now}
      from (select rm.user_id
              from role_members rm
              join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
             where rm.chamber_id = ${n.chamberId}::uuid and rm.role_id = any(${sql`array[${sql.join(
               n.roleIds.map((r) => sql`${r}`),
               sql`, `,
             )}]::uuid[]`})
            union
            select u.id from users u
             where u.chamber_id = ${n.chamberId}::uuid and u.id = ${n.alsoUserId}::uuid and u.active) x
     where x.user_id is distinct from ${n.exceptUserId}::uuid
     order by x.user_id
    on conflict (chamber_id, user_id, conversation_id)
       where read_at is null and kind in ('patient_message', 'staff_message')
    do update set message_count = notifications.message_count + 1,
                  message_id = excluded.message_id,
                  kind = case when notifications.kind = excluded.kind then notifications.kind else 'staff_message' end,
                  seq = default,
                  updated_at = excluded.updated_at
    returning 1`);
}

/**
 * Logs the live event of a message's deferred notifications: each notified user hears of their
 * own (the audience is the message's: rule 4).
 */
export async function logNotificationEvent(
  db: Db,
  e: Pick<
    MessageNotifications,
    'chamberId' | 'patientId' | 'conversationId' | 'messageId' | 'roleIds'
  > & {
    userIds: string[];
    now: Date;
  },
): Promise<void> {
  await db.insert(liveEvents).values({
    chamberId: e.chamberId,
    kind: 'notification',
    patientId: e.patientId,
    conversationId: e.conversationId,
    messageId: e.messageId,
    toPatient: false,
    roleIds: e.roleIds,
    userIds: e.userIds,
    createdAt: e.now,
  });
}

interface ReadMark {
  chamberId: string;
  conversationId: string;
  readerKind: 'patient' | 'staff';
  readerId: string;
  seq: number;
  now: Date;
}

/** Moves a reader's read mark forward (never back). */
export async function markRead(db: Db, r: ReadMark): Promise<void> {
  await markReadStatement(db, r);
}

/** `markRead` as a statement not yet sent (for `writeTogether`). */
export function markReadStatement(db: Db, r: ReadMark) {
  return db
    .insert(conversationReads)
    .values({
      chamberId: r.chamberId,
      conversationId: r.conversationId,
      readerKind: r.readerKind,
      readerId: r.readerId,
      lastReadSeq: r.seq,
      updatedAt: r.now,
    })
    .onConflictDoUpdate({
      target: [
        conversationReads.chamberId,
        conversationReads.conversationId,
        conversationReads.readerKind,
        conversationReads.readerId,
      ],
      set: {
        lastReadSeq: sql`greatest(${conversationReads.lastReadSeq}, excluded.last_read_seq)`,
        updatedAt: sql`excluded.updated_at`,
      },
    });
}

/** The messages counted as unread, beside the outer query's own `messages`. */
const unreadMessages = aliasedTable(messages, 'm2');

/**
 * How many messages of the conversation the reader may see after their read mark (the
 * `conversation_reads` row joined by the outer query), of those `which` picks.
 */
function unreadCount(
  db: Db,
  reader: PreparedReader,
  which: (m: typeof unreadMessages) => SQL | undefined,
) {
  return sql<number>`(${db
    .select({ n: count() })
    .from(unreadMessages)
    .where(
      and(
        eq(unreadMessages.chamberId, conversations.chamberId),
        eq(unreadMessages.conversationId, conversations.id),
        maySeeSql(reader, unreadMessages),
        gt(unreadMessages.seq, sql`coalesce(${conversationReads.lastReadSeq}, 0)`),
        which(unreadMessages),
      ),
    )})`.mapWith(Number);
}
/** The patient's Inbox: conversations with something shared with them, newest first. */
const inboxPages = preparedPages((db, paged) => {
  const reader = preparedReader('patient');
  return (
    db
      .select({
        conversation: conversationFields,
        // Messages from the clinic after the patient's read mark.
        unreadCount: unreadCount(db, reader, (m) => eq(m.authorKind, 'staff')),
        last: lineMessageFields,
      })
      .from(conversations)
      // The Inbox order is the seq of the newest message the patient may see, kept on the
      // conversation by `insertMessage`.
      .innerJoin(
        messages,
        and(
          eq(messages.chamberId, conversations.chamberId),
          eq(messages.seq, conversations.lastPatientVisibleSeq),
        ),
      )
      .innerJoin(
        patients,
        and(
          eq(patients.chamberId, conversations.chamberId),
          eq(patients.id, conversations.patientId),
        ),
      )
      .leftJoin(users, authorJoins.user)
      .leftJoin(topics, lineJoins.topic)
      .leftJoin(lineAssignee, lineJoins.assignee)
      .leftJoin(
        conversationReads,
        and(
          eq(conversationReads.chamberId, conversations.chamberId),
          eq(conversationReads.conversationId, conversations.id),
          eq(conversationReads.readerKind, 'patient'),
          eq(conversationReads.readerId, conversations.patientId),
        ),
      )
      .where(
        and(
          eq(conversations.chamberId, placeholder('chamberId')),
          eq(conversations.patientId, placeholder('readerPatientId')),
          isNotNull(conversations.lastPatientVisibleSeq),
          paged ? lt(conversations.lastPatientVisibleSeq, placeholder('beforeSeq')) : undefined,
        ),
      )
      .orderBy(desc(conversations.lastPatientVisibleSeq))
      .limit(placeholder('limit'))
      .prepare(paged ? 'inbox_next_page' : 'inbox')
  );
});

export async function listInbox(
  db: Db,
  chamberId: string,
  patientId: string,
  beforeSeq: number | undefined,
  limit: number,
): Promise<ConversationSummaryRow[]> {
  const values = { chamberId, ...readerValues({ kind: 'patient', patientId }), limit };
  return (await inboxPages(db, values, beforeSeq)).map(toSummary);
}

/** The patient's Feed as one staff user sees it: conversations with a message they may see. */
const feedPages = preparedPages((db, paged) => {
  const reader = preparedReader('staff');
  const last = db
    .select(lineMessageFields)
    .from(messages)
    .innerJoin(patients, authorJoins.patient)
    .leftJoin(users, authorJoins.user)
    .where(
      and(
        eq(messages.chamberId, conversations.chamberId),
        eq(messages.conversationId, conversations.id),
        maySeeSql(reader),
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(1)
    .as('lm');
  return db
    .select({
      conversation: conversationFields,
      // Messages by others after this user's read mark.
      unreadCount: unreadCount(
        db,
        reader,
        (m) => sql`${m.authorUserId} is distinct from ${reader.userId}`,
      ),
      last: {
        id: last.id,
        seq: last.seq,
        conversationId: last.conversationId,
        patientId: last.patientId,
        authorKind: last.authorKind,
        authorUserId: last.authorUserId,
        authorName: last.authorName,
        authorRoleName: last.authorRoleName,
        text: last.text,
        sharedWithPatient: last.sharedWithPatient,
        redFlag: last.redFlag,
        createdAt: last.createdAt,
      },
    })
    .from(conversations)
    .innerJoinLateral(last, sql`true`)
    .leftJoin(topics, lineJoins.topic)
    .leftJoin(lineAssignee, lineJoins.assignee)
    .leftJoin(
      conversationReads,
      and(
        eq(conversationReads.chamberId, conversations.chamberId),
        eq(conversationReads.conversationId, conversations.id),
        eq(conversationReads.readerKind, 'staff'),
        eq(conversationReads.readerId, reader.userId),
      ),
    )
    .where(
      and(
        eq(conversations.chamberId, placeholder('chamberId')),
        eq(conversations.patientId, placeholder('patientId')),
        paged ? lt(last.seq, placeholder('beforeSeq')) : undefined,
      ),
    )
    .orderBy(desc(last.seq))
    .limit(placeholder('limit'))
    .prepare(paged ? 'feed_next_page' : 'feed');
});

export async function listFeed(
  db: Db,
  chamberId: string,
  patientId: string,
  viewer: { userId: string; roleIds: string[] },
  beforeSeq: number | undefined,
  limit: number,
): Promise<ConversationSummaryRow[]> {
  const reader: Reader = { kind: 'staff', userId: viewer.userId, roleIds: viewer.roleIds };
  const values = { chamberId, patientId, ...readerValues(reader), limit };
  return (await feedPages(db, values, beforeSeq)).map(toSummary);
}

/** Messages of a conversation the reader may see, newest first, before a seq. */
export async function listMessages(
  db: Db,
  chamberId: string,
  conversationId: string,
  reader: Reader,
  beforeSeq: number | undefined,
  limit: number,
): Promise<MessageRow[]> {
  const rows = await db
    .select(messageFields)
    .from(messages)
    .innerJoin(patients, authorJoins.patient)
    .leftJoin(users, authorJoins.user)
    .where(
      and(
        eq(messages.chamberId, chamberId),
        eq(messages.conversationId, conversationId),
        maySeeSql(reader),
        beforeSeq !== undefined ? lt(messages.seq, beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(messages.seq))
    .limit(limit);
  return rows.map(toMessage);
}

/** The roles each message is shared with (for staff readers). */
export async function rolesOfMessages(db: Db, chamberId: string, messageIds: string[]) {
  const out = new Map<string, { id: string; name: string; deleted: boolean }[]>();
  if (messageIds.length === 0) return out;
  const rows = await db
    .select({
      messageId: messages.id,
      id: roles.id,
      name: roles.name,
      deleted: sql<boolean>`${roles.deletedAt} is not null`,
    })
    .from(messages)
    .innerJoin(
      roles,
      and(eq(roles.chamberId, messages.chamberId), sql`${roles.id} = any(${messages.roleIds})`),
    )
    .where(and(eq(messages.chamberId, chamberId), inArray(messages.id, messageIds)))
    .orderBy(asc(roles.name), asc(roles.id));
  return groupByMessage(rows, out);
}

/** The newest seq the reader can see in a conversation, or null when they can see nothing. */
export async function newestVisibleSeq(
  db: Db,
  chamberId: string,
  conversationId: string,
  reader: Reader,
): Promise<number | null> {
  const rows = await db
    .select({ seq: max(messages.seq) })
    .from(messages)
    .where(
      and(
        eq(messages.chamberId, chamberId),
        eq(messages.conversationId, conversationId),
        maySeeSql(reader),
      ),
    );
  return rows[0]?.seq ?? null;
}

/**
 * Whether the conversation has a message the reader may see after `afterMessageId` (rule 11);
 * 'unknown' when that message is not one of the conversation's messages the reader may see.
 */
export async function newerVisibleMessage(
  db: Db,
  chamberId: string,
  conversationId: string,
  reader: Reader,
  afterMessageId: string,
): Promise<boolean | 'unknown'> {
  const seen = aliasedTable(messages, 'seen');
  const rows = await db
    .select({
      seenSeq: sql<number | null>`(${db
        .select({ seq: seen.seq })
        .from(seen)
        .where(
          and(
            eq(seen.chamberId, chamberId),
            eq(seen.conversationId, conversationId),
            eq(seen.id, afterMessageId),
            maySeeSql(reader, seen),
          ),
        )})`.mapWith(Number),
      newest: max(messages.seq),
    })
    .from(messages)
    .where(
      and(
        eq(messages.chamberId, chamberId),
        eq(messages.conversationId, conversationId),
        maySeeSql(reader),
      ),
    );
  const row = rows[0];
  if (!row || row.seenSeq === null || Number.isNaN(row.seenSeq)) return 'unknown';
  return (row.newest ?? 0) > row.seenSeq;
}

/** Marks the user's notifications of a conversation read. */
export async function markConversationNotificationsRead(
  db: Db,
  chamberId: string,
  userId: string,
  conversationId: string,
  now: Date,
): Promise<void> {
  await markConversationNotificationsReadStatement(db, chamberId, userId, conversationId, now);
}

/** `markConversationNotificationsRead` as a statement not yet sent (for `writeTogether`). */
export function markConversationNotificationsReadStatement(
  db: Db,
  chamberId: string,
  userId: string,
  conversationId: string,
  now: Date,
) {
  return db
    .update(notifications)
    .set({ readAt: now })
    .where(
      and(
        eq(notifications.chamberId, chamberId),
        eq(notifications.userId, userId),
        eq(notifications.conversationId, conversationId),
        isNull(notifications.readAt),
      ),
    );
}

/** The documents attached to each of the given messages, oldest first. */
export async function attachmentsOf(db: Db, chamberId: string, messageIds: string[]) {
  const out = new Map<string, AttachmentRow[]>();
  if (messageIds.length === 0) return out;
  const rows = await db
    .select({ messageId: messageAttachments.messageId, ...attachmentFields })
    .from(messageAttachments)
    .innerJoin(
      documents,
      and(
        eq(documents.chamberId, messageAttachments.chamberId),
        eq(documents.id, messageAttachments.documentId),
      ),
    )
    .where(
      and(
        eq(messageAttachments.chamberId, chamberId),
        inArray(messageAttachments.messageId, messageIds),
      ),
    )
    .orderBy(asc(documents.createdAt), asc(documents.id));
  return groupByMessage(rows, out);
}

/** Of the given documents, those the patient uploaded and has not attached to a message yet. */
export async function attachableDocuments(
  db: Db,
  chamberId: string,
  patientId: string,
  documentIds: string[],
): Promise<AttachmentRow[]> {
  if (documentIds.length === 0) return [];
  return db
    .select(attachmentFields)
    .from(documents)
    .where(
      and(
        eq(documents.chamberId, chamberId),
        eq(documents.patientId, patientId),
        eq(documents.uploadedByKind, 'patient'),
        inArray(documents.id, documentIds),
        notExists(
          db
            .select({ one: sql`1` })
            .from(messageAttachments)
            .where(
              and(
                eq(messageAttachments.chamberId, documents.chamberId),
                eq(messageAttachments.documentId, documents.id),
              ),
            ),
        ),
      ),
    );
}

export function attachToMessage(
  db: Db,
  chamberId: string,
  messageId: string,
  documentIds: string[],
): SQLWrapper | null {
  if (documentIds.length === 0) return null;
  return db
    .insert(messageAttachments)
    .values(documentIds.map((documentId) => ({ chamberId, messageId, documentId })));
}

/** Adds each row to its message's list in `out`, keeping the rows' order. */
function groupByMessage<T extends { messageId: string }>(
  rows: T[],
  out: Map<string, Omit<T, 'messageId'>[]>,
): Map<string, Omit<T, 'messageId'>[]> {
  for (const { messageId, ...rest } of rows) {
    const list = out.get(messageId);
    if (list) list.push(rest);
    else out.set(messageId, [rest]);
  }
  return out;
}
