import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { Cursor, Id, withErrors } from '../../lib/schemas.js';
import type { AuditService } from './audit.service.js';

const Query = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 40 })),
    to: Type.Optional(Type.String({ maxLength: 40 })),
    action: Type.Optional(Type.String({ maxLength: 60, pattern: '^[a-z_.]+$' })),
    userId: Type.Optional(Id),
    patientId: Type.Optional(Id),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);

/** Start Page > Admin > System Activity. */
export async function auditRoutes(
  app: FastifyInstance,
  opts: { audit: AuditService },
): Promise<void> {
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/admin/audit',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'System Activity: filter by date, type (action prefix), user, patient',
        querystring: Query,
        response: withErrors({}),
      },
    },
    async (request) => opts.audit.list(staffOf(request), request.query),
  );
  app.get<{ Querystring: Static<typeof Query> }>(
    '/api/v1/admin/audit.csv',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'System Activity as CSV', querystring: Query },
    },
    async (request, reply) => {
      const csv = await opts.audit.exportCsv(staffOf(request), request.query);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="system-activity.csv"')
        .send(csv);
    },
  );
}
