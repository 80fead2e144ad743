import { and, asc, eq, gt, max, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import {
  messageRoles,
  messages,
  notifications,
  patients,
  roleMembers,
  roles,
  sessions,
  users,
} from '../../db/schema.js';
import { patientName } from '../messaging/messaging.repository.js';
import type { MessageAudience } from '../messaging/visibility.policy.js';

type MessageRecord = typeof messages.$inferSelect;

/** A new message of a chamber with what is needed to decide who may hear of it (rule 4). */
export type MessageEventRow = MessageAudience &
  Pick<MessageRecord, 'seq' | 'conversationId' | 'authorKind'> & {
    messageId: string;
    patientName: string;
    authorName: string;
    /** ISO 8601, as the event sends it. */
    createdAt: string;
    /** The notification each user got for this message: user id → notification id. */
    notified: Map<string, string>;
  };

type Notified = { userId: string; id: string }[];

/** The chamber's messages after a seq, oldest first. */
export async function messagesSince(
  db: Db,
  chamberId: string,
  afterSeq: number,
  limit: number,
): Promise<MessageEventRow[]> {
  const rows = await db
    .select({
      seq: messages.seq,
      messageId: messages.id,
      conversationId: messages.conversationId,
      patientId: messages.patientId,
      patientName,
      authorKind: messages.authorKind,
      authorUserId: messages.authorUserId,
      userName: users.name,
      sharedWithPatient: messages.sharedWithPatient,
      createdAt: messages.createdAt,
      roleIds: sql<
        string[] | null
      >`(select coalesce(array_agg(${messageRoles.roleId}::text), '{}') from ${messageRoles}
         where ${messageRoles.chamberId} = ${messages.chamberId} and ${messageRoles.messageId} = ${messages.id})`,
      // Drivers answer json as parsed JSON or as its text.
      notified: sql<
        Notified | string | null
      >`(select coalesce(json_agg(json_build_object('userId', ${notifications.userId}, 'id', ${notifications.id})), '[]'::json) from ${notifications}
         where ${notifications.chamberId} = ${messages.chamberId} and ${notifications.messageId} = ${messages.id})`,
    })
    .from(messages)
    .innerJoin(
      patients,
      and(eq(patients.chamberId, messages.chamberId), eq(patients.id, messages.patientId)),
    )
    .leftJoin(
      users,
      and(eq(users.chamberId, messages.chamberId), eq(users.id, messages.authorUserId)),
    )
    .where(and(eq(messages.chamberId, chamberId), gt(messages.seq, afterSeq)))
    .orderBy(asc(messages.seq))
    .limit(limit);
  return rows.map(({ userName, roleIds, notified, createdAt, ...row }) => ({
    ...row,
    authorName: row.authorKind === 'patient' ? row.patientName : (userName ?? ''),
    createdAt: createdAt.toISOString(),
    roleIds: roleIds ?? [],
    // A map, so that handing a message to each of n listeners costs n lookups, not n × n.
    notified: new Map(
      (typeof notified === 'string' ? (JSON.parse(notified) as Notified) : (notified ?? [])).map(
        (n) => [n.userId, n.id],
      ),
    ),
  }));
}

/** The newest message seq of the chamber (0 when it has none). */
export async function newestSeq(db: Db, chamberId: string): Promise<number> {
  const rows = await db
    .select({ seq: max(messages.seq) })
    .from(messages)
    .where(eq(messages.chamberId, chamberId));
  return rows[0]?.seq ?? 0;
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
  const rows = await db
    .select({
      id: sessions.id,
      roleIds: sql<
        string[] | null
      >`(select coalesce(array_agg(${roleMembers.roleId}::text), '{}') from ${roleMembers}
          join ${roles} on ${roles.chamberId} = ${roleMembers.chamberId} and ${roles.id} = ${roleMembers.roleId} and ${roles.deletedAt} is null
         where ${roleMembers.chamberId} = ${sessions.chamberId} and ${roleMembers.userId} = ${sessions.userId})`,
    })
    .from(sessions)
    .leftJoin(users, and(eq(users.chamberId, sessions.chamberId), eq(users.id, sessions.userId)))
    .where(
      and(
        eq(sessions.chamberId, chamberId),
        sql`${sessions.id} = any(${`{${sessionIds.join(',')}}`}::uuid[])`,
        gt(sessions.expiresAt, now),
        gt(sessions.lastSeenAt, new Date(now.getTime() - idleMs)),
        or(eq(sessions.kind, 'patient'), sql`${users.active}`),
      ),
    );
  return new Map(rows.map((row) => [row.id, { roleIds: row.roleIds ?? [] }]));
}
