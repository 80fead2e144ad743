import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  IdempotencyHeaders,
  StaffReplyBody,
  StaffSent,
} from '../../../common/contract/messaging.js';
import {
  NotificationList,
  NotificationListQuery,
  UnreadCount,
} from '../../../common/contract/notifications.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import { sendOnce } from '../messaging/idempotency.js';
import type { NotificationService } from './notification.service.js';

/** The Start Page's Notifications. */
export const notificationRoutes: FastifyPluginAsyncTypebox<{
  notifications: NotificationService;
}> = async (app, { notifications }) => {
  app.get(
    '/api/v1/notifications',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Notifications, newest first, with the unread count',
        querystring: NotificationListQuery,
        response: withErrors({ 200: NotificationList }),
      },
    },
    async (request) =>
      notifications.list(staffOf(request), {
        unreadOnly: request.query.unread === 'true',
        cursor: request.query.cursor,
      }),
  );

  app.get(
    '/api/v1/notifications/unread-count',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'The unread count alone',
        response: withErrors({ 200: UnreadCount }),
      },
    },
    async (request) => notifications.unreadCount(staffOf(request)),
  );

  app.post(
    '/api/v1/notifications/:id/read',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Mark one notification read',
        params: IdParams,
        response: withErrors({ 200: UnreadCount }),
      },
    },
    async (request) => notifications.markRead(staffOf(request), request.params.id),
  );

  app.post(
    '/api/v1/notifications/read-all',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Mark every notification read',
        response: withErrors({ 200: UnreadCount }),
      },
    },
    async (request) => notifications.markAllRead(staffOf(request)),
  );

  app.post(
    '/api/v1/notifications/:id/reply',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Reply straight from a notification',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffReplyBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const actor = staffOf(request);
      return sendOnce(reply, actor, request.headers['idempotency-key'], (unit) =>
        notifications.reply(actor, request.params.id, request.body, unit),
      );
    },
  );
};
