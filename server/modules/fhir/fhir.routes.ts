import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Type, type TSchema } from 'typebox';
import {
  FhirBinary,
  FhirBinaryContent,
  FhirBundle,
  FhirCapabilityStatement,
  FhirCommunication,
  FhirGroup,
  FhirIdParams,
  FhirOperationOutcome,
  FhirPatient,
  FhirPractitioner,
  SmartConfiguration,
} from '../../../common/contract/fhir.js';
import { AppError } from '../../errors.js';
import { hashToken } from '../../lib/tokens.js';
import type { IntegrationActor } from '../integrations/integration.policy.js';
import { capabilityStatement, smartConfiguration } from './fhir.capability.js';
import { FhirError } from './fhir.errors.js';
import { presentOutcome, type Resource } from './fhir.presenter.js';
import type { FhirRequest, FhirService } from './fhir.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    integrationActor: IntegrationActor | null;
  }
}

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Requests per bearer token (or address, before there is one) per minute. */
const FHIR_RATE_LIMIT = 600;

const JSON_FORMATS = ['json', 'application/json', 'application/fhir+json'];

/** Whether the client takes JSON: `_format` wins over Accept (FHIR R4 section 3.1.0.1.8). */
function acceptsJson(request: FastifyRequest, pairs: [string, string][]): boolean {
  const format = pairs.find(([k]) => k === '_format')?.[1];
  if (format !== undefined) return JSON_FORMATS.includes(format.split(';')[0]!.trim());
  const accept = request.headers.accept;
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const type = part.split(';')[0]!.trim().toLowerCase();
    return ['*/*', 'application/*', 'application/json', 'application/fhir+json', ''].includes(type);
  });
}

/** Whether the client asked for a Binary as a FHIR resource rather than its bytes. */
function wantsResource(request: FastifyRequest, pairs: [string, string][]): boolean {
  const format = pairs.find(([k]) => k === '_format')?.[1];
  if (format !== undefined) return JSON_FORMATS.includes(format.split(';')[0]!.trim());
  const accept = (request.headers.accept ?? '').toLowerCase();
  return accept.includes('application/fhir+json');
}

const queryPairs = (request: FastifyRequest): [string, string][] => [
  ...new URL(request.url, 'http://localhost').searchParams.entries(),
];

const lenientOf = (request: FastifyRequest): boolean =>
  /(^|[,;\s])handling\s*=\s*lenient\b/i.test(String(request.headers.prefer ?? ''));

function send(reply: FastifyReply, resource: Resource, status = 200) {
  return reply
    .status(status)
    .header('content-type', FHIR_JSON)
    .header('cache-control', 'no-store')
    .send(JSON.stringify(resource));
}

/** An attachment's bytes, as a download no browser will render or sniff. */
function sendBytes(
  reply: FastifyReply,
  file: { stream: NodeJS.ReadableStream; contentType: string; sizeBytes: number },
) {
  return reply
    .header('content-type', file.contentType)
    .header('content-length', String(file.sizeBytes))
    .header('content-disposition', 'attachment')
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'no-store')
    .send(file.stream);
}

function actorOf(request: FastifyRequest): IntegrationActor {
  if (!request.integrationActor) throw new FhirError(401, 'login', 'token_missing', 'Sign in.');
  return request.integrationActor;
}

/** A FHIR answer: the resource on success, an OperationOutcome on every refusal. */
const answers = <T extends TSchema>(resource: T) => ({
  200: resource,
  '4xx': FhirOperationOutcome,
  '5xx': FhirOperationOutcome,
});

/**
 * The FHIR R4 read API under `/fhir/R4`, for integration clients with a bearer token. Its own
 * scope answers every refusal as an OperationOutcome in `application/fhir+json`.
 */
export const fhirRoutes: FastifyPluginAsyncTypebox<{ fhir: FhirService }> = async (
  app,
  { fhir },
) => {
  const publicUrl = fhir.publicUrl;

  app.decorateRequest('integrationActor', null);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof FhirError) {
      reply.headers(error.headers);
      return send(reply, presentOutcome(error), error.status);
    }
    // A refusal from the app-wide hooks (a NUL character in the query): the request's fault.
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers);
      const status = error.status === 422 ? 400 : error.status;
      return send(
        reply,
        presentOutcome(new FhirError(status, 'invalid', error.code, error.message)),
        status,
      );
    }
    if (error.statusCode === 429)
      return send(
        reply,
        presentOutcome(
          new FhirError(
            429,
            'throttled',
            'too_many_requests',
            'Too many requests. Please slow down.',
          ),
        ),
        429,
      );
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500)
      return send(
        reply,
        presentOutcome(new FhirError(400, 'invalid', 'bad_request', 'The request is not valid.')),
        400,
      );
    const cause = ((error as { cause?: unknown }).cause ?? error) as { code?: string };
    // A value the database cannot take (bad encoding, out of range): the request's fault.
    if (typeof cause.code === 'string' && cause.code.startsWith('22'))
      return send(
        reply,
        presentOutcome(
          new FhirError(400, 'invalid', 'invalid_value', 'A value in the request is not valid.'),
        ),
        400,
      );
    if (['ECONNREFUSED', '57P01', '57P03', '08006'].includes(cause.code ?? '')) {
      request.log.error({ err: error }, 'database unavailable');
      reply.header('retry-after', '5');
      return send(
        reply,
        presentOutcome(
          new FhirError(503, 'transient', 'service_unavailable', 'Please try again in a moment.'),
        ),
        503,
      );
    }
    request.log.error({ err: error }, 'unexpected error in the FHIR API');
    return send(
      reply,
      presentOutcome(
        new FhirError(500, 'exception', 'internal_error', 'Something went wrong on our side.'),
      ),
      500,
    );
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return send(
        reply.header('allow', 'GET, HEAD'),
        presentOutcome(
          new FhirError(405, 'not-supported', 'method_not_allowed', 'This FHIR API is read-only.'),
        ),
        405,
      );
    return send(
      reply,
      presentOutcome(
        new FhirError(
          404,
          'not-supported',
          'not_found',
          'This FHIR API does not serve that address (see /fhir/R4/metadata for what it serves).',
        ),
      ),
      404,
    );
  });

  // Only JSON is served: anything else the client insists on answers 406 before any work.
  app.addHook('onRequest', async (request) => {
    if (request.routeOptions.url?.endsWith('/Binary/:id')) return;
    if (!acceptsJson(request, queryPairs(request)))
      throw new FhirError(
        406,
        'not-supported',
        'format_not_supported',
        'Only JSON is served (application/fhir+json).',
      );
  });

  const rateLimit = {
    max: FHIR_RATE_LIMIT,
    timeWindow: '1 minute',
    keyGenerator: (request: FastifyRequest) =>
      request.headers.authorization
        ? `fhir:${hashToken(request.headers.authorization)}`
        : `fhir-ip:${request.ip}`,
  };
  const what = (request: FastifyRequest) => `${request.method} ${request.url}`;
  const authenticate = async (request: FastifyRequest) => {
    request.integrationActor = await fhir.authenticate(
      request.headers.authorization,
      request.ip,
      what(request),
    );
  };
  // Hidden from the OpenAPI document: the CapabilityStatement describes this API.
  const authed = <T extends TSchema>(resource: T) => ({
    config: { auth: 'public' as const, rateLimit },
    preHandler: authenticate,
    schema: { hide: true, response: answers(resource) },
  });
  const authedRead = <T extends TSchema>(resource: T) => ({
    ...authed(resource),
    schema: { hide: true, params: FhirIdParams, response: answers(resource) },
  });
  const request = (r: FastifyRequest): FhirRequest => ({
    pairs: queryPairs(r),
    lenient: lenientOf(r),
  });

  const open = <T extends TSchema>(resource: T) => ({
    config: {
      auth: 'public' as const,
      rateLimit: { max: FHIR_RATE_LIMIT, timeWindow: '1 minute' },
    },
    schema: { hide: true, response: answers(resource) },
  });
  app.get('/metadata', open(FhirCapabilityStatement), async (_request, reply) =>
    send(reply, capabilityStatement(publicUrl)),
  );
  app.get('/.well-known/smart-configuration', open(SmartConfiguration), async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send(smartConfiguration(publicUrl)),
  );

  app.get('/Communication', authed(FhirBundle), async (r, reply) =>
    send(reply, await fhir.searchCommunications(actorOf(r), request(r), what(r))),
  );
  app.get('/Communication/:id', authedRead(FhirCommunication), async (r, reply) =>
    send(reply, await fhir.readCommunication(actorOf(r), r.params.id, what(r))),
  );
  app.get('/Patient', authed(FhirBundle), async (r, reply) =>
    send(reply, await fhir.searchPatients(actorOf(r), request(r), what(r))),
  );
  app.get('/Patient/:id', authedRead(FhirPatient), async (r, reply) =>
    send(reply, await fhir.readPatient(actorOf(r), r.params.id, what(r))),
  );
  app.get('/Practitioner/:id', authedRead(FhirPractitioner), async (r, reply) =>
    send(reply, await fhir.readPractitioner(actorOf(r), r.params.id, what(r))),
  );
  app.get('/Group/:id', authedRead(FhirGroup), async (r, reply) =>
    send(reply, await fhir.readGroup(actorOf(r), r.params.id, what(r))),
  );
  const binary = Type.Union([FhirBinary, FhirBinaryContent]);
  app.get('/Binary/:id', authedRead(binary), async (r, reply) => {
    const file = await fhir.readBinary(
      actorOf(r),
      r.params.id,
      what(r),
      wantsResource(r, queryPairs(r)),
    );
    return file.kind === 'resource' ? send(reply, file.resource) : sendBytes(reply, file);
  });
};
