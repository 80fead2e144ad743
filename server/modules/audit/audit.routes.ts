import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AuditPage, AuditQuery } from '../../../common/contract/audit.js';
import { staffOf } from '../../plugins/auth.js';
import { withErrors } from '../../lib/schemas.js';
import type { AuditService } from './audit.service.js';

/** The CSV export: one line a row, the same columns as System Activity. */
const AuditCsv = Type.String({
  description:
    'text/csv: id, at, action, actor_kind, actor, actor_user_id, actor_patient_id, patient_id, subject_type, subject_id, ip, details, privileged',
});

/** Start Page > Admin > System Activity. */
export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditService }> = async (
  app,
  { audit },
) => {
  app.get(
    '/api/v1/admin/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary:
          'System Activity: filter by date, type (action prefix), user, patient, privileged acts',
        querystring: AuditQuery,
        response: withErrors({ 200: AuditPage }),
      },
    },
    async (request) => audit.list(staffOf(request), request.query),
  );
  app.get(
    '/api/v1/admin/audit.csv',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'System Activity as CSV',
        querystring: AuditQuery,
        produces: ['text/csv'],
        response: withErrors({ 200: AuditCsv }),
      },
    },
    async (request, reply) => {
      const csv = await audit.exportCsv(staffOf(request), request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="system-activity.csv"')
        .send(csv);
    },
  );
};
