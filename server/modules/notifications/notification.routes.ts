import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { Cursor, IdParams, withErrors } from '../../lib/schemas.js';
import { IdempotencyHeaders, StaffMessageBody, StaffSent } from '../messaging/messaging.schemas.js';
import type { NotificationService } from './notification.service.js';

const ListQuery = Type.Object(
  {
    unread: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
const Unread = Type.Object({ unreadCount: Type.Integer() });

/** The Start Page's Notifications. */
export async function notificationRoutes(
  app: FastifyInstance,
  opts: { notifications: NotificationService },
): Promise<void> {
  const { notifications } = opts;

  app.get<{ Querystring: Static<typeof ListQuery> }>(
    '/api/v1/notifications',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Notifications, newest first, with the unread count',
        querystring: ListQuery,
        response: withErrors({}),
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
        response: withErrors({ 200: Unread }),
      },
    },
    async (request) => notifications.unreadCount(staffOf(request)),
  );

  app.post<{ Params: Static<typeof IdParams> }>(
    '/api/v1/notifications/:id/read',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Mark one notification read',
        params: IdParams,
        response: withErrors({ 200: Unread }),
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
        response: withErrors({ 200: Unread }),
      },
    },
    async (request) => notifications.markAllRead(staffOf(request)),
  );

  app.post<{
    Params: Static<typeof IdParams>;
    Body: Static<typeof StaffMessageBody>;
    Headers: Static<typeof IdempotencyHeaders>;
  }>(
    '/api/v1/notifications/:id/reply',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Notifications'],
        summary: 'Reply straight from a notification',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffMessageBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const result = await notifications.reply(
        staffOf(request),
        request.params.id,
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.status(result.status).send(result.body);
    },
  );
}
