import { and, count, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { messages, notifications, patients, users } from '../../db/schema.js';
import { authorName, patientName } from '../messaging/messaging.repository.js';
import { maySeeSql } from '../messaging/visibility.policy.js';

/** The user's notifications, newest first; the message's text only where they may still see it (rule 4). */
export async function listNotifications(
  db: Db,
  chamberId: string,
  viewer: { userId: string; roleIds: string[] },
  opts: { unreadOnly: boolean; beforeSeq?: number; limit: number },
) {
  const reader = { kind: 'staff' as const, userId: viewer.userId, roleIds: viewer.roleIds };
  return db
    .select({
      id: notifications.id,
      seq: notifications.seq,
      kind: notifications.kind,
      patientId: notifications.patientId,
      patientName,
      conversationId: notifications.conversationId,
      messageId: notifications.messageId,
      createdAt: notifications.createdAt,
      readAt: notifications.readAt,
      text: sql<string | null>`case when ${maySeeSql(reader)} then ${messages.text} end`,
      authorName,
    })
    .from(notifications)
    .innerJoin(
      patients,
      and(
        eq(patients.chamberId, notifications.chamberId),
        eq(patients.id, notifications.patientId),
      ),
    )
    .innerJoin(
      messages,
      and(
        eq(messages.chamberId, notifications.chamberId),
        eq(messages.id, notifications.messageId),
      ),
    )
    .leftJoin(
      users,
      and(eq(users.chamberId, messages.chamberId), eq(users.id, messages.authorUserId)),
    )
    .where(
      and(
        eq(notifications.chamberId, chamberId),
        eq(notifications.userId, viewer.userId),
        opts.unreadOnly ? isNull(notifications.readAt) : undefined,
        opts.beforeSeq !== undefined ? lt(notifications.seq, opts.beforeSeq) : undefined,
      ),
    )
    .orderBy(desc(notifications.seq))
    .limit(opts.limit);
}

const unreadOf = (chamberId: string, userId: string) =>
  and(
    eq(notifications.chamberId, chamberId),
    eq(notifications.userId, userId),
    isNull(notifications.readAt),
  );

export async function countUnread(db: Db, chamberId: string, userId: string): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(notifications)
    .where(unreadOf(chamberId, userId));
  return rows[0]?.n ?? 0;
}

export async function findNotification(db: Db, chamberId: string, userId: string, id: string) {
  const rows = await db
    .select({
      id: notifications.id,
      conversationId: notifications.conversationId,
      readAt: notifications.readAt,
    })
    .from(notifications)
    .where(
      and(
        eq(notifications.chamberId, chamberId),
        eq(notifications.userId, userId),
        eq(notifications.id, id),
      ),
    );
  return rows[0];
}

/** Marks one of the user's notifications read, or all of them when `id` is null. */
export async function markNotificationsRead(
  db: Db,
  chamberId: string,
  userId: string,
  id: string | null,
  now: Date,
): Promise<void> {
  await db
    .update(notifications)
    .set({ readAt: now })
    .where(and(unreadOf(chamberId, userId), id ? eq(notifications.id, id) : undefined));
}
