import { and, count, desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplyTimesReport, ReplyTimesRow } from '../../../common/contract/reports.js';
import { auditEvents } from '../../db/schema.js';
import {
  createPatient,
  createRole,
  createStaff,
  createWorld,
  patientClient,
  staffClient,
  type World,
} from '../../test/factories.js';
import type { Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

// Admin > Message Reports on a small world whose figures are worked out by hand below. Europe/
// London in January is UTC, so the times read as wall-clock times. Office hours Mon–Fri
// 08:00–18:30 (the default), Tuesday 13 January a clinic holiday, reply within 16 working hours.
//
// Conversations patients start (who can see them, by the roles their messages are shared with):
//   C1 Alice, no topic, Mon 5 Jan 09:00; reply 11:00                clock 2 h,  working 2 h
//   C2 Bob, Appointments (Reception), Mon 17:00; an internal note at 18:00 (not a reply);
//      reply Tue 6 Jan 09:00                                         clock 16 h, working 1.5 + 1 h
//   C3 Alice, no topic, Fri 9 Jan 20:00 (closed: the clinic's automatic message answers, which is
//      not a reply); reply Mon 12 Jan 10:00                          clock 62 h, working 2 h
//   C4 Bob, no topic, Sat 10 Jan 12:00 and 13:00 (closed); never answered: reply-by was Wed 14
//      13:30 (Tuesday is a holiday), so it is overdue now, and missed the promise
//   C5 Alice, Prescriptions (Nurses), Wed 7 Jan 10:00; a nurse replies 10:30: only Nurses see it
//   C9 Alice, no topic, Tue 13 Jan 10:00 (the holiday); reply Wed 14 Jan 10:00
//                                                                    clock 24 h, working 2 h
//   C8 Bob, no topic, Thu 15 Jan 09:00: after the range
// and C6, which Reception starts with Bob on Thu 8 Jan 09:00 (not counted: staff started it);
// Bob answers at 19:00 (closed), shared with the Role for new messages and Reception.
// The report: 5 to 14 January, asked on Thu 15 Jan 12:00.

let t: TestApp;
let w: World;
let admin: { id: string; email: string };
let nursesAdmin: { id: string; email: string };
let topics: { appointments: string; prescriptions: string; formula: string };
let formulaRole: string;

const set = (iso: string) => t.clock.set(new Date(iso));
const patient = (who: { email: string }) => patientClient(t, w.chamber, who.email);
const staff = (who: { email: string }) => staffClient(t, w.chamber, who.email);

async function patientStarts(who: { email: string }, at: string, topicId?: string) {
  set(at);
  const res = await (
    await patient(who)
  ).post('/api/v1/portal/conversations', {
    text: 'SECRET-TEXT my question',
    ...(topicId ? { topicId } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id as string;
}

async function patientWrites(who: { email: string }, at: string, conversationId: string) {
  set(at);
  const res = await (
    await patient(who)
  ).post(`/api/v1/portal/conversations/${conversationId}/messages`, {
    text: 'SECRET-TEXT and another thing',
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function staffWrites(
  who: { email: string },
  at: string,
  conversationId: string,
  audience: { shareWithPatient: boolean; roleIds: string[] },
) {
  set(at);
  const res = await (
    await staff(who)
  ).post(`/api/v1/conversations/${conversationId}/messages`, {
    text: 'SECRET-TEXT the answer',
    ...audience,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const NOW = '2026-01-15T12:00:00Z';
const RANGE = 'from=2026-01-05&to=2026-01-14';

async function report(as: Client, query: string): Promise<ReplyTimesReport> {
  set(NOW);
  const res = await as.get(`/api/v1/admin/reports/reply-times?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

const row = (r: ReplyTimesReport, name: string): ReplyTimesRow => {
  const found = r.rows.find((x) => x.group.name === name);
  expect(
    found,
    `a row "${name}" in ${JSON.stringify(r.rows.map((x) => x.group.name))}`,
  ).toBeTruthy();
  return found!;
};

const nothing = {
  conversationsStarted: 0,
  firstReplies: 0,
  medianFirstReply: { workingHours: null, clockHours: null },
  p90FirstReply: { workingHours: null, clockHours: null },
  answeredWithinPromise: null,
  overdue: 0,
  messagesOutOfHours: 0,
};

beforeAll(async () => {
  // Sessions that outlast the ten days the world takes to make.
  t = await buildTestApp({
    config: { sessionIdleMinutes: 24 * 60, sessionAbsoluteHours: 24 * 30 },
  });
  w = await createWorld(t);
  const c = w.chamber;
  formulaRole = await createRole(t, c, '@SUM(1+1)');
  // The report's viewers: an admin in the Role for new messages and Reception (not Nurses), and
  // an admin in Nurses only.
  admin = await createStaff(t, c, {
    name: 'Ada Admin',
    roleIds: [w.roles.builtIn, w.roles.reception, formulaRole],
    isAdmin: true,
  });
  nursesAdmin = await createStaff(t, c, {
    name: 'Nora Nurse',
    roleIds: [w.roles.nurses],
    isAdmin: true,
  });
  const settings = await w.as.admin.patch('/api/v1/admin/settings', {
    clinicHolidays: ['2026-01-13'],
    outOfHoursMessage: 'The clinic is closed now; we will read your message when we open.',
  });
  expect(settings.status, JSON.stringify(settings.body)).toBe(200);
  const topic = async (name: string, roleId: string) => {
    const res = await w.as.admin.post('/api/v1/admin/topics', { name, roleId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  topics = {
    appointments: await topic('Appointments', w.roles.reception),
    prescriptions: await topic('Prescriptions', w.roles.nurses),
    formula: await topic('=HYPERLINK("http://evil.example/","Click")', w.roles.nurses),
  };

  const c1 = await patientStarts(w.alice, '2026-01-05T09:00:00Z');
  await staffWrites(w.receptionist, '2026-01-05T11:00:00Z', c1, {
    shareWithPatient: true,
    roleIds: [w.roles.builtIn],
  });
  const c2 = await patientStarts(w.bob, '2026-01-05T17:00:00Z', topics.appointments);
  await staffWrites(w.receptionist, '2026-01-05T18:00:00Z', c2, {
    shareWithPatient: false,
    roleIds: [w.roles.reception],
  });
  await staffWrites(w.receptionist, '2026-01-06T09:00:00Z', c2, {
    shareWithPatient: true,
    roleIds: [w.roles.reception],
  });
  const c5 = await patientStarts(w.alice, '2026-01-07T10:00:00Z', topics.prescriptions);
  await staffWrites(w.nurse, '2026-01-07T10:30:00Z', c5, {
    shareWithPatient: true,
    roleIds: [w.roles.nurses],
  });
  set('2026-01-08T09:00:00Z');
  const c6 = await (
    await staff(w.receptionist)
  ).post(`/api/v1/patients/${w.bob.id}/conversations`, {
    text: 'SECRET-TEXT please call us',
    shareWithPatient: true,
    roleIds: [w.roles.reception],
  });
  expect(c6.status, JSON.stringify(c6.body)).toBe(201);
  await patientWrites(w.bob, '2026-01-08T19:00:00Z', c6.body.conversation.id);
  const c3 = await patientStarts(w.alice, '2026-01-09T20:00:00Z');
  const c4 = await patientStarts(w.bob, '2026-01-10T12:00:00Z');
  await patientWrites(w.bob, '2026-01-10T13:00:00Z', c4);
  await staffWrites(w.receptionist, '2026-01-12T10:00:00Z', c3, {
    shareWithPatient: true,
    roleIds: [w.roles.builtIn],
  });
  const c9 = await patientStarts(w.alice, '2026-01-13T10:00:00Z');
  await staffWrites(w.receptionist, '2026-01-14T10:00:00Z', c9, {
    shareWithPatient: true,
    roleIds: [w.roles.builtIn],
  });
  await patientStarts(w.bob, '2026-01-15T09:00:00Z');
});
afterAll(() => t?.close());

describe('the reply-times report on a known world', () => {
  it('gives the totals, each conversation once, for what the admin can see', async () => {
    const r = await report(await staff(admin), `${RANGE}&groupBy=role`);
    expect(r).toMatchObject({
      from: '2026-01-05',
      to: '2026-01-14',
      groupBy: 'role',
      timeZone: 'Europe/London',
      replyWithinWorkingHours: 16,
      generatedAt: new Date(NOW).toISOString(),
    });
    // C1, C2, C3, C4, C9. Clock 2, 16, 24, 62: median (16 + 24) / 2, p90 24 + 0.7 × 38.
    // Working 2, 2, 2, 2.5: median 2, p90 2 + 0.7 × 0.5. Within the promise: 4 of the 5 whose
    // outcome is known (C4 missed it). Out of hours: C3, C4 twice, C6's answer, C9 (a holiday).
    expect(r.totals).toEqual({
      conversationsStarted: 5,
      firstReplies: 4,
      medianFirstReply: { workingHours: 2, clockHours: 20 },
      p90FirstReply: { workingHours: 2.35, clockHours: 50.6 },
      answeredWithinPromise: 0.8,
      overdue: 1,
      messagesOutOfHours: 5,
    });
  });

  it('gives one row per role of the viewer; a conversation counts for each of its roles', async () => {
    const r = await report(await staff(admin), `${RANGE}&groupBy=role`);
    expect(r.rows.map((x) => x.group.name)).toEqual([
      '@SUM(1+1)',
      'Appointment Reminder Admin',
      'Reception',
    ]);
    // C1, C3, C4, C9: clock 2, 24, 62 (p90 24 + 0.8 × 38), working 2, 2, 2.
    expect(row(r, 'Appointment Reminder Admin')).toEqual({
      group: { id: w.roles.builtIn, name: 'Appointment Reminder Admin' },
      figures: {
        conversationsStarted: 4,
        firstReplies: 3,
        medianFirstReply: { workingHours: 2, clockHours: 24 },
        p90FirstReply: { workingHours: 2, clockHours: 54.4 },
        answeredWithinPromise: 0.75,
        overdue: 1,
        messagesOutOfHours: 5,
      },
    });
    // C2; and C6's out-of-hours answer, shared with Reception too.
    expect(row(r, 'Reception').figures).toEqual({
      conversationsStarted: 1,
      firstReplies: 1,
      medianFirstReply: { workingHours: 2.5, clockHours: 16 },
      p90FirstReply: { workingHours: 2.5, clockHours: 16 },
      answeredWithinPromise: 1,
      overdue: 0,
      messagesOutOfHours: 1,
    });
    expect(row(r, '@SUM(1+1)').figures).toEqual(nothing);
  });

  it('gives one row per topic, and "No topic"', async () => {
    const r = await report(await staff(admin), `${RANGE}&groupBy=topic`);
    expect(r.rows.map((x) => x.group.name)).toEqual([
      '=HYPERLINK("http://evil.example/","Click")',
      'Appointments',
      'Prescriptions',
      'No topic',
    ]);
    expect(row(r, 'Appointments')).toMatchObject({
      group: { id: topics.appointments },
      figures: { conversationsStarted: 1, medianFirstReply: { clockHours: 16 } },
    });
    expect(row(r, 'No topic')).toEqual({
      group: { id: null, name: 'No topic' },
      figures: {
        conversationsStarted: 4,
        firstReplies: 3,
        medianFirstReply: { workingHours: 2, clockHours: 24 },
        p90FirstReply: { workingHours: 2, clockHours: 54.4 },
        answeredWithinPromise: 0.75,
        overdue: 1,
        messagesOutOfHours: 5,
      },
    });
    expect(row(r, 'Prescriptions').figures).toEqual(nothing);
    expect(r.totals.conversationsStarted).toBe(5);
  });

  it('gives one row per day of the range, and the daily series for the chart', async () => {
    const r = await report(await staff(admin), `${RANGE}&groupBy=day`);
    expect(r.rows.map((x) => x.group.id)).toEqual([
      '2026-01-05',
      '2026-01-06',
      '2026-01-07',
      '2026-01-08',
      '2026-01-09',
      '2026-01-10',
      '2026-01-11',
      '2026-01-12',
      '2026-01-13',
      '2026-01-14',
    ]);
    // Monday: C1 and C2, clock 2 and 16 (p90 2 + 0.9 × 14), working 2 and 2.5.
    expect(row(r, '2026-01-05').figures).toEqual({
      conversationsStarted: 2,
      firstReplies: 2,
      medianFirstReply: { workingHours: 2.25, clockHours: 9 },
      p90FirstReply: { workingHours: 2.45, clockHours: 14.6 },
      answeredWithinPromise: 1,
      overdue: 0,
      messagesOutOfHours: 0,
    });
    expect(row(r, '2026-01-08').figures).toEqual({ ...nothing, messagesOutOfHours: 1 });
    expect(row(r, '2026-01-10').figures).toEqual({
      ...nothing,
      conversationsStarted: 1,
      answeredWithinPromise: 0,
      overdue: 1,
      messagesOutOfHours: 2,
    });
    expect(row(r, '2026-01-13').figures).toMatchObject({
      conversationsStarted: 1,
      medianFirstReply: { workingHours: 2, clockHours: 24 },
      messagesOutOfHours: 1,
    });
    expect(r.series).toEqual(
      r.rows.map((x) => ({
        day: x.group.id,
        conversationsStarted: x.figures.conversationsStarted,
        medianFirstReplyClockHours: x.figures.medianFirstReply.clockHours,
      })),
    );
    expect(r.series.find((d) => d.day === '2026-01-09')).toEqual({
      day: '2026-01-09',
      conversationsStarted: 1,
      medianFirstReplyClockHours: 62,
    });
  });

  it('leaves out conversations of another role than the viewer’s: an admin without Nurses', async () => {
    const r = await report(await staff(admin), `${RANGE}&groupBy=topic`);
    // C5 (Prescriptions, Nurses only) is in no figure of the admin's.
    expect(row(r, 'Prescriptions').figures).toEqual(nothing);
    expect(r.series.find((d) => d.day === '2026-01-07')?.conversationsStarted).toBe(0);
    // The admin in Nurses sees C5 and nothing else.
    const nurses = await report(await staff(nursesAdmin), `${RANGE}&groupBy=role`);
    expect(nurses.rows).toEqual([
      {
        group: { id: w.roles.nurses, name: 'Nurses' },
        figures: {
          conversationsStarted: 1,
          firstReplies: 1,
          medianFirstReply: { workingHours: 0.5, clockHours: 0.5 },
          p90FirstReply: { workingHours: 0.5, clockHours: 0.5 },
          answeredWithinPromise: 1,
          overdue: 0,
          messagesOutOfHours: 0,
        },
      },
    ]);
    expect(nurses.totals.conversationsStarted).toBe(1);
    // An admin with no role sees nothing at all.
    const none = await report(await staff(w.chamber.admin), `${RANGE}&groupBy=day`);
    expect(none.totals).toEqual(nothing);
    expect(none.rows.every((x) => x.figures.conversationsStarted === 0)).toBe(true);
  });

  it('counts a conversation started on the range’s last day, not the day after', async () => {
    const r = await report(await staff(admin), 'from=2026-01-15&to=2026-01-15&groupBy=day');
    expect(r.totals).toMatchObject({ conversationsStarted: 1, firstReplies: 0 });
    // Three working hours since 09:00: the promise may still be kept.
    expect(r.totals.answeredWithinPromise).toBeNull();
  });
});

describe('Export CSV', () => {
  it('answers the report as a CSV file, with formula cells defused', async () => {
    set(NOW);
    // A patient whose name reads as a formula writes about the topic whose name does too.
    const evil = await createPatient(t, w.chamber, {
      bandId: w.band,
      given: '=HYPERLINK("http://evil.example/","Click")',
      family: '-2+3',
      email: 'evil@patients.example',
    });
    set('2026-01-14T15:00:00Z');
    const res0 = await (
      await patient(evil)
    ).post('/api/v1/portal/conversations', { text: 'SECRET-TEXT +1', topicId: topics.formula });
    expect(res0.status, JSON.stringify(res0.body)).toBe(201);

    const as = await staff(nursesAdmin);
    set(NOW);
    const res = await as.get(`/api/v1/admin/reports/reply-times.csv?${RANGE}&groupBy=topic`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="message-reports-reply-times-topic-2026-01-05-to-2026-01-14.csv"',
    );
    const lines = (res.body as string).split('\r\n');
    expect(lines[0]).toBe(
      '"topic","conversations_started","first_replies","median_first_reply_working_hours","median_first_reply_clock_hours","p90_first_reply_working_hours","p90_first_reply_clock_hours","answered_within_promise","overdue","messages_out_of_hours"',
    );
    expect(lines[1]).toBe(
      `"'=HYPERLINK(""http://evil.example/"",""Click"")","1","0","","","","","","0","0"`,
    );
    expect(lines).toContain('"Prescriptions","1","1","0.5","0.5","0.5","0.5","1","0","0"');
    expect(lines[lines.length - 2]).toBe('"Total","2","1","0.5","0.5","0.5","0.5","1","0","0"');
    expect(lines[lines.length - 1]).toBe('');
    // No message text, and no patient: the report is of counts and durations only.
    expect(res.body).not.toContain('SECRET-TEXT');
    expect(res.body).not.toContain('-2+3');

    const roles = await (await staff(admin)).get(`/api/v1/admin/reports/reply-times.csv?${RANGE}`);
    expect((roles.body as string).split('\r\n')[1]).toMatch(/^"'@SUM\(1\+1\)","0",/);
  });
});

describe('audit', () => {
  async function newest(action: string) {
    const rows = await t.db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.chamberId, w.chamber.id), eq(auditEvents.action, action)))
      .orderBy(desc(auditEvents.id))
      .limit(1);
    return rows[0];
  }

  it('records each view and each export, without any message text', async () => {
    await report(await staff(admin), `${RANGE}&groupBy=topic`);
    expect(await newest('reports.viewed')).toMatchObject({
      actorKind: 'staff',
      actorUserId: admin.id,
      patientId: null,
      details: { report: 'reply_times', from: '2026-01-05', to: '2026-01-14', groupBy: 'topic' },
    });
    set(NOW);
    const csv = await (
      await staff(admin)
    ).get(`/api/v1/admin/reports/reply-times.csv?${RANGE}&groupBy=day`);
    expect(csv.status).toBe(200);
    expect(await newest('reports.exported')).toMatchObject({
      actorUserId: admin.id,
      details: {
        report: 'reply_times',
        from: '2026-01-05',
        to: '2026-01-14',
        groupBy: 'day',
        rows: 10,
      },
    });
    expect(JSON.stringify(await newest('reports.viewed'))).not.toContain('SECRET-TEXT');
  });
});

describe('bad input', () => {
  async function viewsRecorded() {
    const rows = await t.db
      .select({ n: count() })
      .from(auditEvents)
      .where(
        and(eq(auditEvents.chamberId, w.chamber.id), eq(auditEvents.action, 'reports.viewed')),
      );
    return rows[0]!.n;
  }

  it.each([
    ['to=2026-01-14', 'from'],
    ['from=2026-01-05', 'to'],
    ['from=05/01/2026&to=2026-01-14', 'from'],
    ['from=2026-13-01&to=2026-01-14', 'from'],
    ['from=2026-02-30&to=2026-03-01', 'from'],
    ['from=1999-12-31&to=2000-01-01', 'from'],
    ['from=2026-01-05&to=2026-1-14', 'to'],
    ['from=2026-01-05&to=2026-02-29', 'to'],
    ['from=2026-01-05&to=2026-01-04', 'to'],
    ['from=2025-01-01&to=2026-01-02', 'to'],
    ['from=2026-01-05&to=2026-01-14&groupBy=week', 'groupBy'],
    ['from=2026-01-05&to=2026-01-14&groupBy=', 'groupBy'],
    ['from=2026-01-05&to=2026-01-14&roleId=x', 'roleId'],
  ])('%s answers 422 naming %s, and records nothing', async (query, field) => {
    const as = await staff(admin);
    const before = await viewsRecorded();
    for (const path of ['reply-times', 'reply-times.csv']) {
      const res = await as.get(`/api/v1/admin/reports/${path}?${query}`);
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body.error).toMatchObject({ status: 422, code: 'validation_failed', field });
    }
    expect(await viewsRecorded()).toBe(before);
  });

  it('takes a range of exactly 366 days', async () => {
    const r = await report(await staff(admin), 'from=2025-01-15&to=2026-01-15&groupBy=day');
    expect(r.rows).toHaveLength(366);
    expect(r.totals.conversationsStarted).toBe(6);
  });

  it('is for admins only', async () => {
    set(NOW);
    const res = await (
      await staff(w.receptionist)
    ).get(`/api/v1/admin/reports/reply-times?${RANGE}`);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('admin_required');
    const csv = await (await staff(w.nurse)).get(`/api/v1/admin/reports/reply-times.csv?${RANGE}`);
    expect(csv.status).toBe(403);
    const anonymous = await t.app.inject({ url: `/api/v1/admin/reports/reply-times?${RANGE}` });
    expect(anonymous.statusCode).toBe(401);
  });
});
