import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ClinicInfo, ClinicQuery, ReplyTime } from '../../../common/contract/clinic.js';
import { patientOf } from '../../plugins/auth.js';
import { withErrors } from '../../lib/schemas.js';
import type { ReplyTimesService } from './reply-times.service.js';

/** The portal's view of the clinic's contact, hours, promise and red flags (rules 12 to 14). */
export const replyTimesRoutes: FastifyPluginAsyncTypebox<{
  replyTimes: ReplyTimesService;
}> = async (app, { replyTimes }) => {
  app.get(
    '/api/v1/portal/clinic',
    {
      config: { auth: 'public-or-patient' },
      schema: {
        tags: ['Portal'],
        summary:
          "The clinic's name, Clinic phone, today's office hours, Emergency advice, red flag phrases and patient attachments",
        description:
          'Public: by clinic code (`chamber`), or for the signed-in patient without it. The portal shows it wherever a patient cannot go on, and its composer warns of the red flag phrases as the patient types, and offers to attach files only when `attachments.allowed`, showing the published `types` and `maxBytes` (what POST /portal/documents enforces) before a file is chosen.',
        querystring: ClinicQuery,
        response: withErrors({ 200: ClinicInfo }),
      },
    },
    async (request) => replyTimes.clinic(request.query.chamber, request.patientActor),
  );

  app.get(
    '/api/v1/portal/reply-time',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'When the clinic aims to reply to a message sent now (the same for every topic)',
        response: withErrors({ 200: ReplyTime }),
      },
    },
    async (request) => replyTimes.replyTime(patientOf(request)),
  );
};
