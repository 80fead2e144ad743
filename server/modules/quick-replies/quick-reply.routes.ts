import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  FilledQuickReplies,
  NewQuickReply,
  QuickReply,
  QuickReplyChange,
  QuickReplyList,
  QuickReplyQuery,
} from '../../../common/contract/quick-replies.js';
import type { ServiceContext } from '../../lib/context.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import { createQuickReplyService } from './quick-reply.service.js';

/** Quick Replies: the admin list, and Insert quick reply in the staff composer (rule 15). */
export const quickReplyRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (
  app,
  { ctx },
) => {
  const quickReplies = createQuickReplyService(ctx);

  app.get(
    '/api/v1/quick-replies',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary:
          'Insert quick reply: the quick replies this user may use, filled for the patient and the user',
        querystring: QuickReplyQuery,
        response: withErrors({ 200: FilledQuickReplies }),
      },
    },
    async (request) => quickReplies.usable(staffOf(request), request.query.patientId),
  );

  app.get(
    '/api/v1/admin/quick-replies',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Quick Replies',
        response: withErrors({ 200: QuickReplyList }),
      },
    },
    async (request) => quickReplies.list(staffOf(request)),
  );

  app.post(
    '/api/v1/admin/quick-replies',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New Quick Reply: Name, Text, the roles that may use it (none = everyone)',
        body: NewQuickReply,
        response: withErrors({ 201: QuickReply }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await quickReplies.create(staffOf(request), request.body)),
  );

  app.patch(
    '/api/v1/admin/quick-replies/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Change a quick reply’s name, text or roles',
        params: IdParams,
        body: QuickReplyChange,
        response: withErrors({ 200: QuickReply }),
      },
    },
    async (request) => quickReplies.update(staffOf(request), request.params.id, request.body),
  );

  app.delete(
    '/api/v1/admin/quick-replies/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Delete a quick reply',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await quickReplies.remove(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
};
