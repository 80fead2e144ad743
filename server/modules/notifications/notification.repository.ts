import { and, count, desc, eq, gt, isNull, lt, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { conversations, messages, notifications, patients, users } from '../../db/schema.js';
import { answerer } from '../messaging/conversation.repository.js';
import { authorName, patientName } from '../messaging/messaging.repository.js';
import { maySeeSql } from '../messaging/visibility.policy.js';

/**
 * The user's notifications, newest first: one per conversation while unread, with the newest
 * message's text only where they may still see it (rule 4), and "Answered by" a colleague who
 * replied to the patient after it.
 */
export async function listNotifications(
  db: Db,
  chamberId: string,
  viewer: { userId: string; roleIds: string[] },
  opts: { unreadOnly: boolean; beforeSeq?: number; limit: number },
) {
  const reader = { kind: 'staff' as const, userId: viewer.userId, roleIds: viewer.roleIds };
  return (
    db
      .select({
        id: notifications.id,
        seq: notifications.seq,
        kind: notifications.kind,
        patientId: notifications.patientId,
        patientName: sql<string | null>`${patientName}`,
        conversationId: notifications.conversationId,
        messageId: notifications.messageId,
        count: notifications.messageCount,
        createdAt:
          sql<Date>`coalesce(${notifications.updatedAt}, ${notifications.createdAt})`.mapWith(
            notifications.createdAt,
          ),
        readAt: notifications.readAt,
        text: sql<string | null>`case when ${maySeeSql(reader)} then ${messages.text} end`,
        authorName,
        answeredById: answerer.id,
        answeredByName: answerer.name,
        redFlag: sql<boolean>`coalesce(${conversations.redFlag}, false)`,
        detail: notifications.detail,
      })
      .from(notifications)
      .leftJoin(
        patients,
        and(
          eq(patients.chamberId, notifications.chamberId),
          eq(patients.id, notifications.patientId),
        ),
      )
      .leftJoin(
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
      .leftJoin(
        conversations,
        and(
          eq(conversations.chamberId, notifications.chamberId),
          eq(conversations.id, notifications.conversationId),
        ),
      )
      // "Answered by": a colleague's reply to the patient after the newest notified message.
      .leftJoin(
        answerer,
        and(
          eq(answerer.chamberId, conversations.chamberId),
          eq(answerer.id, conversations.answeredByUserId),
          gt(conversations.answeredSeq, messages.seq),
          ne(answerer.id, viewer.userId),
        ),
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
      .limit(opts.limit)
  );
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
