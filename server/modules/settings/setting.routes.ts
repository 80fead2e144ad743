import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Settings, SettingsChanges } from '../../../common/contract/settings.js';
import { staffOf } from '../../plugins/auth.js';
import { withErrors } from '../../lib/schemas.js';
import type { SettingService } from './setting.service.js';

/** Start Page > Admin > Configuration. */
export const settingRoutes: FastifyPluginAsyncTypebox<{ settings: SettingService }> = async (
  app,
  { settings },
) => {
  app.get(
    '/api/v1/admin/settings',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Chamber settings',
        response: withErrors({ 200: Settings }),
      },
    },
    async (request) => settings.get(staffOf(request)),
  );
  app.patch(
    '/api/v1/admin/settings',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Admin'],
        summary: 'Change chamber settings',
        description: 'Answers the settings after the change.',
        body: SettingsChanges,
        response: withErrors({ 200: Settings }),
      },
    },
    async (request) => settings.update(staffOf(request), request.body),
  );
};
