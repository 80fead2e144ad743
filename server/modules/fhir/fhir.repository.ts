import {
  aliasedTable,
  and,
  asc,
  eq,
  gt,
  gte,
  like,
  lt,
  notExists,
  or,
  sql,
  type Column,
  type SQL,
} from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import {
  conversations,
  documents,
  messageAttachments,
  messages,
  patients,
  roleMembers,
  roles,
  topics,
  users,
} from '../../db/schema.js';
import { clinicName, patientName, proxyName } from '../messaging/messaging.repository.js';

/**
 * Queries of the FHIR API. Every one takes the chamber of the calling client and filters on
 * it; `internal` says whether the client may read messages not shared with the patient.
 */

type MessageRecord = typeof messages.$inferSelect;
type PatientRecord = typeof patients.$inferSelect;
type UserRecord = typeof users.$inferSelect;
type RoleRecord = typeof roles.$inferSelect;

/** A table with the columns of `messages` (the table itself or an alias of it). */
type MessagesTable = Pick<typeof messages, 'sharedWithPatient'>;

/**
 * Which messages an integration client may read: all of them with the read-internal scope, or
 * only those shared with the patient. This is a rule of integration scopes, not SPEC rule 4
 * (`messaging/visibility.policy.ts`): a client is neither a patient nor a staff user with roles.
 */
const visibleTo = (m: MessagesTable, internal: boolean): SQL =>
  internal ? sql`true` : sql`${m.sharedWithPatient}`;

export interface TimeBound {
  op: 'ge' | 'lt';
  at: Date;
}

const timeBounds = (column: Column, list: TimeBound[]): SQL[] =>
  list.map((b) => (b.op === 'ge' ? gte(column, b.at) : lt(column, b.at)));

/** A message as FHIR presents it, with its author's name. */
export type MessageRow = Pick<
  MessageRecord,
  | 'seq'
  | 'id'
  | 'conversationId'
  | 'patientId'
  | 'authorKind'
  | 'authorUserId'
  | 'text'
  | 'sharedWithPatient'
  | 'createdAt'
> & {
  authorName: UserRecord['name'] | null;
  /** What its conversation is about (SPEC rule 9). */
  topicId: string | null;
  topicName: string | null;
  subject: string | null;
  /** The first message of its conversation that the client may read: it carries the header. */
  firstVisible: boolean;
};

const earlier = aliasedTable(messages, 'm2');

const firstVisible = (db: Db, internal: boolean): SQL<boolean> =>
  sql<boolean>`${notExists(
    db
      .select({ one: sql`1` })
      .from(earlier)
      .where(
        and(
          eq(earlier.chamberId, messages.chamberId),
          eq(earlier.conversationId, messages.conversationId),
          lt(earlier.seq, messages.seq),
          visibleTo(earlier, internal),
        ),
      ),
  )}`;

/** `messages` with its author (`users` left-joined), as `MessageRow`s. */
const selectMessages = (db: Db, internal: boolean) =>
  db
    .select({
      seq: messages.seq,
      id: messages.id,
      conversationId: messages.conversationId,
      patientId: messages.patientId,
      authorKind: messages.authorKind,
      authorUserId: messages.authorUserId,
      // A person's name, the clinic's for its automatic messages (rule 13), or "<proxy> for
      // <patient>" for a patient's message their proxy wrote (rule 18); null for the patient.
      authorName: sql<string | null>`case
        when ${messages.authorKind} = 'clinic' then ${clinicName(messages.chamberId)}
        when ${messages.proxyAccountId} is not null then ${proxyName} || ' for ' ||
          (select ${patients.givenName} || ' ' || ${patients.familyName} from ${patients}
            where ${patients.chamberId} = ${messages.chamberId} and ${patients.id} = ${messages.patientId})
        else ${users.name} end`,
      text: messages.text,
      sharedWithPatient: messages.sharedWithPatient,
      createdAt: messages.createdAt,
      topicId: conversations.topicId,
      topicName: topics.name,
      subject: conversations.subject,
      firstVisible: firstVisible(db, internal),
    })
    .from(messages)
    .leftJoin(
      users,
      and(eq(users.chamberId, messages.chamberId), eq(users.id, messages.authorUserId)),
    )
    .innerJoin(
      conversations,
      and(
        eq(conversations.chamberId, messages.chamberId),
        eq(conversations.id, messages.conversationId),
      ),
    )
    .leftJoin(
      topics,
      and(eq(topics.chamberId, conversations.chamberId), eq(topics.id, conversations.topicId)),
    );

export interface MessageSearch {
  internal: boolean;
  patientId?: string;
  conversationId?: string;
  /** Only rows that carry a thread header (part-of:missing=true). */
  headersOnly?: boolean;
  sent: TimeBound[];
  /** Rows from this seq on (inclusive) or after it. */
  fromSeq?: { seq: number; inclusive: boolean };
  limit: number;
}

/**
 * Messages the client may read, in seq order (the order they committed in, per chamber), from
 * a position: the cursor of Communication search, stable while new messages arrive.
 */
export async function searchMessages(
  db: Db,
  chamberId: string,
  f: MessageSearch,
): Promise<MessageRow[]> {
  return selectMessages(db, f.internal)
    .where(
      and(
        eq(messages.chamberId, chamberId),
        visibleTo(messages, f.internal),
        f.patientId ? eq(messages.patientId, f.patientId) : undefined,
        f.conversationId ? eq(messages.conversationId, f.conversationId) : undefined,
        f.headersOnly ? firstVisible(db, f.internal) : undefined,
        ...timeBounds(messages.createdAt, f.sent),
        f.fromSeq
          ? f.fromSeq.inclusive
            ? gte(messages.seq, f.fromSeq.seq)
            : gt(messages.seq, f.fromSeq.seq)
          : undefined,
      ),
    )
    .orderBy(asc(messages.seq))
    .limit(f.limit);
}

/** One message the client may read. */
export async function findMessage(
  db: Db,
  chamberId: string,
  id: string,
  internal: boolean,
): Promise<MessageRow | undefined> {
  const [row] = await selectMessages(db, internal).where(
    and(eq(messages.chamberId, chamberId), eq(messages.id, id), visibleTo(messages, internal)),
  );
  return row;
}

/**
 * A conversation as a thread header: only when the client may read one of its messages; its
 * time is that of the first such message.
 */
export async function findThread(
  db: Db,
  chamberId: string,
  id: string,
  internal: boolean,
): Promise<MessageRow | undefined> {
  const [row] = await selectMessages(db, internal)
    .where(
      and(
        eq(messages.chamberId, chamberId),
        eq(messages.conversationId, id),
        visibleTo(messages, internal),
      ),
    )
    .orderBy(asc(messages.seq))
    .limit(1);
  return row;
}

/** A document attached to a message the client may read (a Binary), with that message's patient. */
export async function findAttachedDocument(
  db: Db,
  chamberId: string,
  documentId: string,
  internal: boolean,
) {
  const [row] = await db
    .select({
      id: documents.id,
      patientId: documents.patientId,
      contentType: documents.contentType,
      sizeBytes: documents.sizeBytes,
      messageId: messages.id,
    })
    .from(documents)
    .innerJoin(
      messageAttachments,
      and(
        eq(messageAttachments.chamberId, documents.chamberId),
        eq(messageAttachments.documentId, documents.id),
      ),
    )
    .innerJoin(
      messages,
      and(
        eq(messages.chamberId, messageAttachments.chamberId),
        eq(messages.id, messageAttachments.messageId),
      ),
    )
    .where(
      and(
        eq(documents.chamberId, chamberId),
        eq(documents.id, documentId),
        visibleTo(messages, internal),
      ),
    )
    .limit(1);
  return row;
}

/** A patient as FHIR presents it. */
export type PatientRow = Pick<
  PatientRecord,
  'id' | 'givenName' | 'familyName' | 'dateOfBirth' | 'email' | 'mobile' | 'createdAt' | 'updatedAt'
>;

const patientColumns = {
  id: patients.id,
  givenName: patients.givenName,
  familyName: patients.familyName,
  dateOfBirth: patients.dateOfBirth,
  email: patients.email,
  mobile: patients.mobile,
  createdAt: patients.createdAt,
  updatedAt: patients.updatedAt,
};

/** One patient of the chamber. */
export async function findPatient(
  db: Db,
  chamberId: string,
  id: string,
): Promise<PatientRow | undefined> {
  const [row] = await db
    .select(patientColumns)
    .from(patients)
    .where(and(eq(patients.chamberId, chamberId), eq(patients.id, id)));
  return row;
}

const likeEscape = (s: string) => s.replace(/[%_\\]/g, '\\$&');

export interface PatientSearch {
  /** Each list must match (AND); null means a filter that matches no patient. */
  ids: (string | null)[];
  names: { mode: 'starts' | 'contains' | 'exact'; value: string }[];
  /** Bounds on the date of birth, as dates (YYYY-MM-DD). */
  birth: { op: 'ge' | 'lt'; date: string }[];
  emails: string[];
  updated: TimeBound[];
  after?: { createdAt: Date; id: string };
  limit: number;
}

function nameMatches(n: PatientSearch['names'][number]): SQL {
  if (n.mode === 'exact') {
    return or(
      eq(patients.givenName, n.value),
      eq(patients.familyName, n.value),
      eq(patientName, n.value),
    )!;
  }
  const value = likeEscape(n.value.toLowerCase());
  const pattern = n.mode === 'contains' ? `%${value}%` : `${value}%`;
  return or(
    like(sql`lower(${patients.givenName})`, pattern),
    like(sql`lower(${patients.familyName})`, pattern),
    like(sql`lower(${patientName})`, pattern),
  )!;
}

/** Patients of the chamber matching every filter, in the order they were registered. */
export async function searchPatients(
  db: Db,
  chamberId: string,
  f: PatientSearch,
): Promise<PatientRow[]> {
  return db
    .select(patientColumns)
    .from(patients)
    .where(
      and(
        eq(patients.chamberId, chamberId),
        ...f.ids.map((id) => (id === null ? sql`false` : eq(patients.id, id))),
        ...f.names.map(nameMatches),
        ...f.birth.map((b) =>
          b.op === 'ge' ? gte(patients.dateOfBirth, b.date) : lt(patients.dateOfBirth, b.date),
        ),
        ...f.emails.map((e) => eq(sql`lower(${patients.email})`, e.toLowerCase())),
        ...timeBounds(patients.updatedAt, f.updated),
        // A row comparison (the keyset of the page), which the query builder cannot say.
        f.after
          ? sql`(${patients.createdAt}, ${patients.id}) > (${f.after.createdAt.toISOString()}::timestamptz, ${f.after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(asc(patients.createdAt), asc(patients.id))
    .limit(f.limit);
}

/** A staff user as FHIR presents it (a Practitioner). */
export type StaffUserRow = Pick<UserRecord, 'id' | 'name' | 'active' | 'updatedAt'>;

/** A staff user (a Practitioner). */
export async function findStaffUser(
  db: Db,
  chamberId: string,
  id: string,
): Promise<StaffUserRow | undefined> {
  const [row] = await db
    .select({ id: users.id, name: users.name, active: users.active, updatedAt: users.updatedAt })
    .from(users)
    .where(and(eq(users.chamberId, chamberId), eq(users.id, id)));
  return row;
}

/** A role with its members, as FHIR presents it (a Group). */
export type RoleWithMembersRow = Pick<RoleRecord, 'id' | 'name' | 'deletedAt' | 'createdAt'> & {
  members: Pick<UserRecord, 'id' | 'name' | 'active'>[];
};

/** A role (a Group) with its members, deleted roles included: old messages still name them. */
export async function findRoleWithMembers(
  db: Db,
  chamberId: string,
  id: string,
): Promise<RoleWithMembersRow | undefined> {
  const [role] = await db
    .select({
      id: roles.id,
      name: roles.name,
      deletedAt: roles.deletedAt,
      createdAt: roles.createdAt,
    })
    .from(roles)
    .where(and(eq(roles.chamberId, chamberId), eq(roles.id, id)));
  if (!role) return undefined;
  const members = await db
    .select({ id: users.id, name: users.name, active: users.active })
    .from(roleMembers)
    .innerJoin(
      users,
      and(eq(users.chamberId, roleMembers.chamberId), eq(users.id, roleMembers.userId)),
    )
    .where(and(eq(roleMembers.chamberId, chamberId), eq(roleMembers.roleId, id)))
    .orderBy(asc(users.name), asc(users.id));
  return { ...role, members };
}
