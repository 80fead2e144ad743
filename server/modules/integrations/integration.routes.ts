import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyError, FastifyRequest } from 'fastify';
import {
  CreatedIntegrationClient,
  IntegrationClient,
  IntegrationList,
  NewIntegrationClient,
  OAuthErrorBody,
  TokenResponse,
} from '../../../common/contract/integrations.js';
import { AppError } from '../../errors.js';
import { staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import { OAuthError, type IntegrationService } from './integration.service.js';

/** Token requests per address per minute: a token lives 15 minutes, so a few a minute is plenty. */
const TOKEN_RATE_LIMIT = 60;

const FORM = 'application/x-www-form-urlencoded';

/** Reads `Authorization: Basic base64(client_id:client_secret)` (RFC 6749 section 2.3.1). */
function basicCredentials(request: FastifyRequest): { id: string; secret: string } | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match?.[1])
    throw new OAuthError(400, 'invalid_request', 'The Authorization header must use Basic.');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw new OAuthError(400, 'invalid_request', 'The Basic credentials are malformed.');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new OAuthError(400, 'invalid_request', 'The Basic credentials are malformed.');
  }
}

/** One string parameter of the token request; repeated or non-string values are refused. */
function param(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string')
    throw new OAuthError(400, 'invalid_request', `${name} must be a single string.`);
  return v;
}

/**
 * The OAuth 2.0 token endpoint, in a scope of its own: it alone accepts form-encoded bodies
 * (the rest of the API takes JSON only, see app.ts) and answers errors as RFC 6749 says.
 */
const tokenEndpoint: FastifyPluginAsyncTypebox<{ integrations: IntegrationService }> = async (
  app,
  { integrations },
) => {
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 8192 }, (_request, body, done) => {
    const out: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(body as string)) {
      if (Object.hasOwn(out, key)) {
        done(new OAuthError(400, 'invalid_request', `${key} is given more than once.`), undefined);
        return;
      }
      out[key] = value;
    }
    done(null, out);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (error instanceof OAuthError) {
      return reply.status(error.status).headers(error.headers).send(error.toBody());
    }
    // A refusal from the app-wide hooks (a NUL character in a field).
    if (error instanceof AppError && error.status < 500)
      return reply.status(400).send(new OAuthError(400, 'invalid_request', error.message).toBody());
    if (error.statusCode === 429) {
      return reply
        .status(429)
        .send(
          new OAuthError(
            429,
            'too_many_requests',
            'Too many token requests. Please wait and try again.',
          ).toBody(),
        );
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      const description =
        error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? `Send the token request as ${FORM} (or application/json).`
          : error.code === 'FST_ERR_CTP_INVALID_JSON_BODY'
            ? 'The request body is not valid JSON.'
            : 'The token request is not valid.';
      return reply.status(400).send(new OAuthError(400, 'invalid_request', description).toBody());
    }
    request.log.error({ err: error }, 'unexpected error at the token endpoint');
    return reply
      .status(500)
      .send(new OAuthError(500, 'server_error', 'Something went wrong on our side.').toBody());
  });

  app.post(
    '/oauth2/token',
    {
      config: {
        auth: 'public',
        rateLimit: { max: TOKEN_RATE_LIMIT, timeWindow: '1 minute', shared: true },
      },
      schema: {
        tags: ['Integrations'],
        summary:
          'OAuth 2.0 client-credentials grant: a 15-minute bearer token for /fhir/R4 (form-encoded or JSON; client_secret_basic or client_secret_post)',
        consumes: [FORM, 'application/json'],
        response: {
          200: TokenResponse,
          400: OAuthErrorBody,
          401: OAuthErrorBody,
          429: OAuthErrorBody,
          500: OAuthErrorBody,
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (typeof body !== 'object' || Array.isArray(body) || body === null)
        throw new OAuthError(400, 'invalid_request', 'The token request must be a set of fields.');
      const basic = basicCredentials(request);
      const bodyId = param(body, 'client_id');
      const bodySecret = param(body, 'client_secret');
      if (basic && bodySecret !== undefined)
        throw new OAuthError(
          400,
          'invalid_request',
          'Authenticate the client one way only: Basic or client_secret in the body.',
        );
      if (basic && bodyId !== undefined && bodyId !== basic.id)
        throw new OAuthError(400, 'invalid_request', 'client_id does not match the Basic user.');
      const token = await integrations.issueToken({
        grantType: param(body, 'grant_type'),
        clientId: basic?.id ?? bodyId,
        clientSecret: basic?.secret ?? bodySecret,
        scope: param(body, 'scope'),
        basic: basic !== undefined,
        ip: request.ip,
      });
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
    },
  );
};

/** Start Page > Admin > Configuration > Integrations, and the token endpoint its clients use. */
export const integrationRoutes: FastifyPluginAsyncTypebox<{
  integrations: IntegrationService;
}> = async (app, { integrations }) => {
  app.get(
    '/api/v1/admin/integrations',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Integrations: the FHIR clients, the scopes that can be granted, the URLs',
        response: withErrors({ 200: IntegrationList }),
      },
    },
    async (request) => integrations.list(staffOf(request)),
  );
  app.post(
    '/api/v1/admin/integrations',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'New integration client: answers its client id and, this once, its secret',
        body: NewIntegrationClient,
        response: withErrors({ 201: CreatedIntegrationClient }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .header('cache-control', 'no-store')
        .send(await integrations.create(staffOf(request), request.body)),
  );
  app.post(
    '/api/v1/admin/integrations/:id/revoke',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Revoke an integration client: its tokens stop working at once',
        params: IdParams,
        response: withErrors({ 200: IntegrationClient }),
      },
    },
    async (request) => integrations.revoke(staffOf(request), request.params.id),
  );
  await app.register(tokenEndpoint, { integrations });
};
