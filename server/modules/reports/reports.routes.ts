import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ReplyTimesCsv,
  ReplyTimesQuery,
  ReplyTimesReport,
} from '../../../common/contract/reports.js';
import type { ServiceContext } from '../../lib/context.js';
import { withErrors } from '../../lib/schemas.js';
import { staffOf } from '../../plugins/auth.js';
import { createReportService } from './reports.service.js';

/** Admin > Message Reports: the reply-times report, as JSON and as CSV. */
export const reportRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (
  app,
  { ctx },
) => {
  const reports = createReportService(ctx);

  app.get(
    '/api/v1/admin/reports/reply-times',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary:
          'Message Reports: reply times per role, topic or day for a range of days, with the totals and a daily series (only what the viewer may see)',
        querystring: ReplyTimesQuery,
        response: withErrors({ 200: ReplyTimesReport }),
      },
    },
    async (request) => reports.replyTimes(staffOf(request), request.query),
  );

  app.get(
    '/api/v1/admin/reports/reply-times.csv',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Message Reports as CSV (Export CSV)',
        querystring: ReplyTimesQuery,
        produces: ['text/csv'],
        response: withErrors({ 200: ReplyTimesCsv }),
      },
    },
    async (request, reply) => {
      const { filename, csv } = await reports.replyTimesCsv(staffOf(request), request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${filename}"`)
        .send(csv);
    },
  );
};
