import type { AddressInfo } from 'node:net';
import { createIntegration, fhirGet, getToken } from '../fhir/fhir-test-support.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client, type Reply } from '../../test/http.js';
import {
  PASSWORD,
  createBand,
  createChamber,
  createPatient,
  createWorld,
  patientClient,
  staffClient,
  takeLink,
  type World,
} from '../../test/factories.js';
import { openEventStream, type EventStream } from '../../test/sse.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

/**
 * Proxy access (SPEC rule 18): Add Proxy and Remove Proxy on the Patient Record, Acting for in
 * the portal, writes made for the patient acted for, rule 1 for a proxy, and the end of a proxy
 * (removed, or past its end date) ending its access at once, open event streams included.
 */

const MISSING = '00000000-0000-4000-8000-000000000000';
// A minimal, valid PDF: its first bytes are what the type check reads.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

let t: TestApp;
let w: World;
let base: string;
const streams: EventStream[] = [];

/** People of the chamber besides Alice and Bob, made in beforeAll. */
let carol: { id: string; email: string; name: string };
let charlie: { id: string; email: string; name: string };
/** A patient who had no account until Add Proxy made her Bob's proxy. */
let eve: { id: string; email: string; name: string };
/** Charlie's conversation and document, shared with him by staff. */
let charlieConversation: string;
let charlieDocument: string;

beforeAll(async () => {
  // Streams notice an ended proxy at the next event or heartbeat: a short heartbeat, no poll.
  t = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
  w = await createWorld(t);
  carol = await createPatient(t, w.chamber, { bandId: w.band, given: 'Carol', family: 'Carter' });
  // Charlie has no portal account and no email: only his mother acts for him.
  charlie = await createPatient(t, w.chamber, {
    bandId: w.band,
    given: 'Charlie',
    family: 'Carter',
    email: null,
    account: 'none',
    dateOfBirth: '2015-06-01',
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  streams.forEach((s) => s.close());
  await t?.close();
});

async function n(query: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(sql.raw(query));
  return Number(r.rows[0]?.n);
}

/** What a refused request must leave as it was. */
async function tableCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of [
    'patient_proxies',
    'portal_accounts',
    'account_tokens',
    'patients',
    'jobs',
    'audit_events',
    'sessions',
    'conversations',
    'messages',
  ])
    out[table] = await n(`select count(*) as n from ${table}`);
  out.proxies_in_force = await n(
    'select count(*) as n from patient_proxies where ended_at is null',
  );
  return out;
}

function expectError(res: Reply, status: number, code: string, field?: string): void {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({ status, code });
  expect(typeof res.body.error.message).toBe('string');
  if (field === undefined) expect(res.body.error.field).toBeUndefined();
  else expect(res.body.error.field).toBe(field);
}

const addProxy = (
  patientId: string,
  body: Record<string, unknown>,
  as: Client = w.as.receptionist,
) => as.post(`/api/v1/patients/${patientId}/proxies`, body);

/** A new person invited by Add Proxy sets their password with the emailed link and signs in. */
async function acceptInvitation(email: string): Promise<Client> {
  const token = await takeLink(t, email);
  const set = await client(t.app).post('/api/v1/portal/password', { token, password: PASSWORD });
  expect(set.status, JSON.stringify(set.body)).toBe(200);
  return patientClient(t, w.chamber, email);
}

/** The portal account of an email, as stored. */
async function accountRow(email: string) {
  const r = await t.db.execute<{
    id: string;
    patient_id: string | null;
    name: string | null;
    state: string;
  }>(
    sql`select id, patient_id, name, state from portal_accounts where chamber_id = ${w.chamber.id}::uuid and lower(email) = lower(${email})`,
  );
  return r.rows[0];
}

async function actAs(as: Client, patientId: string): Promise<void> {
  const res = await as.put('/api/v1/portal/acting-for', { patientId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.patientId).toBe(patientId);
}

/** Staff start a conversation shared with the patient; answers its id. */
async function staffWrites(patientId: string, text: string): Promise<string> {
  const res = await w.as.receptionist.post(`/api/v1/patients/${patientId}/conversations`, {
    text,
    shareWithPatient: true,
    roleIds: [],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id;
}

async function staffUploads(patientId: string, title: string): Promise<string> {
  const form = new FormData();
  form.append('title', title);
  form.append('shareWithPatient', 'true');
  form.append('file', new Blob([PDF], { type: 'application/pdf' }), `${title}.pdf`);
  const res = await fetch(`${base}/api/v1/patients/${patientId}/documents`, {
    method: 'POST',
    body: form,
    headers: { cookie: w.as.receptionist.cookie! },
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

async function staffShares(patientId: string, title: string): Promise<void> {
  const res = await w.as.nurse.post(`/api/v1/patients/${patientId}/medical-data`, {
    kind: 'result',
    title,
    date: '2026-01-02',
    text: `${title}: normal`,
    shareWithPatient: true,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

function stream(cookie: string): EventStream {
  const s = openEventStream(`${base}/api/v1/events?as=patient`, { cookie });
  streams.push(s);
  return s;
}
/** Waits until a stream is subscribed (its first heartbeat has passed). */
const settled = () => new Promise((r) => setTimeout(r, 300));

const proxyIdOf = async (patientId: string, email: string): Promise<string> => {
  const list = await w.as.receptionist.get(`/api/v1/patients/${patientId}/proxies`);
  expect(list.status).toBe(200);
  const found = list.body.proxies.find(
    (p: any) => p.account.email.toLowerCase() === email.toLowerCase(),
  );
  expect(found, `a proxy ${email} of ${patientId}`).toBeTruthy();
  return found.id;
};

/** The portal routes that take an object's id, and the kind of object each id names. */
const ID_ROUTES = [
  'DELETE /api/v1/portal/proxies/:id',
  'GET /api/v1/portal/conversations/:id',
  'GET /api/v1/portal/documents/:id/content',
  'POST /api/v1/portal/conversations/:id/messages',
  'POST /api/v1/portal/conversations/:id/read',
];
const ID_ROUTE_BODY: Record<string, unknown> = {
  'POST /api/v1/portal/conversations/:id/messages': { text: 'matrix' },
  'POST /api/v1/portal/conversations/:id/read': {},
};

/**
 * Calls every portal route that takes an id with the given objects (by resource: conversations,
 * documents, proxies) and with an id that does not exist: the answers must be the same 404.
 * Answers the number of routes checked.
 */
async function expectIdRoutesAsMissing(
  as: Client,
  objects: Record<string, string>,
  app: TestApp = t,
): Promise<number> {
  const routes = app.app.routeAuth.filter(
    (r) => r.auth === 'patient' && r.url.startsWith('/api/v1/portal/') && r.url.includes(':id'),
  );
  // A new route taking an id must be added here, with the kind of object it names.
  expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([...ID_ROUTES].sort());
  for (const route of routes) {
    const key = `${route.method} ${route.url}`;
    const resource = route.url.match(/\/portal\/([a-z-]+)\/:id/)![1]!;
    const id = objects[resource];
    expect(id, `an object for ${key}`).toBeTruthy();
    const call = (which: string) =>
      as.call(
        route.method,
        route.url.replace(':id', which),
        route.method === 'GET' || route.method === 'DELETE'
          ? undefined
          : (ID_ROUTE_BODY[key] ?? {}),
      );
    const missing = await call(MISSING);
    const theirs = await call(id!);
    expect(missing.status, key).toBe(404);
    expect(theirs.status, key).toBe(404);
    expect(theirs.body, key).toEqual(missing.body);
  }
  return routes.length;
}

describe('Add Proxy (staff, Patient Record > Proxy Access)', () => {
  it('invites a new person: an Invited account with their name, the invitation email queued, listed on the record', async () => {
    const before = await tableCounts();
    const res = await addProxy(w.alice.id, {
      email: 'Nora.Neighbour@example.com',
      relationship: 'Neighbour',
      name: 'Nora Neighbour',
      endsOn: null,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      account: {
        name: 'Nora Neighbour',
        email: 'Nora.Neighbour@example.com',
        state: 'invited',
        isPatient: false,
      },
      relationship: 'Neighbour',
      endsOn: null,
      addedBy: 'Rita Reception',
    });
    expect(res.body.createdAt).toBe(t.clock().toISOString());
    const row = await accountRow('nora.neighbour@example.com');
    expect(row).toMatchObject({ patient_id: null, name: 'Nora Neighbour', state: 'invited' });
    const after = await tableCounts();
    expect(after).toMatchObject({
      patient_proxies: before.patient_proxies! + 1,
      portal_accounts: before.portal_accounts! + 1,
      account_tokens: before.account_tokens! + 1,
      patients: before.patients,
      jobs: before.jobs! + 1,
    });
    // The invitation goes to the new person, with no clinical content and no patient's name.
    await t.deliverMail();
    const mail = t.outbox.filter((m) => m.to === 'Nora.Neighbour@example.com');
    expect(mail).toHaveLength(1);
    expect(mail[0]!.text).toMatch(/#token=/);
    expect(`${mail[0]!.subject}\n${mail[0]!.text}`).not.toMatch(/Alice|Archer/);

    const list = await w.as.nurse.get(`/api/v1/patients/${w.alice.id}/proxies`);
    expect(list.status).toBe(200);
    expect(list.body.proxies).toEqual([res.body]);
    const audit = await t.db.execute<{ actor_label: string; details: any }>(
      sql`select actor_label, details from audit_events where action = 'proxy.added' and subject_id = ${res.body.id}`,
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]!.actor_label).toBe('Rita Reception');
  });

  it('adds an existing patient account of the chamber (Bob for Alice) without a new account or email', async () => {
    // A second later: Proxy Access lists oldest first.
    t.clock.advance(1000);
    const before = await tableCounts();
    const sent = t.outbox.length;
    const res = await addProxy(w.alice.id, {
      email: w.bob.email.toUpperCase(),
      relationship: 'Friend',
      endsOn: '2026-12-31',
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({
      account: { name: 'Bob Baker', email: w.bob.email, state: 'active', isPatient: true },
      relationship: 'Friend',
      endsOn: '2026-12-31',
    });
    const after = await tableCounts();
    expect(after).toMatchObject({
      patient_proxies: before.patient_proxies! + 1,
      portal_accounts: before.portal_accounts,
      account_tokens: before.account_tokens,
      jobs: before.jobs,
    });
    await t.deliverMail();
    expect(t.outbox.length).toBe(sent);
  });

  it('gives a patient of the clinic with that email and no account their own account, then they act for themselves first', async () => {
    eve = await createPatient(t, w.chamber, {
      bandId: w.band,
      given: 'Eve',
      family: 'Evans',
      account: 'none',
    });
    const before = await tableCounts();
    const res = await addProxy(w.bob.id, { email: eve.email, relationship: 'Sister' });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.account).toMatchObject({
      name: 'Eve Evans',
      email: eve.email,
      state: 'invited',
      isPatient: true,
    });
    expect(await accountRow(eve.email)).toMatchObject({
      patient_id: eve.id,
      name: null,
      state: 'invited',
    });
    expect((await tableCounts()).portal_accounts).toBe(before.portal_accounts! + 1);
    // The Patient Record of Eve shows her account.
    const record = await w.as.receptionist.get(`/api/v1/patients/${eve.id}`);
    expect(record.body.portalAccount).toMatchObject({ state: 'invited' });

    const asEve = await acceptInvitation(eve.email);
    const me = await asEve.get('/api/v1/portal/session');
    expect(me.body.patient).toEqual({ id: eve.id, name: 'Eve Evans' });
    expect(me.body.actingFor).toEqual([
      { id: eve.id, name: 'Eve Evans', relationship: null },
      { id: w.bob.id, name: 'Bob Baker', relationship: 'Sister' },
    ]);
  });

  it.each([
    [
      'a new person',
      { email: 'twice.clicked@example.com', relationship: 'Carer', name: 'Twice Clicked' },
      1,
    ],
    ['an existing account', { email: 'archer@patients.example', relationship: 'Carer' }, 0],
  ])(
    'the same Add Proxy sent several times at once (a double click) for %s makes one proxy; the others are told it exists (never 500)',
    async (_who, body, newAccounts) => {
      const before = await tableCounts();
      const answers = await Promise.all([1, 2, 3, 4].map(() => addProxy(w.bob.id, body)));
      try {
        const statuses = answers.map((a) => a.status).sort();
        expect(statuses, JSON.stringify(answers.map((a) => a.body))).toEqual([201, 409, 409, 409]);
        for (const a of answers.filter((x) => x.status !== 201))
          expectError(a, 409, 'proxy_exists', 'email');
        const after = await tableCounts();
        expect(after.patient_proxies).toBe(before.patient_proxies! + 1);
        expect(after.portal_accounts).toBe(before.portal_accounts! + newAccounts);
      } finally {
        for (const created of answers.filter((a) => a.status === 201))
          expect(
            (
              await w.as.receptionist.delete(
                `/api/v1/patients/${w.bob.id}/proxies/${created.body.id}`,
              )
            ).status,
          ).toBe(200);
      }
    },
  );

  it('refuses what it must, with the error shape and nothing changed', async () => {
    const other = await createChamber(t);
    const otherBand = await createBand(t, other, { name: 'Online' });
    const foreign = await createPatient(t, other, {
      bandId: otherBand,
      given: 'Fay',
      family: 'Foreign',
    });
    const frank = await createPatient(t, w.chamber, {
      bandId: w.band,
      given: 'Frank',
      family: 'Fisher',
      account: 'none',
    });
    const otherStaff = await staffClient(t, other, other.admin.email);
    const foreignProxy = await addProxy(
      foreign.id,
      { email: 'far.away@example.com', relationship: 'Carer', name: 'Far Away' },
      otherStaff,
    );
    expect(foreignProxy.status).toBe(201);
    const aliceProxy = await proxyIdOf(w.alice.id, 'nora.neighbour@example.com');

    const before = await tableCounts();
    const good = { email: 'new.person@example.com', relationship: 'Carer', name: 'New Person' };
    // Another chamber's patient, its proxies, and its proxy under one of ours: as if missing.
    for (const res of [
      await addProxy(foreign.id, good),
      await w.as.receptionist.get(`/api/v1/patients/${foreign.id}/proxies`),
      await w.as.receptionist.delete(
        `/api/v1/patients/${foreign.id}/proxies/${foreignProxy.body.id}`,
      ),
      await w.as.receptionist.delete(
        `/api/v1/patients/${w.alice.id}/proxies/${foreignProxy.body.id}`,
      ),
      await addProxy(MISSING, good),
    ])
      expectError(res, 404, 'not_found');
    // A proxy of Alice removed "from Bob": not Bob's proxy.
    expectError(
      await w.as.receptionist.delete(`/api/v1/patients/${w.bob.id}/proxies/${aliceProxy}`),
      404,
      'not_found',
    );
    // A patient as their own proxy, by any case of their email; and one without an account
    // (an account would be made for them first).
    expectError(
      await addProxy(w.alice.id, { email: w.alice.email.toUpperCase(), relationship: 'Self' }),
      422,
      'proxy_not_allowed',
      'email',
    );
    expectError(
      await addProxy(frank.id, { email: frank.email, relationship: 'Self' }),
      422,
      'proxy_not_allowed',
      'email',
    );
    // Twice.
    expectError(
      await addProxy(w.alice.id, { email: 'nora.neighbour@example.com', relationship: 'Carer' }),
      409,
      'proxy_exists',
      'email',
    );
    // End dates: passed (the clinic's yesterday), not a day, not a date at all.
    for (const endsOn of ['2026-01-04', '2026-02-30', '2026-13-01', 'tomorrow', '5/1/2026', ''])
      expectError(
        await addProxy(w.alice.id, { ...good, endsOn }),
        422,
        'validation_failed',
        'endsOn',
      );
    // A new person needs a name; a name that shows nothing is no name.
    expectError(
      await addProxy(w.alice.id, { email: 'no.name@example.com', relationship: 'Carer' }),
      422,
      'validation_failed',
      'name',
    );
    expectError(
      await addProxy(w.alice.id, { ...good, name: '   ' }),
      422,
      'validation_failed',
      'name',
    );
    // Malformed email and relationship, unknown fields.
    for (const email of ['not-an-email', 'a@b', '', 'two words@example.com'])
      expectError(
        await addProxy(w.alice.id, { ...good, email }),
        422,
        'validation_failed',
        'email',
      );
    for (const relationship of ['', '   ', 'x'.repeat(61), 'Line\nbreak'])
      expectError(
        await addProxy(w.alice.id, { ...good, relationship }),
        422,
        'validation_failed',
        'relationship',
      );
    const noRelationship = await addProxy(w.alice.id, { email: good.email, name: good.name });
    expectError(noRelationship, 422, 'validation_failed', 'relationship');
    expect((await addProxy(w.alice.id, { ...good, patientId: w.bob.id })).status).toBe(422);
    // An id that is not a uuid: as if missing.
    expectError(await addProxy('not-a-uuid', good), 404, 'not_found');
    expectError(
      await w.as.receptionist.delete(`/api/v1/patients/${w.alice.id}/proxies/not-a-uuid`),
      404,
      'not_found',
    );

    // A patient's session cannot call staff routes, nor can nobody.
    for (const as of [w.as.alice, client(t.app)]) {
      expectError(await as.get(`/api/v1/patients/${w.alice.id}/proxies`), 401, 'unauthenticated');
      expectError(await addProxy(w.alice.id, good, as), 401, 'unauthenticated');
      expectError(
        await as.delete(`/api/v1/patients/${w.alice.id}/proxies/${aliceProxy}`),
        401,
        'unauthenticated',
      );
    }
    expect(await tableCounts()).toEqual(before);
    expect(await accountRow(frank.email)).toBeUndefined();
    expect(await accountRow(good.email)).toBeUndefined();
    // Chamber 2's proxy is untouched and still listed there.
    const theirs = await otherStaff.get(`/api/v1/patients/${foreign.id}/proxies`);
    expect(theirs.body.proxies.map((p: any) => p.id)).toEqual([foreignProxy.body.id]);
  });
});

describe('Acting for (portal)', () => {
  let asCarol: Client;
  let asNora: Client;
  let carolConversation: string;

  beforeAll(async () => {
    const added = await addProxy(charlie.id, { email: carol.email, relationship: 'Parent' });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    carolConversation = (
      await (
        await patientClient(t, w.chamber, carol.email)
      ).post('/api/v1/portal/conversations', { text: 'Carol asks for herself' })
    ).body.conversation.id;
    charlieConversation = await staffWrites(charlie.id, 'Charlie’s vaccination is due');
    charlieDocument = await staffUploads(charlie.id, 'Charlie growth chart');
    await staffShares(charlie.id, 'Charlie height');
    await staffShares(carol.id, 'Carol iron');
  });

  it('a proxy with a record of their own acts for themselves first; actingFor lists own first, then whom they may act for', async () => {
    const signIn = await client(t.app).post('/api/v1/portal/session', {
      chamber: w.chamber.key,
      email: carol.email,
      password: PASSWORD,
    });
    expect(signIn.status).toBe(200);
    const account = await accountRow(carol.email);
    expect(signIn.body).toMatchObject({
      patient: { id: carol.id, name: 'Carol Carter' },
      account: { id: account!.id, name: 'Carol Carter', email: carol.email },
      actingFor: [
        { id: carol.id, name: 'Carol Carter', relationship: null },
        { id: charlie.id, name: 'Charlie Carter', relationship: 'Parent' },
      ],
      messaging: { allowed: true },
    });
    asCarol = await patientClient(t, w.chamber, carol.email);
    const acting = await asCarol.get('/api/v1/portal/acting-for');
    expect(acting.status).toBe(200);
    expect(acting.body).toEqual({ patientId: carol.id, patients: signIn.body.actingFor });
  });

  it('a proxy who is not a patient signs in with the emailed link and acts for the patient', async () => {
    asNora = await acceptInvitation('Nora.Neighbour@example.com');
    const me = await asNora.get('/api/v1/portal/session');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      patient: { id: w.alice.id, name: 'Alice Archer' },
      account: { name: 'Nora Neighbour', email: 'Nora.Neighbour@example.com' },
      actingFor: [{ id: w.alice.id, name: 'Alice Archer', relationship: 'Neighbour' }],
      messaging: { allowed: true, reason: null },
    });
    expect((await accountRow('nora.neighbour@example.com'))!.state).toBe('active');
  });

  it('refuses to act for a patient the account may not act for: 404 as if missing, nothing changed', async () => {
    const before = await tableCounts();
    const missing = await asCarol.put('/api/v1/portal/acting-for', { patientId: MISSING });
    expectError(missing, 404, 'not_found');
    for (const patientId of [w.bob.id, w.alice.id]) {
      const res = await asCarol.put('/api/v1/portal/acting-for', { patientId });
      expect(res.status).toBe(404);
      expect(res.body).toEqual(missing.body);
    }
    expectError(
      await asCarol.put('/api/v1/portal/acting-for', { patientId: 'bob' }),
      422,
      'validation_failed',
      'patientId',
    );
    // Nobody signed in cannot choose either.
    expectError(
      await client(t.app).put('/api/v1/portal/acting-for', { patientId: charlie.id }),
      401,
      'unauthenticated',
    );
    expect(await tableCounts()).toEqual(before);
    expect((await asCarol.get('/api/v1/portal/acting-for')).body.patientId).toBe(carol.id);
    expect((await asCarol.get('/api/v1/portal/session')).body.patient.id).toBe(carol.id);
  });

  it('switching changes what the Inbox, Documents and Medical Data answer: the acted-for patient’s, never the other’s', async () => {
    const own = {
      conversations: (await asCarol.get('/api/v1/portal/conversations')).body.conversations,
      documents: (await asCarol.get('/api/v1/portal/documents')).body.documents,
      medical: (await asCarol.get('/api/v1/portal/medical-data')).body.medicalData,
    };
    expect(own.conversations.map((c: any) => c.id)).toEqual([carolConversation]);
    expect(own.documents).toEqual([]);
    expect(own.medical.map((m: any) => m.title)).toEqual(['Carol iron']);
    expectError(
      await asCarol.get(`/api/v1/portal/conversations/${charlieConversation}`),
      404,
      'not_found',
    );

    const before = await n(
      "select count(*) as n from audit_events where action = 'portal.acting_for_changed'",
    );
    await actAs(asCarol, charlie.id);
    const audit = await t.db.execute<{ patient_id: string; details: any; actor_label: string }>(
      sql`select patient_id, details, actor_label from audit_events where action = 'portal.acting_for_changed' order by id desc limit 1`,
    );
    expect(
      await n("select count(*) as n from audit_events where action = 'portal.acting_for_changed'"),
    ).toBe(before + 1);
    expect(audit.rows[0]).toMatchObject({ patient_id: charlie.id, details: { from: carol.id } });

    const session = await asCarol.get('/api/v1/portal/session');
    expect(session.body.patient).toEqual({ id: charlie.id, name: 'Charlie Carter' });
    expect(session.body.account.name).toBe('Carol Carter');
    const conversations = (await asCarol.get('/api/v1/portal/conversations')).body.conversations;
    expect(conversations.map((c: any) => c.id)).toEqual([charlieConversation]);
    const documents = (await asCarol.get('/api/v1/portal/documents')).body.documents;
    expect(documents.map((d: any) => d.id)).toEqual([charlieDocument]);
    const medical = (await asCarol.get('/api/v1/portal/medical-data')).body.medicalData;
    expect(medical.map((m: any) => m.title)).toEqual(['Charlie height']);
    const download = await fetch(`${base}/api/v1/portal/documents/${charlieDocument}/content`, {
      headers: { cookie: asCarol.cookie! },
    });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);
    // The audit of the read names both: the patient, and the proxy who read it.
    const read = await t.db.execute<{ patient_id: string; actor_label: string; details: any }>(
      sql`select patient_id, actor_label, details from audit_events where action = 'document.downloaded' and subject_id = ${charlieDocument} order by id desc limit 1`,
    );
    expect(read.rows[0]).toMatchObject({
      patient_id: charlie.id,
      actor_label: 'Carol Carter for Charlie Carter',
      details: expect.objectContaining({ proxyAccountId: (await accountRow(carol.email))!.id }),
    });
    const thread = await asCarol.get(`/api/v1/portal/conversations/${charlieConversation}`);
    expect(thread.status).toBe(200);
    expectError(
      await asCarol.get(`/api/v1/portal/conversations/${carolConversation}`),
      404,
      'not_found',
    );
    // And back: her own again.
    await actAs(asCarol, carol.id);
    expect(
      (await asCarol.get('/api/v1/portal/conversations')).body.conversations.map((c: any) => c.id),
    ).toEqual([carolConversation]);
    // Another session of the same account keeps acting for whom it chose.
    const second = await patientClient(t, w.chamber, carol.email);
    await actAs(second, charlie.id);
    expect((await asCarol.get('/api/v1/portal/session')).body.patient.id).toBe(carol.id);
  });

  describe('writes for the patient acted for', () => {
    it('a message written acting for Charlie is stored under Charlie with the proxy’s account, and shows "Carol Carter for Charlie Carter" to staff and in the portal; the audit names both', async () => {
      await actAs(asCarol, charlie.id);
      const account = await accountRow(carol.email);
      const sent = await asCarol.post('/api/v1/portal/conversations', {
        text: 'Charlie has a rash',
        patientId: charlie.id,
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      expect(sent.body.message.author).toMatchObject({
        kind: 'patient',
        name: 'Carol Carter for Charlie Carter',
      });
      const stored = await t.db.execute<{
        patient_id: string;
        proxy_account_id: string | null;
        author_kind: string;
      }>(
        sql`select patient_id, proxy_account_id, author_kind from messages where id = ${sent.body.message.id}::uuid`,
      );
      expect(stored.rows[0]).toEqual({
        patient_id: charlie.id,
        proxy_account_id: account!.id,
        author_kind: 'patient',
      });
      const conversationId = sent.body.conversation.id;

      const feed = await w.as.receptionist.get(`/api/v1/patients/${charlie.id}/feed`);
      const line = feed.body.conversations.find((c: any) => c.id === conversationId);
      expect(line.lastMessage.author.name).toBe('Carol Carter for Charlie Carter');
      const staffView = await w.as.receptionist.get(`/api/v1/conversations/${conversationId}`);
      expect(staffView.body.conversation.patient).toMatchObject({ id: charlie.id });
      expect(staffView.body.messages.map((m: any) => m.author.name)).toEqual([
        'Carol Carter for Charlie Carter',
      ]);
      const portal = await asCarol.get(`/api/v1/portal/conversations/${conversationId}`);
      expect(portal.body.messages[0].author.name).toBe('Carol Carter for Charlie Carter');
      const inbox = await asCarol.get('/api/v1/portal/conversations');
      expect(
        inbox.body.conversations.find((c: any) => c.id === conversationId).lastMessage.author.name,
      ).toBe('Carol Carter for Charlie Carter');

      const audit = await t.db.execute<{
        actor_kind: string;
        actor_label: string;
        actor_patient_id: string;
        patient_id: string;
        details: any;
      }>(
        sql`select actor_kind, actor_label, actor_patient_id, patient_id, details from audit_events where action = 'message.created' and chamber_id = ${w.chamber.id}::uuid order by id desc limit 1`,
      );
      expect(audit.rows[0]).toMatchObject({
        actor_kind: 'patient',
        actor_label: 'Carol Carter for Charlie Carter',
        patient_id: charlie.id,
        details: expect.objectContaining({ proxyAccountId: account!.id }),
      });
      // FHIR: the message is the patient's, and its sender says who wrote it.
      const client = await createIntegration(w.as.admin, 'Proxy sender');
      const token = await getToken(t.app, client);
      const communication = await fhirGet(
        t.app,
        token,
        `/fhir/R4/Communication/${sent.body.message.id}`,
      );
      expect(communication.status).toBe(200);
      expect(communication.body.sender).toEqual({
        reference: `Patient/${charlie.id}`,
        display: 'Carol Carter for Charlie Carter',
      });
      // The reply too.
      const reply = await asCarol.post(`/api/v1/portal/conversations/${conversationId}/messages`, {
        text: 'It is spreading',
        patientId: charlie.id,
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      expect(reply.body.message.author.name).toBe('Carol Carter for Charlie Carter');
    });

    it('the team inbox names the proxy too ("Carol Carter for Charlie Carter"), as the Feed does', async () => {
      await actAs(asCarol, charlie.id);
      const sent = await asCarol.post('/api/v1/portal/conversations', {
        text: 'For the team inbox',
        patientId: charlie.id,
      });
      expect(sent.status).toBe(201);
      const inbox = await w.as.receptionist.get('/api/v1/inbox?view=open&limit=100');
      expect(inbox.status).toBe(200);
      const line = inbox.body.conversations.find((c: any) => c.id === sent.body.conversation.id);
      expect(line.patient).toMatchObject({ id: charlie.id, name: 'Charlie Carter' });
      expect(line.lastMessage.author.name).toBe('Carol Carter for Charlie Carter');
    });

    it('a write made for the previous patient after a switch in another tab is refused with 409 acting_for_changed, and nothing is stored', async () => {
      await actAs(asCarol, charlie.id);
      // Tab 1 opened Charlie's Inbox; tab 2 (the same cookie) switches back to Carol.
      const tab2 = client(t.app, asCarol.cookie);
      await actAs(tab2, carol.id);
      const before = await tableCounts();
      const start = await asCarol.post('/api/v1/portal/conversations', {
        text: 'For Charlie, sent from the old tab',
        patientId: charlie.id,
      });
      expectError(start, 409, 'acting_for_changed');
      expectError(
        await asCarol.post(`/api/v1/portal/conversations/${charlieConversation}/messages`, {
          text: 'Reply from the old tab',
          patientId: charlie.id,
        }),
        409,
        'acting_for_changed',
      );
      // The same with the header (routes whose body has no patientId).
      expectError(
        await asCarol.post(
          `/api/v1/portal/conversations/${charlieConversation}/read`,
          {},
          { 'x-acting-for': charlie.id },
        ),
        409,
        'acting_for_changed',
      );
      expectError(
        await asCarol.post(
          `/api/v1/portal/conversations/${carolConversation}/messages`,
          { text: 'header for the wrong one' },
          { 'x-acting-for': charlie.id },
        ),
        409,
        'acting_for_changed',
      );
      expect(await tableCounts()).toEqual(before);
      // Made for Carol, now that the session acts for her: accepted.
      const ok = await asCarol.post(
        `/api/v1/portal/conversations/${carolConversation}/read`,
        {},
        { 'x-acting-for': carol.id },
      );
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      const own = await asCarol.post('/api/v1/portal/conversations', {
        text: 'Carol for herself',
        patientId: carol.id,
      });
      expect(own.status).toBe(201);
      expect(own.body.message.author.name).toBe('Carol Carter');
      const row = await t.db.execute<{ proxy_account_id: string | null; patient_id: string }>(
        sql`select proxy_account_id, patient_id from messages where id = ${own.body.message.id}::uuid`,
      );
      expect(row.rows[0]).toEqual({ proxy_account_id: null, patient_id: carol.id });
    });

    it('a file uploaded acting for one patient cannot be attached to a message for another', async () => {
      await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
      try {
        await actAs(asCarol, carol.id);
        const form = new FormData();
        form.append('file', new Blob([PDF], { type: 'application/pdf' }), 'mine.pdf');
        const up = await fetch(`${base}/api/v1/portal/documents`, {
          method: 'POST',
          body: form,
          headers: { cookie: asCarol.cookie!, 'x-acting-for': carol.id },
        });
        const uploaded = (await up.json()) as any;
        expect(up.status, JSON.stringify(uploaded)).toBe(201);
        // An upload from a tab still open for Charlie is refused before the file is read.
        const stale = await fetch(`${base}/api/v1/portal/documents`, {
          method: 'POST',
          body: form,
          headers: { cookie: asCarol.cookie!, 'x-acting-for': charlie.id },
        });
        expect(stale.status).toBe(409);
        expect(((await stale.json()) as any).error.code).toBe('acting_for_changed');

        await actAs(asCarol, charlie.id);
        const before = await tableCounts();
        const res = await asCarol.post('/api/v1/portal/conversations', {
          text: 'With my own file',
          attachmentIds: [uploaded.id],
        });
        expectError(res, 422, 'attachment_not_found', 'attachmentIds');
        expect(await tableCounts()).toEqual(before);
      } finally {
        await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: false });
      }
    });
  });

  describe('rule 1 for a proxy', () => {
    it('the band and messaging conditions are the acted-for patient’s: a patient on a band without messaging refuses their proxy with 403 messaging_not_allowed; acting for their own record works', async () => {
      const lettersOnly = await createBand(t, w.chamber, {
        name: 'Letters only',
        online: 'allow_no_notifications',
        messaging: false,
      });
      const dora = await createPatient(t, w.chamber, {
        bandId: lettersOnly,
        given: 'Dora',
        family: 'Dunn',
        account: 'none',
      });
      const gina = await createPatient(t, w.chamber, {
        bandId: w.band,
        given: 'Gina',
        family: 'Grant',
      });
      expect(
        (await addProxy(dora.id, { email: gina.email, relationship: 'Daughter' })).status,
      ).toBe(201);
      await staffUploads(dora.id, 'Dora letter');
      // Added later, listed earlier: own record first, then by family name.
      t.clock.advance(1000);
      expect((await addProxy(w.bob.id, { email: gina.email, relationship: 'Carer' })).status).toBe(
        201,
      );
      const asGina = await patientClient(t, w.chamber, gina.email);
      expect((await asGina.get('/api/v1/portal/acting-for')).body).toEqual({
        patientId: gina.id,
        patients: [
          { id: gina.id, name: 'Gina Grant', relationship: null },
          { id: w.bob.id, name: 'Bob Baker', relationship: 'Carer' },
          { id: dora.id, name: 'Dora Dunn', relationship: 'Daughter' },
        ],
      });
      await actAs(asGina, dora.id);
      const session = await asGina.get('/api/v1/portal/session');
      expect(session.body.messaging).toMatchObject({
        allowed: false,
        reason: 'messaging_not_allowed',
      });
      const before = await tableCounts();
      expectError(
        await asGina.post('/api/v1/portal/conversations', {
          text: 'For Dora',
          patientId: dora.id,
        }),
        403,
        'messaging_not_allowed',
      );
      expectError(await asGina.get('/api/v1/portal/conversations'), 403, 'messaging_not_allowed');
      expect(await tableCounts()).toEqual(before);
      // The portal without messaging still answers: Dora's documents.
      const docs = await asGina.get('/api/v1/portal/documents');
      expect(docs.status).toBe(200);
      expect(docs.body.documents.map((d: any) => d.title)).toEqual(['Dora letter']);

      await actAs(asGina, gina.id);
      expect((await asGina.get('/api/v1/portal/session')).body.messaging.allowed).toBe(true);
      const own = await asGina.post('/api/v1/portal/conversations', { text: 'Gina for herself' });
      expect(own.status, JSON.stringify(own.body)).toBe(201);
    });

    it('the account condition is the proxy’s own account: Charlie has none, yet Carol writes for him; a disabled proxy is signed out and cannot sign in', async () => {
      // Charlie has no portal account: Carol's own Active account is what counts.
      await actAs(asCarol, charlie.id);
      const sent = await asCarol.post('/api/v1/portal/conversations', { text: 'Rule 1 check' });
      expect(sent.status).toBe(201);

      const hank = await createPatient(t, w.chamber, {
        bandId: w.band,
        given: 'Hank',
        family: 'Hill',
      });
      expect((await addProxy(w.bob.id, { email: hank.email, relationship: 'Carer' })).status).toBe(
        201,
      );
      const asHank = await patientClient(t, w.chamber, hank.email);
      await actAs(asHank, w.bob.id);
      const disabled = await w.as.receptionist.post(
        `/api/v1/patients/${hank.id}/portal-account/disable`,
      );
      expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
      expectError(await asHank.get('/api/v1/portal/session'), 401, 'unauthenticated');
      expectError(
        await asHank.post('/api/v1/portal/conversations', { text: 'For Bob' }),
        401,
        'unauthenticated',
      );
      const again = await client(t.app).post('/api/v1/portal/session', {
        chamber: w.chamber.key,
        email: hank.email,
        password: PASSWORD,
      });
      expectError(again, 403, 'account_not_active', 'email');
      // Bob, whose proxy Hank is, is untouched.
      expect((await w.as.bob.get('/api/v1/portal/session')).body.messaging.allowed).toBe(true);
    });

    it('a proxy who is not a patient: their own account’s state decides (changed behind the session), not the patient’s', async () => {
      const owner = t.ownerDb();
      await owner.execute(
        sql`update portal_accounts set state = 'disabled' where chamber_id = ${w.chamber.id}::uuid and lower(email) = 'nora.neighbour@example.com'`,
      );
      try {
        const before = await tableCounts();
        expectError(
          await asNora.post('/api/v1/portal/conversations', { text: 'For Alice' }),
          403,
          'account_not_active',
        );
        expect(await tableCounts()).toEqual(before);
        const refused = await client(t.app).post('/api/v1/portal/session', {
          chamber: w.chamber.key,
          email: 'nora.neighbour@example.com',
          password: PASSWORD,
        });
        expectError(refused, 403, 'account_not_active', 'email');
        // Alice's own account is Active and she still writes.
        expect(
          (await w.as.alice.post('/api/v1/portal/conversations', { text: 'Alice still' })).status,
        ).toBe(201);
      } finally {
        await owner.execute(
          sql`update portal_accounts set state = 'active' where chamber_id = ${w.chamber.id}::uuid and lower(email) = 'nora.neighbour@example.com'`,
        );
      }
      expect(
        (await asNora.post('/api/v1/portal/conversations', { text: 'Nora for Alice' })).status,
      ).toBe(201);
    });
  });

  describe('access matrix for proxies', () => {
    /** The portal routes taking an object id, with Bob's object of each kind. */
    let bobObjects: Record<string, string>;

    beforeAll(async () => {
      const bobConversation = (
        await w.as.bob.post('/api/v1/portal/conversations', { text: 'Bob only' })
      ).body.conversation.id;
      const bobDocument = await staffUploads(w.bob.id, 'Bob scan');
      // Bob's proxy: Eve (added above).
      bobObjects = {
        conversations: bobConversation,
        documents: bobDocument,
        proxies: await proxyIdOf(w.bob.id, eve.email),
      };
    });

    it('a proxy of Alice never reaches Bob: every portal route with Bob’s ids answers exactly as for a missing id', async () => {
      const before = await tableCounts();
      const checked = await expectIdRoutesAsMissing(asNora, bobObjects);
      // Alice's proxy writes nothing anywhere, reads leave only their own audit rows.
      const after = await tableCounts();
      expect({ ...after, audit_events: 0, sessions: 0 }).toEqual({
        ...before,
        audit_events: 0,
        sessions: 0,
      });

      // Every portal read without an id answers for Alice: nothing of Bob's in it.
      const lists = t.app.routeAuth.filter(
        (r) =>
          r.method === 'GET' &&
          (r.auth === 'patient' || r.auth === 'public-or-patient') &&
          r.url.startsWith('/api/v1/portal/') &&
          !r.url.includes(':'),
      );
      for (const route of lists) {
        const res = await asNora.get(
          route.url + (route.url === '/api/v1/portal/search' ? '?q=Bob%20only' : ''),
        );
        expect(res.status, `${route.url} ${JSON.stringify(res.body)}`).toBe(200);
        const text = JSON.stringify(res.body);
        for (const id of [w.bob.id, bobObjects.conversations!, bobObjects.documents!])
          expect(text, route.url).not.toContain(id);
        expect(text, route.url).not.toContain('Bob only');
      }
      expect(lists.length).toBeGreaterThanOrEqual(10);
      console.info(
        `proxy access matrix: ${checked} id routes with Bob's ids, ${lists.length} portal reads`,
      );
    });
  });
});

describe('the patient sees and removes their proxies', () => {
  it('Alice lists her proxies and removes Bob: his session acting for her goes back to his own record at once', async () => {
    const asBob = await patientClient(t, w.chamber, w.bob.email);
    await actAs(asBob, w.alice.id);
    const mine = await w.as.alice.get('/api/v1/portal/proxies');
    expect(mine.status).toBe(200);
    expect(mine.body.proxies.map((p: any) => [p.account.name, p.relationship])).toEqual([
      ['Nora Neighbour', 'Neighbour'],
      ['Bob Baker', 'Friend'],
    ]);
    const bobProxy = mine.body.proxies[1].id;

    // Someone else's proxy is not hers to remove: as if missing, nothing changed.
    const charlieProxy = await proxyIdOf(charlie.id, carol.email);
    const before = await tableCounts();
    const missing = await w.as.alice.delete(`/api/v1/portal/proxies/${MISSING}`);
    expectError(missing, 404, 'not_found');
    const foreign = await w.as.alice.delete(`/api/v1/portal/proxies/${charlieProxy}`);
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect(await tableCounts()).toEqual(before);

    const removed = await w.as.alice.delete(`/api/v1/portal/proxies/${bobProxy}`);
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toEqual({ ok: true });
    const audit = await t.db.execute<{ patient_id: string; actor_label: string }>(
      sql`select patient_id, actor_label from audit_events where action = 'proxy.removed' and subject_id = ${bobProxy}`,
    );
    expect(audit.rows).toEqual([{ patient_id: w.alice.id, actor_label: 'Alice Archer' }]);
    expect(
      (await w.as.alice.get('/api/v1/portal/proxies')).body.proxies.map((p: any) => p.account.name),
    ).toEqual(['Nora Neighbour']);
    expect(
      (await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/proxies`)).body.proxies.map(
        (p: any) => p.account.name,
      ),
    ).toEqual(['Nora Neighbour']);

    const session = await asBob.get('/api/v1/portal/session');
    expect(session.status).toBe(200);
    expect(session.body.patient.id).toBe(w.bob.id);
    expect(session.body.actingFor.map((p: any) => p.id)).toEqual([w.bob.id]);
    expectError(
      await asBob.put('/api/v1/portal/acting-for', { patientId: w.alice.id }),
      404,
      'not_found',
    );
    expectError(await w.as.alice.delete(`/api/v1/portal/proxies/${bobProxy}`), 404, 'not_found');
  });

  it('acting as a proxy, the proxies list is empty and removing one is 404', async () => {
    const asCarol = await patientClient(t, w.chamber, carol.email);
    await actAs(asCarol, charlie.id);
    const charlieProxy = await proxyIdOf(charlie.id, carol.email);
    const list = await asCarol.get('/api/v1/portal/proxies');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ proxies: [] });
    const before = await tableCounts();
    expectError(await asCarol.delete(`/api/v1/portal/proxies/${charlieProxy}`), 404, 'not_found');
    expect(await tableCounts()).toEqual(before);
    // Nora, who is no patient, has no proxies of her own either.
    const asNora = await patientClient(t, w.chamber, 'nora.neighbour@example.com');
    expect((await asNora.get('/api/v1/portal/proxies')).body).toEqual({ proxies: [] });
  });
});

describe('Remove Proxy ends it at once, open sessions and streams included', () => {
  it('Carol acting for Charlie: her next request answers for her own record, and her open stream closes before Charlie’s next event reaches it', async () => {
    const asCarol = await patientClient(t, w.chamber, carol.email);
    await actAs(asCarol, charlie.id);
    const live = stream(asCarol.cookie!);
    await settled();
    expect(live.status).toBe(200);
    const first = await staffWrites(charlie.id, 'Before the end');
    await live.waitFor((e) =>
      e.some((x) => x.event === 'message' && x.data.conversationId === first),
    );

    const proxyId = await proxyIdOf(charlie.id, carol.email);
    const removed = await w.as.receptionist.delete(
      `/api/v1/patients/${charlie.id}/proxies/${proxyId}`,
    );
    expect(removed.status, JSON.stringify(removed.body)).toBe(200);
    expect(removed.body).toEqual({ ok: true });
    const later = await staffWrites(charlie.id, 'After the end');
    await live.waitClosed();
    const names = live.events.map((e) => e.event);
    expect(names.at(-1)).toBe('closed');
    expect(live.events.at(-1)!.data).toEqual({ reason: 'session_ended' });
    expect(live.events.some((e) => e.data?.conversationId === later)).toBe(false);

    // The next request: her own record, and nothing of Charlie's anywhere.
    const session = await asCarol.get('/api/v1/portal/session');
    expect(session.status).toBe(200);
    expect(session.body.patient).toEqual({ id: carol.id, name: 'Carol Carter' });
    expect(session.body.actingFor).toEqual([
      { id: carol.id, name: 'Carol Carter', relationship: null },
    ]);
    expectError(
      await asCarol.put('/api/v1/portal/acting-for', { patientId: charlie.id }),
      404,
      'not_found',
    );
    const reads = await expectOnlyOwnRecord(asCarol, carol.email, charlie);
    const idRoutes = await expectIdRoutesAsMissing(asCarol, {
      conversations: charlieConversation,
      documents: charlieDocument,
      proxies: proxyId,
    });
    console.info(
      `ended proxy (a patient): ${reads} portal reads answer only the own record, ${idRoutes} id routes with Charlie's ids answer as missing`,
    );
    // Staff removed it: the audit says who.
    const audit = await t.db.execute<{ actor_label: string; patient_id: string }>(
      sql`select actor_label, patient_id from audit_events where action = 'proxy.removed' and subject_id = ${proxyId}`,
    );
    expect(audit.rows).toEqual([{ actor_label: 'Rita Reception', patient_id: charlie.id }]);
    // Removing it twice: as if missing.
    expectError(
      await w.as.receptionist.delete(`/api/v1/patients/${charlie.id}/proxies/${proxyId}`),
      404,
      'not_found',
    );
    // It can be added again: a new proxy, the ended one kept for the record.
    const again = await addProxy(charlie.id, { email: carol.email, relationship: 'Parent' });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(proxyId);
    expect(
      await n(
        `select count(*) as n from patient_proxies where patient_id = '${charlie.id}' and ended_at is not null`,
      ),
    ).toBe(1);
  });

  it('switching whom the session acts for closes its open stream too', async () => {
    const asCarol = await patientClient(t, w.chamber, carol.email);
    const live = stream(asCarol.cookie!);
    await settled();
    await actAs(client(t.app, asCarol.cookie), charlie.id);
    await live.waitClosed();
    expect(live.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
  });

  it('a proxy who is not a patient: removed, their session ends (401) and their stream closes; signing in is refused', async () => {
    const asNora = await patientClient(t, w.chamber, 'nora.neighbour@example.com');
    const live = stream(asNora.cookie!);
    await settled();
    expect(live.status).toBe(200);
    const aliceConversation = (
      await w.as.alice.post('/api/v1/portal/conversations', { text: 'Alice before' })
    ).body.conversation.id;
    await live.waitFor((e) =>
      e.some((x) => x.event === 'message' && x.data.conversationId === aliceConversation),
    );
    const proxyId = await proxyIdOf(w.alice.id, 'nora.neighbour@example.com');
    expect(
      (await w.as.receptionist.delete(`/api/v1/patients/${w.alice.id}/proxies/${proxyId}`)).status,
    ).toBe(200);
    const later = await staffWrites(w.alice.id, 'Alice after');
    await live.waitClosed();
    expect(live.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
    expect(live.events.some((e) => e.data?.conversationId === later)).toBe(false);

    // Every portal route now answers 401: the ended proxy reaches nobody.
    const routes = t.app.routeAuth.filter((r) => r.auth === 'patient');
    for (const route of routes) {
      const res = await asNora.call(
        route.method,
        route.url.replace(':id', aliceConversation),
        route.method === 'GET' || route.method === 'DELETE' ? undefined : {},
      );
      expect(res.status, `${route.method} ${route.url}`).toBe(401);
    }
    // Nor can a new event stream be opened with the session.
    const reopened = await fetch(`${base}/api/v1/events?as=patient`, {
      headers: { cookie: asNora.cookie!, accept: 'text/event-stream' },
    });
    expect(reopened.status).toBe(401);
    await reopened.body?.cancel();
    console.info(
      `ended non-patient proxy: ${routes.length} portal routes and the event stream answer 401`,
    );
    const signIn = await client(t.app).post('/api/v1/portal/session', {
      chamber: w.chamber.key,
      email: 'nora.neighbour@example.com',
      password: PASSWORD,
    });
    expectError(signIn, 403, 'nobody_to_act_for', 'email');
    // The clinic page answers as for nobody signed in.
    const clinic = await asNora.get('/api/v1/portal/clinic');
    const anonymous = await client(t.app).get('/api/v1/portal/clinic');
    expect(clinic.status).toBe(anonymous.status);
    expect(clinic.body).toEqual(anonymous.body);
  });
});

/**
 * Every portal read of an ex-proxy's session answers exactly as a fresh session of the same
 * account that never acted for anyone else, and names nothing of the patient they acted for.
 */
async function expectOnlyOwnRecord(
  as: Client,
  email: string,
  formerly: { id: string; name: string },
  app: TestApp = t,
  chamberKey: string = w.chamber.key,
): Promise<number> {
  const fresh = await signInAt(app, chamberKey, email);
  const formerIds = [formerly.id];
  const reads = app.app.routeAuth.filter(
    (r) =>
      r.method === 'GET' &&
      (r.auth === 'patient' || r.auth === 'public-or-patient') &&
      r.url.startsWith('/api/v1/portal/') &&
      !r.url.includes(':'),
  );
  for (const route of reads) {
    const url = route.url + (route.url === '/api/v1/portal/search' ? '?q=Charlie' : '');
    const mine = await as.get(url);
    const theirs = await fresh.get(url);
    expect(mine.status, url).toBe(theirs.status);
    expect(mine.body, url).toEqual(theirs.body);
    const text = JSON.stringify(mine.body);
    for (const id of formerIds) expect(text, url).not.toContain(id);
    expect(text, url).not.toContain(formerly.name);
  }
  return reads.length;
}

async function signInAt(app: TestApp, chamberKey: string, email: string): Promise<Client> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/api/v1/portal/session',
    payload: { chamber: chamberKey, email, password: PASSWORD },
  });
  expect(res.statusCode, res.body).toBe(200);
  const set = res.headers['set-cookie'];
  const raw = Array.isArray(set) ? set[0]! : set!;
  return client(app.app, raw.split(';')[0]);
}

describe('an end date ends the proxy when the clinic’s day is over (rule 7)', () => {
  let t2: TestApp;
  let base2: string;
  const streams2: EventStream[] = [];

  beforeAll(async () => {
    t2 = await buildTestApp({ config: { eventsHeartbeatMs: 150, eventsPollMs: 300_000 } });
    await t2.app.listen({ host: '127.0.0.1', port: 0 });
    base2 = `http://127.0.0.1:${(t2.app.server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    streams2.forEach((s) => s.close());
    await t2?.close();
  });

  it('in force through the end date in the clinic’s time zone, ended the moment that day is over: sessions and streams included', async () => {
    const world = await createWorld(t2);
    // New York: the clinic's day ends at 05:00 UTC the next morning.
    await t2.services.settings.update(world.chamber.admin, { timeZone: 'America/New_York' });
    const ivy = await createPatient(t2, world.chamber, {
      bandId: world.band,
      given: 'Ivy',
      family: 'Irwin',
      account: 'none',
      email: null,
    });
    const staff = world.as.receptionist;
    // 2026-01-05 09:00 UTC is 04:00 in New York: the clinic's today is the 5th.
    expectError(
      await staff.post(`/api/v1/patients/${ivy.id}/proxies`, {
        email: world.bob.email,
        relationship: 'Carer',
        endsOn: '2026-01-04',
      }),
      422,
      'validation_failed',
      'endsOn',
    );
    const added = await staff.post(`/api/v1/patients/${ivy.id}/proxies`, {
      email: world.bob.email,
      relationship: 'Carer',
      endsOn: '2026-01-05',
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const nonPatient = await staff.post(`/api/v1/patients/${ivy.id}/proxies`, {
      email: 'jo.helper@example.com',
      relationship: 'Carer',
      name: 'Jo Helper',
      endsOn: '2026-01-05',
    });
    expect(nonPatient.status).toBe(201);
    const token = await takeLink(t2, 'jo.helper@example.com');
    expect(
      (await client(t2.app).post('/api/v1/portal/password', { token, password: PASSWORD })).status,
    ).toBe(200);

    // 23:58 in New York on the 5th: still the end date.
    t2.clock.set(new Date('2026-01-06T04:58:00Z'));
    const asBob = await signInAt(t2, world.chamber.key, world.bob.email);
    const asJo = await signInAt(t2, world.chamber.key, 'jo.helper@example.com');
    expect((await asBob.get('/api/v1/portal/session')).body.actingFor).toHaveLength(2);
    const put = await asBob.put('/api/v1/portal/acting-for', { patientId: ivy.id });
    expect(put.status).toBe(200);
    expect((await asJo.get('/api/v1/portal/session')).body.patient.id).toBe(ivy.id);
    const bobStream = openEventStream(`${base2}/api/v1/events?as=patient`, {
      cookie: asBob.cookie!,
    });
    const joStream = openEventStream(`${base2}/api/v1/events?as=patient`, {
      cookie: asJo.cookie!,
    });
    streams2.push(bobStream, joStream);
    await settled();
    expect(bobStream.status).toBe(200);
    expect(joStream.status).toBe(200);
    expect(bobStream.closed).toBe(false);

    // 00:00:30 in New York on the 6th: the end date has passed.
    t2.clock.set(new Date('2026-01-06T05:00:30Z'));
    await bobStream.waitClosed();
    await joStream.waitClosed();
    expect(bobStream.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
    expect(joStream.events.at(-1)).toMatchObject({
      event: 'closed',
      data: { reason: 'session_ended' },
    });
    // Bob answers for his own record; Jo, who is no patient, is signed out.
    const bobSession = await asBob.get('/api/v1/portal/session');
    expect(bobSession.status).toBe(200);
    expect(bobSession.body.patient.id).toBe(world.bob.id);
    expect(bobSession.body.actingFor.map((p: any) => p.id)).toEqual([world.bob.id]);
    const reads = await expectOnlyOwnRecord(
      asBob,
      world.bob.email,
      { id: ivy.id, name: 'Ivy Irwin' },
      t2,
      world.chamber.key,
    );
    expectError(await asJo.get('/api/v1/portal/session'), 401, 'unauthenticated');
    expectError(
      await client(t2.app).post('/api/v1/portal/session', {
        chamber: world.chamber.key,
        email: 'jo.helper@example.com',
        password: PASSWORD,
      }),
      403,
      'nobody_to_act_for',
      'email',
    );
    // Staff no longer list it, and it may be added again.
    const staffNow = await staffClient(t2, world.chamber, world.receptionist.email);
    const list = await staffNow.get(`/api/v1/patients/${ivy.id}/proxies`);
    expect(list.body.proxies.map((p: any) => p.account.name)).toEqual([]);
    const again = await staffNow.post(`/api/v1/patients/${ivy.id}/proxies`, {
      email: world.bob.email,
      relationship: 'Carer',
    });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    console.info(`ended patient proxy: ${reads} portal reads answer only the own record`);
  });
});

describe('shared-items email to proxies (rule 5 with rule 18)', () => {
  let t3: TestApp;
  beforeAll(async () => {
    t3 = await buildTestApp();
  });
  afterAll(() => t3?.close());

  it('something shared with Kit reaches his proxies who agreed to be emailed, each alone and without clinical content; none once the proxy has ended', async () => {
    const world = await createWorld(t3);
    await t3.services.settings.update(world.chamber.admin, { sharedItemsEmailEnabled: true });
    const c = world.chamber;
    const staff = world.as.receptionist;
    const kit = await createPatient(t3, c, {
      bandId: world.band,
      given: 'Kit',
      family: 'Parker',
      email: null,
      account: 'none',
    });
    // A patient who consents, a patient who does not, a new person who agrees, one who does not.
    const pam = await createPatient(t3, c, { bandId: world.band, given: 'Pam', family: 'Parker' });
    const quinn = await createPatient(t3, c, {
      bandId: world.band,
      given: 'Quinn',
      family: 'Quayle',
      consent: false,
    });
    const add = (body: Record<string, unknown>) =>
      staff.post(`/api/v1/patients/${kit.id}/proxies`, { relationship: 'Carer', ...body });
    expect((await add({ email: pam.email, relationship: 'Parent' })).status).toBe(201);
    expect((await add({ email: quinn.email })).status).toBe(201);
    const nell = await add({
      email: 'nell.nanny@example.com',
      name: 'Nell Nanny',
      emailConsent: true,
    });
    expect(nell.status, JSON.stringify(nell.body)).toBe(201);
    expect((await add({ email: 'otto.other@example.com', name: 'Otto Other' })).status).toBe(201);
    for (const email of ['nell.nanny@example.com', 'otto.other@example.com']) {
      const token = await takeLink(t3, email);
      expect(
        (await client(t3.app).post('/api/v1/portal/password', { token, password: PASSWORD }))
          .status,
      ).toBe(200);
    }
    const consent = await t3.db.execute<{ email: string; email_consent: boolean }>(
      sql`select email, email_consent from portal_accounts where chamber_id = ${c.id}::uuid and patient_id is null order by email`,
    );
    expect(consent.rows).toEqual([
      { email: 'nell.nanny@example.com', email_consent: true },
      { email: 'otto.other@example.com', email_consent: false },
    ]);

    const shared = async (text: string) => {
      const sent = t3.outbox.length;
      const res = await staff.post(`/api/v1/patients/${kit.id}/conversations`, {
        text,
        shareWithPatient: true,
        roleIds: [],
      });
      expect(res.status).toBe(201);
      t3.clock.advance(10 * 60_000);
      await t3.deliverMail();
      return t3.outbox.slice(sent).filter((m) => /Something new/.test(m.subject));
    };
    const first = await shared('Kit’s blood test is normal');
    expect(first.map((m) => m.to).sort()).toEqual([pam.email, 'nell.nanny@example.com'].sort());
    for (const m of first)
      expect(`${m.subject}\n${m.text}`).not.toMatch(/blood test|normal|Rita|Reception|Kit/i);

    // Pam's proxy ends: the next shared item is emailed to Nell only.
    const pamProxy = (await staff.get(`/api/v1/patients/${kit.id}/proxies`)).body.proxies.find(
      (p: any) => p.account.email === pam.email,
    ).id;
    expect((await staff.delete(`/api/v1/patients/${kit.id}/proxies/${pamProxy}`)).status).toBe(200);
    const second = await shared('Kit’s second result');
    expect(second.map((m) => m.to)).toEqual(['nell.nanny@example.com']);
  });
});
