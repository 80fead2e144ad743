import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionError, FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { isDatabaseUnavailable } from '../db/connect.js';
import { AppError, databaseUnavailable } from '../errors.js';

/** The one error shape as bytes, with the headers every answer of the API carries. */
function errorPayload(refusal: AppError): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify(refusal.toBody());
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  };
}

/**
 * Fastify's errors raised before a route is found (the router's own refusals), which skip the
 * error handler: an address that cannot be decoded, a parameter over its length limit.
 */
export function frameworkErrorHandler(error: FastifyError, _request: unknown, reply: FastifyReply) {
  const refusal =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError(414, 'uri_too_long', 'The address is too long.')
      : new AppError(400, 'bad_request', 'The address is not valid.');
  const { body, headers } = errorPayload(refusal);
  return reply.status(refusal.status).headers(headers).send(body);
}

/**
 * Node's HTTP parser refused the request before Fastify saw it (a broken request line or
 * header, headers or address too large, a request that took too long to arrive): answer in
 * the one error shape and close the connection, as Node's own handler would.
 */
export function clientErrorHandler(
  this: FastifyInstance,
  error: ConnectionError & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError(431, 'headers_too_large', 'The address or the request headers are too large.')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError(408, 'request_timeout', 'The request took too long to arrive.')
        : new AppError(400, 'bad_request', 'The request is not valid HTTP.');
  this.log.debug({ code: error.code }, 'client error');
  // An answer already under way on this connection must not be cut into by a second one.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !answering?.headersSent) {
    const { body, headers } = errorPayload(refusal);
    const head = Object.entries({ ...headers, connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}\r\n${head}\r\n${body}`,
    );
  }
  socket.destroy();
}

interface ValidationIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** Turns a schema failure into the field a person can fix: `text`, `roleIds.1`, `password`. */
function fieldOf(issue: ValidationIssue | undefined): string | undefined {
  if (!issue) return undefined;
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  const params = issue.params ?? {};
  if (typeof params.missingProperty === 'string') path.push(params.missingProperty);
  if (typeof params.additionalProperty === 'string') path.push(params.additionalProperty);
  return path.length > 0 ? path.join('.') : undefined;
}

function messageOf(issue: ValidationIssue | undefined, field: string | undefined): string {
  const name = field ?? 'The request';
  switch (issue?.keyword) {
    case 'required':
      return `${name} is required.`;
    case 'additionalProperties':
      return `${name} is not a field this request accepts.`;
    case 'minLength':
      return typeof issue.params?.limit === 'number' && issue.params.limit > 1
        ? `${name} is too short (at least ${issue.params.limit} characters).`
        : `${name} is too short.`;
    case 'maxLength':
      return typeof issue.params?.limit === 'number'
        ? `${name} is too long (at most ${issue.params.limit} characters).`
        : `${name} is too long.`;
    case 'type':
      return `${name} has the wrong type (${issue.message ?? 'invalid'}).`;
    case 'format':
    case 'pattern':
      return `${name} is not in the expected format.`;
    case 'enum':
    case 'const':
    case 'anyOf':
      return `${name} is not one of the allowed values.`;
    default:
      return `${name} is not valid${issue?.message ? `: ${issue.message}` : ''}.`;
  }
}

/** The path of the first string holding a NUL character, which no text column can store. */
function nulField(value: unknown, path: string[] = [], depth = 0): string | undefined {
  if (typeof value === 'string')
    return value.includes('\u0000') ? path.join('.') || 'body' : undefined;
  if (depth > 20 || value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = nulField(v, [...path, k], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The one error handler: every refusal leaves as `{ error: { status, code, message, field? } }`. */
export function registerErrorHandler(app: FastifyInstance): void {
  // An Expect header other than 100-continue: Node answers 417 itself, with no body, unless
  // the server listens for it.
  app.server.on('checkExpectation', (_request, response) => {
    const { body, headers } = errorPayload(
      new AppError(417, 'expectation_failed', 'The Expect header of the request cannot be met.'),
    );
    response.writeHead(417, { ...headers, connection: 'close' }).end(body);
  });

  app.addHook('preValidation', async (request) => {
    const field = nulField(request.body) ?? nulField(request.query);
    if (field !== undefined) {
      throw new AppError(
        422,
        'validation_failed',
        `${field} contains a character that cannot be stored (NUL).`,
        field,
      );
    }
  });

  app.setErrorHandler((error: FastifyError & { validationContext?: string }, request, reply) => {
    if (error instanceof AppError) {
      if (error.headers) reply.headers(error.headers);
      return reply.status(error.status).send(error.toBody());
    }
    if (error.validation) {
      // A malformed id in the path is an id that does not exist.
      if (error.validationContext === 'params') {
        return reply
          .status(404)
          .send(new AppError(404, 'not_found', 'That item was not found.').toBody());
      }
      const issue = error.validation[0] as ValidationIssue | undefined;
      const field = fieldOf(issue);
      return reply
        .status(422)
        .send(new AppError(422, 'validation_failed', messageOf(issue, field), field).toBody());
    }
    const known: Record<string, [number, string, string]> = {
      FST_ERR_CTP_INVALID_JSON_BODY: [400, 'malformed_json', 'The request body is not valid JSON.'],
      FST_ERR_CTP_EMPTY_JSON_BODY: [
        400,
        'malformed_json',
        'The request body is empty; JSON was expected.',
      ],
      FST_ERR_CTP_INVALID_MEDIA_TYPE: [
        415,
        'unsupported_media_type',
        'The request body must be sent as application/json.',
      ],
      FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'The request body is too large.'],
      FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
        400,
        'bad_request',
        'The Content-Length header is wrong.',
      ],
      FST_ERR_CTP_INVALID_TYPE: [400, 'bad_request', 'The Content-Type header is not valid.'],
      FST_ERR_BAD_URL: [400, 'bad_request', 'The address is not valid.'],
      FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'The request is not valid.'],
    };
    const mapped = error.code ? known[error.code] : undefined;
    if (mapped) {
      return reply.status(mapped[0]).send(new AppError(mapped[0], mapped[1], mapped[2]).toBody());
    }
    if (error.statusCode === 429) {
      return reply
        .status(429)
        .send(
          new AppError(
            429,
            'too_many_requests',
            'Too many requests. Please wait and try again.',
          ).toBody(),
        );
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply
        .status(error.statusCode)
        .send(new AppError(error.statusCode, 'bad_request', 'The request is not valid.').toBody());
    }
    const cause = ((error as { cause?: unknown }).cause ?? error) as { code?: string };
    // A value the database cannot store (bad encoding, out of range): the request's fault.
    if (typeof cause.code === 'string' && cause.code.startsWith('22')) {
      request.log.warn({ code: cause.code }, 'value refused by the database');
      return reply
        .status(422)
        .send(
          new AppError(
            422,
            'invalid_value',
            'A value in the request cannot be stored. Please check it and try again.',
          ).toBody(),
        );
    }
    // The database is unreachable: say so, so clients retry rather than give up.
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      const refusal = databaseUnavailable();
      return reply.status(503).headers(refusal.headers!).send(refusal.toBody());
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply
      .status(500)
      .send(
        new AppError(
          500,
          'internal_error',
          'Something went wrong on our side. Please try again.',
        ).toBody(),
      );
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.status(404).send(new AppError(404, 'not_found', 'That address was not found.').toBody()),
  );
}
