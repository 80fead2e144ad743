import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Assignees,
  ConversationChange,
  ConversationState,
  TeamInbox,
  TeamInboxQuery,
} from '../../../common/contract/messaging.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import type { ConversationService } from './conversation.service.js';

/** The team inbox (Start Page > Messages) and the changes staff make to a conversation. */
export const conversationRoutes: FastifyPluginAsyncTypebox<{
  conversations: ConversationService;
}> = async (app, { conversations }) => {
  app.get(
    '/api/v1/inbox',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Team inbox'],
        summary:
          'Messages: conversations you can see, one row each; views open (default), mine, unassigned, closed; red flags first, then reply-by soonest, then newest',
        querystring: TeamInboxQuery,
        response: withErrors({ 200: TeamInbox }),
      },
    },
    async (request) => conversations.teamInbox(staffOf(request), request.query),
  );

  app.patch(
    '/api/v1/conversations/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Team inbox'],
        summary:
          'Close conversation, Reopen, Assign to me / Assign (`expectedAssigneeId`: 409 conversation_changed if it changed), clear a red flag',
        params: IdParams,
        body: ConversationChange,
        response: withErrors({ 200: ConversationState }),
      },
    },
    async (request) => conversations.change(staffOf(request), request.params.id, request.body),
  );

  app.get(
    '/api/v1/conversations/:id/assignees',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Team inbox'],
        summary: 'Who the conversation may be assigned to: the Active users who can see it',
        params: IdParams,
        response: withErrors({ 200: Assignees }),
      },
    },
    async (request) => conversations.assignees(staffOf(request), request.params.id),
  );

  app.post(
    '/api/v1/conversations/:id/typing',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Team inbox'],
        summary:
          '"<name> is replying…" for 30 seconds to the staff who can see the conversation; send again while typing',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await conversations.typing(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
};
