import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import { createWorld, patientClient, staffClient, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  ALL,
  createIntegration,
  entriesOf,
  fhirGet,
  getToken,
  tokenRequest,
} from './fhir-test-support.js';

let t: TestApp;
let w: World;
/** A second chamber with its own patients, messages and client: never reachable from the first. */
let other: World;

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  other = await createWorld(t);
});
afterAll(() => t?.close());

async function auditRows(action: string) {
  const r = await t.db.execute<any>(
    sql`select * from audit_events where action = ${action} order by id`,
  );
  return r.rows;
}

async function count(table: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql.raw(`select count(*) as n from ${table}`),
  );
  return Number(r.rows[0]?.n);
}

/** Moving the clock 15 minutes ends the sessions too (idle limit): sign everyone in again. */
async function signInAgain(world: World) {
  const c = world.chamber;
  world.as.admin = await staffClient(t, c, c.admin.email);
  world.as.receptionist = await staffClient(t, c, world.receptionist.email);
  world.as.nurse = await staffClient(t, c, world.nurse.email);
  world.as.alice = await patientClient(t, c, world.alice.email);
  world.as.bob = await patientClient(t, c, world.bob.email);
}

const outcome = (body: any, code: string) => {
  expect(body.resourceType).toBe('OperationOutcome');
  expect(body.issue[0].details.coding[0].code).toBe(code);
};

describe('CapabilityStatement and SMART configuration', () => {
  it('serves /fhir/R4/metadata without a token, as application/fhir+json', async () => {
    const res = await fhirGet(t.app, undefined, '/fhir/R4/metadata');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    expect(res.body).toMatchObject({
      resourceType: 'CapabilityStatement',
      fhirVersion: '4.0.1',
      kind: 'instance',
    });
    const rest = res.body.rest[0];
    expect(rest.resource.map((r: any) => r.type)).toEqual([
      'Communication',
      'Patient',
      'Practitioner',
      'Group',
      'Binary',
    ]);
    const comm = rest.resource[0];
    expect(comm.interaction.map((i: any) => i.code)).toEqual(['read', 'search-type']);
    expect(comm.searchParam.map((p: any) => p.name)).toEqual([
      'subject',
      'patient',
      'part-of',
      'sent',
      '_lastUpdated',
      '_cursor',
    ]);
    expect(rest.resource[1].searchParam.map((p: any) => p.name)).toEqual([
      'identifier',
      'name',
      'birthdate',
      'email',
      '_lastUpdated',
      '_cursor',
    ]);
    expect(rest.security.extension[0].extension[0]).toEqual({
      url: 'token',
      valueUri: `${t.config.publicUrl}/oauth2/token`,
    });
  });

  it('serves the SMART configuration naming the token endpoint', async () => {
    const res = await fhirGet(t.app, undefined, '/fhir/R4/.well-known/smart-configuration');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      token_endpoint: `${t.config.publicUrl}/oauth2/token`,
      grant_types_supported: ['client_credentials'],
      scopes_supported: ALL,
    });
  });
});

describe('integration clients (admin)', () => {
  it('creates a client with its secret shown once; only a hash is stored', async () => {
    const res = await w.as.admin.post('/api/v1/admin/integrations', {
      name: 'EHR Link',
      scopes: ['system/Communication.read', 'system/Patient.read'],
    });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      clientId: `${w.chamber.key}-ehr-link`,
      name: 'EHR Link',
      scopes: ['system/Patient.read', 'system/Communication.read'],
      revokedAt: null,
      tokenUrl: `${t.config.publicUrl}/oauth2/token`,
      fhirBaseUrl: `${t.config.publicUrl}/fhir/R4`,
    });
    // 256 random bits, base64url.
    expect(res.body.clientSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.db.execute<any>(
      sql`select secret_hash from integration_clients where id = ${res.body.id}::uuid`,
    );
    expect(stored.rows[0].secret_hash).not.toContain(res.body.clientSecret);

    const list = await w.as.admin.get('/api/v1/admin/integrations');
    expect(list.status).toBe(200);
    const line = list.body.integrations.find((c: any) => c.id === res.body.id);
    expect(line).toMatchObject({ clientId: `${w.chamber.key}-ehr-link`, createdBy: 'Admin User' });
    expect(JSON.stringify(list.body)).not.toContain(res.body.clientSecret);
    expect(list.body.scopes.map((s: any) => s.scope)).toEqual(ALL);

    const audited = await auditRows('integration.created');
    expect(audited.at(-1)).toMatchObject({ actor_kind: 'staff', subject_id: res.body.id });
  });

  it('refuses bad input and non-admins, changing nothing', async () => {
    const before = await count('integration_clients');
    const cases: [unknown, number, string, string | undefined][] = [
      [{ name: '', scopes: ['system/Patient.read'] }, 422, 'validation_failed', 'name'],
      [{ name: 'X', scopes: [] }, 422, 'validation_failed', 'scopes'],
      [{ name: 'X', scopes: ['system/Observation.read'] }, 422, 'validation_failed', 'scopes.0'],
      [
        { name: 'X', scopes: ['system/Communication.read-internal'] },
        422,
        'scope_needs_communication_read',
        'scopes',
      ],
      [
        { name: 'ehr link', scopes: ['system/Patient.read'] },
        409,
        'integration_name_taken',
        'name',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await w.as.admin.post('/api/v1/admin/integrations', body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error).toMatchObject({ code, ...(field ? { field } : {}) });
    }
    const staff = await w.as.receptionist.post('/api/v1/admin/integrations', {
      name: 'Sneaky',
      scopes: ['system/Patient.read'],
    });
    expect(staff.status).toBe(403);
    expect((await w.as.alice.get('/api/v1/admin/integrations')).status).toBe(401);
    expect(await count('integration_clients')).toBe(before);
  });

  it('gives a clashing client id a number, and keeps ids unique across chambers', async () => {
    const a = await createIntegration(w.as.admin, 'Archive Sync!');
    expect(a.clientId).toBe(`${w.chamber.key}-archive-sync`);
    await w.as.admin.post(`/api/v1/admin/integrations/${a.id}/revoke`);
    // The name is free again once revoked, but the id is never given out twice.
    const b = await createIntegration(w.as.admin, 'Archive Sync');
    expect(b.clientId).toBe(`${w.chamber.key}-archive-sync-2`);
  });

  it('documents the admin and token endpoints in OpenAPI (FHIR has its CapabilityStatement)', async () => {
    const res = await w.as.admin.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/admin/integrations',
        '/api/v1/admin/integrations/{id}/revoke',
        '/oauth2/token',
      ]),
    );
    expect(Object.keys(res.body.paths).some((p) => p.startsWith('/fhir'))).toBe(false);
  });

  it("another chamber's client cannot be revoked (404) and is not listed", async () => {
    const foreign = await createIntegration(other.as.admin, 'Foreign');
    const res = await w.as.admin.post(`/api/v1/admin/integrations/${foreign.id}/revoke`);
    expect(res.status).toBe(404);
    const list = await w.as.admin.get('/api/v1/admin/integrations');
    expect(list.body.integrations.map((c: any) => c.id)).not.toContain(foreign.id);
  });
});

describe('POST /oauth2/token', () => {
  let client: Awaited<ReturnType<typeof createIntegration>>;
  beforeAll(async () => {
    client = await createIntegration(w.as.admin, 'Token Flow', ALL);
  });

  it('issues a 15-minute bearer token for a form-encoded client-credentials request', async () => {
    const res = await tokenRequest(t.app, {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: ALL.join(' ') });
    expect(res.body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = await t.db.execute<any>(sql`select token_hash from integration_tokens`);
    expect(stored.rows.map((r: any) => r.token_hash)).not.toContain(res.body.access_token);
    const issued = (await auditRows('integration.token_issued')).at(-1);
    expect(issued).toMatchObject({ actor_kind: 'integration', actor_label: 'Token Flow' });
    expect(issued.chamber_id).toBe(w.chamber.id);
  });

  it('accepts JSON and HTTP Basic too, and a narrower scope', async () => {
    const json = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: 'system/Patient.read',
      },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json().scope).toBe('system/Patient.read');
    const basic = Buffer.from(
      `${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`,
    ).toString('base64');
    const res = await tokenRequest(
      t.app,
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${basic}` },
    );
    expect(res.status).toBe(200);
  });

  it('refuses a wrong secret (RFC 6749 invalid_client) and records it', async () => {
    const before = (await auditRows('integration.token_refused')).length;
    const res = await tokenRequest(t.app, {
      grant_type: 'client_credentials',
      client_id: client.clientId,
      client_secret: 'not-the-secret',
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: 'invalid_client',
      error_description: 'The client is unknown, revoked, or its secret is wrong.',
    });
    const rows = await auditRows('integration.token_refused');
    expect(rows.length).toBe(before + 1);
    expect(rows.at(-1)).toMatchObject({
      chamber_id: w.chamber.id,
      actor_kind: 'integration',
      actor_label: 'Token Flow',
      details: { reason: 'wrong_secret', clientId: client.clientId },
    });
  });

  it('refuses unknown clients, other grants, missing fields, scopes not granted', async () => {
    const cases: [Record<string, string>, number, string][] = [
      [
        { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' },
        401,
        'invalid_client',
      ],
      [{ grant_type: 'password', client_id: client.clientId }, 400, 'unsupported_grant_type'],
      [{ client_id: client.clientId, client_secret: client.clientSecret }, 400, 'invalid_request'],
      [{ grant_type: 'client_credentials' }, 401, 'invalid_client'],
      [
        {
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          scope: 'system/Observation.read',
        },
        400,
        'invalid_scope',
      ],
    ];
    for (const [fields, status, error] of cases) {
      const res = await tokenRequest(t.app, fields);
      expect(res.status, JSON.stringify(fields)).toBe(status);
      expect(res.body.error).toBe(error);
    }
    const text = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'text/plain' },
      payload: 'grant_type=client_credentials',
    });
    expect(text.statusCode).toBe(400);
    expect(text.json().error).toBe('invalid_request');
    const repeated = await t.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    expect(repeated.statusCode).toBe(400);
    expect(repeated.json().error).toBe('invalid_request');
  });

  it('keeps form-encoded bodies off the rest of the API (JSON only there)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/staff/session',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'chamber=x&email=y&password=z',
    });
    expect(res.statusCode).toBe(415);
  });
});

describe('bearer tokens at /fhir/R4', () => {
  let client: Awaited<ReturnType<typeof createIntegration>>;
  beforeAll(async () => {
    client = await createIntegration(w.as.admin, 'Bearer Checks', ['system/Communication.read']);
  });

  it('refuses a request without a token, or with an unknown one (401 OperationOutcome)', async () => {
    const none = await fhirGet(t.app, undefined, `/fhir/R4/Patient/${w.alice.id}`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    outcome(none.body, 'token_missing');
    expect(none.body.issue[0].code).toBe('login');
    const bad = await fhirGet(t.app, 'x'.repeat(43), `/fhir/R4/Patient/${w.alice.id}`);
    expect(bad.status).toBe(401);
    outcome(bad.body, 'token_invalid');
  });

  it('refuses a token once expired (15 minutes), and records it', async () => {
    const token = await getToken(t.app, client);
    expect((await fhirGet(t.app, token, `/fhir/R4/Practitioner/${w.nurse.id}`)).status).toBe(200);
    t.clock.advance(minutes(15));
    await signInAgain(w);
    await signInAgain(other);
    const res = await fhirGet(t.app, token, `/fhir/R4/Practitioner/${w.nurse.id}`);
    expect(res.status).toBe(401);
    outcome(res.body, 'token_expired');
    expect(res.body.issue[0].code).toBe('expired');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await auditRows('fhir.refused')).at(-1)).toMatchObject({
      chamber_id: w.chamber.id,
      actor_kind: 'integration',
      actor_label: 'Bearer Checks',
      details: { reason: 'token_expired' },
    });
  });

  it('refuses the scopes a token lacks (403), and records it', async () => {
    const token = await getToken(t.app, client);
    const res = await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`);
    expect(res.status).toBe(403);
    outcome(res.body, 'scope_missing');
    expect(res.body.issue[0].code).toBe('forbidden');
    expect(res.headers['www-authenticate']).toContain('insufficient_scope');
    expect((await auditRows('fhir.refused')).at(-1)).toMatchObject({
      actor_label: 'Bearer Checks',
      details: { reason: 'scope_missing', scope: 'system/Patient.read' },
    });
    // A token asked for fewer scopes than the client holds has only those.
    const narrow = await getToken(
      t.app,
      await createIntegration(w.as.admin, 'Narrow'),
      'system/Patient.read',
    );
    const comm = await fhirGet(t.app, narrow, `/fhir/R4/Communication?patient=${w.alice.id}`);
    expect(comm.status).toBe(403);
  });

  it('stops a revoked client at once: its live tokens and new token requests, each recorded', async () => {
    const victim = await createIntegration(w.as.admin, 'Soon Revoked');
    const token = await getToken(t.app, victim);
    expect((await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`)).status).toBe(200);
    const revoked = await w.as.admin.post(`/api/v1/admin/integrations/${victim.id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toBeTruthy();
    expect((await auditRows('integration.revoked')).at(-1)).toMatchObject({
      actor_kind: 'staff',
      subject_id: victim.id,
    });

    const res = await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`);
    expect(res.status).toBe(401);
    outcome(res.body, 'client_revoked');
    expect((await auditRows('fhir.refused')).at(-1)).toMatchObject({
      actor_label: 'Soon Revoked',
      details: { reason: 'client_revoked' },
    });

    const again = await tokenRequest(t.app, {
      grant_type: 'client_credentials',
      client_id: victim.clientId,
      client_secret: victim.clientSecret,
    });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_client');
    expect((await auditRows('integration.token_refused')).at(-1)).toMatchObject({
      actor_label: 'Soon Revoked',
      details: { reason: 'client_revoked' },
    });
  });
});

describe('reads and searches', () => {
  let token: string;
  let conversationId: string;
  let patientMessageId: string;
  let replyId: string;
  let noteId: string;
  let noteOnlyConversationId: string;

  beforeAll(async () => {
    token = await getToken(t.app, await createIntegration(w.as.admin, 'Reader', ALL));
    const started = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'My knee hurts when I climb stairs.',
    });
    conversationId = started.body.conversation.id;
    patientMessageId = started.body.message.id;
    const note = await w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Internal: knee referral pending',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    noteId = note.body.message.id;
    const reply = await w.as.nurse.post(`/api/v1/conversations/${conversationId}/messages`, {
      text: 'Please book a physio appointment.',
      shareWithPatient: true,
      roleIds: [w.roles.nurses, w.roles.builtIn],
    });
    replyId = reply.body.message.id;
    const onlyNote = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'Internal only: check allergy record',
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    noteOnlyConversationId = onlyNote.body.conversation.id;
  });

  it('reads a message as a Communication partOf its thread header, with audience and sender', async () => {
    const res = await fhirGet(t.app, token, `/fhir/R4/Communication/${replyId}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
    expect(res.body).toMatchObject({
      resourceType: 'Communication',
      id: replyId,
      status: 'completed',
      partOf: [{ reference: `Communication/${conversationId}` }],
      subject: { reference: `Patient/${w.alice.id}` },
      sender: { reference: `Practitioner/${w.nurse.id}`, display: 'Nina Nurse' },
      payload: [{ contentString: 'Please book a physio appointment.' }],
    });
    expect(res.body.recipient).toEqual([
      { reference: `Patient/${w.alice.id}` },
      { reference: `Group/${w.roles.builtIn}`, display: 'Appointment Reminder Admin' },
      { reference: `Group/${w.roles.nurses}`, display: 'Nurses' },
    ]);
    const header = await fhirGet(t.app, token, `/fhir/R4/Communication/${conversationId}`);
    expect(header.status).toBe(200);
    expect(header.body).toMatchObject({
      resourceType: 'Communication',
      id: conversationId,
      status: 'in-progress',
      subject: { reference: `Patient/${w.alice.id}` },
    });
    expect(header.body.payload).toBeUndefined();
    expect(header.body.partOf).toBeUndefined();
    const mine = await fhirGet(t.app, token, `/fhir/R4/Communication/${patientMessageId}`);
    expect(mine.body.sender).toEqual({ reference: `Patient/${w.alice.id}` });
  });

  it("searches a patient's Communications: each header just before its first message", async () => {
    const res = await fhirGet(t.app, token, `/fhir/R4/Communication?patient=Patient/${w.alice.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
    const ids = entriesOf(res.body).map((r) => r.id);
    expect(ids).toEqual([
      conversationId,
      patientMessageId,
      noteId,
      replyId,
      noteOnlyConversationId,
      expect.any(String),
    ]);
    expect(res.body.entry[0].fullUrl).toBe(
      `${t.config.publicUrl}/fhir/R4/Communication/${conversationId}`,
    );
    expect(res.body.entry[0].search).toEqual({ mode: 'match' });
    const thread = await fhirGet(
      t.app,
      token,
      `/fhir/R4/Communication?part-of=Communication/${conversationId}`,
    );
    expect(entriesOf(thread.body).map((r) => r.id)).toEqual([patientMessageId, noteId, replyId]);
    const headers = await fhirGet(
      t.app,
      token,
      `/fhir/R4/Communication?subject=${w.alice.id}&part-of:missing=true`,
    );
    expect(entriesOf(headers.body).map((r) => r.id)).toEqual([
      conversationId,
      noteOnlyConversationId,
    ]);
  });

  it('leaves internal notes out without the internal scope: in searches, reads and headers', async () => {
    const plain = await getToken(
      t.app,
      await createIntegration(w.as.admin, 'No Notes', [
        'system/Communication.read',
        'system/Patient.read',
      ]),
    );
    const res = await fhirGet(t.app, plain, `/fhir/R4/Communication?subject=${w.alice.id}`);
    expect(res.status).toBe(200);
    expect(entriesOf(res.body).map((r) => r.id)).toEqual([
      conversationId,
      patientMessageId,
      replyId,
    ]);
    expect(res.raw).not.toContain('Internal');
    expect((await fhirGet(t.app, plain, `/fhir/R4/Communication/${noteId}`)).status).toBe(404);
    // A conversation of internal notes only does not exist for this client.
    const header = await fhirGet(t.app, plain, `/fhir/R4/Communication/${noteOnlyConversationId}`);
    expect(header.status).toBe(404);
    outcome(header.body, 'not_found');
    const inThread = await fhirGet(
      t.app,
      plain,
      `/fhir/R4/Communication?part-of=${noteOnlyConversationId}`,
    );
    expect(inThread.body.entry).toBeUndefined();
    // With the scope, the note is there and carries no Patient recipient.
    const note = await fhirGet(t.app, token, `/fhir/R4/Communication/${noteId}`);
    expect(note.status).toBe(200);
    expect(note.body.recipient).toEqual([
      { reference: `Group/${w.roles.nurses}`, display: 'Nurses' },
    ]);
  });

  it('filters by sent and _lastUpdated (ge, le, gt, lt, eq on a day)', async () => {
    const now = t.clock().toISOString();
    const day = now.slice(0, 10);
    const q = (s: string) =>
      fhirGet(t.app, token, `/fhir/R4/Communication?subject=${w.alice.id}&${s}`);
    expect(entriesOf((await q(`sent=ge${day}`)).body).length).toBe(6);
    expect(entriesOf((await q(`sent=${day}`)).body).length).toBe(6);
    expect((await q(`sent=lt${day}`)).body.entry).toBeUndefined();
    expect((await q(`sent=gt${day}`)).body.entry).toBeUndefined();
    expect(entriesOf((await q(`sent=le${day}&_lastUpdated=ge2000`)).body).length).toBe(6);
    expect(
      entriesOf((await q(`sent=ge${encodeURIComponent(now.replace('Z', '+00:00'))}`)).body).length,
    ).toBe(6);
    const bad = await q('sent=yesterday');
    expect(bad.status).toBe(400);
    outcome(bad.body, 'invalid_parameter');
    const prefix = await q(`sent=ap${day}`);
    expect(prefix.status).toBe(400);
  });

  it('refuses unknown parameters, unless the client asks for lenient handling', async () => {
    const res = await fhirGet(
      t.app,
      token,
      `/fhir/R4/Communication?subject=${w.alice.id}&category=x`,
    );
    expect(res.status).toBe(400);
    outcome(res.body, 'unknown_parameter');
    expect(res.body.issue[0].code).toBe('not-supported');
    const lenient = await fhirGet(
      t.app,
      token,
      `/fhir/R4/Communication?subject=${w.alice.id}&category=x&_count=2`,
      { prefer: 'handling=lenient' },
    );
    expect(lenient.status).toBe(200);
    expect(lenient.body.link[0].url).toBe(
      `${t.config.publicUrl}/fhir/R4/Communication?subject=${w.alice.id}&_count=2`,
    );
    const or = await fhirGet(t.app, token, `/fhir/R4/Patient?name=alice,bob`);
    expect(or.status).toBe(400);
    outcome(or.body, 'or_not_supported');
    const xml = await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}?_format=xml`);
    expect(xml.status).toBe(406);
    outcome(xml.body, 'format_not_supported');
    const accept = await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`, {
      accept: 'application/fhir+xml',
    });
    expect(accept.status).toBe(406);
    const write = await t.app.inject({
      method: 'POST',
      url: '/fhir/R4/Patient',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
      payload: '{}',
    });
    expect(write.statusCode).toBe(405);
    const unknownType = await fhirGet(t.app, token, '/fhir/R4/Observation');
    expect(unknownType.status).toBe(404);
    expect(unknownType.body.resourceType).toBe('OperationOutcome');
  });

  it('reads and searches Patients by identifier, name, birthdate and email', async () => {
    const read = await fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      resourceType: 'Patient',
      id: w.alice.id,
      identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:uuid:${w.alice.id}` }],
      name: [{ family: 'Archer', given: ['Alice'], text: 'Alice Archer' }],
      telecom: [{ system: 'email', value: w.alice.email }],
      birthDate: '1980-01-02',
    });
    const ids = async (q: string) => {
      const res = await fhirGet(t.app, token, `/fhir/R4/Patient?${q}`);
      expect(res.status, q).toBe(200);
      return entriesOf(res.body).map((r) => r.id);
    };
    expect(await ids(`identifier=urn:ietf:rfc:3986|urn:uuid:${w.alice.id}`)).toEqual([w.alice.id]);
    expect(await ids(`identifier=urn:uuid:${w.bob.id}`)).toEqual([w.bob.id]);
    expect(await ids(`identifier=http://other|urn:uuid:${w.bob.id}`)).toEqual([]);
    expect(await ids('name=ali')).toEqual([w.alice.id]);
    expect(await ids('name=ARCH')).toEqual([w.alice.id]);
    expect(await ids('name=alice%20arch')).toEqual([w.alice.id]);
    expect(await ids('name:contains=ake')).toEqual([w.bob.id]);
    expect(await ids('name:exact=alice')).toEqual([]);
    expect(await ids('name:exact=Alice')).toEqual([w.alice.id]);
    expect((await ids('birthdate=1980-01-02')).sort()).toEqual([w.alice.id, w.bob.id].sort());
    expect(await ids('birthdate=ge1980-01-03')).toEqual([]);
    expect(await ids('birthdate=1980&name=bob')).toEqual([w.bob.id]);
    expect(await ids(`email=${w.bob.email.toUpperCase()}`)).toEqual([w.bob.id]);
    // Another chamber's patient is never found, even by its id.
    expect(await ids(`identifier=urn:uuid:${other.alice.id}`)).toEqual([]);
  });

  it('pages Patients with next links', async () => {
    // Registered at the same moment here, so in the order of their ids.
    const [one, two] = [w.alice.id, w.bob.id].sort();
    const first = await fhirGet(t.app, token, '/fhir/R4/Patient?_count=1');
    expect(entriesOf(first.body).map((r) => r.id)).toEqual([one]);
    const next = first.body.link.find((l: any) => l.relation === 'next').url;
    expect(next).toContain('_count=1');
    const second = await fhirGet(t.app, token, next);
    expect(entriesOf(second.body).map((r) => r.id)).toEqual([two]);
    expect(second.body.link.find((l: any) => l.relation === 'next')).toBeUndefined();
    const tampered = await fhirGet(t.app, token, '/fhir/R4/Patient?_cursor=garbage');
    expect(tampered.status).toBe(400);
  });

  it('reads Practitioners (staff users) and Groups (roles with their members)', async () => {
    const p = await fhirGet(t.app, token, `/fhir/R4/Practitioner/${w.nurse.id}`);
    expect(p.status).toBe(200);
    expect(p.body).toMatchObject({
      resourceType: 'Practitioner',
      id: w.nurse.id,
      active: true,
      name: [{ text: 'Nina Nurse' }],
    });
    const g = await fhirGet(t.app, token, `/fhir/R4/Group/${w.roles.nurses}`);
    expect(g.status).toBe(200);
    expect(g.body).toMatchObject({
      resourceType: 'Group',
      type: 'practitioner',
      actual: true,
      active: true,
      name: 'Nurses',
      quantity: 1,
      member: [{ entity: { reference: `Practitioner/${w.nurse.id}`, display: 'Nina Nurse' } }],
    });
  });

  it('serves a patient attachment as payload.contentAttachment with a Binary URL', async () => {
    await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
    const form = new FormData();
    form.append('file', new Blob([PNG]), 'rash.png');
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/portal/documents',
      headers: { cookie: w.as.alice.cookie! },
      payload: form,
    });
    expect(up.statusCode).toBe(201);
    const documentId = up.json().id;
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Photo of the rash',
      attachmentIds: [documentId],
    });
    expect(sent.status).toBe(201);
    const res = await fhirGet(t.app, token, `/fhir/R4/Communication/${sent.body.message.id}`);
    const url = `${t.config.publicUrl}/fhir/R4/Binary/${documentId}`;
    expect(res.body.payload).toEqual([
      { contentString: 'Photo of the rash' },
      {
        contentAttachment: {
          contentType: 'image/png',
          url,
          size: PNG.length,
          title: 'rash',
          creation: expect.any(String),
        },
      },
    ]);
    const bytes = await t.app.inject({
      method: 'GET',
      url: `/fhir/R4/Binary/${documentId}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bytes.statusCode).toBe(200);
    expect(bytes.headers['content-type']).toBe('image/png');
    expect(bytes.rawPayload.equals(PNG)).toBe(true);
    const resource = await fhirGet(t.app, token, url, { accept: 'application/fhir+json' });
    expect(resource.body).toMatchObject({ resourceType: 'Binary', contentType: 'image/png' });
    expect(Buffer.from(resource.body.data, 'base64').equals(PNG)).toBe(true);
  });

  it('records every read and search under the client name, with the patient', async () => {
    const before = (await auditRows('fhir.read')).length;
    await fhirGet(t.app, token, `/fhir/R4/Communication/${replyId}`);
    const reads = await auditRows('fhir.read');
    expect(reads.length).toBe(before + 1);
    expect(reads.at(-1)).toMatchObject({
      chamber_id: w.chamber.id,
      actor_kind: 'integration',
      actor_label: 'Reader',
      patient_id: w.alice.id,
      subject_type: 'Communication',
      subject_id: replyId,
    });
    // The patient's Activity tab shows it.
    const activity = await w.as.admin.get(`/api/v1/patients/${w.alice.id}/activity`);
    expect(activity.status).toBe(200);
    expect(activity.body.events[0]).toMatchObject({
      action: 'fhir.read',
      actor: { kind: 'integration', label: 'Reader' },
    });
    const searches = await auditRows('fhir.search');
    const bySearch = searches.filter((r: any) => r.details.resourceType === 'Patient');
    expect(bySearch.length).toBeGreaterThan(0);
    expect(bySearch.at(-1)).toMatchObject({ actor_kind: 'integration', actor_label: 'Reader' });
  });
});

describe('chambers never cross', () => {
  it("answers 404 for another chamber's Patient, Communication, Practitioner, Group and Binary ids", async () => {
    const token = await getToken(t.app, await createIntegration(w.as.admin, 'Isolation', ALL));
    const theirs = await other.as.alice.post('/api/v1/portal/conversations', {
      text: 'Other chamber message',
    });
    expect(theirs.status).toBe(201);
    const urls = [
      `/fhir/R4/Patient/${other.alice.id}`,
      `/fhir/R4/Communication/${theirs.body.message.id}`,
      `/fhir/R4/Communication/${theirs.body.conversation.id}`,
      `/fhir/R4/Practitioner/${other.nurse.id}`,
      `/fhir/R4/Practitioner/${other.chamber.admin.userId}`,
      `/fhir/R4/Group/${other.roles.nurses}`,
      `/fhir/R4/Binary/${theirs.body.message.id}`,
      '/fhir/R4/Patient/not-a-uuid',
    ];
    for (const url of urls) {
      const res = await fhirGet(t.app, token, url);
      expect(res.status, url).toBe(404);
      outcome(res.body, 'not_found');
    }
    const search = await fhirGet(t.app, token, `/fhir/R4/Communication?subject=${other.alice.id}`);
    expect(search.status).toBe(200);
    expect(search.body.entry).toBeUndefined();
    const all = await fhirGet(t.app, token, '/fhir/R4/Communication?_count=100');
    expect(all.raw).not.toContain('Other chamber message');
    const names = await fhirGet(t.app, token, '/fhir/R4/Patient?_count=100');
    expect(
      entriesOf(names.body)
        .map((r) => r.id)
        .sort(),
    ).toEqual([w.alice.id, w.bob.id].sort());
  });
});

describe('hostile input', () => {
  it('never answers 500 to any search: a Bundle or an OperationOutcome, nothing else', async () => {
    const token = await getToken(t.app, await createIntegration(w.as.admin, 'Fuzzer', ALL));
    const names = [
      'subject',
      'patient',
      'part-of',
      'part-of:missing',
      'sent',
      '_lastUpdated',
      '_count',
      '_cursor',
      'identifier',
      'name',
      'name:exact',
      'birthdate',
      'email',
      'unknown',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Communication', 'Patient'),
        fc.array(
          fc.tuple(fc.constantFrom(...names), fc.string({ unit: 'binary', maxLength: 40 })),
          {
            maxLength: 4,
          },
        ),
        async (type, params) => {
          const q = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
          const res = await fhirGet(t.app, token, `/fhir/R4/${type}?${q}`, {
            prefer: 'handling=lenient',
          });
          expect([200, 400], `${type}?${q}: ${res.raw}`).toContain(res.status);
          expect(res.body.resourceType).toBe(res.status === 200 ? 'Bundle' : 'OperationOutcome');
        },
      ),
      { numRuns: 60 },
    );
    const nul = await fhirGet(t.app, token, '/fhir/R4/Patient?name=a%00b');
    expect(nul.status).toBe(400);
    expect(nul.body.resourceType).toBe('OperationOutcome');
  });

  it('never answers 500 at the token endpoint: always an RFC 6749 error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'other'),
          fc.string({ unit: 'binary', maxLength: 30 }),
        ),
        async (fields) => {
          const res = await tokenRequest(t.app, fields);
          expect([400, 401], JSON.stringify(fields)).toContain(res.status);
          expect(typeof res.body.error).toBe('string');
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('rate limits', () => {
  it('answers 429 to a flood of token requests', async () => {
    let last = 0;
    for (let i = 0; i < 70 && last !== 429; i += 1) {
      last = (await tokenRequest(t.app, { grant_type: 'password' })).status;
    }
    expect(last).toBe(429);
    const res = await tokenRequest(t.app, { grant_type: 'password' });
    expect(res.body.error).toBe('too_many_requests');
    expect(res.headers['retry-after']).toBeTruthy();
  });
});
