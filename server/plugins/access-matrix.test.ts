import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthRequirement } from './auth.js';
import { client, type Client } from '../test/http.js';
import { generate } from 'otplib';
import {
  PASSWORD,
  createBand,
  createChamber,
  createPatient,
  createRole,
  createStaff,
  createWorld,
  patientClient,
  staffClient,
  type TestChamber,
  type World,
} from '../test/factories.js';
import { openEventStream } from '../test/sse.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { createIntegration, fhirGet, getToken } from '../modules/fhir/fhir-test-support.js';
import {
  ELIGIBILITY_MESSAGES,
  type EligibilityCode,
} from '../modules/portal-access/portal-access.policy.js';

/**
 * Who may call each route. The test compares this with the app's own route table, so a new
 * route without an entry here fails until someone decides who may call it.
 */
const MATRIX: Record<string, AuthRequirement> = {
  'GET /api/v1/openapi.json': 'public',
  'GET /api/v1/health': 'public',
  'POST /api/v1/staff/session': 'public',
  'GET /api/v1/staff/session': 'staff',
  // Sign-out ends a half-signed-in session too (rule 19).
  'DELETE /api/v1/staff/session': 'staff-pending',
  // Rule 19: the second step answers half-signed-in sessions only; enrolment answers sessions
  // that must set a factor up first, and fully signed-in ones.
  'GET /api/v1/staff/session/second-factor': 'staff-pending',
  'POST /api/v1/staff/session/second-factor/passkey-options': 'staff-pending',
  'POST /api/v1/staff/session/second-factor': 'staff-pending',
  'POST /api/v1/staff/passkey-options': 'public',
  'POST /api/v1/staff/session/passkey': 'public',
  'GET /api/v1/staff/sign-in-options': 'public',
  'GET /api/v1/staff/sso/start': 'public',
  'GET /api/v1/staff/sso/callback': 'public',
  'GET /api/v1/me/second-factors': 'staff-set-up',
  'POST /api/v1/me/second-factors/passkeys/options': 'staff-set-up',
  'POST /api/v1/me/second-factors/passkeys': 'staff-set-up',
  'POST /api/v1/me/second-factors/totp/set-up': 'staff-set-up',
  'POST /api/v1/me/second-factors/totp': 'staff-set-up',
  'DELETE /api/v1/me/second-factors/:id': 'staff',
  'POST /api/v1/me/second-factors/recovery-codes': 'staff',
  'DELETE /api/v1/admin/users/:id/second-factors': 'admin',
  'GET /api/v1/admin/sso': 'admin',
  'PUT /api/v1/admin/sso': 'admin',
  'DELETE /api/v1/admin/sso': 'admin',
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
  'GET /api/v1/portal/topics': 'patient',
  'GET /api/v1/portal/reply-time': 'patient',
  // Public: what the portal shows where a patient cannot go on (a session gives its clinic).
  'GET /api/v1/portal/clinic': 'public-or-patient',
  'GET /api/v1/patients/:id/feed': 'staff',
  'POST /api/v1/patients/:id/conversations': 'staff',
  'GET /api/v1/conversations/:id': 'staff',
  'GET /api/v1/conversations/:id/assignees': 'staff',
  'POST /api/v1/conversations/:id/messages': 'staff',
  'POST /api/v1/conversations/:id/read': 'staff',
  'PATCH /api/v1/conversations/:id': 'staff',
  'POST /api/v1/conversations/:id/typing': 'staff',
  'GET /api/v1/inbox': 'staff',
  'GET /api/v1/topics': 'staff',
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
  'GET /api/v1/admin/topics': 'admin',
  'POST /api/v1/admin/topics': 'admin',
  'PATCH /api/v1/admin/topics/:id': 'admin',
  'DELETE /api/v1/admin/topics/:id': 'admin',
  'GET /api/v1/quick-replies': 'staff',
  'GET /api/v1/search': 'staff',
  'GET /api/v1/portal/search': 'patient',
  'GET /api/v1/patients/:id/proxies': 'staff',
  'POST /api/v1/patients/:id/proxies': 'staff',
  'DELETE /api/v1/patients/:id/proxies/:proxyId': 'staff',
  'POST /api/v1/portal/sign-up': 'public',
  'POST /api/v1/portal/sign-up/confirm': 'public',
  'GET /api/v1/portal/acting-for': 'patient',
  'PUT /api/v1/portal/acting-for': 'patient',
  'GET /api/v1/portal/proxies': 'patient',
  'DELETE /api/v1/portal/proxies/:id': 'patient',
  'GET /api/v1/admin/quick-replies': 'admin',
  'POST /api/v1/admin/quick-replies': 'admin',
  'PATCH /api/v1/admin/quick-replies/:id': 'admin',
  'DELETE /api/v1/admin/quick-replies/:id': 'admin',
  'GET /api/v1/admin/settings': 'admin',
  'GET /api/v1/admin/reports/reply-times': 'admin',
  'GET /api/v1/admin/reports/reply-times.csv': 'admin',
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
  'POST /api/v1/patients/:id/proxies': {
    email: 'matrix-proxy@example.com',
    relationship: 'Carer',
    name: 'Matrix Proxy',
  },
  'PUT /api/v1/portal/acting-for': { patientId: '00000000-0000-4000-8000-000000000000' },
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
  // A change that would show (a status, an audit row, a live event) if a refusal let it through.
  'PATCH /api/v1/conversations/:id': { status: 'closed' },
  'PATCH /api/v1/admin/topics/:id': { name: 'Matrix topic', active: false },
  'POST /api/v1/admin/quick-replies': { name: 'Matrix quick reply', text: 'Hi {user.name}' },
  'PATCH /api/v1/admin/quick-replies/:id': { name: 'Matrix quick reply', roleIds: [] },
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
let other: {
  cookie: Client;
  admin: Client;
  patient: Client;
  ids: Record<string, string>;
  chamber: TestChamber;
};

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
    'topics',
    'quick_replies',
    'staff_second_factors',
    'staff_recovery_codes',
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
  const topic = await t.services.topics.create(c2.admin, { name: 'Other topic', roleId: role });
  const band = await createBand(t, c2, { name: 'Other band' });
  const quickReply = await (
    await staffClient(t, c2, c2.admin.email)
  ).post('/api/v1/admin/quick-replies', { name: 'Other reply', text: 'x', roleIds: [role] });
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
    admin: await staffClient(t, c2, c2.admin.email),
    patient: asPatient,
    chamber: c2,
    ids: {
      patient: patient.id,
      conversation: sent.body.conversation.id,
      notification: notes.body.notifications[0].id,
      role: role,
      user: staff.id,
      band,
      medical: item.id,
      topic: topic.id,
      quickReply: quickReply.body.id,
    },
  };
  BODY['POST /api/v1/admin/topics'] = { name: 'Matrix topic', roleId: w.roles.nurses };
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
  if (url.includes('/topics/:id')) return other.ids.topic!;
  if (url.includes('/quick-replies/:id')) return other.ids.quickReply!;
  return '00000000-0000-4000-8000-000000000000';
}

const fill = (url: string, id: string) =>
  url
    .replace(':id', id)
    .replace(':userId', other.ids.user!)
    .replace(':proxyId', '00000000-0000-4000-8000-000000000000')
    .replace('*', 'x');

describe('access matrix, from the route table', () => {
  it('every route of the app has an entry, and every entry a route', () => {
    const actual = Object.fromEntries(t.app.routeAuth.map((r) => [key(r.method, r.url), r.auth]));
    expect(actual).toEqual(MATRIX);
  });

  it('anonymous: 401 on every route that needs a session, in the one error shape, changing nothing', async () => {
    const before = await tableCounts();
    const anon = client(t.app);
    for (const route of t.app.routeAuth.filter(
      (r) => r.auth !== 'public' && r.auth !== 'public-or-patient',
    )) {
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
    for (const route of t.app.routeAuth.filter((r) =>
      ['staff', 'admin', 'patient', 'staff-pending', 'staff-set-up'].includes(r.auth),
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

  it('a cross-site form POST to every state-changing route is refused (403 cross_origin_refused), changing nothing', async () => {
    const before = await tableCounts();
    const changing = t.app.routeAuth.filter((r) => r.method !== 'GET');
    expect(changing.length).toBeGreaterThan(20);
    for (const route of changing) {
      // The caller's own session, so only the other site's origin is wrong.
      const caller =
        route.auth === 'patient'
          ? w.as.alice
          : route.auth === 'public'
            ? client(t.app)
            : w.as.admin;
      for (const headers of <Record<string, string>[]>[
        { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
        { 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      ]) {
        const res = await caller.call(
          route.method,
          fill(route.url, foreignIdFor(route.url)),
          'text=hello&shareWithPatient=true',
          headers,
        );
        if (route.url === '/oauth2/token') {
          // Machine to machine, answered in OAuth's own error format (RFC 6749 5.2).
          expect(res.status, key(route.method, route.url)).toBe(400);
          expect(res.body.error).toBe('invalid_request');
          continue;
        }
        expect(res.status, key(route.method, route.url)).toBe(403);
        expect(res.body, key(route.method, route.url)).toEqual({
          error: { status: 403, code: 'cross_origin_refused', message: expect.any(String) },
        });
      }
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

  /** Calls every route of these requirements with a client; the answers by route. */
  async function callEach(as: Client, requirements: string[]) {
    const out: { route: string; status: number; body: any }[] = [];
    for (const route of t.app.routeAuth.filter((r) => requirements.includes(r.auth))) {
      const res = await as.call(
        route.method,
        fill(route.url, foreignIdFor(route.url)),
        route.method === 'GET' || route.method === 'DELETE'
          ? undefined
          : (BODY[key(route.method, route.url)] ?? {}),
      );
      out.push({ route: key(route.method, route.url), status: res.status, body: res.body });
    }
    return out;
  }

  /** A password sign-in that stops half way: the client holding the half-signed-in cookie. */
  async function halfSignIn(email: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session',
      payload: { chamber: w.chamber.key, email, password: PASSWORD },
    });
    expect(res.statusCode, res.body).toBe(200);
    const set = res.headers['set-cookie'];
    return {
      body: res.json(),
      as: client(t.app, String(Array.isArray(set) ? set[0] : set).split(';')[0]),
    };
  }

  it('half signed in (rule 19): every route but the second step answers 401 second_factor_required, changing nothing', async () => {
    // An admin (no role: no notification of the matrix's messages), so no admin_required answers.
    const half = await createStaff(t, w.chamber, {
      name: 'Half Signed',
      isAdmin: true,
    });
    const full = await staffClient(t, w.chamber, half.email);
    const setUp = await full.post('/api/v1/me/second-factors/totp/set-up');
    const code = await generate({
      secret: setUp.body.secret,
      epoch: Math.floor(t.clock().getTime() / 1000),
    });
    expect(
      (
        await full.post('/api/v1/me/second-factors/totp', {
          challengeId: setUp.body.challengeId,
          code,
        })
      ).status,
    ).toBe(200);
    const signIn = await halfSignIn(half.email);
    expect(signIn.body.next).toBe('second_factor');

    const before = await tableCounts();
    const refused = await callEach(signIn.as, ['staff', 'admin', 'stream', 'staff-set-up']);
    for (const answer of refused) {
      expect(answer.status, answer.route).toBe(401);
      expect(answer.body, answer.route).toEqual({
        error: { status: 401, code: 'second_factor_required', message: expect.any(String) },
      });
    }
    // The second step answers it, and a patient's and no session's calls to it are refused.
    const step = await signIn.as.get('/api/v1/staff/session/second-factor');
    expect(step.body).toMatchObject({ next: 'second_factor', methods: ['totp', 'recovery_code'] });
    for (const answer of [
      ...(await callEach(w.as.alice, ['staff-pending', 'staff-set-up'])),
      ...(await callEach(client(t.app), ['staff-pending', 'staff-set-up'])),
    ])
      expect(answer.status, answer.route).toBe(401);
    expect(await tableCounts()).toEqual(before);

    // Set up first (Require two-step verification for staff, and a user with no factor yet).
    expect(
      (await w.as.admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: true })).status,
    ).toBe(200);
    try {
      const newcomer = await createStaff(t, w.chamber, {
        name: 'Half Newcomer',
        isAdmin: true,
      });
      const setUpFirst = await halfSignIn(newcomer.email);
      expect(setUpFirst.body.next).toBe('set_up_second_factor');
      const counts = await tableCounts();
      const refusedToo = await callEach(setUpFirst.as, ['staff', 'admin', 'stream']);
      for (const answer of refusedToo) {
        expect(answer.status, answer.route).toBe(401);
        expect(answer.body.error.code, answer.route).toBe('second_factor_required');
      }
      expect(await tableCounts()).toEqual(counts);
      // Enrolment answers it; the second step has nothing to check yet.
      expect((await setUpFirst.as.get('/api/v1/me/second-factors')).status).toBe(200);
      expect(
        (
          await setUpFirst.as.post('/api/v1/staff/session/second-factor', {
            method: 'totp',
            code: '123456',
          })
        ).status,
      ).toBe(409);
      console.info(
        `half signed in: ${refused.length} routes refused at the second step, ${refusedToo.length} while a factor must be set up`,
      );
    } finally {
      await w.as.admin.patch('/api/v1/admin/settings', { requireStaffTwoStep: false });
    }
  });

  /** Chamber 2's topic and conversation as stored, to show that no refused call changed them. */
  const otherRows = async () => ({
    topic: (
      await t.db.execute(
        sql`select name, role_id, active, deleted_at from topics where id = ${other.ids.topic}::uuid`,
      )
    ).rows,
    conversation: (
      await t.db.execute(
        sql`select status, assignee_user_id, awaiting_reply, last_seq from conversations where id = ${other.ids.conversation}::uuid`,
      )
    ).rows,
  });

  it('another chamber’s ids answer 404 on every route that takes one, for staff, admins and patients, changing nothing', async () => {
    const topic = await w.as.admin.post('/api/v1/admin/topics', {
      name: 'Chamber 1 topic',
      roleId: w.roles.reception,
    });
    expect(topic.status).toBe(201);
    const before = await tableCounts();
    const otherBefore = await otherRows();
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
    const theirs = `/api/v1/conversations/${mine.body.conversation.id}`;
    expect((await other.cookie.patch(theirs, { status: 'closed' })).status).toBe(404);
    expect((await other.cookie.post(`${theirs}/typing`)).status).toBe(404);
    for (const view of ['open', 'closed', 'mine', 'unassigned']) {
      const inbox = await other.cookie.get(`/api/v1/inbox?view=${view}&limit=100`);
      expect(inbox.status).toBe(200);
      expect(JSON.stringify(inbox.body), view).not.toContain(mine.body.conversation.id);
    }
    // A topic of chamber 1 as a filter of chamber 2's inbox finds nothing; a role of chamber 1
    // is not one of theirs.
    expect(
      (await other.cookie.get(`/api/v1/inbox?topicId=${topic.body.id}`)).body.conversations,
    ).toEqual([]);
    const roleOfOurs = await other.cookie.get(`/api/v1/inbox?roleId=${w.roles.builtIn}`);
    expect([roleOfOurs.status, roleOfOurs.body.error.code]).toEqual([422, 'role_not_held']);
    const ourTopic = `/api/v1/admin/topics/${topic.body.id}`;
    expect((await other.admin.patch(ourTopic, { name: 'Taken over' })).status).toBe(404);
    expect((await other.admin.delete(ourTopic)).status).toBe(404);
    expect(
      (await other.admin.get('/api/v1/admin/topics')).body.topics.map((x: { id: string }) => x.id),
    ).toEqual([other.ids.topic]);
    expect(
      (await other.patient.get('/api/v1/portal/topics')).body.topics.map(
        (x: { id: string }) => x.id,
      ),
    ).toEqual([other.ids.topic]);
    // Chamber 1's admin routes a topic to chamber 2's role: refused as an unknown role.
    const foreignRole = await w.as.admin.post('/api/v1/admin/topics', {
      name: 'Foreign role',
      roleId: other.ids.role,
    });
    expect(foreignRole.status).toBe(422);
    expect(foreignRole.body.error).toMatchObject({ code: 'role_not_found', field: 'roleId' });
    expect(await otherRows()).toEqual(otherBefore);
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

/*
 * The object dimension (SPEC rule 4). Every route that takes the id of a conversation or a
 * notification is called by every actor with every object, and the answer is compared with
 * what the rule says: the route's work when the actor may see the object, otherwise exactly
 * the answer for an id that does not exist (401 for the wrong kind of session, 404 for the
 * right kind). The rule is evaluated here, from the stored audience of each message, not by
 * asking the product.
 */

type ActorKind = 'anonymous' | 'patient' | 'staff';

interface Actor {
  name: string;
  kind: ActorKind;
  chamber: 1 | 2;
  client: Client;
  patientId?: string;
  userId?: string;
  roleIds: string[];
  isAdmin?: boolean;
}

/** A stored message with its audience, as the rule needs it. */
interface Msg {
  id: string;
  seq: number;
  chamber: 1 | 2;
  conversationId: string;
  patientId: string;
  sharedWithPatient: boolean;
  roleIds: string[];
  authorUserId: string | null;
  text: string;
}

/** Rule 4: a patient sees messages shared with them in their own conversations; staff see what they wrote or what is shared with a role they hold. */
function sees(a: Actor, m: Msg): boolean {
  if (a.kind === 'anonymous' || a.chamber !== m.chamber) return false;
  if (a.kind === 'patient') return m.sharedWithPatient && m.patientId === a.patientId;
  return m.authorUserId === a.userId || m.roleIds.some((r) => a.roleIds.includes(r));
}

/** The resource an `:id` of a route names (`/conversations/:id/read` names a conversation). */
const resourceOf = (url: string) => url.match(/\/([A-Za-z-]+)\/:id/)?.[1];

/** Ids of these resources lead to message text: each such route is tested with every object. */
const MESSAGE_BEARING = new Set(['conversations', 'notifications']);
/**
 * Ids of these lead to no message text through the staff and portal API (the Feed of a patient is
 * checked as a list below; FHIR's Communication and Binary have their own test here).
 */
const NOT_MESSAGE_BEARING = new Set([
  'patients',
  'roles',
  'users',
  'charge-bands',
  'documents',
  'integrations',
  // A Message Topic: a name and a role (checked below and in the cross-chamber test above).
  'topics',
  // A patient's proxy (rule 18): an account and a relationship, never a message.
  'proxies',
  // A quick reply: a name, a template text and roles (checked in its own tests too).
  'quick-replies',
  // A passkey or authenticator app of the signed-in user: a name and dates.
  'second-factors',
  'Communication',
  'Binary',
  'Patient',
  'Practitioner',
  'Group',
]);

interface Answer {
  status: number;
  type: string | undefined;
  payload: string;
}

/** A call as the actor's browser makes it, answered byte for byte. */
async function send(
  actor: Actor,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await t.app.inject({
    method: method as 'GET',
    url,
    headers: {
      ...(actor.client.cookie ? { cookie: actor.client.cookie } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
  });
  return {
    status: res.statusCode,
    type: res.headers['content-type'] as string | undefined,
    payload: res.body,
  };
}

// A minimal PDF (its first bytes are what the type check reads), sent as a browser form would.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const BOUNDARY = 'matrix-form-boundary';
const multipart = {
  headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  body: (fields: Record<string, string>) =>
    Buffer.concat([
      Buffer.from(
        Object.entries(fields)
          .map(
            ([k, v]) =>
              `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
          )
          .join(''),
      ),
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="letter.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
      ),
      PDF,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]),
};

/** A file upload as a browser's form sends it. */
async function sendForm(actor: Actor, url: string): Promise<Answer> {
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: {
      ...(actor.client.cookie ? { cookie: actor.client.cookie } : {}),
      ...multipart.headers,
    },
    payload: multipart.body({ title: 'Scan' }),
  });
  return {
    status: res.statusCode,
    type: res.headers['content-type'] as string | undefined,
    payload: res.body,
  };
}

const bodyOf = (method: string) => method !== 'GET' && method !== 'DELETE';

describe('access matrix, the object dimension (rule 4), from the route table', () => {
  const NOTE = `Internal note ${randomUUID()}`;
  let actors: Actor[];
  let by: Record<string, Actor>;
  let R: string;
  let noteAuthor: { id: string; email: string; name: string };
  let convs: { name: string; id: string }[];
  let notes: { name: string; id: string; owner: string; conversationId: string }[];
  let model: Msg[];
  let roleForNew: Record<1 | 2, string>;
  let staffDocument: string;

  const chamberNo = (id: string): 1 | 2 => (id === w.chamber.id ? 1 : 2);

  async function storedMessages(): Promise<Msg[]> {
    const r = await t.db.execute<{
      id: string;
      seq: string | number;
      chamber_id: string;
      conversation_id: string;
      patient_id: string;
      shared_with_patient: boolean;
      author_user_id: string | null;
      text: string;
      role_ids: string[] | null;
    }>(sql`
      select m.id, m.seq, m.chamber_id, m.conversation_id, m.patient_id, m.shared_with_patient,
             m.author_user_id, m.text,
             array(select r::text from unnest(m.role_ids) r order by 1) as role_ids
        from messages m
       where m.chamber_id in (${w.chamber.id}::uuid, ${other.chamber.id}::uuid)
       order by m.seq`);
    return r.rows.map((row) => ({
      id: row.id,
      seq: Number(row.seq),
      chamber: chamberNo(row.chamber_id),
      conversationId: row.conversation_id,
      patientId: row.patient_id,
      sharedWithPatient: row.shared_with_patient,
      roleIds: row.role_ids ?? [],
      authorUserId: row.author_user_id,
      text: row.text,
    }));
  }

  /** The notes' author as an actor of chamber 1 (in the built-in role and R). */
  const noteAuthorActor = (c?: Client): Actor => ({
    name: 'the notes’ author',
    kind: 'staff',
    chamber: 1,
    client: c ?? client(t.app),
    userId: noteAuthor.id,
    roleIds: [w.roles.builtIn, R],
  });

  const messagesOf = (conversationId: string) =>
    model.filter((m) => m.conversationId === conversationId);
  const visibleIn = (a: Actor, conversationId: string) =>
    messagesOf(conversationId).filter((m) => sees(a, m));
  const sessionKind = (auth: string): ActorKind =>
    auth === 'patient' || auth === 'public-or-patient' ? 'patient' : 'staff';

  /** A reply audience that shows the conversation to nobody who does not see it already. */
  function keepAudience(a: Actor, conversationId: string) {
    const msgs = messagesOf(conversationId);
    const roles = new Set(msgs.flatMap((m) => m.roleIds));
    const roleIds = a.roleIds.filter((r) => roles.has(r));
    const shareWithPatient = msgs.some((m) => m.sharedWithPatient);
    if (!shareWithPatient && roleIds.length === 0) throw new Error(`no audience for ${a.name}`);
    return { text: `reply by ${a.name}`, shareWithPatient, roleIds };
  }

  /** Every table's row count. */
  async function allCounts(): Promise<Record<string, number>> {
    const tables = await t.db.execute<{ table_name: string }>(sql`
      select table_name from information_schema.tables
       where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`);
    const out: Record<string, number> = {};
    for (const { table_name } of tables.rows) {
      out[table_name] = Number(
        (await t.db.execute<{ n: string }>(sql.raw(`select count(*) as n from "${table_name}"`)))
          .rows[0]?.n,
      );
    }
    return out;
  }

  beforeAll(async () => {
    R = w.roles.nurses;
    // The notes' author reads patients' messages (built-in role) and is in R; the matrix's staff
    // actors see the notes, or not, through their roles alone.
    noteAuthor = await createStaff(t, w.chamber, {
      name: 'Nell Notes',
      roleIds: [w.roles.builtIn, R],
    });
    const asNoteAuthor = await staffClient(t, w.chamber, noteAuthor.email);
    const c2 = other.chamber;
    actors = [
      { name: 'anonymous', kind: 'anonymous', chamber: 1, client: client(t.app), roleIds: [] },
      {
        name: 'patient A',
        kind: 'patient',
        chamber: 1,
        client: w.as.alice,
        patientId: w.alice.id,
        roleIds: [],
      },
      {
        name: 'patient B',
        kind: 'patient',
        chamber: 1,
        client: w.as.bob,
        patientId: w.bob.id,
        roleIds: [],
      },
      {
        name: 'patient of another chamber',
        kind: 'patient',
        chamber: 2,
        client: other.patient,
        patientId: other.ids.patient,
        roleIds: [],
      },
      {
        name: 'staff in R',
        kind: 'staff',
        chamber: 1,
        client: w.as.nurse,
        userId: w.nurse.id,
        roleIds: [R],
      },
      {
        name: 'staff outside R',
        kind: 'staff',
        chamber: 1,
        client: w.as.receptionist,
        userId: w.receptionist.id,
        roleIds: [w.roles.builtIn, w.roles.reception],
      },
      {
        name: 'admin outside R',
        kind: 'staff',
        chamber: 1,
        client: w.as.admin,
        userId: w.chamber.admin.userId,
        roleIds: [],
        isAdmin: true,
      },
      {
        name: 'staff of another chamber',
        kind: 'staff',
        chamber: 2,
        client: other.cookie,
        userId: other.ids.user,
        roleIds: [c2.builtInRoleId],
      },
    ];
    by = Object.fromEntries(actors.map((a) => [a.name, a]));
    // The roles the product gives these actors are the ones the rule is evaluated with.
    for (const a of actors.filter((x) => x.kind === 'staff')) {
      const me = await a.client.get('/api/v1/staff/session');
      expect(me.body.user.roles.map((r: { id: string }) => r.id).sort(), a.name).toEqual(
        [...a.roleIds].sort(),
      );
    }

    // A's conversation: her question, then an internal note for R inside it.
    const a = await w.as.alice.post('/api/v1/portal/conversations', { text: 'A asks' });
    expect(a.status).toBe(201);
    const aNote = await asNoteAuthor.post(
      `/api/v1/conversations/${a.body.conversation.id}/messages`,
      {
        text: `${NOTE} (in A's conversation)`,
        shareWithPatient: false,
        roleIds: [R],
      },
    );
    expect(aNote.status, JSON.stringify(aNote.body)).toBe(201);
    const b = await w.as.bob.post('/api/v1/portal/conversations', { text: 'B asks' });
    // A conversation about A that is one internal note, shared only with R.
    const note = await asNoteAuthor.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: NOTE,
      shareWithPatient: false,
      roleIds: [R],
    });
    expect(note.status, JSON.stringify(note.body)).toBe(201);
    convs = [
      { name: "A's conversation", id: a.body.conversation.id },
      { name: "B's conversation", id: b.body.conversation.id },
      { name: 'an internal note', id: note.body.conversation.id },
      { name: "another chamber's conversation", id: other.ids.conversation! },
    ];
    const rows = await t.db.execute<{ id: string; user_id: string; conversation_id: string }>(sql`
      select n.id, n.user_id, n.conversation_id from notifications n
       where n.id = ${other.ids.notification}::uuid
          or n.conversation_id in (${sql.join(
            convs.map((c) => sql`${c.id}::uuid`),
            sql`, `,
          )})
       order by n.seq`);
    notes = rows.rows.map((n) => ({
      name: `notification of ${actors.find((x) => x.userId === n.user_id)?.name ?? (n.user_id === noteAuthor.id ? 'the notes’ author' : 'another user')} (${convs.find((c) => c.id === n.conversation_id)?.name})`,
      id: n.id,
      owner: n.user_id,
      conversationId: n.conversation_id,
    }));
    // Rule 2 and 3 made these: the patients' messages reach the built-in role (reception),
    // the notes R (the nurse), the other chamber's message its built-in role.
    expect(notes.map((n) => n.name).sort()).toEqual(
      [
        "notification of staff outside R (A's conversation)",
        "notification of the notes’ author (A's conversation)",
        "notification of staff in R (A's conversation)",
        "notification of staff outside R (B's conversation)",
        "notification of the notes’ author (B's conversation)",
        'notification of staff in R (an internal note)',
        "notification of staff of another chamber (another chamber's conversation)",
      ].sort(),
    );
    roleForNew = { 1: w.roles.builtIn, 2: c2.builtInRoleId };
    model = await storedMessages();
    // The stored audiences are the ones asked for.
    expect(visibleIn(by['patient A']!, convs[2]!.id)).toEqual([]);
    expect(messagesOf(convs[2]!.id).map((m) => [m.sharedWithPatient, m.roleIds])).toEqual([
      [false, [R]],
    ]);

    // A document the staff shared with A, for the routes that take a document id.
    const doc = await t.app.inject({
      method: 'POST',
      url: `/api/v1/patients/${w.alice.id}/documents`,
      headers: { cookie: w.as.receptionist.cookie!, ...multipart.headers },
      payload: multipart.body({ title: 'Letter', shareWithPatient: 'true' }),
    });
    expect(doc.statusCode, doc.body).toBe(201);
    staffDocument = doc.json().id;
  });

  it('every route that takes an id names a resource this matrix knows', () => {
    for (const route of t.app.routeAuth) {
      const resource = resourceOf(route.url);
      if (!resource) continue;
      expect(
        MESSAGE_BEARING.has(resource) || NOT_MESSAGE_BEARING.has(resource),
        `${key(route.method, route.url)}: is "${resource}" message-bearing? Decide here.`,
      ).toBe(true);
    }
  });

  /** The objects a route's id can name, and whether the actor may see each. */
  function objectsFor(url: string): { name: string; id: string; visible: (a: Actor) => boolean }[] {
    if (resourceOf(url) === 'conversations')
      return convs.map((c) => ({ ...c, visible: (a) => visibleIn(a, c.id).length > 0 }));
    return notes.map((n) => ({ ...n, visible: (a) => a.kind === 'staff' && a.userId === n.owner }));
  }

  const objectRoutes = () =>
    t.app.routeAuth.filter((r) => MESSAGE_BEARING.has(resourceOf(r.url) ?? ''));

  it('outside the actor’s view: 401 for the wrong session, else 404, byte for byte the answer for a missing id; nothing changes', async () => {
    const routes = objectRoutes();
    // At least the portal's and the staff app's conversation routes and the notification routes.
    expect(routes.length).toBeGreaterThanOrEqual(8);
    const before = await allCounts();
    const tally = { 401: 0, 404: 0 };
    for (const route of routes) {
      const k = key(route.method, route.url);
      for (const actor of actors) {
        for (const object of objectsFor(route.url)) {
          const visible = actor.kind === sessionKind(route.auth) && object.visible(actor);
          if (visible) continue;
          const expected = actor.kind === sessionKind(route.auth) ? 404 : 401;
          const body = bodyOf(route.method) ? (BODY[k] ?? {}) : undefined;
          const label = `${k} by ${actor.name} on ${object.name}`;
          const hidden = await send(actor, route.method, route.url.replace(':id', object.id), body);
          const missing = await send(
            actor,
            route.method,
            route.url.replace(':id', randomUUID()),
            body,
          );
          expect(hidden.status, label).toBe(expected);
          expect(hidden, label).toEqual(missing);
          expect(JSON.parse(hidden.payload), label).toEqual({
            error: {
              status: expected,
              code: expected === 404 ? 'not_found' : 'unauthenticated',
              message: expect.any(String),
            },
          });
          tally[expected] += 1;
        }
      }
    }
    expect(await allCounts()).toEqual(before);
    // Every actor kind met hidden objects: patients B and of chamber 2, staff outside R, admin.
    expect(tally[404]).toBeGreaterThanOrEqual(60);
    console.info(`object matrix: ${tally[404]} hidden (404), ${tally[401]} wrong session (401)`);
  });

  it('inside the actor’s view: the route does its work and shows exactly the messages rule 4 allows', async () => {
    let calls = 0;
    for (const route of objectRoutes()) {
      const k = key(route.method, route.url);
      for (const actor of actors) {
        for (const object of objectsFor(route.url)) {
          if (actor.kind !== sessionKind(route.auth) || !object.visible(actor)) continue;
          const label = `${k} by ${actor.name} on ${object.name}`;
          const conversationId =
            resourceOf(route.url) === 'conversations'
              ? object.id
              : notes.find((n) => n.id === object.id)!.conversationId;
          const url = route.url.replace(':id', object.id);
          calls += 1;
          if (route.method === 'GET' && url.endsWith('/assignees')) {
            // Who it may be assigned to: exactly the chamber's Active staff who can see it.
            const res = await send(actor, 'GET', url);
            expect(res.status, label).toBe(200);
            const staff = [...actors, noteAuthorActor()].filter(
              (a) => a.kind === 'staff' && a.chamber === actor.chamber,
            );
            expect(
              JSON.parse(res.payload)
                .users.map((u: { id: string }) => u.id)
                .sort(),
              label,
            ).toEqual(
              staff
                .filter((a) => visibleIn(a, conversationId).length > 0)
                .map((a) => a.userId)
                .sort(),
            );
          } else if (route.method === 'GET') {
            const res = await send(actor, 'GET', url);
            expect(res.status, label).toBe(200);
            const shown = JSON.parse(res.payload).messages.map((m: { id: string }) => m.id);
            expect(shown, label).toEqual(visibleIn(actor, conversationId).map((m) => m.id));
          } else if (url.endsWith('/messages') || url.endsWith('/reply')) {
            const body =
              actor.kind === 'patient'
                ? { text: `reply by ${actor.name}` }
                : keepAudience(actor, conversationId);
            const res = await send(actor, 'POST', url, body);
            expect(res.status, `${label}: ${res.payload}`).toBe(201);
            const id = JSON.parse(res.payload).message.id as string;
            model = await storedMessages();
            const stored = model.find((m) => m.id === id)!;
            // Rule 2 (a patient's message: the patient and the Role for new messages) and rule 3.
            expect(
              {
                shared: stored.sharedWithPatient,
                roles: stored.roleIds,
                conv: stored.conversationId,
              },
              label,
            ).toEqual(
              'shareWithPatient' in body
                ? {
                    shared: body.shareWithPatient,
                    roles: [...body.roleIds].sort(),
                    conv: conversationId,
                  }
                : { shared: true, roles: [roleForNew[actor.chamber]], conv: conversationId },
            );
          } else if (route.method === 'PATCH') {
            // Assign to me (the compare-and-set of rule 11), then unassign: the state is kept.
            const mine = await send(actor, 'PATCH', url, {
              assigneeId: actor.userId,
              expectedAssigneeId: null,
            });
            expect(mine.status, `${label}: ${mine.payload}`).toBe(200);
            expect(JSON.parse(mine.payload).assignee, label).toEqual({
              id: actor.userId,
              name: expect.any(String),
            });
            const none = await send(actor, 'PATCH', url, {
              assigneeId: null,
              expectedAssigneeId: actor.userId,
            });
            expect(JSON.parse(none.payload).assignee, label).toBeNull();
          } else {
            const res = await send(actor, 'POST', url, {});
            expect(res.status, `${label}: ${res.payload}`).toBe(200);
          }
        }
      }
    }
    expect(calls).toBeGreaterThanOrEqual(20);
    console.info(`object matrix: ${calls} visible (the route's work)`);
    // The replies showed each conversation to nobody new: the objects keep their audiences.
    for (const c of convs.slice(0, 3)) {
      expect(
        actors.filter((a) => visibleIn(a, c.id).length > 0).map((a) => a.name),
        c.name,
      ).toEqual(
        c.name === "A's conversation"
          ? ['patient A', 'staff in R', 'staff outside R']
          : c.name === "B's conversation"
            ? ['patient B', 'staff outside R']
            : ['staff in R'],
      );
    }
  });

  it('lists show what rule 4 allows: the Feed, the Inbox, the Start Page’s notifications', async () => {
    model = await storedMessages();
    const lastVisible = (a: Actor, patientId: string) => {
      const out = new Map<string, string>();
      for (const m of model.filter((x) => x.patientId === patientId && sees(a, x)))
        out.set(m.conversationId, m.id);
      return out;
    };
    const summaries = (body: { conversations: { id: string; lastMessage: { id: string } }[] }) =>
      new Map(body.conversations.map((c) => [c.id, c.lastMessage.id]));

    for (const actor of actors.filter((a) => a.kind === 'staff' && a.chamber === 1)) {
      for (const patient of [w.alice, w.bob]) {
        const feed = await actor.client.get(`/api/v1/patients/${patient.id}/feed?limit=100`);
        expect(feed.status).toBe(200);
        expect(summaries(feed.body), `Feed of ${patient.name} for ${actor.name}`).toEqual(
          lastVisible(actor, patient.id),
        );
      }
    }
    for (const actor of actors.filter((a) => a.kind === 'patient')) {
      const inbox = await actor.client.get('/api/v1/portal/conversations?limit=100');
      expect(inbox.status).toBe(200);
      expect(summaries(inbox.body), `Inbox of ${actor.name}`).toEqual(
        lastVisible(actor, actor.patientId!),
      );
    }
    // The internal note is in the nurse's Feed, and nowhere in the others'.
    const nurseFeed = await by['staff in R']!.client.get(`/api/v1/patients/${w.alice.id}/feed`);
    expect(nurseFeed.body.conversations.map((c: { id: string }) => c.id)).toContain(convs[2]!.id);

    for (const actor of actors.filter((a) => a.kind === 'staff')) {
      const list = await actor.client.get('/api/v1/notifications');
      expect(list.status).toBe(200);
      const mine = await t.db.execute<{ id: string; read_at: unknown }>(sql`
        select id, read_at from notifications where user_id = ${actor.userId}::uuid order by seq desc limit 20`);
      expect(
        list.body.notifications.map((n: { id: string }) => n.id),
        `notifications of ${actor.name}`,
      ).toEqual(mine.rows.map((r) => r.id));
      const items = list.body.notifications as {
        kind: string;
        messageId: string | null;
        patient: unknown;
        preview: string | null;
      }[];
      // An access change (issue 17: "Admin User added … to …") tells of no message or patient.
      for (const n of items.filter((x) => x.kind === 'access_change'))
        expect([n.messageId, n.patient, n.preview]).toEqual([null, null, null]);
      for (const n of items.filter((x) => x.kind !== 'access_change')) {
        const m = model.find((x) => x.id === n.messageId)!;
        expect(sees(actor, m), `${actor.name} notified of a message they may not see`).toBe(true);
        expect(n.preview).toBe(m.text.replace(/\s+/g, ' ').trim().slice(0, 140));
      }
      const count = await actor.client.get('/api/v1/notifications/unread-count');
      expect(count.body.unreadCount).toBe(mine.rows.filter((r) => r.read_at === null).length);
    }
    const noteIds = model.filter((m) => m.text.startsWith(NOTE)).map((m) => m.id);
    const nurseNotes = await by['staff in R']!.client.get('/api/v1/notifications');
    expect(
      nurseNotes.body.notifications.filter((n: { messageId: string }) =>
        noteIds.includes(n.messageId),
      ),
    ).toHaveLength(2);
  });

  it('the internal note’s text is in no answer of any GET route for anyone outside R, in any search', async () => {
    const QUERY: Record<string, string> = {
      'GET /api/v1/patients': `?query=${encodeURIComponent('Archer')}`,
      'GET /api/v1/quick-replies': `?patientId=${w.alice.id}`,
      'GET /api/v1/search': `?q=${encodeURIComponent(NOTE)}`,
      'GET /api/v1/portal/search': `?q=${encodeURIComponent(NOTE)}`,
      'GET /api/v1/admin/reports/reply-times': '?from=2026-01-01&to=2026-12-31&groupBy=role',
      'GET /api/v1/admin/reports/reply-times.csv': '?from=2026-01-01&to=2026-12-31&groupBy=topic',
    };
    const ids = (url: string): string[] => {
      const resource = resourceOf(url);
      if (!resource) return [''];
      const found: Record<string, string[]> = {
        conversations: convs.map((c) => c.id),
        patients: [w.alice.id, w.bob.id],
        roles: [R],
        documents: [staffDocument],
      };
      const list = found[resource];
      if (!list) throw new Error(`${url}: which ids should the leak check use?`);
      return list;
    };
    const answered = new Set<string>();
    let calls = 0;
    for (const route of t.app.routeAuth.filter(
      // The second step answers only half-signed-in sessions (their own test below).
      (r) =>
        r.method === 'GET' &&
        r.auth !== 'public' &&
        r.auth !== 'stream' &&
        r.auth !== 'staff-pending',
    )) {
      const k = key(route.method, route.url);
      for (const actor of actors.filter(
        (a) => a.kind === sessionKind(route.auth) && a.name !== 'staff in R',
      )) {
        for (const id of ids(route.url)) {
          const url = route.url.replace(':id', id) + (QUERY[k] ?? '');
          const res = await send(actor, 'GET', url);
          calls += 1;
          expect([200, 403, 404], `${k} by ${actor.name}: ${res.payload}`).toContain(res.status);
          expect(res.payload, `${url} by ${actor.name}`).not.toContain(NOTE);
          if (res.status === 200) answered.add(k);
        }
      }
      // Every GET route answered somebody, so the check above read real answers.
      expect(answered.has(k), `${k} answered nobody`).toBe(true);
    }
    // A search for the note's words finds nothing either.
    for (const actor of actors.filter((a) => a.kind === 'staff')) {
      const res = await actor.client.get(`/api/v1/patients?query=${encodeURIComponent(NOTE)}`);
      expect(res.status).toBe(200);
      expect(res.body.patients).toEqual([]);
    }
    // Search (rule 16): the note's text and each of its words, by every staff user outside R
    // (the admin and another chamber's staff too) and by every patient, find no message they
    // may not see, and no snippet holds the note's text.
    model = await storedMessages();
    const noteMessages = model.filter((m) => m.text.startsWith(NOTE));
    expect(noteMessages.length).toBeGreaterThanOrEqual(2);
    const noteWords = [NOTE, ...NOTE.split(/[\s-]+/)];
    const noteId = NOTE.slice('Internal note '.length);
    /** The answer as sent, and the snippets' texts as shown (marked words split a text). */
    const shown = (payload: string) =>
      payload +
      (JSON.parse(payload).results as { snippet: { text: string }[] }[])
        .map((r) => r.snippet.map((p) => p.text).join(''))
        .join('\n');
    let searches = 0;
    for (const actor of actors.filter((a) => a.kind !== 'anonymous' && a.name !== 'staff in R')) {
      for (const words of noteWords) {
        const path = actor.kind === 'patient' ? '/api/v1/portal/search' : '/api/v1/search';
        const res = await send(actor, 'GET', `${path}?q=${encodeURIComponent(words)}`);
        searches += 1;
        const label = `search for "${words}" by ${actor.name}`;
        expect(res.status, label).toBe(200);
        const found = JSON.parse(res.payload).results as { messageId: string }[];
        for (const r of found) {
          const m = model.find((x) => x.id === r.messageId);
          expect(m && sees(actor, m), `${label} found ${r.messageId}`).toBe(true);
        }
        expect(
          found.filter((r) => noteMessages.some((m) => m.id === r.messageId)),
          label,
        ).toEqual([]);
        expect(shown(res.payload), label).not.toContain(noteId);
      }
    }
    // The check can fail: the same searches find the notes for staff in R, with their text.
    // (By its words and its whole id: a part of the id alone may be read as another token,
    // "2e07f610" as a number in scientific notation, and then find nothing, for anyone.)
    const inR = by['staff in R']!;
    for (const words of [NOTE, 'Internal', 'note', noteId]) {
      const res = await send(inR, 'GET', `/api/v1/search?q=${encodeURIComponent(words)}`);
      const found = (JSON.parse(res.payload).results as { messageId: string }[]).map(
        (r) => r.messageId,
      );
      expect(found, `search for "${words}" by staff in R`).toEqual(
        expect.arrayContaining(noteMessages.filter((m) => sees(inR, m)).map((m) => m.id)),
      );
      expect(shown(res.payload), `search for "${words}" by staff in R`).toContain(NOTE);
    }
    console.info(`leak check: ${searches} searches for the note's words outside R`);

    // The check can fail: the same routes show the note to staff in R.
    const nurse = by['staff in R']!;
    expect((await send(nurse, 'GET', `/api/v1/conversations/${convs[2]!.id}`)).payload).toContain(
      NOTE,
    );
    expect((await send(nurse, 'GET', '/api/v1/notifications')).payload).toContain(NOTE);
    console.info(`leak check: ${calls} GET answers, ${answered.size} routes`);
  });

  it('FHIR: without the internal scope, a note is absent from searches and its id answers as a missing one', async () => {
    const plain = await getToken(
      t.app,
      await createIntegration(w.as.admin, 'Matrix plain', [
        'system/Communication.read',
        'system/Patient.read',
      ]),
    );
    const internal = await getToken(t.app, await createIntegration(w.as.admin, 'Matrix internal'));
    model = await storedMessages();
    const mine = model.filter((m) => m.chamber === 1);
    const conversationIds = [...new Set(mine.map((m) => m.conversationId))];
    let calls = 0;
    for (const route of t.app.routeAuth.filter(
      (r) => r.method === 'GET' && r.url.startsWith('/fhir/R4/Communication'),
    )) {
      if (route.url.endsWith('/:id')) {
        for (const id of [...mine.map((m) => m.id), ...conversationIds]) {
          const message = mine.find((m) => m.id === id);
          const shownToPlain = message
            ? message.sharedWithPatient
            : mine.some((m) => m.conversationId === id && m.sharedWithPatient);
          const res = await fhirGet(t.app, plain, route.url.replace(':id', id));
          calls += 1;
          if (shownToPlain) {
            expect(res.status).toBe(200);
          } else {
            const missing = await fhirGet(t.app, plain, route.url.replace(':id', randomUUID()));
            expect(res.status).toBe(404);
            expect(res.raw).toBe(missing.raw);
          }
          expect(res.raw).not.toContain(NOTE);
          expect((await fhirGet(t.app, internal, route.url.replace(':id', id))).status).toBe(200);
        }
      } else {
        const url = `${route.url}?patient=${w.alice.id}&_count=100`;
        const shown = await fhirGet(t.app, plain, url);
        expect(shown.status).toBe(200);
        expect(shown.raw).not.toContain(NOTE);
        const entries = (shown.body.entry ?? []).map(
          (e: { resource: { id: string } }) => e.resource.id,
        );
        for (const m of mine.filter((x) => x.patientId === w.alice.id))
          expect(entries.includes(m.id), m.text).toBe(m.sharedWithPatient);
        expect(entries).not.toContain(convs[2]!.id);
        // With the scope, the note is there: the check above can fail.
        expect((await fhirGet(t.app, internal, url)).raw).toContain(NOTE);
      }
    }
    expect(calls).toBeGreaterThan(10);
  });

  /** What SPEC rule 1 asks of each portal route: every condition, all but the messaging tick, or none. */
  const RULE1: Record<string, 'messaging' | 'portal' | 'session'> = {
    'GET /api/v1/portal/session': 'session',
    'DELETE /api/v1/portal/session': 'session',
    'GET /api/v1/portal/conversations': 'messaging',
    'POST /api/v1/portal/conversations': 'messaging',
    'GET /api/v1/portal/conversations/:id': 'messaging',
    'POST /api/v1/portal/conversations/:id/messages': 'messaging',
    'POST /api/v1/portal/conversations/:id/read': 'messaging',
    // What the New message form asks ("What is your message about?"): messaging's own.
    'GET /api/v1/portal/topics': 'messaging',
    // "The clinic aims to reply by …" is said before sending a message: messaging's own.
    'GET /api/v1/portal/reply-time': 'messaging',
    'POST /api/v1/portal/documents': 'messaging',
    'GET /api/v1/portal/documents': 'portal',
    'GET /api/v1/portal/documents/:id/content': 'portal',
    'GET /api/v1/portal/medical-data': 'portal',
    // Search finds messages: messaging's own.
    'GET /api/v1/portal/search': 'messaging',
    // Rule 18: whom the account acts for, and the patient's own proxies, are the account's.
    'GET /api/v1/portal/acting-for': 'session',
    'PUT /api/v1/portal/acting-for': 'session',
    'GET /api/v1/portal/proxies': 'session',
    'DELETE /api/v1/portal/proxies/:id': 'session',
  };
  /** What a portal route needs besides its id to reach rule 1's check. */
  const RULE1_QUERY: Record<string, string> = { 'GET /api/v1/portal/search': '?q=results' };

  /** The app's address, listening on loopback from the first call on. */
  async function listening(): Promise<string> {
    if (!t.app.server.listening) await t.app.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  }

  /** The newest id of a chamber's event log (an event's id is its place in it), for Last-Event-ID. */
  const newestEvent = async (chamberId: string) =>
    String(
      (
        await t.db.execute<{ seq: string | number | null }>(
          sql`select max(seq) as seq from live_events where chamber_id = ${chamberId}::uuid`,
        )
      ).rows[0]?.seq ?? 0,
    );

  /** Routes that do not yet refuse as RULE1 says: each has its own failing test below. */
  let rule1Cases: { actor: Actor; code: EligibilityCode }[] = [];

  it('rule 1: a patient who may not message gets 403 with the reason on every messaging route, whatever the id, storing nothing', async () => {
    expect(Object.keys(RULE1).sort(), 'every portal route says what rule 1 asks of it').toEqual(
      t.app.routeAuth
        .filter((r) => r.auth === 'patient')
        .map((r) => key(r.method, r.url))
        .sort(),
    );
    const c = w.chamber;
    const noMessaging = await createBand(t, c, {
      name: 'Online, no messaging',
      online: 'allow_no_notifications',
      messaging: false,
    });
    const goingOffline = await createBand(t, c, { name: 'Going offline', messaging: true });
    const carol = await createPatient(t, c, {
      bandId: noMessaging,
      given: 'Carol',
      family: 'Cole',
    });
    const dan = await createPatient(t, c, { bandId: goingOffline, given: 'Dan', family: 'Dale' });
    await t.services.bands.setOnlineAccess(c.admin, goingOffline, 'none');
    const cases: { actor: Actor; code: EligibilityCode; own: string }[] = [];
    for (const [p, code] of [
      [carol, 'messaging_not_allowed'],
      [dan, 'band_not_online'],
    ] as const) {
      // Staff still write to them (rule 1 hides the Inbox, it does not silence the clinic).
      const started = await w.as.receptionist.post(`/api/v1/patients/${p.id}/conversations`, {
        text: `For ${p.name}`,
        shareWithPatient: true,
        roleIds: [],
      });
      expect(started.status).toBe(201);
      cases.push({
        actor: {
          name: p.name,
          kind: 'patient',
          chamber: 1,
          client: await patientClient(t, c, p.email),
          patientId: p.id,
          roleIds: [],
        },
        code,
        own: started.body.conversation.id,
      });
    }

    const before = await allCounts();
    let refusals = 0;
    for (const { actor, code, own } of cases) {
      for (const route of t.app.routeAuth.filter((r) => r.auth === 'patient')) {
        const k = key(route.method, route.url);
        const need = RULE1[k]!;
        if (need === 'session') continue;
        const refused = need === 'messaging' || code === 'band_not_online';
        if (!refused) continue;
        const resource = resourceOf(route.url);
        const ids =
          resource === 'conversations'
            ? [own, convs[0]!.id, randomUUID()]
            : resource === 'documents'
              ? [staffDocument, randomUUID()]
              : [''];
        const answers: Answer[] = [];
        for (const id of ids) {
          const url = route.url.replace(':id', id) + (RULE1_QUERY[k] ?? '');
          answers.push(
            k === 'POST /api/v1/portal/documents'
              ? await sendForm(actor, url)
              : await send(
                  actor,
                  route.method,
                  url,
                  bodyOf(route.method) ? (BODY[k] ?? {}) : undefined,
                ),
          );
        }
        const label = `${k} by ${actor.name}`;
        for (const a of answers) expect(a, label).toEqual(answers[0]);
        expect(answers[0]!.status, label).toBe(403);
        expect(JSON.parse(answers[0]!.payload), label).toEqual({
          error: {
            status: 403,
            code,
            message:
              need === 'messaging'
                ? ELIGIBILITY_MESSAGES[code]
                : ELIGIBILITY_MESSAGES[code].replace(
                    'so messages cannot be sent',
                    'so the portal cannot be used',
                  ),
          },
        });
        refusals += answers.length;
      }
    }
    rule1Cases = cases;
    expect(await allCounts()).toEqual(before);
    // The send and reply routes are among them, for both reasons.
    expect(refusals).toBeGreaterThanOrEqual(2 * 12);
    console.info(`rule 1: ${refusals} refusals, identical whatever the id`);

    // What rule 1 leaves them: the session says why there is no Inbox; Carol keeps her portal.
    for (const { actor, code } of cases) {
      const me = await actor.client.get('/api/v1/portal/session');
      expect(me.status).toBe(200);
      expect(me.body.messaging).toEqual({
        allowed: false,
        reason: code,
        message: ELIGIBILITY_MESSAGES[code],
      });
    }
    const carolClient = cases[0]!.actor.client;
    for (const url of ['/api/v1/portal/documents', '/api/v1/portal/medical-data'])
      expect((await carolClient.get(url)).status, url).toBe(200);
  });

  it('rule 1: GET /api/v1/portal/topics refuses a patient who may not message, with the reason', async () => {
    expect(rule1Cases).toHaveLength(2);
    for (const { actor, code } of rule1Cases) {
      const res = await send(actor, 'GET', '/api/v1/portal/topics');
      expect(res.status, `${actor.name}: ${res.payload}`).toBe(403);
      expect(JSON.parse(res.payload).error.code, actor.name).toBe(code);
    }
  });

  it('live events: a message for R reaches R’s members, never staff outside R, the admin or the patient', async () => {
    const base = await listening();
    const from = { 1: await newestEvent(w.chamber.id), 2: await newestEvent(other.chamber.id) };
    const listeners = actors.filter((a) => a.kind !== 'anonymous');
    // From a known position (Last-Event-ID), so no message can slip by before a stream is open.
    const streams = new Map(
      listeners.map((a) => [
        a.name,
        openEventStream(`${base}/api/v1/events`, {
          cookie: a.client.cookie!,
          'last-event-id': from[a.chamber],
        }),
      ]),
    );
    try {
      const asNoteAuthor = await staffClient(t, w.chamber, noteAuthor.email);
      const sent: string[] = [];
      const post = async (c: Client, url: string, body: unknown) => {
        const res = await c.post(url, body);
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        sent.push(res.body.message.id);
      };
      // Notes for R first, then messages that other listeners must hear, so that hearing
      // them proves the notes went by.
      await post(asNoteAuthor, `/api/v1/conversations/${convs[0]!.id}/messages`, {
        text: `${NOTE} live`,
        shareWithPatient: false,
        roleIds: [R],
      });
      await post(asNoteAuthor, `/api/v1/patients/${w.alice.id}/conversations`, {
        text: `${NOTE} live, new`,
        shareWithPatient: false,
        roleIds: [R],
      });
      await post(w.as.alice, `/api/v1/portal/conversations/${convs[0]!.id}/messages`, {
        text: 'live, from A',
      });
      await post(asNoteAuthor, `/api/v1/conversations/${convs[0]!.id}/messages`, {
        text: 'live, to A, reception and R',
        shareWithPatient: true,
        roleIds: [w.roles.builtIn, R],
      });
      await post(w.as.admin, `/api/v1/patients/${w.bob.id}/conversations`, {
        text: 'live, to B only',
        shareWithPatient: true,
        roleIds: [],
      });
      model = await storedMessages();
      const expected = (a: Actor) =>
        model.filter((m) => sent.includes(m.id) && sees(a, m)).map((m) => m.id);
      for (const a of listeners) {
        const want = expected(a);
        const last = want.at(-1);
        if (last)
          await streams
            .get(a.name)!
            .waitFor((e) => e.some((x) => x.event === 'message' && x.data?.messageId === last));
      }
      // The last message went to every stream in the same pass; give the sockets a moment.
      await new Promise((r) => setTimeout(r, 300));
      for (const a of listeners) {
        const heard = streams
          .get(a.name)!
          .messages()
          .map((e) => e.data.messageId as string);
        expect(heard, a.name).toEqual(expected(a));
        expect(JSON.stringify(streams.get(a.name)!.events), a.name).not.toContain(NOTE);
      }
      // Not vacuous: R heard both notes, and the others heard something.
      expect(expected(by['staff in R']!).slice(0, 2)).toEqual(sent.slice(0, 2));
      for (const name of ['patient A', 'patient B', 'staff outside R', 'admin outside R'])
        expect(expected(by[name]!).length, name).toBeGreaterThan(0);
    } finally {
      for (const s of streams.values()) s.close();
    }
  });

  it('the team inbox: each staff user’s views and filters hold exactly the conversations rule 4 lets them see, each with the last message they may see', async () => {
    model = await storedMessages();
    let rows = 0;
    for (const actor of actors.filter((a) => a.kind === 'staff')) {
      const expected = new Map<string, string>();
      for (const m of model.filter((x) => sees(actor, x))) expected.set(m.conversationId, m.id);
      const lists: Record<string, Map<string, string>> = {};
      for (const query of [
        'view=open',
        'view=closed',
        'view=mine',
        'view=unassigned',
        ...[w.roles.builtIn, w.roles.reception, R].map((r) => `roleId=${r}`),
        `roleId=${roleForNew[2]}`,
      ]) {
        const role = /^roleId=(.+)$/.exec(query)?.[1];
        if (role && !actor.roleIds.includes(role)) {
          // Filtering by a role they do not hold would tell which conversations have a
          // message shared with it: refused, whatever the role.
          const refused = await send(actor, 'GET', `/api/v1/inbox?${query}`);
          expect(refused.status, `${query} by ${actor.name}`).toBe(422);
          expect(JSON.parse(refused.payload).error).toMatchObject({
            code: 'role_not_held',
            field: 'roleId',
          });
          continue;
        }
        const shown = new Map<string, string>();
        let cursor: string | null = null;
        do {
          const url: string = `/api/v1/inbox?${query}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
          const res = await send(actor, 'GET', url);
          expect(res.status, `${url} by ${actor.name}`).toBe(200);
          if (actor !== by['staff in R'])
            expect(res.payload, `${url} by ${actor.name}`).not.toContain(NOTE);
          const body = JSON.parse(res.payload) as {
            conversations: { id: string; lastMessage: { id: string } }[];
            nextCursor: string | null;
          };
          for (const c of body.conversations) {
            expect(shown.has(c.id), `${url}: ${c.id} twice`).toBe(false);
            shown.set(c.id, c.lastMessage.id);
          }
          cursor = body.nextCursor;
        } while (cursor);
        lists[query] = shown;
        // Every row is a conversation they may see, showing the last message they may see.
        for (const [id, last] of shown)
          expect(last, `${query} by ${actor.name}: ${id}`).toBe(expected.get(id));
        rows += shown.size;
      }
      // Open and Closed together are every conversation in which they may see a message.
      expect(new Map([...lists['view=open']!, ...lists['view=closed']!]), actor.name).toEqual(
        expected,
      );
    }
    // Not vacuous: R's inbox shows a note's preview and the note's conversation; reception's neither.
    const inR = await by['staff in R']!.client.get('/api/v1/inbox?limit=100');
    expect(JSON.stringify(inR.body)).toContain(NOTE);
    expect(inR.body.conversations.map((c: { id: string }) => c.id)).toContain(convs[2]!.id);
    const outside = await by['staff outside R']!.client.get('/api/v1/inbox?limit=100');
    expect(outside.body.conversations.map((c: { id: string }) => c.id)).not.toContain(convs[2]!.id);
    expect(rows).toBeGreaterThan(20);
  });

  it('topic ids: another chamber’s, a deleted one and a missing one answer the same 404, byte for byte, changing nothing', async () => {
    const made = await w.as.admin.post('/api/v1/admin/topics', {
      name: 'Soon deleted',
      roleId: R,
    });
    expect(made.status).toBe(201);
    expect((await w.as.admin.delete(`/api/v1/admin/topics/${made.body.id}`)).status).toBe(200);
    const admin = by['admin outside R']!;
    const before = await allCounts();
    let calls = 0;
    for (const route of t.app.routeAuth.filter((r) => resourceOf(r.url) === 'topics')) {
      const k = key(route.method, route.url);
      const body = bodyOf(route.method) ? (BODY[k] ?? {}) : undefined;
      const missing = await send(admin, route.method, route.url.replace(':id', randomUUID()), body);
      expect(missing.status, k).toBe(404);
      for (const id of [other.ids.topic!, made.body.id as string]) {
        expect(await send(admin, route.method, route.url.replace(':id', id), body), k).toEqual(
          missing,
        );
        calls += 1;
      }
    }
    expect(calls).toBe(4);
    expect(await allCounts()).toEqual(before);
  });

  it('live events: conversation.updated reaches the staff who can see the conversation, and its patient only for a change of status', async () => {
    const base = await listening();
    const asNoteAuthor = await staffClient(t, w.chamber, noteAuthor.email);
    const author = noteAuthorActor(asNoteAuthor);
    const listeners = [...actors.filter((a) => a.kind !== 'anonymous'), author];
    const from = { 1: await newestEvent(w.chamber.id), 2: await newestEvent(other.chamber.id) };
    const streams = new Map(
      listeners.map((a) => [
        a.name,
        openEventStream(`${base}/api/v1/events`, {
          cookie: a.client.cookie!,
          'last-event-id': from[a.chamber],
        }),
      ]),
    );
    try {
      model = await storedMessages();
      const a = convs[0]!.id;
      const b = convs[1]!.id;
      const note = convs[2]!.id;
      // Each change: the conversation, who makes it, and whether its status changes.
      const changes: { conv: string; by: Client; body: object; status: boolean }[] = [
        { conv: note, by: asNoteAuthor, body: { assigneeId: noteAuthor.id }, status: false },
        { conv: note, by: asNoteAuthor, body: { assigneeId: null }, status: false },
        { conv: a, by: w.as.receptionist, body: { assigneeId: w.receptionist.id }, status: false },
        { conv: a, by: w.as.receptionist, body: { status: 'closed' }, status: true },
        {
          conv: a,
          by: w.as.receptionist,
          body: { status: 'open', assigneeId: null },
          status: true,
        },
        { conv: b, by: w.as.receptionist, body: { status: 'closed' }, status: true },
        { conv: b, by: w.as.receptionist, body: { status: 'open' }, status: true },
      ];
      for (const c of changes) {
        const res = await c.by.patch(`/api/v1/conversations/${c.conv}`, c.body);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      const expected = (l: Actor) =>
        changes
          .filter((c) => visibleIn(l, c.conv).length > 0 && (l.kind === 'staff' || c.status))
          .map((c) => c.conv);
      for (const l of listeners) {
        const want = expected(l);
        if (want.length > 0)
          await streams
            .get(l.name)!
            .waitFor(
              (e) => e.filter((x) => x.event === 'conversation.updated').length >= want.length,
            );
      }
      // The last change went to every stream in the same pass; give the sockets a moment.
      await new Promise((r) => setTimeout(r, 300));
      for (const l of listeners) {
        const heard = streams
          .get(l.name)!
          .events.filter((e) => e.event === 'conversation.updated')
          .map((e) => (l.kind === 'patient' ? e.data.conversationId : e.data.conversation.id));
        expect(heard, l.name).toEqual(expected(l));
        expect(JSON.stringify(streams.get(l.name)!.events), l.name).not.toContain(NOTE);
      }
      // Not vacuous: R heard the note's conversation, reception and both patients heard theirs.
      expect(expected(by['staff in R']!)).toContain(note);
      expect(expected(by['staff outside R']!)).toEqual([a, a, a, b, b]);
      expect(expected(by['patient A']!)).toEqual([a, a]);
      expect(expected(by['admin outside R']!)).toEqual([]);
      // A patient's event is status and reply-by only.
      const patientEvent = streams
        .get('patient A')!
        .events.find((e) => e.event === 'conversation.updated')!;
      expect(Object.keys(patientEvent.data).sort()).toEqual([
        'conversationId',
        'replyBy',
        'status',
      ]);
    } finally {
      for (const s of streams.values()) s.close();
    }
  });

  it('live events: "is replying…" reaches, within a second, the staff who can see the conversation, never its writer, a patient or anyone else', async () => {
    const base = await listening();
    const asNoteAuthor = await staffClient(t, w.chamber, noteAuthor.email);
    const author = noteAuthorActor(asNoteAuthor);
    const listeners = [...actors.filter((a) => a.kind !== 'anonymous'), author];
    const streams = new Map(
      listeners.map((a) => [
        a.name,
        openEventStream(`${base}/api/v1/events`, { cookie: a.client.cookie! }),
      ]),
    );
    try {
      // Typing is fleeting: every stream must be subscribed before anyone types.
      for (const s of streams.values()) await s.waitFor(() => s.status === 200);
      await new Promise((r) => setTimeout(r, 300));
      model = await storedMessages();
      const typists: { actor: Actor; conv: string }[] = [
        { actor: author, conv: convs[2]!.id },
        { actor: by['staff outside R']!, conv: convs[0]!.id },
        { actor: by['staff in R']!, conv: convs[0]!.id },
      ];
      const started = new Map<string, number>();
      for (const { actor, conv } of typists) {
        started.set(`${actor.userId}:${conv}`, Date.now());
        const res = await actor.client.post(`/api/v1/conversations/${conv}/typing`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      }
      const expected = (l: Actor) =>
        typists
          .filter(
            ({ actor, conv }) =>
              l.kind === 'staff' && l.userId !== actor.userId && visibleIn(l, conv).length > 0,
          )
          .map(({ actor, conv }) => `${actor.userId}:${conv}`);
      const arrived = new Map<string, number>();
      for (const l of listeners) {
        const want = expected(l);
        const s = streams.get(l.name)!;
        for (const k of want) {
          await s.waitFor(
            (e) =>
              e.some(
                (x) =>
                  x.event === 'conversation.typing' &&
                  `${x.data.user.id}:${x.data.conversationId}` === k,
              ),
            1000,
          );
          arrived.set(k, Math.max(arrived.get(k) ?? 0, Date.now() - started.get(k)!));
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      for (const l of listeners) {
        const heard = streams
          .get(l.name)!
          .events.filter((e) => e.event === 'conversation.typing')
          .map((e) => `${e.data.user.id}:${e.data.conversationId}`);
        expect(heard, l.name).toEqual(expected(l));
        expect(JSON.stringify(streams.get(l.name)!.events), l.name).not.toContain(NOTE);
      }
      // Not vacuous: R heard the note's author in the note; reception heard the nurse in A's.
      expect(expected(by['staff in R']!)).toHaveLength(2);
      expect(expected(by['staff outside R']!)).toHaveLength(1);
      expect(expected(by['patient A']!)).toEqual([]);
      for (const [k, ms] of arrived) expect(ms, k).toBeLessThan(1000);
    } finally {
      for (const s of streams.values()) s.close();
    }
  });

  it('live events: a patient hears nothing of a conversation they cannot see, even of its closing', async () => {
    const base = await listening();
    const asNoteAuthor = await staffClient(t, w.chamber, noteAuthor.email);
    const alice = openEventStream(`${base}/api/v1/events?as=patient`, {
      cookie: w.as.alice.cookie!,
    });
    const nurse = openEventStream(`${base}/api/v1/events`, { cookie: w.as.nurse.cookie! });
    try {
      await alice.waitFor(() => alice.status === 200);
      await nurse.waitFor(() => nurse.status === 200);
      await new Promise((r) => setTimeout(r, 300));
      const note = convs[2]!.id;
      // Closed, reopened, and closed by Send and close: all inside the nurses' note.
      for (const body of [{ status: 'closed' }, { status: 'open' }]) {
        expect((await asNoteAuthor.patch(`/api/v1/conversations/${note}`, body)).status).toBe(200);
      }
      const sent = await asNoteAuthor.post(`/api/v1/conversations/${note}/messages`, {
        text: `${NOTE} and close`,
        shareWithPatient: false,
        roleIds: [R],
        close: true,
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      // Then something she may hear, so that hearing it proves the rest went by.
      const own = await w.as.receptionist.patch(`/api/v1/conversations/${convs[0]!.id}`, {
        status: 'closed',
      });
      expect(own.status).toBe(200);
      await alice.waitFor((e) => e.some((x) => x.data?.conversationId === convs[0]!.id));
      await nurse.waitFor((e) => e.some((x) => x.data?.messageId === sent.body.message.id));
      await new Promise((r) => setTimeout(r, 300));
      expect(JSON.stringify(alice.events)).not.toContain(note);
      expect(alice.events.map((e) => [e.event, e.data?.conversationId])).toEqual([
        ['conversation.updated', convs[0]!.id],
      ]);
      // The nurses heard every change of their note's conversation.
      expect(
        nurse.events.filter(
          (e) => e.event === 'conversation.updated' && e.data.conversation.id === note,
        ).length,
      ).toBeGreaterThanOrEqual(1);
    } finally {
      alice.close();
      nurse.close();
      await w.as.receptionist.patch(`/api/v1/conversations/${convs[0]!.id}`, { status: 'open' });
    }
  });
});
