import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { withErrors } from '../../lib/schemas.js';
import type { EmailJobService } from './email-job.service.js';

const Query = Type.Object(
  { state: Type.Optional(Type.Union([Type.Literal('failed'), Type.Literal('pending')])) },
  { additionalProperties: false },
);

/** Email delivery problems, for administrators (failed for good, or waiting for a retry). */
export async function emailJobRoutes(
  app: FastifyInstance,
  opts: { emailJobs: EmailJobService },
): Promise<void> {
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/admin/email-jobs',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Emails that failed (state=failed, default) or wait for a retry (state=pending)',
        querystring: Query,
        response: withErrors({}),
      },
    },
    async (request) => opts.emailJobs.list(staffOf(request), request.query.state ?? 'failed'),
  );
}
