import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

/** `(a, b, c)` of bound uuids, or a list that matches nothing when empty. */
export function uuidList(ids: string[]): SQL {
  if (ids.length === 0) return sql`(null::uuid)`;
  return sql`(${sql.join(
    ids.map((id) => sql`${id}::uuid`),
    sql`, `,
  )})`;
}

/**
 * Rule 4 for staff, in SQL: the user wrote the message or holds a role it is shared with.
 * `m` is the messages alias.
 */
export function staffCanSee(userId: string, roleIds: string[]): SQL {
  return sql`(m.author_user_id = ${userId}::uuid or exists (
    select 1 from message_roles mr
     where mr.chamber_id = m.chamber_id and mr.message_id = m.id and mr.role_id in ${uuidList(roleIds)}))`;
}

const toNumber = (v: unknown): number => Number(v);
const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

export interface MessageRow {
  id: string;
  seq: number;
  conversationId: string;
  patientId: string;
  authorKind: 'patient' | 'staff';
  authorUserId: string | null;
  authorName: string;
  authorRoleName: string | null;
  text: string;
  sharedWithPatient: boolean;
  createdAt: Date;
  attachments: AttachmentRow[];
}

export interface AttachmentRow {
  id: string;
  title: string;
  contentType: string;
  sizeBytes: number;
  createdAt: Date;
}

type RawMessage = {
  id: string;
  seq: string | number;
  conversation_id: string;
  patient_id: string;
  author_kind: 'patient' | 'staff';
  author_user_id: string | null;
  author_name: string | null;
  author_role_name: string | null;
  text: string;
  shared_with_patient: boolean;
  created_at: Date | string;
};

function toMessage(r: RawMessage): MessageRow {
  return {
    id: r.id,
    seq: toNumber(r.seq),
    conversationId: r.conversation_id,
    patientId: r.patient_id,
    authorKind: r.author_kind,
    authorUserId: r.author_user_id,
    authorName: r.author_name ?? '',
    authorRoleName: r.author_role_name,
    text: r.text,
    sharedWithPatient: r.shared_with_patient,
    createdAt: toDate(r.created_at),
    attachments: [],
  };
}

const messageColumns = sql`m.id, m.seq, m.conversation_id, m.patient_id, m.author_kind, m.author_user_id,
  case when m.author_kind = 'patient' then p.given_name || ' ' || p.family_name else u.name end as author_name,
  m.author_role_name, m.text, m.shared_with_patient, m.created_at`;

export async function findConversation(db: Db, chamberId: string, conversationId: string) {
  const r = await db.execute<{
    id: string;
    patient_id: string;
    awaiting_reply: boolean;
    created_at: Date | string;
    patient_name: string;
  }>(sql`
    select c.id, c.patient_id, c.awaiting_reply, c.created_at, p.given_name || ' ' || p.family_name as patient_name
      from conversations c join patients p on p.chamber_id = c.chamber_id and p.id = c.patient_id
     where c.chamber_id = ${chamberId}::uuid and c.id = ${conversationId}::uuid`);
  const row = r.rows[0];
  return row
    ? {
        id: row.id,
        patientId: row.patient_id,
        awaitingReply: row.awaiting_reply,
        createdAt: toDate(row.created_at),
        patientName: row.patient_name,
      }
    : undefined;
}

/** The Role for new messages now: the configured one if it still exists, else the built-in role. */
export async function resolveRoleForNewMessages(db: Db, chamberId: string): Promise<string> {
  const r = await db.execute<{ id: string }>(sql`
    select r.id from roles r join chambers c on c.id = r.chamber_id
     where r.chamber_id = ${chamberId}::uuid and r.deleted_at is null
       and (r.id = c.role_for_new_messages_id or r.is_built_in)
     order by (r.id = c.role_for_new_messages_id) desc nulls last limit 1`);
  const id = r.rows[0]?.id;
  if (!id) throw new Error('chamber has no built-in role');
  return id;
}

/** The names of the author's roles as shown beside their messages (built-in role only if alone). */
export async function authorRoleLabel(
  db: Db,
  chamberId: string,
  roleIds: string[],
): Promise<string | null> {
  if (roleIds.length === 0) return null;
  const r = await db.execute<{ name: string; is_built_in: boolean }>(sql`
    select name, is_built_in from roles
     where chamber_id = ${chamberId}::uuid and id in ${uuidList(roleIds)} and deleted_at is null order by name`);
  const own = r.rows.filter((x) => !x.is_built_in);
  const shown = own.length > 0 ? own : r.rows;
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
  await db.execute(sql`
    insert into conversations (chamber_id, id, patient_id, started_by_kind, last_message_at, awaiting_reply, created_at)
    values (${row.chamberId}::uuid, ${row.id}::uuid, ${row.patientId}::uuid, ${row.startedByKind}, ${row.now.toISOString()}::timestamptz, false, ${row.now.toISOString()}::timestamptz)`);
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
 * Inbox order when shared with the patient, and "awaiting reply". Returns the message's seq.
 */
export async function insertMessage(db: Db, m: NewMessage): Promise<number> {
  // Messages of one chamber commit in the order of their seq, so a live-events reader that
  // has seen seq N has seen every earlier message of the chamber (no late, lower seq).
  // The same statement wakes the live-events hub of every app process once this transaction
  // commits (a NOTIFY is delivered at commit, wherever it is sent in the transaction).
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${m.chamberId}, 0)), pg_notify('portal_events', ${m.chamberId})`,
  );
  // The message, its audience and the conversation's new order in one statement: they run
  // while the chamber's seq lock is held, so every round trip saved shortens the time other
  // senders of the chamber wait.
  const roleIds = [...new Set(m.roleIds)];
  const awaiting =
    m.authorKind === 'patient' ? sql`true` : m.sharedWithPatient ? sql`false` : sql`awaiting_reply`;
  const inserted = await db.execute<{ seq: string | number }>(sql`
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
             last_patient_visible_seq = ${m.sharedWithPatient ? sql`(select seq from message)` : sql`last_patient_visible_seq`},
             awaiting_reply = ${awaiting}
       where chamber_id = ${m.chamberId}::uuid and id = ${m.conversationId}::uuid
    )
    select seq from message`);
  const seq = toNumber(inserted.rows[0]?.seq);
  return seq;
}

/**
 * One notification for every Active member of the roles (each user once), except the author.
 * Returns the ids of the users notified.
 */
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
): Promise<string[]> {
  if (n.roleIds.length === 0) return [];
  const r = await db.execute<{ user_id: string }>(sql`
    insert into notifications (chamber_id, id, user_id, kind, patient_id, conversation_id, message_id, created_at)
    select ${n.chamberId}::uuid, gen_random_uuid(), x.user_id, ${n.kind}, ${n.patientId}::uuid, ${n.conversationId}::uuid, ${n.messageId}::uuid, ${n.now.toISOString()}::timestamptz
      from (select distinct rm.user_id
              from role_members rm
              join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
             where rm.chamber_id = ${n.chamberId}::uuid and rm.role_id in ${uuidList(n.roleIds)}
               ${n.exceptUserId ? sql`and rm.user_id <> ${n.exceptUserId}::uuid` : sql``}) x
    returning user_id`);
  return r.rows.map((x) => x.user_id);
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
  await db.execute(sql`
    insert into conversation_reads (chamber_id, conversation_id, reader_kind, reader_id, last_read_seq, updated_at)
    values (${r.chamberId}::uuid, ${r.conversationId}::uuid, ${r.readerKind}, ${r.readerId}::uuid, ${r.seq}, ${r.now.toISOString()}::timestamptz)
    on conflict (chamber_id, conversation_id, reader_kind, reader_id)
    do update set last_read_seq = greatest(conversation_reads.last_read_seq, excluded.last_read_seq), updated_at = excluded.updated_at`);
}

export interface ConversationSummaryRow {
  id: string;
  awaitingReply: boolean;
  createdAt: Date;
  unreadCount: number;
  last: MessageRow;
}

type RawSummary = RawMessage & {
  conv_id: string;
  awaiting_reply: boolean;
  conv_created_at: Date | string;
  unread_count: string | number;
};

function toSummary(r: RawSummary): ConversationSummaryRow {
  return {
    id: r.conv_id,
    awaitingReply: r.awaiting_reply,
    createdAt: toDate(r.conv_created_at),
    unreadCount: toNumber(r.unread_count),
    last: toMessage(r),
  };
}

/** The patient's Inbox: conversations with something shared with them, newest first. */
export async function listInbox(
  db: Db,
  chamberId: string,
  patientId: string,
  beforeSeq: number | undefined,
  limit: number,
) {
  const r = await db.execute<RawSummary>(sql`
    select c.id as conv_id, c.awaiting_reply, c.created_at as conv_created_at, ${messageColumns},
           (select count(*) from messages m2
             where m2.chamber_id = c.chamber_id and m2.conversation_id = c.id and m2.shared_with_patient
               and m2.author_kind = 'staff' and m2.seq > coalesce(cr.last_read_seq, 0)) as unread_count
      from conversations c
      join messages m on m.chamber_id = c.chamber_id and m.seq = c.last_patient_visible_seq
      join patients p on p.chamber_id = c.chamber_id and p.id = c.patient_id
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
      left join conversation_reads cr on cr.chamber_id = c.chamber_id and cr.conversation_id = c.id
                and cr.reader_kind = 'patient' and cr.reader_id = c.patient_id
     where c.chamber_id = ${chamberId}::uuid and c.patient_id = ${patientId}::uuid
       and c.last_patient_visible_seq is not null
       ${beforeSeq !== undefined ? sql`and c.last_patient_visible_seq < ${beforeSeq}` : sql``}
     order by c.last_patient_visible_seq desc
     limit ${limit}`);
  return r.rows.map(toSummary);
}

/** The patient's Feed as one staff user sees it: conversations with a message they may see. */
export async function listFeed(
  db: Db,
  chamberId: string,
  patientId: string,
  viewer: { userId: string; roleIds: string[] },
  beforeSeq: number | undefined,
  limit: number,
) {
  const visible = staffCanSee(viewer.userId, viewer.roleIds);
  const r = await db.execute<RawSummary>(sql`
    select c.id as conv_id, c.awaiting_reply, c.created_at as conv_created_at, lm.*,
           (select count(*) from messages m
             where m.chamber_id = c.chamber_id and m.conversation_id = c.id
               and m.seq > coalesce(cr.last_read_seq, 0) and m.author_user_id is distinct from ${viewer.userId}::uuid
               and ${visible}) as unread_count
      from conversations c
      join lateral (
        select ${messageColumns}
          from messages m
          join patients p on p.chamber_id = m.chamber_id and p.id = m.patient_id
          left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
         where m.chamber_id = c.chamber_id and m.conversation_id = c.id and ${visible}
         order by m.seq desc limit 1) lm on true
      left join conversation_reads cr on cr.chamber_id = c.chamber_id and cr.conversation_id = c.id
                and cr.reader_kind = 'staff' and cr.reader_id = ${viewer.userId}::uuid
     where c.chamber_id = ${chamberId}::uuid and c.patient_id = ${patientId}::uuid
       ${beforeSeq !== undefined ? sql`and lm.seq < ${beforeSeq}` : sql``}
     order by lm.seq desc
     limit ${limit}`);
  return r.rows.map(toSummary);
}

/** Messages of a conversation the viewer may see, newest first, before a seq. */
export async function listMessages(
  db: Db,
  chamberId: string,
  conversationId: string,
  viewer: { kind: 'patient' } | { kind: 'staff'; userId: string; roleIds: string[] },
  beforeSeq: number | undefined,
  limit: number,
): Promise<MessageRow[]> {
  const visible =
    viewer.kind === 'patient'
      ? sql`m.shared_with_patient`
      : staffCanSee(viewer.userId, viewer.roleIds);
  const r = await db.execute<RawMessage>(sql`
    select ${messageColumns}
      from messages m
      join patients p on p.chamber_id = m.chamber_id and p.id = m.patient_id
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where m.chamber_id = ${chamberId}::uuid and m.conversation_id = ${conversationId}::uuid and ${visible}
       ${beforeSeq !== undefined ? sql`and m.seq < ${beforeSeq}` : sql``}
     order by m.seq desc
     limit ${limit}`);
  return r.rows.map(toMessage);
}

/** The roles each message is shared with (for staff readers). */
export async function rolesOfMessages(db: Db, chamberId: string, messageIds: string[]) {
  const out = new Map<string, { id: string; name: string; deleted: boolean }[]>();
  if (messageIds.length === 0) return out;
  const r = await db.execute<{
    message_id: string;
    id: string;
    name: string;
    deleted: boolean;
  }>(sql`
    select mr.message_id, r.id, r.name, r.deleted_at is not null as deleted
      from message_roles mr join roles r on r.chamber_id = mr.chamber_id and r.id = mr.role_id
     where mr.chamber_id = ${chamberId}::uuid and mr.message_id in ${uuidList(messageIds)}
     order by r.name, r.id`);
  for (const row of r.rows) {
    const arr = out.get(row.message_id) ?? [];
    arr.push({ id: row.id, name: row.name, deleted: row.deleted });
    out.set(row.message_id, arr);
  }
  return out;
}

/** The newest seq the viewer can see in a conversation, or null when they can see nothing. */
export async function newestVisibleSeq(
  db: Db,
  chamberId: string,
  conversationId: string,
  viewer: { kind: 'patient' } | { kind: 'staff'; userId: string; roleIds: string[] },
): Promise<number | null> {
  const visible =
    viewer.kind === 'patient'
      ? sql`m.shared_with_patient`
      : staffCanSee(viewer.userId, viewer.roleIds);
  const r = await db.execute<{ seq: string | number | null }>(sql`
    select max(m.seq) as seq from messages m
     where m.chamber_id = ${chamberId}::uuid and m.conversation_id = ${conversationId}::uuid and ${visible}`);
  const v = r.rows[0]?.seq;
  return v === null || v === undefined ? null : toNumber(v);
}

/** Marks the user's notifications of a conversation read. */
export async function markConversationNotificationsRead(
  db: Db,
  chamberId: string,
  userId: string,
  conversationId: string,
  now: Date,
) {
  await db.execute(sql`
    update notifications set read_at = ${now.toISOString()}::timestamptz
     where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and conversation_id = ${conversationId}::uuid and read_at is null`);
}

type RawAttachment = {
  id: string;
  title: string;
  content_type: string;
  size_bytes: number | string;
  created_at: Date | string;
};

const toAttachment = (row: RawAttachment): AttachmentRow => ({
  id: row.id,
  title: row.title,
  contentType: row.content_type,
  sizeBytes: Number(row.size_bytes),
  createdAt: toDate(row.created_at),
});

/** The documents attached to each of the given messages, oldest first. */
export async function attachmentsOf(db: Db, chamberId: string, messageIds: string[]) {
  const out = new Map<string, AttachmentRow[]>();
  if (messageIds.length === 0) return out;
  const r = await db.execute<RawAttachment & { message_id: string }>(sql`
    select ma.message_id, d.id, d.title, d.content_type, d.size_bytes, d.created_at
      from message_attachments ma join documents d on d.chamber_id = ma.chamber_id and d.id = ma.document_id
     where ma.chamber_id = ${chamberId}::uuid and ma.message_id in ${uuidList(messageIds)}
     order by d.created_at, d.id`);
  for (const row of r.rows) {
    const arr = out.get(row.message_id) ?? [];
    arr.push(toAttachment(row));
    out.set(row.message_id, arr);
  }
  return out;
}

/** Of the given documents, those the patient uploaded and has not attached to a message yet. */
export async function attachableDocuments(
  db: Db,
  chamberId: string,
  patientId: string,
  documentIds: string[],
): Promise<AttachmentRow[]> {
  if (documentIds.length === 0) return [];
  const r = await db.execute<RawAttachment>(sql`
    select d.id, d.title, d.content_type, d.size_bytes, d.created_at from documents d
     where d.chamber_id = ${chamberId}::uuid and d.patient_id = ${patientId}::uuid and d.uploaded_by_kind = 'patient'
       and d.id in ${uuidList(documentIds)}
       and not exists (select 1 from message_attachments ma where ma.chamber_id = d.chamber_id and ma.document_id = d.id)`);
  return r.rows.map(toAttachment);
}

export async function attachToMessage(
  db: Db,
  chamberId: string,
  messageId: string,
  documentIds: string[],
): Promise<void> {
  if (documentIds.length === 0) return;
  await db.execute(sql`
    insert into message_attachments (chamber_id, message_id, document_id)
    values ${sql.join(
      documentIds.map((d) => sql`(${chamberId}::uuid, ${messageId}::uuid, ${d}::uuid)`),
      sql`, `,
    )}`);
}
