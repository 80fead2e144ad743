import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

/** A new message of a chamber with what is needed to decide who may hear of it. */
export interface MessageEventRow {
  seq: number;
  messageId: string;
  conversationId: string;
  patientId: string;
  patientName: string;
  authorKind: 'patient' | 'staff';
  authorUserId: string | null;
  authorName: string;
  sharedWithPatient: boolean;
  createdAt: string;
  roleIds: string[];
  /** The notification each user got for this message: user id → notification id. */
  notified: Map<string, string>;
}

type Raw = {
  seq: string | number;
  id: string;
  conversation_id: string;
  patient_id: string;
  patient_name: string;
  author_kind: 'patient' | 'staff';
  author_user_id: string | null;
  author_name: string | null;
  shared_with_patient: boolean;
  created_at: Date | string;
  role_ids: string[] | null;
  notified: { userId: string; id: string }[] | string | null;
};

/** The chamber's messages after a seq, oldest first. */
export async function messagesSince(
  db: Db,
  chamberId: string,
  afterSeq: number,
  limit: number,
): Promise<MessageEventRow[]> {
  const r = await db.execute<Raw>(sql`
    select m.seq, m.id, m.conversation_id, m.patient_id, p.given_name || ' ' || p.family_name as patient_name,
           m.author_kind, m.author_user_id, u.name as author_name, m.shared_with_patient, m.created_at,
           (select coalesce(array_agg(mr.role_id::text), '{}') from message_roles mr
             where mr.chamber_id = m.chamber_id and mr.message_id = m.id) as role_ids,
           (select coalesce(json_agg(json_build_object('userId', n.user_id, 'id', n.id)), '[]'::json) from notifications n
             where n.chamber_id = m.chamber_id and n.message_id = m.id) as notified
      from messages m
      join patients p on p.chamber_id = m.chamber_id and p.id = m.patient_id
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where m.chamber_id = ${chamberId}::uuid and m.seq > ${afterSeq}
     order by m.seq
     limit ${limit}`);
  return r.rows.map((row) => ({
    seq: Number(row.seq),
    messageId: row.id,
    conversationId: row.conversation_id,
    patientId: row.patient_id,
    patientName: row.patient_name,
    authorKind: row.author_kind,
    authorUserId: row.author_user_id,
    authorName: row.author_kind === 'patient' ? row.patient_name : (row.author_name ?? ''),
    sharedWithPatient: row.shared_with_patient,
    createdAt: new Date(row.created_at).toISOString(),
    roleIds: row.role_ids ?? [],
    // A map, so that handing a message to each of n listeners costs n lookups, not n × n.
    notified: new Map(
      (typeof row.notified === 'string'
        ? (JSON.parse(row.notified) as { userId: string; id: string }[])
        : (row.notified ?? [])
      ).map((n) => [n.userId, n.id]),
    ),
  }));
}

/** The newest message seq of the chamber (0 when it has none). */
export async function newestSeq(db: Db, chamberId: string): Promise<number> {
  const r = await db.execute<{ seq: string | number | null }>(sql`
    select max(seq) as seq from messages where chamber_id = ${chamberId}::uuid`);
  return Number(r.rows[0]?.seq ?? 0);
}

/**
 * For the given sessions: which still live, and the current roles of their staff users. The
 * ids go as one array parameter: a heartbeat checks every open stream's session at once, and
 * 10,000 separate parameters cost far more to build and to parse than one array.
 */
export async function liveSessions(
  db: Db,
  chamberId: string,
  sessionIds: string[],
  now: Date,
  idleMs: number,
) {
  if (sessionIds.length === 0) return new Map<string, { roleIds: string[] }>();
  const r = await db.execute<{ id: string; role_ids: string[] | null }>(sql`
    select s.id,
           (select coalesce(array_agg(rm.role_id::text), '{}') from role_members rm
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
             where rm.chamber_id = s.chamber_id and rm.user_id = s.user_id) as role_ids
      from sessions s
      left join users u on u.chamber_id = s.chamber_id and u.id = s.user_id
     where s.chamber_id = ${chamberId}::uuid
       and s.id = any(${`{${sessionIds.join(',')}}`}::uuid[])
       and s.expires_at > ${now.toISOString()}::timestamptz
       and s.last_seen_at > ${new Date(now.getTime() - idleMs).toISOString()}::timestamptz
       and (s.kind = 'patient' or u.active)`);
  return new Map(r.rows.map((row) => [row.id, { roleIds: row.role_ids ?? [] }]));
}
