import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditPage } from '../../../common/contract/audit.js';
import {
  NewPatient,
  PatientChanges,
  PatientRecord,
  PatientSearchQuery,
  PatientSearchResult,
  type PortalAccountAction,
} from '../../../common/contract/patients.js';
import { staffOf } from '../../plugins/auth.js';
import { CursorQuery, IdParams, withErrors } from '../../lib/schemas.js';
import type { AuditService } from '../audit/audit.service.js';
import type { StaffActor } from '../auth/actor.js';
import type { PortalAccountService } from '../portal-accounts/portal-account.service.js';
import type { PatientService } from './patient.service.js';

export interface PatientRouteOptions {
  patients: PatientService;
  accounts: PortalAccountService;
  audit: AuditService;
}

/** Patient > Find and Select patient > Patient Record, with the portal account actions. */
export const patientRoutes: FastifyPluginAsyncTypebox<PatientRouteOptions> = async (
  app,
  { patients, accounts, audit },
) => {
  app.get(
    '/api/v1/patients',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'Find patients by name, date of birth or email',
        querystring: PatientSearchQuery,
        response: withErrors({ 200: PatientSearchResult }),
      },
    },
    async (request) => ({ patients: await patients.search(staffOf(request), request.query.query) }),
  );
  app.get(
    '/api/v1/patients/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'The Patient Record',
        params: IdParams,
        response: withErrors({ 200: PatientRecord }),
      },
    },
    async (request) => patients.get(staffOf(request), request.params.id),
  );
  app.post(
    '/api/v1/patients',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Patients'],
        summary: 'Add a patient',
        body: NewPatient,
        response: withErrors({ 201: PatientRecord }),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await patients.create(staffOf(request), request.body)),
  );
  app.patch(
    '/api/v1/patients/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Patients'],
        summary: 'Change a patient (also moves between charge bands)',
        params: IdParams,
        body: PatientChanges,
        response: withErrors({ 200: PatientRecord }),
      },
    },
    async (request) => patients.update(staffOf(request), request.params.id, request.body),
  );
  app.get(
    '/api/v1/patients/:id/activity',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: "The patient's Activity (audit), newest first",
        params: IdParams,
        querystring: CursorQuery,
        response: withErrors({ 200: AuditPage }),
      },
    },
    async (request) => audit.forPatient(staffOf(request), request.params.id, request.query.cursor),
  );

  const action = (
    path: PortalAccountAction,
    summary: string,
    run: (actor: StaffActor, id: string) => Promise<PatientRecord>,
  ) =>
    app.post(
      `/api/v1/patients/:id/portal-account/${path}`,
      {
        config: { auth: 'staff' },
        schema: {
          tags: ['Portal accounts'],
          summary,
          description: 'Answers the Patient Record after the change.',
          params: IdParams,
          response: withErrors({ 200: PatientRecord }),
        },
      },
      async (request) => run(staffOf(request), request.params.id),
    );
  action('invite', 'Invite the patient to the Patient Portal', (a, id) => accounts.invite(a, id));
  action('reset', 'Reset Portal Login: email a link to set a new password', (a, id) =>
    accounts.resetLogin(a, id),
  );
  action('unblock', 'Unblock Portal User', (a, id) => accounts.unblock(a, id));
  action('disable', 'Disable the portal account', (a, id) => accounts.disable(a, id));
  action('enable', 'Enable a disabled portal account', (a, id) => accounts.enable(a, id));
};
