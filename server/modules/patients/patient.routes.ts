import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { staffOf } from '../../plugins/auth.js';
import { Cursor, EmailAddress, Id, IdParams, PersonName, withErrors } from '../../lib/schemas.js';
import type { AuditService } from '../audit/audit.service.js';
import type { PortalAccountService } from '../portal-accounts/portal-account.service.js';
import type { PatientService } from './patient.service.js';

const SearchQuery = Type.Object(
  { query: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
const DateOfBirth = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });
const Mobile = Type.Union([Type.String({ maxLength: 30, pattern: '^[+0-9 ()-]*$' }), Type.Null()]);
const NewPatient = Type.Object(
  {
    givenName: PersonName(100),
    familyName: PersonName(100),
    dateOfBirth: DateOfBirth,
    email: Type.Optional(Type.Union([EmailAddress, Type.Null()])),
    mobile: Type.Optional(Mobile),
    chargeBandId: Id,
    emailConsent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const Changes = Type.Object(
  {
    givenName: Type.Optional(PersonName(100)),
    familyName: Type.Optional(PersonName(100)),
    dateOfBirth: Type.Optional(DateOfBirth),
    email: Type.Optional(Type.Union([EmailAddress, Type.Null()])),
    mobile: Type.Optional(Mobile),
    chargeBandId: Type.Optional(Id),
    emailConsent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const ActivityQuery = Type.Object(
  { cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);

/** Patient > Find and Select patient > Patient Record, with the portal account actions. */
export async function patientRoutes(
  app: FastifyInstance,
  opts: { patients: PatientService; accounts: PortalAccountService; audit: AuditService },
): Promise<void> {
  const { patients, accounts } = opts;
  type P = { Params: Static<typeof IdParams> };

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/api/v1/patients',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'Find patients by name, date of birth or email',
        querystring: SearchQuery,
        response: withErrors({}),
      },
    },
    async (request) => ({ patients: await patients.search(staffOf(request), request.query.query) }),
  );
  app.get<P>(
    '/api/v1/patients/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: 'The Patient Record',
        params: IdParams,
        response: withErrors({}),
      },
    },
    async (request) => patients.get(staffOf(request), request.params.id),
  );
  app.post<{ Body: Static<typeof NewPatient> }>(
    '/api/v1/patients',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Patients'],
        summary: 'Add a patient',
        body: NewPatient,
        response: withErrors({}),
      },
    },
    async (request, reply) =>
      reply.status(201).send(await patients.create(staffOf(request), request.body)),
  );
  app.patch<P & { Body: Static<typeof Changes> }>(
    '/api/v1/patients/:id',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['Patients'],
        summary: 'Change a patient (also moves between charge bands)',
        params: IdParams,
        body: Changes,
        response: withErrors({}),
      },
    },
    async (request) => patients.update(staffOf(request), request.params.id, request.body),
  );
  app.get<P & { Querystring: Static<typeof ActivityQuery> }>(
    '/api/v1/patients/:id/activity',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Patients'],
        summary: "The patient's Activity (audit)",
        params: IdParams,
        querystring: ActivityQuery,
        response: withErrors({}),
      },
    },
    async (request) =>
      opts.audit.forPatient(staffOf(request), request.params.id, request.query.cursor),
  );

  const action = (
    path: string,
    summary: string,
    run: (actor: ReturnType<typeof staffOf>, id: string) => Promise<unknown>,
  ) =>
    app.post<P>(
      `/api/v1/patients/:id/portal-account/${path}`,
      {
        config: { auth: 'staff' },
        schema: { tags: ['Portal accounts'], summary, params: IdParams, response: withErrors({}) },
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
}
