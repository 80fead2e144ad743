import { sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { staffCanSee } from '../messaging/messaging.repository.js';

/** The user's notifications, newest first; the preview only where the message is still visible to them. */
export async function listNotifications(
  db: Db,
  chamberId: string,
  viewer: { userId: string; roleIds: string[] },
  opts: { unreadOnly: boolean; beforeSeq?: number; limit: number },
) {
  const r = await db.execute<{
    id: string;
    seq: string | number;
    kind: 'patient_message' | 'staff_message';
    patient_id: string;
    patient_name: string;
    conversation_id: string;
    message_id: string;
    created_at: Date | string;
    read_at: Date | string | null;
    text: string | null;
    author_name: string | null;
  }>(sql`
    select n.id, n.seq, n.kind, n.patient_id, p.given_name || ' ' || p.family_name as patient_name,
           n.conversation_id, n.message_id, n.created_at, n.read_at,
           case when ${staffCanSee(viewer.userId, viewer.roleIds)} then m.text end as text,
           case when m.author_kind = 'patient' then p.given_name || ' ' || p.family_name else u.name end as author_name
      from notifications n
      join patients p on p.chamber_id = n.chamber_id and p.id = n.patient_id
      join messages m on m.chamber_id = n.chamber_id and m.id = n.message_id
      left join users u on u.chamber_id = m.chamber_id and u.id = m.author_user_id
     where n.chamber_id = ${chamberId}::uuid and n.user_id = ${viewer.userId}::uuid
       ${opts.unreadOnly ? sql`and n.read_at is null` : sql``}
       ${opts.beforeSeq !== undefined ? sql`and n.seq < ${opts.beforeSeq}` : sql``}
     order by n.seq desc
     limit ${opts.limit}`);
  return r.rows;
}

export async function countUnread(db: Db, chamberId: string, userId: string): Promise<number> {
  const r = await db.execute<{ n: string | number }>(sql`
    select count(*) as n from notifications
     where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and read_at is null`);
  return Number(r.rows[0]?.n ?? 0);
}

export async function findNotification(db: Db, chamberId: string, userId: string, id: string) {
  const r = await db.execute<{
    id: string;
    conversation_id: string;
    read_at: Date | string | null;
  }>(sql`
    select id, conversation_id, read_at from notifications
     where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and id = ${id}::uuid`);
  return r.rows[0];
}

export async function markNotificationsRead(
  db: Db,
  chamberId: string,
  userId: string,
  id: string | null,
  now: Date,
): Promise<void> {
  await db.execute(sql`
    update notifications set read_at = ${now.toISOString()}::timestamptz
     where chamber_id = ${chamberId}::uuid and user_id = ${userId}::uuid and read_at is null
       ${id ? sql`and id = ${id}::uuid` : sql``}`);
}
