import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { Id, withErrors } from '../../lib/schemas.js';
import type { SettingService } from './setting.service.js';

const Changes = Type.Object(
  {
    patientPortalEnabled: Type.Optional(Type.Boolean({ description: 'Patient Portal' })),
    roleForNewMessagesId: Type.Optional(Id),
    sharedItemsEmailEnabled: Type.Optional(
      Type.Boolean({ description: 'Enable new shared items email' }),
    ),
    timeZone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    patientAttachmentsEnabled: Type.Optional(
      Type.Boolean({ description: 'Patients may attach a file to their messages' }),
    ),
  },
  { additionalProperties: false },
);

/** Start Page > Admin > Configuration. */
export async function settingRoutes(
  app: FastifyInstance,
  opts: { settings: SettingService },
): Promise<void> {
  app.get(
    '/api/v1/admin/settings',
    {
      config: { auth: 'admin' },
      schema: { tags: ['Admin'], summary: 'Chamber settings', response: withErrors({}) },
    },
    async (request) => opts.settings.get(staffOf(request)),
  );
  app.patch<{ Body: Static<typeof Changes> }>(
    '/api/v1/admin/settings',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Change chamber settings',
        body: Changes,
        response: withErrors({}),
      },
    },
    async (request) => opts.settings.update(staffOf(request), request.body),
  );
}
