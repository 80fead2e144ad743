import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, Ok, withErrors } from '../../lib/schemas.js';
import {
  CursorQuery,
  Feed,
  IdempotencyHeaders,
  Inbox,
  PageQuery,
  PatientConversation,
  PatientMessageBody,
  PatientSent,
  StaffConversation,
  StaffMessageBody,
  StaffSent,
} from './messaging.schemas.js';
import type { MessagingService } from './messaging.service.js';

type Params = Static<typeof IdParams>;
type Headers = Static<typeof IdempotencyHeaders>;

/** The Patient Portal's Inbox and the staff Feed. */
export async function messagingRoutes(
  app: FastifyInstance,
  opts: { messaging: MessagingService },
): Promise<void> {
  const { messaging } = opts;

  app.get<{ Querystring: Static<typeof PageQuery> }>(
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
      messaging.listInbox(
        patientOf(request),
        request.query.cursor,
        request.query.limit ? Number(request.query.limit) : undefined,
      ),
  );

  app.post<{ Body: Static<typeof PatientMessageBody>; Headers: Headers }>(
    '/api/v1/portal/conversations',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'New message: start a conversation',
        headers: IdempotencyHeaders,
        body: PatientMessageBody,
        response: withErrors({ 201: PatientSent }),
      },
    },
    async (request, reply) => {
      const result = await messaging.startAsPatient(
        patientOf(request),
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.status(result.status).send(result.body);
    },
  );

  app.get<{ Params: Params; Querystring: Static<typeof CursorQuery> }>(
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

  app.post<{ Params: Params; Body: Static<typeof PatientMessageBody>; Headers: Headers }>(
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
      const result = await messaging.replyAsPatient(
        patientOf(request),
        request.params.id,
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.status(result.status).send(result.body);
    },
  );

  app.post<{ Params: Params }>(
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

  app.get<{ Params: Params; Querystring: Static<typeof PageQuery> }>(
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
        request.query.limit ? Number(request.query.limit) : undefined,
      ),
  );

  app.post<{ Params: Params; Body: Static<typeof StaffMessageBody>; Headers: Headers }>(
    '/api/v1/patients/:id/conversations',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: 'Start a conversation with the patient',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffMessageBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const result = await messaging.startAsStaff(
        staffOf(request),
        request.params.id,
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.status(result.status).send(result.body);
    },
  );

  app.get<{ Params: Params; Querystring: Static<typeof CursorQuery> }>(
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

  app.post<{ Params: Params; Body: Static<typeof StaffMessageBody>; Headers: Headers }>(
    '/api/v1/conversations/:id/messages',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Feed'],
        summary: 'Reply, choosing the audience (patient, roles, or both)',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: StaffMessageBody,
        response: withErrors({ 201: StaffSent }),
      },
    },
    async (request, reply) => {
      const result = await messaging.replyAsStaff(
        staffOf(request),
        request.params.id,
        request.body,
        request.headers['idempotency-key'],
      );
      return reply.status(result.status).send(result.body);
    },
  );

  app.post<{ Params: Params }>(
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
}
