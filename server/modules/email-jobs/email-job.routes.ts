import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EmailJobList, EmailJobQuery } from '../../../common/contract/email-jobs.js';
import { staffOf } from '../../plugins/auth.js';
import { withErrors } from '../../lib/schemas.js';
import type { EmailJobService } from './email-job.service.js';

/** Email delivery problems, for administrators (failed for good, or waiting for a retry). */
export const emailJobRoutes: FastifyPluginAsyncTypebox<{ emailJobs: EmailJobService }> = async (
  app,
  { emailJobs },
) => {
  app.get(
    '/api/v1/admin/email-jobs',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Emails that failed (state=failed, default) or wait for a retry (state=pending)',
        querystring: EmailJobQuery,
        response: withErrors({ 200: EmailJobList }),
      },
    },
    async (request) => emailJobs.list(staffOf(request), request.query.state ?? 'failed'),
  );
};
