import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';

/** The job that keeps a reply-by promise (rule 12). */
export const ESCALATION_JOB = 'conversation_escalation';

/**
 * Schedules the conversation's escalation at `runAt`. One pending job per conversation: a
 * later promise leaves the pending job as it is (it finds the new reply-by when it runs and
 * schedules itself again); an earlier one moves it forward.
 */
export async function scheduleEscalation(
  db: Db,
  j: { chamberId: string; conversationId: string; runAt: Date; now: Date },
): Promise<void> {
  await scheduleEscalationStatement(db, j);
}

/** `scheduleEscalation` as a statement not yet sent (for `writeTogether`). */
export function scheduleEscalationStatement(
  db: Db,
  j: { chamberId: string; conversationId: string; runAt: Date; now: Date },
) {
  // insert … on conflict on a partial unique index with an update: raw SQL.
  return db.execute(sql`
    insert into jobs (chamber_id, id, kind, payload, state, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
    values (${j.chamberId}::uuid, gen_random_uuid(), ${ESCALATION_JOB},
            ${JSON.stringify({ conversationId: j.conversationId })}::jsonb, 'pending',
            ${`escalation:${j.conversationId}`}, 0, 8, ${j.runAt.toISOString()}::timestamptz,
            ${j.now.toISOString()}::timestamptz, ${j.now.toISOString()}::timestamptz)
    on conflict (chamber_id, dedupe_key) where state = 'pending' and dedupe_key is not null
    do update set run_at = least(jobs.run_at, excluded.run_at), updated_at = excluded.updated_at`);
}

/** What an escalation decides by: the conversation's state and the chamber's Escalation role. */
export interface EscalationState {
  patientId: string;
  patientName: string;
  status: 'open' | 'closed';
  awaitingReply: boolean;
  replyBy: Date | null;
  escalatedReplyBy: Date | null;
  /** The Escalation role, if set and not deleted. */
  escalationRoleId: string | null;
}

/** The state of a conversation for its escalation, or null when it does not exist. */
export async function findEscalationState(
  db: Db,
  chamberId: string,
  conversationId: string,
): Promise<EscalationState | null> {
  const rows = await db.execute<{
    patient_id: string;
    patient_name: string;
    status: 'open' | 'closed';
    awaiting_reply: boolean;
    reply_by_ms: number | string | null;
    escalated_reply_by_ms: number | string | null;
    escalation_role_id: string | null;
  }>(sql`
    select c.patient_id::text as patient_id, p.given_name || ' ' || p.family_name as patient_name,
           c.status, c.awaiting_reply,
           (extract(epoch from c.reply_by) * 1000)::float8 as reply_by_ms,
           (extract(epoch from c.escalated_reply_by) * 1000)::float8 as escalated_reply_by_ms,
           (select r.id::text from chambers ch
              join roles r on r.chamber_id = ch.id and r.id = ch.escalation_role_id and r.deleted_at is null
             where ch.id = c.chamber_id) as escalation_role_id
      from conversations c
      join patients p on p.chamber_id = c.chamber_id and p.id = c.patient_id
     where c.chamber_id = ${chamberId}::uuid and c.id = ${conversationId}::uuid
       for update of c`);
  const r = rows.rows[0];
  if (!r) return null;
  const at = (v: number | string | null) => (v === null ? null : new Date(Number(v)));
  return {
    patientId: r.patient_id,
    patientName: r.patient_name,
    status: r.status,
    awaitingReply: r.awaiting_reply,
    replyBy: at(r.reply_by_ms),
    escalatedReplyBy: at(r.escalated_reply_by_ms),
    escalationRoleId: r.escalation_role_id,
  };
}

/**
 * Escalates an overdue conversation (rule 12), in one statement: the patient's messages of the
 * conversation are shared with the Escalation role as well (internal notes keep their roles),
 * the conversation remembers the reply-by it escalated, every Active member of the role gets
 * one `overdue` notification, and staff who can see the conversation (the role now among them)
 * hear of its change. Answers how many messages were newly shared and how many were told.
 * Runs under the conversation's row lock (`findEscalationState`).
 */
export async function escalateConversation(
  db: Db,
  e: {
    chamberId: string;
    conversationId: string;
    patientId: string;
    roleId: string | null;
    replyBy: Date;
    now: Date;
  },
): Promise<{ shared: number; notified: number }> {
  const now = sql`${e.now.toISOString()}::timestamptz`;
  const role = e.roleId ? sql`array[${e.roleId}]::uuid[]` : sql`'{}'::uuid[]`;
  const rows = await db.execute<{ shared: number | string; notified: number | string }>(sql`
    with newest as (
      select id from messages
       where chamber_id = ${e.chamberId}::uuid and conversation_id = ${e.conversationId}::uuid
         and author_kind = 'patient'
       order by seq desc limit 1
    ), shared as (
      update messages set role_ids = array(select distinct unnest(role_ids || ${role}) order by 1)
       where chamber_id = ${e.chamberId}::uuid and conversation_id = ${e.conversationId}::uuid
         and author_kind = 'patient' and not (role_ids @> ${role})
      returning id
    ), moved as (
      update conversations
         set escalated_reply_by = ${e.replyBy.toISOString()}::timestamptz,
             staff_role_ids = array(select distinct unnest(staff_role_ids || ${role})),
             updated_at = ${now}
       where chamber_id = ${e.chamberId}::uuid and id = ${e.conversationId}::uuid
      returning staff_role_ids, staff_author_ids
    ), told as (
      insert into notifications (chamber_id, id, user_id, kind, patient_id, conversation_id, message_id, message_count, created_at, updated_at)
      select ${e.chamberId}::uuid, gen_random_uuid(), rm.user_id, 'overdue', ${e.patientId}::uuid,
             ${e.conversationId}::uuid, (select id from newest), 1, ${now}, ${now}
        from role_members rm
        join users u on u.chamber_id = rm.chamber_id and u.id = rm.user_id and u.active
       where rm.chamber_id = ${e.chamberId}::uuid and rm.role_id = any(${role})
      returning user_id
    ), logged as (
      insert into live_events (chamber_id, kind, patient_id, conversation_id, to_patient, role_ids, user_ids, data, created_at)
      select ${e.chamberId}::uuid, 'conversation.updated', ${e.patientId}::uuid, ${e.conversationId}::uuid, false,
             moved.staff_role_ids, moved.staff_author_ids, jsonb_build_object('reason', 'overdue'), ${now}
        from moved
    )
    select (select count(*) from shared) as shared, (select count(*) from told) as notified`);
  const r = rows.rows[0]!;
  return { shared: Number(r.shared), notified: Number(r.notified) };
}
