import type { StaffReplyBody, StaffSent } from '../../../common/contract/messaging.js';
import type { NotificationList, UnreadCount } from '../../../common/contract/notifications.js';
import { PAGE_SIZE } from '../../../common/limits.js';
import { notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { encodeCursor, parseCursor } from '../../lib/schemas.js';
import type { StaffActor } from '../auth/actor.js';
import { auditRead } from '../audit/audit.service.js';
import type { UnitOfWork } from '../messaging/idempotency.js';
import { preview } from '../messaging/messaging.presenter.js';
import type { MessagingService } from '../messaging/messaging.service.js';
import { notificationTitle } from './notification.presenter.js';
import {
  countUnread,
  findNotification,
  listNotifications,
  markNotificationsRead,
} from './notification.repository.js';

export function createNotificationService(ctx: ServiceContext, messaging: MessagingService) {
  const { db, clock } = ctx;

  return {
    /**
     * The Start Page's Notifications: "New message from <patient>", newest first, with the
     * unread count. A page that names a patient is audited (rule 6: the previews are message
     * text): one row naming its patients; a page naming none (empty, or only access changes)
     * holds no patient's data and is not, so an idle Start Page's polls write nothing.
     */
    async list(
      actor: StaffActor,
      opts: { unreadOnly: boolean; cursor?: string },
    ): Promise<NotificationList> {
      const rows = await listNotifications(db, actor.chamberId, actor, {
        unreadOnly: opts.unreadOnly,
        beforeSeq: parseCursor(opts.cursor),
        limit: PAGE_SIZE + 1,
      });
      const page = rows.slice(0, PAGE_SIZE);
      const last = page[page.length - 1];
      const unreadCount = await countUnread(db, actor.chamberId, actor.userId);
      const patientIds = [...new Set(page.flatMap((n) => (n.patientId ? [n.patientId] : [])))];
      if (patientIds.length > 0)
        await auditRead(ctx, actor, clock(), {
          action: 'notification.list_viewed',
          details: { count: page.length, unreadOnly: opts.unreadOnly, patientIds },
        });
      return {
        unreadCount,
        notifications: page.map((n) => ({
          id: n.id,
          kind: n.kind,
          title: notificationTitle(
            n.kind,
            n.count,
            n.patientName ?? '',
            n.authorName,
            n.redFlag,
            n.detail,
          ),
          patient: n.patientId ? { id: n.patientId, name: n.patientName ?? '' } : null,
          conversationId: n.conversationId,
          messageId: n.messageId,
          count: n.count,
          preview: n.text === null ? null : preview(n.text),
          answeredBy: n.answeredById ? { id: n.answeredById, name: n.answeredByName ?? '' } : null,
          redFlag: n.redFlag,
          createdAt: n.createdAt.toISOString(),
          read: n.readAt !== null,
        })),
        nextCursor: rows.length > PAGE_SIZE && last ? encodeCursor(last.seq) : null,
      };
    },

    async unreadCount(actor: StaffActor): Promise<UnreadCount> {
      return { unreadCount: await countUnread(db, actor.chamberId, actor.userId) };
    },

    async markRead(actor: StaffActor, id: string): Promise<UnreadCount> {
      if (!(await findNotification(db, actor.chamberId, actor.userId, id)))
        throw notFound('That notification');
      await markNotificationsRead(db, actor.chamberId, actor.userId, id, clock());
      return { unreadCount: await countUnread(db, actor.chamberId, actor.userId) };
    },

    async markAllRead(actor: StaffActor): Promise<UnreadCount> {
      await markNotificationsRead(db, actor.chamberId, actor.userId, null, clock());
      return { unreadCount: 0 };
    },

    /** Reply straight from a notification: a reply to its conversation, and the notification is read. */
    async reply(
      actor: StaffActor,
      id: string,
      input: StaffReplyBody,
      unit?: UnitOfWork<StaffSent>,
    ): Promise<StaffSent> {
      const n = await findNotification(db, actor.chamberId, actor.userId, id);
      if (!n?.conversationId) throw notFound('That notification');
      return messaging.sendMessage(actor, { conversationId: n.conversationId }, input, unit);
    },
  };
}

export type NotificationService = ReturnType<typeof createNotificationService>;
