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
} from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import {
  chambers,
  conversationReads,
  conversations,
  documents,
  messageAttachments,
  messageRoles,
  messages,
  notifications,
  patients,
  roles,
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
  | 'createdAt'
> & { authorName: string; attachments: AttachmentRow[] };

/** One line of the Inbox or the Feed: the conversation and its last message the reader may see. */
export interface ConversationSummaryRow {
  id: string;
  awaitingReply: boolean;
  createdAt: Date;
  unreadCount: number;
  last: MessageRow;
}

/** The channel every app process LISTENs on for new messages; the payload is the chamber id. */
export const LIVE_EVENTS_CHANNEL = 'portal_events';

/** The patient's full name (`patients` joined). */
export const patientName = sql<string>`${patients.givenName} || ' ' || ${patients.familyName}`;

/** A message's author as readers see them: the patient's name or the staff user's (`users` left-joined). */
export const authorName = sql<
  string | null
>`case when ${messages.authorKind} = 'patient' then ${patientName} else ${users.name} end`;

/** A message's columns with its author's name (`patients` and `users` joined). */
const messageFields = {
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
  createdAt: messages.createdAt,
};

const attachmentFields = {
  id: documents.id,
  title: documents.title,
  contentType: documents.contentType,
  sizeBytes: documents.sizeBytes,
  createdAt: documents.createdAt,
};

type MessageFields = Omit<MessageRow, 'authorName' | 'attachments'> & {
  authorName: string | null;
};

function toMessage(r: MessageFields): MessageRow {
  return { ...r, authorName: r.authorName ?? '', attachments: [] };
}

const conversationFields = {
  id: conversations.id,
  awaitingReply: conversations.awaitingReply,
  createdAt: conversations.createdAt,
};

function toSummary(r: {
  conversation: Pick<ConversationSummaryRow, 'id' | 'awaitingReply' | 'createdAt'>;
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

export async function insertConversation(
  db: Db,
  row: {
    chamberId: string;
    id: string;
    patientId: string;
    startedByKind: 'patient' | 'staff';
    now: Date;
  },
): Promise<void> {
  await db.insert(conversations).values({
    chamberId: row.chamberId,
    id: row.id,
    patientId: row.patientId,
    startedByKind: row.startedByKind,
    lastMessageAt: row.now,
    awaitingReply: false,
    createdAt: row.now,
  });
}

/**
 * Takes the chamber's message order until the transaction ends, and queues the wake-up of
 * every app process's live events: PostgreSQL delivers a NOTIFY only when its transaction
 * commits (and drops it on rollback), so the wake-up rides in this statement for free.
 */
export async function lockMessageOrderAndNotifyOnCommit(db: Db, chamberId: string): Promise<void> {
  // Messages of one chamber commit in the order of their seq, so a live-events reader that
  // has seen seq N has seen every earlier message of the chamber (no late, lower seq).
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${chamberId}, 0)), pg_notify(${LIVE_EVENTS_CHANNEL}, ${chamberId})`,
  );
}

export interface NewMessage {
  chamberId: string;
  id: string;
  conversationId: string;
  patientId: string;
  authorKind: 'patient' | 'staff';
  authorUserId: string | null;
  authorRoleName: string | null;
  text: string;
  sharedWithPatient: boolean;
  roleIds: string[];
  now: Date;
}

/**
 * Writes a message with its audience and moves the conversation on: its order, the patient's
 * Inbox order when the patient may see it, and "awaiting reply". Returns the message's seq.
 * Runs under `lockMessageOrderAndNotifyOnCommit`.
 */
export async function insertMessage(db: Db, m: NewMessage): Promise<number> {
  // The message, its audience and the conversation's new order in one statement: they run
  // while the chamber's seq lock is held, so every round trip saved shortens the time other
  // senders of the chamber wait. (Data-modifying CTEs: raw SQL.)
  const roleIds = [...new Set(m.roleIds)];
  const patientSees = maySee({ kind: 'patient', patientId: m.patientId }, { ...m, roleIds });
  const awaiting =
    m.authorKind === 'patient' ? sql`true` : patientSees ? sql`false` : sql`awaiting_reply`;
  const inserted = await db.execute<Pick<MessageRecord, 'seq'>>(sql`
    with message as (
      insert into messages (chamber_id, id, conversation_id, patient_id, author_kind, author_user_id, author_role_name, text, shared_with_patient, created_at)
      values (${m.chamberId}::uuid, ${m.id}::uuid, ${m.conversationId}::uuid, ${m.patientId}::uuid, ${m.authorKind}, ${m.authorUserId}::uuid,
              ${m.authorRoleName}, ${m.text}, ${m.sharedWithPatient}, ${m.now.toISOString()}::timestamptz)
      returning seq
    )${
      roleIds.length > 0
        ? sql`, audience as (
      insert into message_roles (chamber_id, message_id, role_id)
      values ${sql.join(
        roleIds.map((r) => sql`(${m.chamberId}::uuid, ${m.id}::uuid, ${r}::uuid)`),
        sql`, `,
      )}
    )`
        : sql``
    }, moved as (
      update conversations
         set last_message_at = ${m.now.toISOString()}::timestamptz,
             last_patient_visible_seq = ${patientSees ? sql`(select seq from message)` : sql`last_patient_visible_seq`},
             awaiting_reply = ${awaiting}
       where chamber_id = ${m.chamberId}::uuid and id = ${m.conversationId}::uuid
    )
    select seq from message`);
  // The driver answers a bigint as text (pg) or a number (PGlite); the schema reads it as a number.
  return Number(inserted.rows[0]!.seq);
}

/** One notification for every Active member of the roles (each user once), except the author. */
export async function insertNotifications(
  db: Db,
  n: {
    chamberId: string;
    roleIds: string[];
    exceptUserId: string | null;
    kind: 'patient_message' | 'staff_message';
    patientId: string;
    conversationId: string;
    messageId: string;
    now: Date;
  },
): Promise<void> {
  if (n.roleIds.length === 0) return;
  // insert … select with constants and a generated id: raw SQL (the builder's insert-select
  // wants every column of the table from the select).
  await db.execute(sql`
    insert into notifications (chamber_id, id, user_id, kind, patient_id, conversation_id, message_id, created_at)
    select ${n.chamberId}::uuid, gen_random_uuid(), x.user_id, ${n.kind}, ${n.patientId}::uuid, ${n.conversationId}::uuid, ${n.messageId}::uuid, ${n.now.toISOString()}::timestamptz
      from (select distinct rm.user_id
              from role_members rm
              join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
             where rm.chamber_id = ${n.chamberId}::uuid and rm.role_id in (${sql.join(
               n.roleIds.map((r) => sql`${r}::uuid`),
               sql`, `,
             )})
               ${n.exceptUserId ? sql`and rm.user_id <> ${n.exceptUserId}::uuid` : sql``}) x`);
}

/** Moves a reader's read mark forward (never back). */
export async function markRead(
  db: Db,
  r: {
    chamberId: string;
    conversationId: string;
    readerKind: 'patient' | 'staff';
    readerId: string;
    seq: number;
    now: Date;
  },
): Promise<void> {
  await db
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
        last: messageFields,
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
    .select(messageFields)
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
        createdAt: last.createdAt,
      },
    })
    .from(conversations)
    .innerJoinLateral(last, sql`true`)
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
      messageId: messageRoles.messageId,
      id: roles.id,
      name: roles.name,
      deleted: sql<boolean>`${roles.deletedAt} is not null`,
    })
    .from(messageRoles)
    .innerJoin(
      roles,
      and(eq(roles.chamberId, messageRoles.chamberId), eq(roles.id, messageRoles.roleId)),
    )
    .where(and(eq(messageRoles.chamberId, chamberId), inArray(messageRoles.messageId, messageIds)))
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

/** Marks the user's notifications of a conversation read. */
export async function markConversationNotificationsRead(
  db: Db,
  chamberId: string,
  userId: string,
  conversationId: string,
  now: Date,
): Promise<void> {
  await db
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

export async function attachToMessage(
  db: Db,
  chamberId: string,
  messageId: string,
  documentIds: string[],
): Promise<void> {
  if (documentIds.length === 0) return;
  await db
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
