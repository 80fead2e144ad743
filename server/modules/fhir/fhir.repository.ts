import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

/**
 * Queries of the FHIR API. Every one takes the chamber of the calling client and filters on
 * it; `internal` says whether the client may read messages not shared with the patient.
 */

const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));

/** Which messages the client may read: all of them, or only those shared with the patient. */
const visibleTo = (alias: string, internal: boolean): SQL =>
  internal ? sql`true` : sql.raw(`${alias}.shared_with_patient`);

export interface TimeBound {
  op: 'ge' | 'lt';
  at: Date;
}

function bounds(column: SQL, list: TimeBound[]): SQL {
  if (list.length === 0) return sql``;
  return sql.join(
    list.map((b) =>
      b.op === 'ge'
        ? sql` and ${column} >= ${b.at.toISOString()}::timestamptz`
        : sql` and ${column} < ${b.at.toISOString()}::timestamptz`,
    ),
    sql``,
  );
}

export interface MessageRow {
  seq: number;
  id: string;
  conversationId: string;
  patientId: string;
  authorKind: 'patient' | 'staff';
  authorUserId: string | null;
  authorName: string | null;
  text: string;
  sharedWithPatient: boolean;
  createdAt: Date;
  /** The first message of its conversation that the client may read: it carries the header. */
  firstVisible: boolean;
}

type RawMessage = {
  seq: string | number;
  id: string;
  conversation_id: string;
  patient_id: string;
  author_kind: 'patient' | 'staff';
  author_user_id: string | null;
  author_name: string | null;
  text: string;
  shared_with_patient: boolean;
  created_at: Date | string;
  first_visible: boolean;
};

const toMessage = (r: RawMessage): MessageRow => ({
  seq: Number(r.seq),
  id: r.id,
  conversationId: r.conversation_id,
  patientId: r.patient_id,
  authorKind: r.author_kind,
  authorUserId: r.author_user_id,
  authorName: r.author_name,
  text: r.text,
  sharedWithPatient: r.shared_with_patient,
  createdAt: toDate(r.created_at),
  firstVisible: r.first_visible,
});

const firstVisible = (internal: boolean): SQL => sql`not exists (
  select 1 from messages m2
   where m2.chamber_id = m.chamber_id and m2.conversation_id = m.conversation_id
     and m2.seq < m.seq and ${visibleTo('m2', internal)})`;

const messageColumns = (internal: boolean): SQL => sql`m.seq, m.id, m.conversation_id, m.patient_id,
  m.author_kind, m.author_user_id, u.name as author_name, m.text, m.shared_with_patient, m.created_at,
  ${firstVisible(internal)} as first_visible`;

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
  const r = await db.execute<RawMessage>(sql`
    select ${messageColumns(f.internal)}
      from messages m
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where m.chamber_id = ${chamberId}::uuid and ${visibleTo('m', f.internal)}
       ${f.patientId ? sql`and m.patient_id = ${f.patientId}::uuid` : sql``}
       ${f.conversationId ? sql`and m.conversation_id = ${f.conversationId}::uuid` : sql``}
       ${f.headersOnly ? sql`and ${firstVisible(f.internal)}` : sql``}
       ${bounds(sql`m.created_at`, f.sent)}
       ${
         f.fromSeq
           ? f.fromSeq.inclusive
             ? sql`and m.seq >= ${f.fromSeq.seq}`
             : sql`and m.seq > ${f.fromSeq.seq}`
           : sql``
       }
     order by m.seq
     limit ${f.limit}`);
  return r.rows.map(toMessage);
}

/** One message the client may read. */
export async function findMessage(db: Db, chamberId: string, id: string, internal: boolean) {
  const r = await db.execute<RawMessage>(sql`
    select ${messageColumns(internal)}
      from messages m
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where m.chamber_id = ${chamberId}::uuid and m.id = ${id}::uuid and ${visibleTo('m', internal)}`);
  const row = r.rows[0];
  return row ? toMessage(row) : undefined;
}

/**
 * A conversation as a thread header: only when the client may read one of its messages; its
 * time is that of the first such message.
 */
export async function findThread(db: Db, chamberId: string, id: string, internal: boolean) {
  const r = await db.execute<RawMessage>(sql`
    select ${messageColumns(internal)}
      from messages m
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where m.chamber_id = ${chamberId}::uuid and m.conversation_id = ${id}::uuid and ${visibleTo('m', internal)}
     order by m.seq limit 1`);
  const row = r.rows[0];
  return row ? toMessage(row) : undefined;
}

/** A document attached to a message the client may read (a Binary), with that message's patient. */
export async function findAttachedDocument(
  db: Db,
  chamberId: string,
  documentId: string,
  internal: boolean,
) {
  const r = await db.execute<{
    id: string;
    patient_id: string;
    content_type: string;
    size_bytes: number | string;
    message_id: string;
  }>(sql`
    select d.id, d.patient_id, d.content_type, d.size_bytes, m.id as message_id
      from documents d
      join message_attachments ma on ma.chamber_id = d.chamber_id and ma.document_id = d.id
      join messages m on m.chamber_id = ma.chamber_id and m.id = ma.message_id
     where d.chamber_id = ${chamberId}::uuid and d.id = ${documentId}::uuid and ${visibleTo('m', internal)}
     limit 1`);
  const row = r.rows[0];
  return row
    ? {
        id: row.id,
        patientId: row.patient_id,
        contentType: row.content_type,
        sizeBytes: Number(row.size_bytes),
        messageId: row.message_id,
      }
    : undefined;
}

export interface PatientRow {
  id: string;
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  email: string | null;
  mobile: string | null;
  createdAt: Date;
  updatedAt: Date;
}

type RawPatient = {
  id: string;
  given_name: string;
  family_name: string;
  date_of_birth: string | Date;
  email: string | null;
  mobile: string | null;
  created_at: Date | string;
  updated_at: Date | string;
};

const toPatient = (r: RawPatient): PatientRow => ({
  id: r.id,
  givenName: r.given_name,
  familyName: r.family_name,
  dateOfBirth:
    r.date_of_birth instanceof Date
      ? r.date_of_birth.toISOString().slice(0, 10)
      : String(r.date_of_birth).slice(0, 10),
  email: r.email,
  mobile: r.mobile,
  createdAt: toDate(r.created_at),
  updatedAt: toDate(r.updated_at),
});

const patientColumns = sql`p.id, p.given_name, p.family_name, to_char(p.date_of_birth, 'YYYY-MM-DD') as date_of_birth,
  p.email, p.mobile, p.created_at, p.updated_at`;

export async function findPatient(db: Db, chamberId: string, id: string) {
  const r = await db.execute<RawPatient>(sql`
    select ${patientColumns} from patients p
     where p.chamber_id = ${chamberId}::uuid and p.id = ${id}::uuid`);
  const row = r.rows[0];
  return row ? toPatient(row) : undefined;
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

/** Patients of the chamber matching every filter, in the order they were registered. */
export async function searchPatients(
  db: Db,
  chamberId: string,
  f: PatientSearch,
): Promise<PatientRow[]> {
  const where: SQL[] = [sql`p.chamber_id = ${chamberId}::uuid`];
  for (const id of f.ids) where.push(id === null ? sql`false` : sql`p.id = ${id}::uuid`);
  for (const n of f.names) {
    if (n.mode === 'exact') {
      where.push(
        sql`(p.given_name = ${n.value} or p.family_name = ${n.value} or p.given_name || ' ' || p.family_name = ${n.value})`,
      );
    } else {
      const pattern =
        n.mode === 'contains'
          ? `%${likeEscape(n.value.toLowerCase())}%`
          : `${likeEscape(n.value.toLowerCase())}%`;
      where.push(
        sql`(lower(p.given_name) like ${pattern} or lower(p.family_name) like ${pattern} or lower(p.given_name || ' ' || p.family_name) like ${pattern})`,
      );
    }
  }
  for (const b of f.birth)
    where.push(
      b.op === 'ge'
        ? sql`p.date_of_birth >= ${b.date}::date`
        : sql`p.date_of_birth < ${b.date}::date`,
    );
  for (const e of f.emails) where.push(sql`lower(p.email) = ${e.toLowerCase()}`);
  for (const b of f.updated)
    where.push(
      b.op === 'ge'
        ? sql`p.updated_at >= ${b.at.toISOString()}::timestamptz`
        : sql`p.updated_at < ${b.at.toISOString()}::timestamptz`,
    );
  if (f.after)
    where.push(
      sql`(p.created_at, p.id) > (${f.after.createdAt.toISOString()}::timestamptz, ${f.after.id}::uuid)`,
    );
  const r = await db.execute<RawPatient>(sql`
    select ${patientColumns} from patients p
     where ${sql.join(where, sql` and `)}
     order by p.created_at, p.id
     limit ${f.limit}`);
  return r.rows.map(toPatient);
}

/** A staff user (a Practitioner). */
export async function findStaffUser(db: Db, chamberId: string, id: string) {
  const r = await db.execute<{
    id: string;
    name: string;
    active: boolean;
    updated_at: Date | string;
  }>(sql`
    select u.id, u.name, u.active, u.updated_at from users u
     where u.chamber_id = ${chamberId}::uuid and u.id = ${id}::uuid`);
  const row = r.rows[0];
  return row
    ? { id: row.id, name: row.name, active: row.active, updatedAt: toDate(row.updated_at) }
    : undefined;
}

/** A role (a Group) with its members, deleted roles included: old messages still name them. */
export async function findRoleWithMembers(db: Db, chamberId: string, id: string) {
  const r = await db.execute<{
    id: string;
    name: string;
    deleted_at: Date | string | null;
    created_at: Date | string;
  }>(sql`
    select r.id, r.name, r.deleted_at, r.created_at from roles r
     where r.chamber_id = ${chamberId}::uuid and r.id = ${id}::uuid`);
  const role = r.rows[0];
  if (!role) return undefined;
  const members = await db.execute<{ id: string; name: string; active: boolean }>(sql`
    select u.id, u.name, u.active from role_members rm
      join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id
     where rm.chamber_id = ${chamberId}::uuid and rm.role_id = ${id}::uuid
     order by u.name, u.id`);
  return {
    id: role.id,
    name: role.name,
    deletedAt: role.deleted_at ? toDate(role.deleted_at) : null,
    createdAt: toDate(role.created_at),
    members: members.rows.map((m) => ({ id: m.id, name: m.name, active: m.active })),
  };
}
