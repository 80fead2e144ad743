import { Type, type Static } from 'typebox';

/** What operators and load balancers read: liveness, and the API's own description. */

/** `GET /health`: the process answers and its database is reachable (else 503). */
export const Health = Type.Object({
  status: Type.Literal('ok'),
  database: Type.Union([Type.Literal('pglite'), Type.Literal('postgres')]),
});
export type Health = Static<typeof Health>;

/** `GET /openapi.json`: the OpenAPI 3 document of this API. */
export const OpenApiDocument = Type.Object(
  { openapi: Type.String(), info: Type.Object({}, { additionalProperties: true }) },
  { additionalProperties: true },
);
export type OpenApiDocument = Static<typeof OpenApiDocument>;
