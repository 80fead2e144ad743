import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import { Check, Errors } from 'typebox/value';
import { AppError } from '../errors.js';

/** The schema a route declares for one status code (`200`, `2xx` or `default`), if any. */
export function responseSchemaFor(
  response: Record<string, unknown> | undefined,
  status: number,
): TSchema | undefined {
  if (!response) return undefined;
  return (response[String(status)] ?? response[`${String(status)[0]}xx`] ?? response.default) as
    TSchema | undefined;
}

/** The 2xx status codes a route declares a response schema for. */
export function successStatuses(response: Record<string, unknown> | undefined): string[] {
  return Object.keys(response ?? {}).filter((key) => /^(2(\d\d|xx)|30[23])$/.test(key));
}

/**
 * Checks every successful JSON answer against the response schema its route declares, before
 * it is serialized (serializing would silently drop what the schema does not name). On in
 * tests and the end-to-end server: an answer that breaks its contract fails the request with
 * 500 `response_contract_broken`, naming the route and the first mismatches.
 */
export function registerResponseCheck(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, reply, payload) => {
    if (reply.statusCode >= 300 || payload === null || typeof payload !== 'object') return payload;
    const response = (request.routeOptions.schema as { response?: Record<string, unknown> })
      ?.response;
    const schema = responseSchemaFor(response, reply.statusCode);
    if (!schema) return payload;
    // What the client receives: dates as ISO strings, undefined members gone.
    const json: unknown = JSON.parse(JSON.stringify(payload));
    if (Check(schema, json)) return payload;
    const problems = Errors(schema, json)
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
    request.log.error({ route, problems }, 'response does not match its schema');
    throw new AppError(
      500,
      'response_contract_broken',
      `${route} answered ${reply.statusCode} outside its schema: ${problems}`,
    );
  });
}
