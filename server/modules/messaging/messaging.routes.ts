import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  Feed,
  IdempotencyHeaders,
  Inbox,
  PatientConversation,
  PatientMessageBody,
  PatientSent,
  PatientStartBody,
  StaffConversation,
  StaffReplyBody,
  StaffSent,
  StaffStartBody,
} from '../../../common/contract/messaging.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { CursorQuery, IdParams, Ok, PageQuery, withErrors } from '../../lib/schemas.js';
import { sendOnce } from './idempotency.js';
import type { MessagingService } from './messaging.service.js';

const limitOf = (limit: string | undefined) => (limit ? Number(limit) : undefined);

/** The Patient Portal's Inbox and the staff Feed. */
export const messagingRoutes: FastifyPluginAsyncTypebox<{ messaging: MessagingService }> = async (
  app,
  { messaging },
) => {
  app.get(
    '/api/v1/portal/conversations',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'The Inbox: conversations, newest first',
        querystring: PageQuery,
        response: withErrors({ 200: Inbox }),
      },
    },
    async (request) =>
      messaging.listInbox(patientOf(request), request.query.cursor, limitOf(request.query.limit)),
  );

  app.post(
    '/api/v1/portal/conversations',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary:
          'New message: start a conversation, with what it is about (`topicId`, from GET /portal/topics) and an optional subject',
        headers: IdempotencyHeaders,
        body: PatientStartBody,
        response: withErrors({ 201: PatientSent }),
      },
    },
    async (request, reply) => {
      const actor = patientOf(request);
      return sendOnce(reply, actor, request.headers['idempotency-key'], (unit) =>
        messaging.sendMessage(actor, { patientId: actor.patientId }, request.body, unit),
      );
    },
  );

  app.get(
    '/api/v1/portal/conversations/:id',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Open a conversation (older messages with cursor)',
        params: IdParams,
        querystring: CursorQuery,
        response: withErrors({ 200: PatientConversation }),
      },
    },
    async (request) =>
      messaging.openForPatient(patientOf(request), request.params.id, request.query.cursor),
  );

  app.post(
    '/api/v1/portal/conversations/:id/messages',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Reply in a conversation',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: PatientMessageBody,
        response: withErrors({ 201: PatientSent }),
      },
    },
    async (request, reply) => {
      const actor = patientOf(request);
      return sendOnce(reply, actor, request.headers['idempotency-key'], (unit) =>
        messaging.sendMessage(actor, { conversationId: request.params.id }, request.body, unit),
      );
    },
  );

  app.post(
    '/api/v1/portal/conversations/:id/read',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Mark a conversation read',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await messaging.markReadAsPatient(patientOf(request), request.params.id);
      return { ok: true as const };
    },
  );

  app.get(
    '/api/v1/patients/:id/feed',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: "The patient's Feed as the signed-in user may see it",
        params: IdParams,
        querystring: PageQuery,
        response: withErrors({ 200: Feed }),
      },
    },
    async (request) =>
      messaging.feed(
        staffOf(request),
        request.params.id,
        request.query.cursor,
        limitOf(request.query.limit),
      ),
  );

  app.post(
    '/api/v1/patients/:id/conversations',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: 'Start a conversation with the patient (optional subject)',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffStartBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const actor = staffOf(request);
      return sendOnce(reply, actor, request.headers['idempotency-key'], (unit) =>
        messaging.sendMessage(actor, { patientId: request.params.id }, request.body, unit),
      );
    },
  );

  app.get(
    '/api/v1/conversations/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: 'Open a conversation',
        params: IdParams,
        querystring: CursorQuery,
        response: withErrors({ 200: StaffConversation }),
      },
    },
    async (request) =>
      messaging.openForStaff(staffOf(request), request.params.id, request.query.cursor),
  );

  app.post(
    '/api/v1/conversations/:id/messages',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary:
          'Reply, choosing the audience (patient, roles, or both); `close` for Send and close; `afterMessageId` refuses the reply with 409 conversation_changed when a newer message arrived',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffReplyBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const actor = staffOf(request);
      return sendOnce(reply, actor, request.headers['idempotency-key'], (unit) =>
        messaging.sendMessage(actor, { conversationId: request.params.id }, request.body, unit),
      );
    },
  );

  app.post(
    '/api/v1/conversations/:id/read',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: 'Mark a conversation (and its notifications) read',
        params: IdParams,
        response: withErrors({ 200: Ok }),
      },
    },
    async (request) => {
      await messaging.markReadAsStaff(staffOf(request), request.params.id);
      return { ok: true as const };
    },
  );
};
