import { notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { encodeCursor, parseCursor } from '../../lib/schemas.js';
import type { StaffActor } from '../auth/actor.js';
import type { Audience } from '../messaging/messaging.policy.js';
import { preview } from '../messaging/messaging.presenter.js';
import type { MessagingService } from '../messaging/messaging.service.js';
import {
  countUnread,
  findNotification,
  listNotifications,
  markNotificationsRead,
} from './notification.repository.js';

const PAGE = 20;

export function createNotificationService(ctx: ServiceContext, messaging: MessagingService) {
  const { db, clock } = ctx;

  return {
    /** The Start Page's Notifications: "New message from <patient>", newest first, with the unread count. */
    async list(actor: StaffActor, opts: { unreadOnly: boolean; cursor?: string }) {
      const rows = await listNotifications(db, actor.chamberId, actor, {
        unreadOnly: opts.unreadOnly,
        beforeSeq: parseCursor(opts.cursor),
        limit: PAGE + 1,
      });
      const page = rows.slice(0, PAGE);
      const last = page[page.length - 1];
      return {
        unreadCount: await countUnread(db, actor.chamberId, actor.userId),
        notifications: page.map((n) => ({
          id: n.id,
          kind: n.kind,
          title: `New message from ${n.kind === 'patient_message' ? n.patient_name : (n.author_name ?? 'a colleague')}`,
          patient: { id: n.patient_id, name: n.patient_name },
          conversationId: n.conversation_id,
          messageId: n.message_id,
          preview: n.text === null ? null : preview(n.text),
          createdAt: new Date(n.created_at).toISOString(),
          read: n.read_at !== null,
        })),
        nextCursor: rows.length > PAGE && last ? encodeCursor(Number(last.seq)) : null,
      };
    },

    async unreadCount(actor: StaffActor) {
      return { unreadCount: await countUnread(db, actor.chamberId, actor.userId) };
    },

    async markRead(actor: StaffActor, id: string) {
      if (!(await findNotification(db, actor.chamberId, actor.userId, id)))
        throw notFound('That notification');
      await markNotificationsRead(db, actor.chamberId, actor.userId, id, clock());
      return { unreadCount: await countUnread(db, actor.chamberId, actor.userId) };
    },

    async markAllRead(actor: StaffActor) {
      await markNotificationsRead(db, actor.chamberId, actor.userId, null, clock());
      return { unreadCount: 0 };
    },

    /** Reply straight from a notification: a reply to its conversation, and the notification is read. */
    async reply(
      actor: StaffActor,
      id: string,
      input: { text: string } & Audience,
      idempotencyKey?: string,
    ) {
      const n = await findNotification(db, actor.chamberId, actor.userId, id);
      if (!n) throw notFound('That notification');
      return messaging.replyAsStaff(actor, n.conversation_id, input, idempotencyKey);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
