import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorld, type World, signInAgain } from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { DOCUMENT_CONTENT_TYPES } from '../../../common/contract/documents.js';

// SPEC Part 2, rules 12 to 14: the reply-by promise, the clinic's automatic answer out of
// hours, the escalation of an overdue conversation, and red flags that warn but never block.
// The test clock starts on Monday 5 January 2026, 09:00 in London (GMT): the chamber's
// default office hours are Monday to Friday 08:00-18:30 and the promise 16 working hours.

let t: TestApp;
let w: World;

const MONDAY_9 = new Date('2026-01-05T09:00:00Z');
/** 16 working hours from Monday 09:00: 9.5 on Monday, 6.5 on Tuesday from 08:00. */
const TUESDAY_1430 = '2026-01-06T14:30:00.000Z';
const SATURDAY_10 = new Date('2026-01-10T10:00:00Z');

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

/** A new world at the given moment, every client signed in then. */
async function worldAt(at: Date): Promise<World> {
  t.clock.set(at);
  return createWorld(t);
}

async function start(c: Client, text: string) {
  const res = await c.post('/api/v1/portal/conversations', { text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id as string;
}

/** The chamber's name, as its automatic messages are signed. */
async function clinicName(): Promise<string> {
  return (await w.as.admin.get('/api/v1/admin/settings')).body.chamber.name;
}

async function count(sqlText: ReturnType<typeof sql>): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(sqlText);
  return Number(r.rows[0]?.n);
}

describe('rule 12: reply-by', () => {
  beforeEach(async () => {
    w = await worldAt(MONDAY_9);
  });

  it('is promised before sending, set on the message that starts "awaiting reply", kept by later ones, and ended by an answer', async () => {
    const promised = await w.as.alice.get('/api/v1/portal/reply-time');
    expect(promised.status).toBe(200);
    expect(promised.body).toEqual({
      replyBy: TUESDAY_1430,
      outOfHours: false,
      timeZone: 'Europe/London',
    });
    const id = await start(w.as.alice, 'Can I book a blood test?');
    const seen = await w.as.alice.get(`/api/v1/portal/conversations/${id}`);
    expect(seen.body.conversation.replyBy).toBe(TUESDAY_1430);
    // A second message an hour later keeps the first promise.
    t.clock.set(new Date(MONDAY_9.getTime() + 3_600_000));
    await signInAgain(t, w);
    await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, { text: 'Any day.' });
    const staff = await w.as.receptionist.get(`/api/v1/conversations/${id}`);
    expect(staff.body.conversation).toMatchObject({ replyBy: TUESDAY_1430, overdue: false });
    // An internal note does not answer; a message shared with the patient does.
    await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Checking the lab diary',
      shareWithPatient: false,
      roleIds: [w.roles.builtIn],
    });
    expect((await w.as.alice.get(`/api/v1/portal/conversations/${id}`)).body.conversation).toEqual(
      expect.objectContaining({ replyBy: TUESDAY_1430 }),
    );
    await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Thursday 10:00 is free.',
      shareWithPatient: true,
      roleIds: [],
    });
    expect((await w.as.alice.get(`/api/v1/portal/conversations/${id}`)).body.conversation).toEqual(
      expect.objectContaining({ replyBy: null }),
    );
    // The next question starts a new promise from its own time.
    await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, { text: 'Thanks! And?' });
    expect(
      (await w.as.receptionist.get(`/api/v1/conversations/${id}`)).body.conversation.replyBy,
    ).toBe('2026-01-06T15:30:00.000Z');
  });

  it('counts from the next opening when sent out of hours, skipping clinic holidays', async () => {
    const saved = await w.as.admin.patch('/api/v1/admin/settings', {
      clinicHolidays: ['2026-01-12'],
    });
    expect(saved.status).toBe(200);
    t.clock.set(SATURDAY_10);
    await signInAgain(t, w);
    // Monday 12th is a holiday: Tuesday 08:00-18:30 (10.5 h) and Wednesday 08:00-13:30.
    expect((await w.as.alice.get('/api/v1/portal/reply-time')).body).toEqual({
      replyBy: '2026-01-14T13:30:00.000Z',
      outOfHours: true,
      timeZone: 'Europe/London',
    });
  });

  it('is null when the clinic has no office hours at all', async () => {
    await w.as.admin.patch('/api/v1/admin/settings', { officeHours: [] });
    expect((await w.as.alice.get('/api/v1/portal/reply-time')).body.replyBy).toBeNull();
    const id = await start(w.as.alice, 'Hello?');
    expect(
      (await w.as.receptionist.get(`/api/v1/conversations/${id}`)).body.conversation,
    ).toMatchObject({
      awaitingReply: true,
      replyBy: null,
      overdue: false,
    });
  });
});

describe('rule 12: escalation when reply-by passes', () => {
  beforeEach(async () => {
    w = await worldAt(MONDAY_9);
    const set = await w.as.admin.patch('/api/v1/admin/settings', {
      escalationRoleId: w.roles.nurses,
    });
    expect(set.body).toMatchObject({
      escalationRoleId: w.roles.nurses,
      escalationRoleWarning: null,
    });
  });

  async function runJobsAt(at: Date) {
    t.clock.set(at);
    await t.deliverMail();
  }

  it('tells every Active member of the Escalation role once, lets them read the patient’s messages but not internal notes, and audits it', async () => {
    const id = await start(w.as.alice, 'My repeat prescription ran out');
    await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Reception only: ask the GP',
      shareWithPatient: false,
      roleIds: [w.roles.reception],
    });
    expect((await w.as.nurse.get(`/api/v1/conversations/${id}`)).status).toBe(404);
    // Before reply-by nothing happens.
    await runJobsAt(new Date('2026-01-06T14:29:00Z'));
    await signInAgain(t, w);
    expect((await w.as.nurse.get('/api/v1/notifications')).body.notifications).toEqual([]);
    // At reply-by the conversation is Overdue and the nurse is told.
    await runJobsAt(new Date('2026-01-06T14:31:00Z'));
    await signInAgain(t, w);
    const told = await w.as.nurse.get('/api/v1/notifications');
    expect(told.body.notifications).toEqual([
      expect.objectContaining({
        kind: 'overdue',
        title: 'Overdue: message from Alice Archer',
        conversationId: id,
        redFlag: false,
        read: false,
      }),
    ]);
    const opened = await w.as.nurse.get(`/api/v1/conversations/${id}`);
    expect(opened.status).toBe(200);
    expect(opened.body.conversation).toMatchObject({ overdue: true, replyBy: TUESDAY_1430 });
    expect(opened.body.messages.map((m: any) => m.text)).toEqual([
      'My repeat prescription ran out',
    ]);
    const inbox = await w.as.nurse.get('/api/v1/inbox');
    expect(inbox.body.conversations.map((c: any) => [c.id, c.overdue])).toEqual([[id, true]]);
    // Once: running the jobs again tells nobody again.
    await runJobsAt(new Date('2026-01-06T16:00:00Z'));
    expect(
      await count(
        sql`select count(*) as n from notifications where conversation_id = ${id}::uuid and kind = 'overdue'`,
      ),
    ).toBe(1);
    const audits = await t.db.execute<{ action: string; actor_kind: string }>(
      sql`select action, actor_kind from audit_events where subject_id = ${id} and action = 'conversation.escalated'`,
    );
    expect(audits.rows).toEqual([{ action: 'conversation.escalated', actor_kind: 'system' }]);
    // The nurse can answer it.
    await signInAgain(t, w);
    const answer = await w.as.nurse.post(`/api/v1/conversations/${id}/messages`, {
      text: 'I have asked the GP to sign it today.',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(answer.status).toBe(201);
  });

  it('is cancelled by an answer or a close before reply-by', async () => {
    const answered = await start(w.as.alice, 'Question one');
    const closed = await start(w.as.bob, 'Question two');
    await w.as.receptionist.post(`/api/v1/conversations/${answered}/messages`, {
      text: 'Answered',
      shareWithPatient: true,
      roleIds: [],
    });
    await w.as.receptionist.patch(`/api/v1/conversations/${closed}`, { status: 'closed' });
    await runJobsAt(new Date('2026-01-08T09:00:00Z'));
    expect(
      await count(sql`select count(*) as n from notifications where kind = 'overdue'
                       and conversation_id in (${answered}::uuid, ${closed}::uuid)`),
    ).toBe(0);
    expect(
      await count(sql`select count(*) as n from jobs where kind = 'conversation_escalation'
                       and state = 'pending' and payload->>'conversationId' in (${answered}, ${closed})`),
    ).toBe(0);
  });

  it('follows a newer promise: answered, then asked again, escalates at the new reply-by only', async () => {
    const id = await start(w.as.alice, 'First');
    await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Answer',
      shareWithPatient: true,
      roleIds: [],
    });
    t.clock.set(new Date('2026-01-06T09:00:00Z'));
    await signInAgain(t, w);
    await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, { text: 'Second' });
    // The first job runs at the first reply-by and finds a later one: nothing yet.
    await runJobsAt(new Date('2026-01-06T14:31:00Z'));
    expect(
      await count(
        sql`select count(*) as n from notifications where kind = 'overdue' and conversation_id = ${id}::uuid`,
      ),
    ).toBe(0);
    // Tuesday 09:00 + 16 h: Tuesday to 18:30 (9.5 h), Wednesday 08:00-14:30.
    await runJobsAt(new Date('2026-01-07T14:31:00Z'));
    expect(
      await count(
        sql`select count(*) as n from notifications where kind = 'overdue' and conversation_id = ${id}::uuid`,
      ),
    ).toBe(1);
  });

  it('warns on Reply Times when the Escalation role has no Active members', async () => {
    await w.as.admin.patch(`/api/v1/admin/users/${w.nurse.id}`, { active: false });
    const settings = await w.as.admin.get('/api/v1/admin/settings');
    expect(settings.body.escalationRoleWarning).toMatch(/Nurses.*no Active members/);
  });
});

describe('rule 13: out of hours', () => {
  beforeEach(async () => {
    w = await worldAt(SATURDAY_10);
    const saved = await w.as.admin.patch('/api/v1/admin/settings', {
      outOfHoursMessage:
        'Thank you. The clinic is closed now; we will read your message when we open.',
      clinicPhone: '020 7946 0000',
      sharedItemsEmailEnabled: true,
    });
    expect(saved.status).toBe(200);
    // Alice's band notifies by email (Allow And Notify), so that a shared item queues one.
    await t.db.execute(
      sql`update charge_bands set online_access = 'allow_and_notify' where id = ${w.band}::uuid`,
    );
  });

  async function clinicMessages(id: string) {
    const seen = await w.as.alice.get(`/api/v1/portal/conversations/${id}`);
    return seen.body.messages.filter((m: any) => m.author.kind === 'clinic');
  }

  it('answers once per closed period, from the clinic, seen by the patient and the roles, not ending "awaiting reply" nor emailed', async () => {
    const id = await start(w.as.alice, 'Saturday question');
    const auto = await clinicMessages(id);
    expect(auto).toEqual([
      expect.objectContaining({
        text: 'Thank you. The clinic is closed now; we will read your message when we open.',
        author: { kind: 'clinic', name: await clinicName(), role: null },
        mine: false,
      }),
    ]);
    await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, { text: 'And one more' });
    expect(await clinicMessages(id)).toHaveLength(1);
    const staff = await w.as.receptionist.get(`/api/v1/conversations/${id}`);
    expect(staff.body.conversation.awaitingReply).toBe(true);
    expect(staff.body.messages.find((m: any) => m.author.kind === 'clinic')).toMatchObject({
      sharedWithPatient: true,
      roles: [expect.objectContaining({ id: w.roles.builtIn })],
    });
    // Not emailed: no shared-items email is queued for it, while a staff answer queues one.
    const emailJobs = () =>
      count(sql`select count(*) as n from jobs where kind = 'shared_items_email'
                 and payload->>'patientId' = ${w.alice.id}`);
    expect(await emailJobs()).toBe(0);
    const answer = await w.as.receptionist.post(`/api/v1/conversations/${id}/messages`, {
      text: 'Seen on Saturday: we will call you on Monday.',
      shareWithPatient: true,
      roleIds: [],
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(await emailJobs()).toBe(1);
    // Monday evening is another closed period: one more automatic answer.
    t.clock.set(new Date('2026-01-12T19:00:00Z'));
    await signInAgain(t, w);
    await w.as.alice.post(`/api/v1/portal/conversations/${id}/messages`, { text: 'Monday night' });
    expect(await clinicMessages(id)).toHaveLength(2);
  });

  it('adds the Emergency advice and the Clinic phone when the message is a red flag', async () => {
    const id = await start(w.as.alice, 'I have chest pain since this morning');
    const [auto] = await clinicMessages(id);
    expect(auto.text).toBe(
      'Thank you. The clinic is closed now; we will read your message when we open.\n\nIf this is an emergency, call 999 now.\n\nClinic phone: 020 7946 0000',
    );
  });

  it('sends nothing when the Out-of-hours message is empty, or during office hours', async () => {
    await w.as.admin.patch('/api/v1/admin/settings', { outOfHoursMessage: '  ' });
    const id = await start(w.as.alice, 'Quiet weekend question');
    expect(await clinicMessages(id)).toEqual([]);
  });
});

describe('rule 14: red flags', () => {
  beforeEach(async () => {
    w = await worldAt(MONDAY_9);
  });

  it('marks the message and the conversation, puts it first, says so in notifications, and never blocks; staff clear it (audited)', async () => {
    const calm = await start(w.as.bob, 'My chest is painful after the gym');
    const urgent = await start(w.as.alice, 'I have CHEST PÄIN and feel faint');
    expect((await w.as.bob.get(`/api/v1/portal/conversations/${calm}`)).status).toBe(200);
    const inbox = await w.as.receptionist.get('/api/v1/inbox');
    expect(inbox.body.conversations.map((c: any) => [c.id, c.redFlag])).toEqual([
      [urgent, true],
      [calm, false],
    ]);
    const opened = await w.as.receptionist.get(`/api/v1/conversations/${urgent}`);
    expect(opened.body.messages[0]).toMatchObject({ redFlag: true });
    const notes = await w.as.receptionist.get('/api/v1/notifications');
    expect(notes.body.notifications.find((n: any) => n.conversationId === urgent)).toMatchObject({
      redFlag: true,
      title: 'Red flag: New message from Alice Archer',
    });
    expect(notes.body.notifications.find((n: any) => n.conversationId === calm)).toMatchObject({
      redFlag: false,
      title: 'New message from Bob Baker',
    });
    const cleared = await w.as.receptionist.patch(`/api/v1/conversations/${urgent}`, {
      redFlag: false,
    });
    expect(cleared.status).toBe(200);
    expect(cleared.body.redFlag).toBe(false);
    expect(
      await count(
        sql`select count(*) as n from audit_events where subject_id = ${urgent} and action in ('message.red_flagged', 'conversation.red_flag_cleared')`,
      ),
    ).toBe(2);
  });

  it('uses the chamber’s own phrases once an admin edits them', async () => {
    const saved = await w.as.admin.patch('/api/v1/admin/settings', {
      redFlagPhrases: ['  black  stools ', 'Black stools', 'sepsis'],
    });
    expect(saved.body.redFlagPhrases).toEqual(['black stools', 'sepsis']);
    const a = await start(w.as.alice, 'I have had black stools');
    const b = await start(w.as.bob, 'I have chest pain');
    const inbox = await w.as.receptionist.get('/api/v1/inbox');
    const flag = (id: string) => inbox.body.conversations.find((c: any) => c.id === id).redFlag;
    expect([flag(a), flag(b)]).toEqual([true, false]);
  });
});

describe('GET /api/v1/portal/clinic', () => {
  beforeEach(async () => {
    w = await worldAt(MONDAY_9);
    await w.as.admin.patch('/api/v1/admin/settings', { clinicPhone: '020 7946 0000' });
  });

  it('answers anyone by clinic code, and a signed-in patient without one', async () => {
    const anon = await t.app.inject({
      method: 'GET',
      url: `/api/v1/portal/clinic?chamber=${w.chamber.key}`,
    });
    expect(anon.statusCode).toBe(200);
    const body = anon.json();
    expect(body).toMatchObject({
      name: await clinicName(),
      phone: '020 7946 0000',
      timeZone: 'Europe/London',
      todaysHours: { opens: '08:00', closes: '18:30' },
      emergencyAdvice: 'If this is an emergency, call 999 now.',
    });
    expect(body.redFlagPhrases).toContain('chest pain');
    expect((await w.as.alice.get('/api/v1/portal/clinic')).body).toEqual(body);
    t.clock.set(SATURDAY_10);
    const saturday = await t.app.inject({
      method: 'GET',
      url: `/api/v1/portal/clinic?chamber=${w.chamber.key}`,
    });
    expect(saturday.json().todaysHours).toBeNull();
  });

  it('publishes whether patients may attach files, with the types and size limit uploads are held to', async () => {
    const published = async () =>
      (
        await t.app.inject({ method: 'GET', url: `/api/v1/portal/clinic?chamber=${w.chamber.key}` })
      ).json().attachments;
    const off = await published();
    expect(off).toEqual({
      allowed: false,
      types: ['application/pdf', 'image/png', 'image/jpeg', 'image/webp', 'image/heic'],
      maxBytes: t.config.maxUploadBytes,
      maxFiles: 5,
    });
    // The same list the contract documents for downloads.
    expect([...off.types].sort()).toEqual([...DOCUMENT_CONTENT_TYPES].sort());
    const ticked = await w.as.admin.patch('/api/v1/admin/settings', {
      patientAttachmentsEnabled: true,
    });
    expect(ticked.status).toBe(200);
    expect(await published()).toEqual({ ...off, allowed: true });
    expect((await w.as.alice.get('/api/v1/portal/clinic')).body.attachments).toEqual({
      ...off,
      allowed: true,
    });
    // Another clinic's switch is its own.
    const other = await createWorld(t);
    expect((await other.as.alice.get('/api/v1/portal/clinic')).body.attachments.allowed).toBe(
      false,
    );
    await w.as.admin.patch('/api/v1/admin/settings', { patientAttachmentsEnabled: false });
    expect((await published()).allowed).toBe(false);
  });

  it('publishes the limits the upload enforces: one byte over the size, or a type not listed, is refused', async () => {
    const small = await buildTestApp({ config: { maxUploadBytes: 1024 * 1024 } });
    try {
      const sw = await createWorld(small);
      await sw.as.admin.patch('/api/v1/admin/settings', { patientAttachmentsEnabled: true });
      const { maxBytes, maxFiles, types } = (await sw.as.alice.get('/api/v1/portal/clinic')).body
        .attachments;
      expect(maxBytes).toBe(1024 * 1024);
      expect(types).not.toContain('image/gif');
      await small.app.listen({ host: '127.0.0.1', port: 0 });
      const base = `http://127.0.0.1:${(small.app.server.address() as AddressInfo).port}`;
      const send = async (bytes: Buffer, name: string) => {
        const form = new FormData();
        form.append('file', new Blob([bytes]), name);
        const res = await fetch(`${base}/api/v1/portal/documents`, {
          method: 'POST',
          body: form,
          headers: { cookie: sw.as.alice.cookie! },
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const pdf = (size: number) => {
        const head = Buffer.from('%PDF-1.4\n');
        return Buffer.concat([head, Buffer.alloc(size - head.length, 0x20)]);
      };
      expect((await send(pdf(maxBytes), 'at-the-limit.pdf')).status).toBe(201);
      const over = await send(pdf(maxBytes + 1), 'one-byte-over.pdf');
      expect(over.status).toBe(413);
      expect(over.body.error).toMatchObject({ code: 'file_too_large', field: 'file' });
      const gif = await send(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'a.pdf');
      expect(gif.status).toBe(415);
      expect(gif.body.error).toMatchObject({ code: 'unsupported_file_type', field: 'file' });
      const tooMany = await sw.as.alice.post('/api/v1/portal/conversations', {
        text: 'Photos',
        attachmentIds: Array.from({ length: maxFiles + 1 }, () => randomUUID()),
      });
      expect(tooMany.status).toBe(422);
      expect(tooMany.body.error.field).toMatch(/^attachmentIds/);
    } finally {
      await small.close();
    }
  });

  it('refuses an unknown clinic (404) and a request that names none without a session (422)', async () => {
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/api/v1/portal/clinic?chamber=nope',
    });
    expect(unknown.statusCode).toBe(404);
    const none = await t.app.inject({ method: 'GET', url: '/api/v1/portal/clinic' });
    expect(none.statusCode).toBe(422);
    expect(none.json().error.field).toBe('chamber');
  });
});

describe('settings: Reply Times, Patient Safety, Clinic Contact', () => {
  beforeEach(async () => {
    w = await worldAt(MONDAY_9);
  });

  it('gives the defaults of the SPEC', async () => {
    const s = await w.as.admin.get('/api/v1/admin/settings');
    expect(s.body).toMatchObject({
      officeHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '08:00', closes: '18:30' })),
      clinicHolidays: [],
      replyWithinWorkingHours: 16,
      outOfHoursMessage: '',
      escalationRoleId: null,
      escalationRoleWarning: null,
      emergencyAdvice: 'If this is an emergency, call 999 now.',
      clinicPhone: '',
    });
    expect(s.body.redFlagPhrases.length).toBeGreaterThan(20);
  });

  it('refuses bad input with 422 and its field, changing nothing', async () => {
    const before = (await w.as.admin.get('/api/v1/admin/settings')).body;
    const bad: [Record<string, unknown>, string][] = [
      [{ officeHours: [{ weekday: 1, opens: '18:00', closes: '08:00' }] }, 'officeHours'],
      [{ officeHours: [{ weekday: 1, opens: '08:00', closes: '08:00' }] }, 'officeHours'],
      [
        {
          officeHours: [
            { weekday: 2, opens: '08:00', closes: '12:00' },
            { weekday: 2, opens: '13:00', closes: '18:00' },
          ],
        },
        'officeHours',
      ],
      [{ officeHours: [{ weekday: 1, opens: '24:00', closes: '25:00' }] }, 'officeHours'],
      [{ officeHours: [{ weekday: 8, opens: '08:00', closes: '09:00' }] }, 'officeHours'],
      [{ clinicHolidays: ['2026-02-30'] }, 'clinicHolidays'],
      [{ clinicHolidays: ['tomorrow'] }, 'clinicHolidays'],
      [{ replyWithinWorkingHours: 0 }, 'replyWithinWorkingHours'],
      [{ replyWithinWorkingHours: 201 }, 'replyWithinWorkingHours'],
      [{ redFlagPhrases: ['x'.repeat(101)] }, 'redFlagPhrases'],
      [{ redFlagPhrases: Array.from({ length: 201 }, (_, i) => `phrase ${i}`) }, 'redFlagPhrases'],
      [{ emergencyAdvice: '   ' }, 'emergencyAdvice'],
      [{ clinicPhone: 'call me' }, 'clinicPhone'],
      [{ outOfHoursMessage: 'x'.repeat(1001) }, 'outOfHoursMessage'],
      [{ escalationRoleId: '00000000-0000-4000-8000-000000000000' }, 'escalationRoleId'],
    ];
    for (const [body, field] of bad) {
      const res = await w.as.admin.patch('/api/v1/admin/settings', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(422);
      expect(res.body.error.field, JSON.stringify(body).slice(0, 80)).toMatch(
        new RegExp(`^${field}`),
      );
    }
    // Another chamber's role is unknown here.
    const other = await createWorld(t);
    const foreign = await w.as.admin.patch('/api/v1/admin/settings', {
      escalationRoleId: other.roles.nurses,
    });
    expect(foreign.status).toBe(422);
    expect((await w.as.admin.get('/api/v1/admin/settings')).body).toEqual(before);
  });

  it('saves each setting, audited with readable office hours; staff who are not admins cannot', async () => {
    const saved = await w.as.admin.patch('/api/v1/admin/settings', {
      officeHours: [
        { weekday: 6, opens: '09:00', closes: '12:00' },
        { weekday: 1, opens: '08:30', closes: '17:00' },
      ],
      clinicHolidays: ['2026-12-25', '2026-12-24', '2026-12-25'],
      replyWithinWorkingHours: 8,
      emergencyAdvice: 'Call 999 or go to A&E.',
    });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({
      officeHours: [
        { weekday: 1, opens: '08:30', closes: '17:00' },
        { weekday: 6, opens: '09:00', closes: '12:00' },
      ],
      clinicHolidays: ['2026-12-24', '2026-12-25'],
      replyWithinWorkingHours: 8,
      emergencyAdvice: 'Call 999 or go to A&E.',
    });
    const row = await t.db.execute<{ details: unknown }>(
      sql`select details from audit_events where chamber_id = ${w.chamber.id}::uuid and action = 'settings.updated' order by id desc limit 1`,
    );
    const details = row.rows[0]!.details;
    const parsed = typeof details === 'string' ? JSON.parse(details) : details;
    expect(parsed.officeHours).toEqual(['Monday 08:30-17:00', 'Saturday 09:00-12:00']);
    const denied = await w.as.receptionist.patch('/api/v1/admin/settings', { clinicPhone: '1' });
    expect(denied.status).toBe(403);
  });
});
