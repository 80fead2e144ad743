import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ErrorBody } from '../../../common/contract/common.js';
import { Health, OpenApiDocument } from '../../../common/contract/operations.js';
import type { Database } from '../../db/connect.js';
import { readHealth } from './operations.service.js';

/** The API's own description and the health check that load balancers and operators call. */
export const operationsRoutes: FastifyPluginAsyncTypebox<{ database: Database }> = async (
  app,
  { database },
) => {
  app.get(
    '/api/v1/openapi.json',
    { config: { auth: 'public' }, schema: { hide: true, response: { 200: OpenApiDocument } } },
    // Registered with `openapi` options in app.ts, so the document is OpenAPI 3.
    async () => app.swagger() as OpenApiDocument,
  );
  app.get(
    '/api/v1/health',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['Operations'],
        summary: 'Liveness and database reachability',
        response: { 200: Health, 503: ErrorBody },
      },
    },
    async () => readHealth(database),
  );
};
