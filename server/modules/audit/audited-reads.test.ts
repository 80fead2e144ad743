import { and, eq, gt, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { createWorld, type World } from '../../test/factories.js';
import { pdfUpload, type Reply } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { createIntegration, fhirGet, getToken } from '../fhir/fhir-test-support.js';

/*
 * Issue 17, finding 3 (SPEC rule 6: every read of a message, a document or medical data is
 * recorded: who, which patient). The route table is walked: every GET route of the app is
 * either an audited read below, called here as someone allowed to and checked for its audit
 * row, or listed with the reason it returns no message text, document or medical data. A new
 * GET route fails this test until someone puts it in one list or the other.
 */

let t: TestApp;
let w: World;
let conversationId: string;
let noteId: string;
let documentId: string;
let attachmentId: string;
let token: string;

/** What an audited read must leave behind: its action, by whom, about which patient. */
interface AuditedRead {
  call: () => Promise<Reply>;
  action: string;
  /** Who acted: a staff user's or patient's id, or the integration's name. */
  actor: () => { userId?: string; patientId?: string; integration?: string };
  /** The patient whose data was read: in `patient_id`, or among `details.patientIds`. */
  patient?: () => string;
}

/** A PDF uploaded through app.inject (its fields first, then the file). */
async function upload(cookie: string, url: string, shareWithPatient: boolean): Promise<string> {
  const file = pdfUpload('blood.pdf', {
    ...(shareWithPatient ? { shareWithPatient: 'true' } : {}),
    title: 'Blood test',
  });
  const res = await t.app.inject({
    method: 'POST',
    url,
    headers: { cookie, ...file.headers },
    payload: file.payload,
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const fhir = (url: string) => async (): Promise<Reply> => fhirGet(t.app, token, url);

const staff = (who: 'receptionist' | 'nurse' | 'admin') => () => ({
  userId: who === 'admin' ? w.chamber.admin.userId : w[who].id,
});
const alice = () => w.alice.id;
const asAlice = () => ({ patientId: w.alice.id });
const integration = () => ({ integration: 'Audit walk' });

/** GET routes that return message text, a document or medical data (and other audited reads). */
const AUDITED: Record<string, AuditedRead> = {
  'GET /api/v1/portal/conversations': {
    call: () => w.as.alice.get('/api/v1/portal/conversations'),
    action: 'inbox.viewed',
    actor: asAlice,
    patient: alice,
  },
  'GET /api/v1/portal/conversations/:id': {
    call: () => w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`),
    action: 'conversation.viewed',
    actor: asAlice,
    patient: alice,
  },
  'GET /api/v1/patients/:id/feed': {
    call: () => w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`),
    action: 'feed.viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/conversations/:id': {
    call: () => w.as.receptionist.get(`/api/v1/conversations/${conversationId}`),
    action: 'conversation.viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/inbox': {
    call: () => w.as.receptionist.get('/api/v1/inbox'),
    action: 'inbox.team_viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/notifications': {
    call: () => w.as.receptionist.get('/api/v1/notifications'),
    action: 'notification.list_viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/patients/:id': {
    call: () => w.as.receptionist.get(`/api/v1/patients/${w.alice.id}`),
    action: 'patient.viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  // Who may act for the patient (rule 18): names, emails and relationships.
  'GET /api/v1/patients/:id/proxies': {
    call: () => w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/proxies`),
    action: 'proxy.list_viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  // Who read the patient's record and what it is about (document titles, conversation subjects).
  'GET /api/v1/patients/:id/activity': {
    call: () => w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/activity`),
    action: 'activity.viewed',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/patients/:id/medical-data': {
    call: () => w.as.nurse.get(`/api/v1/patients/${w.alice.id}/medical-data`),
    action: 'medical_item.list_viewed',
    actor: staff('nurse'),
    patient: alice,
  },
  'GET /api/v1/portal/medical-data': {
    call: () => w.as.alice.get('/api/v1/portal/medical-data'),
    action: 'medical_item.list_viewed',
    actor: asAlice,
    patient: alice,
  },
  'GET /api/v1/patients/:id/documents': {
    call: () => w.as.nurse.get(`/api/v1/patients/${w.alice.id}/documents`),
    action: 'document.list_viewed',
    actor: staff('nurse'),
    patient: alice,
  },
  'GET /api/v1/documents/:id/content': {
    call: () => w.as.nurse.get(`/api/v1/documents/${documentId}/content`),
    action: 'document.downloaded',
    actor: staff('nurse'),
    patient: alice,
  },
  'GET /api/v1/portal/documents': {
    call: () => w.as.alice.get('/api/v1/portal/documents'),
    action: 'document.list_viewed',
    actor: asAlice,
    patient: alice,
  },
  'GET /api/v1/portal/documents/:id/content': {
    call: () => w.as.alice.get(`/api/v1/portal/documents/${documentId}/content`),
    action: 'document.downloaded',
    actor: asAlice,
    patient: alice,
  },
  // Search (rule 16): the row names the patients whose messages the page showed, never the words.
  'GET /api/v1/search': {
    call: () => w.as.receptionist.get('/api/v1/search?q=results'),
    action: 'message.searched',
    actor: staff('receptionist'),
    patient: alice,
  },
  'GET /api/v1/portal/search': {
    call: () => w.as.alice.get('/api/v1/portal/search?q=results'),
    action: 'message.searched',
    actor: asAlice,
    patient: alice,
  },
  // Audited although they hold no patient's data: the chamber's settings, figures, the log.
  'GET /api/v1/admin/settings': {
    call: () => w.as.admin.get('/api/v1/admin/settings'),
    action: 'settings.viewed',
    actor: staff('admin'),
  },
  'GET /api/v1/admin/reports/reply-times': {
    call: () => w.as.admin.get('/api/v1/admin/reports/reply-times?from=2026-01-01&to=2026-01-31'),
    action: 'reports.viewed',
    actor: staff('admin'),
  },
  'GET /api/v1/admin/reports/reply-times.csv': {
    call: () =>
      w.as.admin.get('/api/v1/admin/reports/reply-times.csv?from=2026-01-01&to=2026-01-31'),
    action: 'reports.exported',
    actor: staff('admin'),
  },
  'GET /api/v1/admin/audit': {
    call: () => w.as.admin.get('/api/v1/admin/audit'),
    action: 'audit.viewed',
    actor: staff('admin'),
  },
  'GET /api/v1/admin/audit.csv': {
    call: () => w.as.admin.get('/api/v1/admin/audit.csv'),
    action: 'audit.exported',
    actor: staff('admin'),
  },
  // The FHIR API, under the integration's name (one row per patient served).
  'GET /fhir/R4/Communication': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Communication?subject=Patient/${w.alice.id}`),
    action: 'fhir.search',
    actor: integration,
    patient: alice,
  },
  'GET /fhir/R4/Communication/:id': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Communication/${noteId}`),
    action: 'fhir.read',
    actor: integration,
    patient: alice,
  },
  'GET /fhir/R4/Patient': {
    call: fhir('/fhir/R4/Patient?name=Archer'),
    action: 'fhir.search',
    actor: integration,
    patient: alice,
  },
  'GET /fhir/R4/Patient/:id': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Patient/${w.alice.id}`),
    action: 'fhir.read',
    actor: integration,
    patient: alice,
  },
  'GET /fhir/R4/Practitioner/:id': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Practitioner/${w.receptionist.id}`),
    action: 'fhir.read',
    actor: integration,
  },
  'GET /fhir/R4/Group/:id': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Group/${w.roles.nurses}`),
    action: 'fhir.read',
    actor: integration,
  },
  'GET /fhir/R4/Binary/:id': {
    call: () => fhirGet(t.app, token, `/fhir/R4/Binary/${attachmentId}`),
    action: 'fhir.read',
    actor: integration,
    patient: alice,
  },
};

/** GET routes that return no message text, document or medical data, each with the reason. */
const NOT_AUDITED: Record<string, string> = {
  'GET /api/v1/openapi.json': 'the API description',
  'GET /api/v1/health': 'whether the server is up',
  'GET /api/v1/staff/session': 'the signed-in staff user, their roles and chamber',
  'GET /api/v1/staff/session/second-factor': 'the ways left to finish signing in (rule 19)',
  'GET /api/v1/staff/sign-in-options': 'whether the clinic offers single sign-on and passkeys',
  'GET /api/v1/staff/sso/start': 'a redirect to the clinic’s identity provider',
  'GET /api/v1/staff/sso/callback':
    'the identity provider’s answer: a sign-in or a refusal, each audited as such',
  'GET /api/v1/me/second-factors': 'the user’s own passkey and authenticator app names',
  'GET /api/v1/admin/sso': 'the single sign-on issuer and client id, never the secret',
  'GET /api/v1/portal/session':
    'the signed-in patient’s own name and what the portal offers them (rule 1)',
  'GET /api/v1/portal/topics': 'the chamber’s topic names',
  'GET /api/v1/portal/acting-for':
    'the names of the patients the signed-in account itself may act for (rule 18), like the session',
  'GET /api/v1/portal/proxies':
    'the signed-in patient’s own proxies (rule 18): who may act for them, no clinical content',
  'GET /api/v1/portal/reply-time': 'when the clinic aims to reply (office hours)',
  'GET /api/v1/portal/clinic': 'the clinic’s name, phone, office hours and emergency advice',
  'GET /api/v1/conversations/:id/assignees':
    'names of the staff who can see a conversation, no message',
  'GET /api/v1/topics': 'the chamber’s topic names',
  // The patient's first and last name go into the texts, as in patient search; no message,
  // document or medical data is read (rule 6), so listing them is not audited.
  'GET /api/v1/quick-replies': 'quick reply texts filled with the patient’s and user’s names',
  'GET /api/v1/notifications/unread-count': 'a number',
  // Names, dates of birth and contact details to find a patient; opening the record is
  // audited (patient.viewed). Audited, the System Activity patient filter would log each keystroke.
  'GET /api/v1/patients': 'patient search: no message, document or medical data',
  'GET /api/v1/roles': 'the chamber’s roles',
  'GET /api/v1/admin/roles/:id/members': 'staff users of a role',
  'GET /api/v1/admin/users': 'staff users',
  'GET /api/v1/admin/charge-bands': 'charge bands and their online settings',
  'GET /api/v1/admin/topics': 'the chamber’s topics and their roles',
  'GET /api/v1/admin/quick-replies': 'the chamber’s quick reply templates and their roles',
  'GET /api/v1/admin/email-jobs':
    'kinds and states of email jobs (emails carry no clinical content)',
  'GET /api/v1/events':
    'live events carry ids, times and notification titles, never text: the client reads the text through the audited routes',
  'GET /api/v1/admin/integrations': 'integration clients and their scopes, never a secret',
  'GET /fhir/R4/metadata': 'the FHIR capability statement',
  'GET /fhir/R4/.well-known/smart-configuration': 'the SMART configuration',
  'GET /': 'a redirect to an app',
  'GET /assets/*': 'the web apps’ static files',
  'GET /portal': 'the portal’s HTML page',
  'GET /portal/*': 'the portal’s HTML page',
  'GET /staff': 'the staff app’s HTML page',
  'GET /staff/*': 'the staff app’s HTML page',
};

const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  const started = await w.as.alice.post('/api/v1/portal/conversations', {
    text: 'AUDIT-TEXT my results?',
  });
  expect(started.status).toBe(201);
  conversationId = started.body.conversation.id;
  // An internal note of Nurses about Alice, for the FHIR read of a Communication.
  const note = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/conversations`, {
    text: 'AUDIT-TEXT an internal note',
    shareWithPatient: false,
    roleIds: [w.roles.nurses],
  });
  expect(note.status, JSON.stringify(note.body)).toBe(201);
  noteId = note.body.message.id;
  documentId = await upload(
    w.as.receptionist.cookie!,
    `/api/v1/patients/${w.alice.id}/documents`,
    true,
  );
  // A file Alice attaches to a message: what FHIR serves as a Binary.
  await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
  attachmentId = await upload(w.as.alice.cookie!, '/api/v1/portal/documents', false);
  const attached = await w.as.alice.post(
    `/api/v1/portal/conversations/${conversationId}/messages`,
    {
      text: 'AUDIT-TEXT the letter',
      attachmentIds: [attachmentId],
    },
  );
  expect(attached.status, JSON.stringify(attached.body)).toBe(201);
  await t.services.medical.create(w.chamber.admin, w.alice.id, {
    kind: 'result',
    title: 'Blood count',
    date: '2026-01-05',
    text: 'Normal',
    shareWithPatient: true,
  });
  const client = await createIntegration(w.as.admin, 'Audit walk');
  token = await getToken(t.app, client);
});
afterAll(() => t?.close());

describe('every GET route is classified: an audited read, or one that returns no patient data', () => {
  it('the lists and the route table agree, and no route is in both', () => {
    const gets = t.app.routeAuth.filter((r) => r.method === 'GET').map(key);
    const unclassified = gets.filter((k) => !(k in AUDITED) && !(k in NOT_AUDITED));
    expect(unclassified, 'GET routes nobody classified').toEqual([]);
    const stale = [...Object.keys(AUDITED), ...Object.keys(NOT_AUDITED)].filter(
      (k) => !gets.includes(k),
    );
    expect(stale, 'entries without a route').toEqual([]);
    expect(Object.keys(AUDITED).filter((k) => k in NOT_AUDITED)).toEqual([]);
    for (const [route, reason] of Object.entries(NOT_AUDITED))
      expect(reason.length, route).toBeGreaterThan(5);
  });

  it('each audited read, called by someone allowed to, writes its row: who, what, which patient', async () => {
    const missing: string[] = [];
    for (const [route, read] of Object.entries(AUDITED)) {
      const before = await maxAuditId();
      const res = await read.call();
      if (res.status !== 200) {
        missing.push(`${route}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        continue;
      }
      const rows = await t.db
        .select()
        .from(auditEvents)
        .where(
          and(
            eq(auditEvents.chamberId, w.chamber.id),
            gt(auditEvents.id, before),
            eq(auditEvents.action, read.action),
          ),
        );
      const who = read.actor();
      const found = rows.find((r) => {
        if (who.userId && r.actorUserId !== who.userId) return false;
        if (who.patientId && r.actorPatientId !== who.patientId) return false;
        if (who.integration && (r.actorKind !== 'integration' || r.actorLabel !== who.integration))
          return false;
        if (!read.patient) return true;
        const patientIds = (r.details as { patientIds?: unknown } | null)?.patientIds;
        return (
          r.patientId === read.patient() ||
          (Array.isArray(patientIds) && patientIds.includes(read.patient()))
        );
      });
      if (!found) missing.push(`${route} (${read.action})`);
    }
    expect(missing, 'audited reads that wrote no row').toEqual([]);
  });

  it('an empty notifications page holds no patient data and writes no row', async () => {
    const before = await maxAuditId();
    // The admin holds no role: nobody notified them of anything.
    const res = await w.as.admin.get('/api/v1/notifications');
    expect(res.status).toBe(200);
    expect(res.body.notifications).toEqual([]);
    const rows = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.chamberId, w.chamber.id), gt(auditEvents.id, before)));
    expect(rows.map((r) => r.action)).toEqual([]);
  });

  it('the notifications row names the patients whose messages the page showed, never the text', async () => {
    const before = await maxAuditId();
    const res = await w.as.receptionist.get('/api/v1/notifications');
    expect(res.status).toBe(200);
    expect(res.body.notifications.length).toBeGreaterThan(0);
    const rows = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.chamberId, w.chamber.id), gt(auditEvents.id, before)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'notification.list_viewed',
      actorKind: 'staff',
      actorUserId: w.receptionist.id,
      details: { count: res.body.notifications.length, patientIds: [w.alice.id] },
    });
    expect(JSON.stringify(rows[0])).not.toContain('AUDIT-TEXT');
  });
});

async function maxAuditId(): Promise<number> {
  const [row] = await t.db
    .select({ id: auditEvents.id })
    .from(auditEvents)
    .orderBy(sql`${auditEvents.id} desc`)
    .limit(1);
  return row?.id ?? 0;
}
