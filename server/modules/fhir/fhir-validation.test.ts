import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPatient, createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { fhirProblems } from './fhir-validator.js';
import { ALL, createIntegration, entriesOf, fhirGet, getToken } from './fhir-test-support.js';

/**
 * Every kind of resource the API serves, in its variants, checked against FHIR R4 by the
 * official JSON Schema and by FHIR.js (see fhir-validator.ts).
 */
let t: TestApp;
let w: World;
let token: string;
const ids: Record<string, string> = {};

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  token = await getToken(t.app, await createIntegration(w.as.admin, 'Validator', ALL));

  const started = await w.as.alice.post('/api/v1/portal/conversations', {
    text: 'Hello <b>clinic</b> & "friends"\nSecond line with émoji 🙂',
  });
  ids.conversation = started.body.conversation.id;
  ids.patientMessage = started.body.message.id;
  ids.note = (
    await w.as.receptionist.post(`/api/v1/conversations/${ids.conversation}/messages`, {
      text: 'Internal note',
      shareWithPatient: false,
      roleIds: [w.roles.nurses, w.roles.reception],
    })
  ).body.message.id;
  ids.reply = (
    await w.as.nurse.post(`/api/v1/conversations/${ids.conversation}/messages`, {
      text: 'Exclusively with the patient',
      shareWithPatient: true,
      roleIds: [],
    })
  ).body.message.id;

  await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
  const form = new FormData();
  form.append('file', new Blob([PNG]), 'photo.png');
  const up = await t.app.inject({
    method: 'POST',
    url: '/api/v1/portal/documents',
    headers: { cookie: w.as.alice.cookie! },
    payload: form,
  });
  ids.document = up.json().id;
  ids.withAttachment = (
    await w.as.alice.post(`/api/v1/portal/conversations/${ids.conversation}/messages`, {
      text: 'See the photo',
      attachmentIds: [ids.document],
    })
  ).body.message.id;

  // A patient with no email and a mobile; an inactive user; a deleted role; an empty role.
  ids.quietPatient = (
    await createPatient(t, w.chamber, { bandId: w.band, email: null, account: 'none' })
  ).id;
  await t.services.patients.update(w.chamber.admin, ids.quietPatient, { mobile: '07700 900123' });
  const leaver = await t.services.users.create(w.chamber.admin, {
    name: 'Lee Leaver',
    email: `leaver@${w.chamber.key}.example`,
    password: 'test-password-1',
    roleIds: [w.roles.reception],
    isAdmin: false,
  });
  await t.services.users.update(w.chamber.admin, leaver.id, { active: false });
  ids.leaver = leaver.id;
  ids.emptyRole = (await t.services.roles.create(w.chamber.admin, { name: 'Empty' })).id;
  ids.deletedRole = (await t.services.roles.create(w.chamber.admin, { name: 'Gone' })).id;
  await t.services.roles.remove(w.chamber.admin, ids.deletedRole);
});
afterAll(() => t?.close());

async function valid(url: string, expectedStatus = 200, headers: Record<string, string> = {}) {
  const res = await fhirGet(t.app, url.includes('metadata') ? undefined : token, url, headers);
  expect(res.status, `${url}: ${res.raw}`).toBe(expectedStatus);
  expect(res.headers['content-type']).toBe('application/fhir+json; charset=utf-8');
  expect(fhirProblems(res.body), url).toEqual([]);
  return res.body;
}

describe('every resource served is valid FHIR R4', () => {
  it('the validator is not vacuous: it refuses broken resources', () => {
    expect(fhirProblems({ resourceType: 'Communication', status: 'done' })).not.toEqual([]);
    expect(
      fhirProblems({ resourceType: 'Communication', status: 'completed', payload: [{}] }),
    ).not.toEqual([]);
    expect(
      fhirProblems({ resourceType: 'Patient', birthDate: '12/04/1985', nickname: 'x' }),
    ).not.toEqual([]);
    expect(
      fhirProblems({ resourceType: 'Bundle', type: 'searchset', entry: [{ resource: {} }] }),
    ).not.toEqual([]);
  });

  it('CapabilityStatement', async () => {
    await valid('/fhir/R4/metadata');
  });

  it('Communication: thread header, patient message, internal note, message to the patient only, message with an attachment', async () => {
    const header = await valid(`/fhir/R4/Communication/${ids.conversation}`);
    expect(header.payload).toBeUndefined();
    await valid(`/fhir/R4/Communication/${ids.patientMessage}`);
    const note = await valid(`/fhir/R4/Communication/${ids.note}`);
    expect(note.recipient.every((r: any) => r.reference.startsWith('Group/'))).toBe(true);
    const reply = await valid(`/fhir/R4/Communication/${ids.reply}`);
    expect(reply.recipient).toEqual([{ reference: `Patient/${w.alice.id}` }]);
    const withFile = await valid(`/fhir/R4/Communication/${ids.withAttachment}`);
    expect(withFile.payload[1].contentAttachment.url).toContain(`/Binary/${ids.document}`);
  });

  it('Patient: with email, and with a mobile but no email', async () => {
    await valid(`/fhir/R4/Patient/${w.alice.id}`);
    const quiet = await valid(`/fhir/R4/Patient/${ids.quietPatient}`);
    expect(quiet.telecom).toEqual([{ system: 'phone', value: '07700 900123', use: 'mobile' }]);
  });

  it('Practitioner: active and inactive', async () => {
    await valid(`/fhir/R4/Practitioner/${w.nurse.id}`);
    const leaver = await valid(`/fhir/R4/Practitioner/${ids.leaver}`);
    expect(leaver.active).toBe(false);
  });

  it('Group: a role with members, an empty role, a deleted role', async () => {
    await valid(`/fhir/R4/Group/${w.roles.reception}`);
    const empty = await valid(`/fhir/R4/Group/${ids.emptyRole}`);
    expect(empty.quantity).toBe(0);
    const gone = await valid(`/fhir/R4/Group/${ids.deletedRole}`);
    expect(gone.active).toBe(false);
  });

  it('Binary, when asked for as a resource', async () => {
    await valid(`/fhir/R4/Binary/${ids.document}`, 200, { accept: 'application/fhir+json' });
  });

  it('searchset Bundles: Communication with a next link, Patient, and an empty one', async () => {
    const page = await valid(`/fhir/R4/Communication?subject=${w.alice.id}&_count=2`);
    expect(page.link.map((l: any) => l.relation)).toEqual(['self', 'next']);
    const next = page.link[1].url;
    const second = await valid(next.replace(/^https?:\/\/[^/]+/, ''));
    expect(entriesOf(second).length).toBeGreaterThan(0);
    await valid('/fhir/R4/Communication?_count=100');
    await valid('/fhir/R4/Patient?name=a');
    const empty = await valid('/fhir/R4/Patient?name=nobody-at-all');
    expect(empty.entry).toBeUndefined();
  });

  it('OperationOutcome for each refusal: 400, 401, 403, 404, 405, 406', async () => {
    await valid('/fhir/R4/Communication?foo=bar', 400);
    await valid('/fhir/R4/Communication?sent=someday', 400);
    const none = await fhirGet(t.app, undefined, `/fhir/R4/Patient/${w.alice.id}`);
    expect(none.status).toBe(401);
    expect(fhirProblems(none.body)).toEqual([]);
    const narrow = await getToken(
      t.app,
      await createIntegration(w.as.admin, 'Narrow', ['system/Communication.read']),
    );
    const forbidden = await fhirGet(t.app, narrow, `/fhir/R4/Patient/${w.alice.id}`);
    expect(forbidden.status).toBe(403);
    expect(fhirProblems(forbidden.body)).toEqual([]);
    await valid(`/fhir/R4/Patient/${crypto.randomUUID()}`, 404);
    await valid('/fhir/R4/Observation', 404);
    await valid('/fhir/R4/Patient?_format=xml', 406);
    const write = await t.app.inject({ method: 'DELETE', url: `/fhir/R4/Patient/${w.alice.id}` });
    expect(write.statusCode).toBe(405);
    expect(fhirProblems(write.json())).toEqual([]);
  });
});
