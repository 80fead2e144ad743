import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthRequirement } from './auth.js';
import { client, type Client } from '../test/http.js';
import {
  createBand,
  createChamber,
  createPatient,
  createRole,
  createStaff,
  createWorld,
  patientClient,
  staffClient,
  type World,
} from '../test/factories.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

/**
 * Who may call each route. The test compares this with the app's own route table, so a new
 * route without an entry here fails until someone decides who may call it.
 */
const MATRIX: Record<string, AuthRequirement> = {
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/health': 'public',
  'POST /api/v1/staff/session': 'public',
  'GET /api/v1/staff/session': 'staff',
  'DELETE /api/v1/staff/session': 'staff',
  'POST /api/v1/staff/password-reset': 'public',
  'POST /api/v1/staff/password': 'public',
  'POST /api/v1/portal/session': 'public',
  'GET /api/v1/portal/session': 'patient',
  'DELETE /api/v1/portal/session': 'patient',
  'POST /api/v1/portal/password-reset': 'public',
  'POST /api/v1/portal/password': 'public',
  'GET /api/v1/portal/conversations': 'patient',
  'POST /api/v1/portal/conversations': 'patient',
  'GET /api/v1/portal/conversations/:id': 'patient',
  'POST /api/v1/portal/conversations/:id/messages': 'patient',
  'POST /api/v1/portal/conversations/:id/read': 'patient',
  'GET /api/v1/patients/:id/feed': 'staff',
  'POST /api/v1/patients/:id/conversations': 'staff',
  'GET /api/v1/conversations/:id': 'staff',
  'POST /api/v1/conversations/:id/messages': 'staff',
  'POST /api/v1/conversations/:id/read': 'staff',
  'GET /api/v1/notifications': 'staff',
  'GET /api/v1/notifications/unread-count': 'staff',
  'POST /api/v1/notifications/:id/read': 'staff',
  'POST /api/v1/notifications/read-all': 'staff',
  'POST /api/v1/notifications/:id/reply': 'staff',
  'GET /api/v1/patients': 'staff',
  'GET /api/v1/patients/:id': 'staff',
  'POST /api/v1/patients': 'admin',
  'PATCH /api/v1/patients/:id': 'admin',
  'GET /api/v1/patients/:id/activity': 'staff',
  'POST /api/v1/patients/:id/portal-account/invite': 'staff',
  'POST /api/v1/patients/:id/portal-account/reset': 'staff',
  'POST /api/v1/patients/:id/portal-account/unblock': 'staff',
  'POST /api/v1/patients/:id/portal-account/disable': 'staff',
  'POST /api/v1/patients/:id/portal-account/enable': 'staff',
  'GET /api/v1/roles': 'staff',
  'POST /api/v1/admin/roles': 'admin',
  'PATCH /api/v1/admin/roles/:id': 'admin',
  'DELETE /api/v1/admin/roles/:id': 'admin',
  'GET /api/v1/admin/roles/:id/members': 'admin',
  'PUT /api/v1/admin/roles/:id/members/:userId': 'admin',
  'DELETE /api/v1/admin/roles/:id/members/:userId': 'admin',
  'GET /api/v1/admin/users': 'admin',
  'POST /api/v1/admin/users': 'admin',
  'PATCH /api/v1/admin/users/:id': 'admin',
  'GET /api/v1/admin/charge-bands': 'admin',
  'POST /api/v1/admin/charge-bands': 'admin',
  'PATCH /api/v1/admin/charge-bands/:id': 'admin',
  'PUT /api/v1/admin/charge-bands/:id/online-access': 'admin',
  'GET /api/v1/admin/settings': 'admin',
  'PATCH /api/v1/admin/settings': 'admin',
  'GET /api/v1/admin/audit': 'admin',
  'GET /api/v1/admin/audit.csv': 'admin',
  'GET /api/v1/admin/email-jobs': 'admin',
  'POST /api/v1/patients/:id/medical-data': 'staff',
  'GET /api/v1/patients/:id/medical-data': 'staff',
  'GET /api/v1/portal/medical-data': 'patient',
  'POST /api/v1/patients/:id/documents': 'staff',
  'GET /api/v1/patients/:id/documents': 'staff',
  'PATCH /api/v1/documents/:id': 'staff',
  'GET /api/v1/documents/:id/content': 'staff',
  'GET /api/v1/portal/documents': 'patient',
  'POST /api/v1/portal/documents': 'patient',
  'GET /api/v1/portal/documents/:id/content': 'patient',
  'GET /api/v1/events': 'stream',
  'GET /api/v1/admin/integrations': 'admin',
  'POST /api/v1/admin/integrations': 'admin',
  'POST /api/v1/admin/integrations/:id/revoke': 'admin',
  // The OAuth token endpoint and the FHIR API check their own bearer tokens (fhir.test.ts).
  'POST /oauth2/token': 'public',
  'GET /fhir/R4/metadata': 'public',
  'GET /fhir/R4/.well-known/smart-configuration': 'public',
  'GET /fhir/R4/Communication': 'public',
  'GET /fhir/R4/Communication/:id': 'public',
  'GET /fhir/R4/Patient': 'public',
  'GET /fhir/R4/Patient/:id': 'public',
  'GET /fhir/R4/Practitioner/:id': 'public',
  'GET /fhir/R4/Group/:id': 'public',
  'GET /fhir/R4/Binary/:id': 'public',
  'GET /': 'public',
  'GET /assets/*': 'public',
  'GET /portal': 'public',
  'GET /portal/*': 'public',
  'GET /staff': 'public',
  'GET /staff/*': 'public',
};

/** A body each route accepts, so that a refusal comes from who is asking, not from what. */
const BODY: Record<string, unknown> = {
  'POST /api/v1/portal/conversations': { text: 'matrix' },
  'POST /api/v1/portal/conversations/:id/messages': { text: 'matrix' },
  'POST /api/v1/patients/:id/conversations': {
    text: 'matrix',
    shareWithPatient: true,
    roleIds: [],
  },
  'POST /api/v1/conversations/:id/messages': {
    text: 'matrix',
    shareWithPatient: true,
    roleIds: [],
  },
  'POST /api/v1/notifications/:id/reply': { text: 'matrix', shareWithPatient: true, roleIds: [] },
  'PATCH /api/v1/patients/:id': { mobile: '0123' },
  'PATCH /api/v1/admin/roles/:id': { name: 'Matrix role' },
  'PATCH /api/v1/admin/users/:id': { name: 'Matrix user' },
  'PATCH /api/v1/admin/charge-bands/:id': { name: 'Matrix band' },
  'PUT /api/v1/admin/charge-bands/:id/online-access': { mode: 'none' },
  'POST /api/v1/patients/:id/medical-data': {
    kind: 'result',
    title: 'x',
    date: '2026-01-01',
    text: 'x',
    shareWithPatient: false,
  },
  'PATCH /api/v1/documents/:id': { shareWithPatient: true },
};

let t: TestApp;
let w: World;
let other: { cookie: Client; patient: Client; ids: Record<string, string> };

const key = (method: string, url: string) => `${method} ${url}`;

async function tableCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'conversations',
    'messages',
    'notifications',
    'jobs',
    'roles',
    'users',
    'charge_bands',
    'patients',
    'portal_accounts',
    'documents',
    'medical_items',
    'sessions',
  ]) {
    out[table] = Number(
      (await t.db.execute<{ n: string }>(sql.raw(`select count(*) as n from ${table}`))).rows[0]?.n,
    );
  }
  return out;
}

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  // A second chamber with one of everything, whose ids chamber 1 must never reach.
  const c2 = await createChamber(t);
  const role = await createRole(t, c2, 'Other role');
  const band = await createBand(t, c2, { name: 'Other band' });
  const staff = await createStaff(t, c2, { name: 'Other Staff', roleIds: [c2.builtInRoleId] });
  const patient = await createPatient(t, c2, { bandId: band, given: 'Olga', family: 'Other' });
  const asPatient = await patientClient(t, c2, patient.email);
  const sent = await asPatient.post('/api/v1/portal/conversations', { text: 'other chamber' });
  const asStaff = await staffClient(t, c2, staff.email);
  const notes = await asStaff.get('/api/v1/notifications');
  const item = await t.services.medical.create({ ...c2.admin }, patient.id, {
    kind: 'result',
    title: 'x',
    date: '2026-01-01',
    text: 'x',
    shareWithPatient: true,
  });
  other = {
    cookie: asStaff,
    patient: asPatient,
    ids: {
      patient: patient.id,
      conversation: sent.body.conversation.id,
      notification: notes.body.notifications[0].id,
      role: role,
      user: staff.id,
      band,
      medical: item.id,
    },
  };
});
afterAll(() => t?.close());

/** The id of chamber 2 that a route's `:id` names. */
function foreignIdFor(url: string): string {
  if (url.includes('/patients/:id')) return other.ids.patient!;
  if (url.includes('/conversations/:id')) return other.ids.conversation!;
  if (url.includes('/notifications/:id')) return other.ids.notification!;
  if (url.includes('/roles/:id')) return other.ids.role!;
  if (url.includes('/users/:id')) return other.ids.user!;
  if (url.includes('/charge-bands/:id')) return other.ids.band!;
  return '00000000-0000-4000-8000-000000000000';
}

const fill = (url: string, id: string) =>
  url.replace(':id', id).replace(':userId', other.ids.user!).replace('*', 'x');

describe('access matrix, from the route table', () => {
  it('every route of the app has an entry, and every entry a route', () => {
    const actual = Object.fromEntries(t.app.routeAuth.map((r) => [key(r.method, r.url), r.auth]));
    expect(actual).toEqual(MATRIX);
  });

  it('anonymous: 401 on every route that needs a session, in the one error shape, changing nothing', async () => {
    const before = await tableCounts();
    const anon = client(t.app);
    for (const route of t.app.routeAuth.filter((r) => r.auth !== 'public')) {
      const res = await anon.call(
        route.method,
        fill(route.url, foreignIdFor(route.url)),
        route.method === 'GET' || route.method === 'DELETE'
          ? undefined
          : (BODY[key(route.method, route.url)] ?? {}),
      );
      expect(res.status, key(route.method, route.url)).toBe(401);
      expect(res.body, key(route.method, route.url)).toEqual({
        error: { status: 401, code: 'unauthenticated', message: expect.any(String) },
      });
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('a patient session opens no staff route, and a staff session no patient route', async () => {
    const before = await tableCounts();
    for (const route of t.app.routeAuth.filter(
      (r) => r.auth === 'staff' || r.auth === 'admin' || r.auth === 'patient',
    )) {
      const caller = route.auth === 'patient' ? w.as.receptionist : w.as.alice;
      const res = await caller.call(
        route.method,
        fill(route.url, foreignIdFor(route.url)),
        route.method === 'GET' || route.method === 'DELETE'
          ? undefined
          : (BODY[key(route.method, route.url)] ?? {}),
      );
      expect(res.status, key(route.method, route.url)).toBe(401);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('staff without the admin permission get 403 admin_required on every admin route', async () => {
    const before = await tableCounts();
    for (const route of t.app.routeAuth.filter((r) => r.auth === 'admin')) {
      const res = await w.as.nurse.call(
        route.method,
        fill(route.url, foreignIdFor(route.url)),
        route.method === 'GET' || route.method === 'DELETE'
          ? undefined
          : (BODY[key(route.method, route.url)] ?? {}),
      );
      expect(res.status, key(route.method, route.url)).toBe(403);
      expect(res.body.error.code).toBe('admin_required');
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('another chamber’s ids answer 404 on every route that takes one, for staff, admins and patients, changing nothing', async () => {
    const before = await tableCounts();
    const multipart = new Set(['POST /api/v1/patients/:id/documents']);
    for (const route of t.app.routeAuth.filter(
      (r) => r.url.includes(':id') && r.auth !== 'public',
    )) {
      const k = key(route.method, route.url);
      if (multipart.has(k)) continue;
      const caller =
        route.auth === 'patient'
          ? w.as.alice
          : route.auth === 'admin'
            ? w.as.admin
            : w.as.receptionist;
      const res = await caller.call(
        route.method,
        fill(route.url, foreignIdFor(route.url)),
        route.method === 'GET' || route.method === 'DELETE' ? undefined : (BODY[k] ?? {}),
      );
      expect(res.status, k).toBe(404);
      expect(res.body.error.code, k).toBe('not_found');
    }
    // And the other way round: chamber 2's people reach nothing of chamber 1.
    const mine = await w.as.alice.post('/api/v1/portal/conversations', { text: 'mine' });
    expect(
      (await other.patient.get(`/api/v1/portal/conversations/${mine.body.conversation.id}`)).status,
    ).toBe(404);
    expect(
      (await other.cookie.get(`/api/v1/conversations/${mine.body.conversation.id}`)).status,
    ).toBe(404);
    expect((await other.cookie.get(`/api/v1/patients/${w.alice.id}/feed`)).status).toBe(404);
    const after = await tableCounts();
    expect(after).toEqual({
      ...before,
      conversations: before.conversations! + 1,
      messages: before.messages! + 1,
      notifications: after.notifications,
      jobs: after.jobs,
    });
  });

  it('a patient reaches no other patient’s conversation: 404, exactly as a missing one', async () => {
    const bobs = await w.as.bob.post('/api/v1/portal/conversations', { text: 'bob only' });
    for (const url of [
      `/api/v1/portal/conversations/${bobs.body.conversation.id}`,
      '/api/v1/portal/conversations/00000000-0000-4000-8000-000000000000',
    ]) {
      const res = await w.as.alice.get(url);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        error: { status: 404, code: 'not_found', message: 'That conversation was not found.' },
      });
    }
  });
});
