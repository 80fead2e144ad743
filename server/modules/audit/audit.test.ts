import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../db/schema.js';
import { hours } from '../../lib/clock.js';
import {
  createBand,
  createChamber,
  createPatient,
  createRole,
  createStaff,
  createWorld,
  PASSWORD,
  patientClient,
  staffClient,
  type World,
} from '../../test/factories.js';
import { client, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

type Event = {
  id: string;
  at: string;
  action: string;
  actor: { kind: string; userId: string | null; patientId: string | null; label: string | null };
  patientId: string | null;
  subject: { type: string; id: string } | null;
  ip: string | null;
  details: Record<string, unknown> | null;
};

/** One page of System Activity, as the chamber's admin sees it. */
async function activity(query = '', as: Client = w.as.admin): Promise<Event[]> {
  const res = await as.get(`/api/v1/admin/audit${query ? `?${query}` : ''}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.events;
}

/** Every audit row of the chamber, straight from the table, oldest first. */
async function rows(chamberId = w.chamber.id) {
  return t.db
    .select()
    .from(auditEvents)
    .where(eq(auditEvents.chamberId, chamberId))
    .orderBy(auditEvents.id);
}

async function newestRow(action: string, chamberId = w.chamber.id) {
  const found = await t.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.chamberId, chamberId), eq(auditEvents.action, action)))
    .orderBy(sql`${auditEvents.id} desc`)
    .limit(1);
  return found[0];
}

/** A sign-in through the API from a given address. */
async function signInFrom(
  kind: 'staff' | 'patient',
  chamber: string,
  email: string,
  password: string,
  ip: string,
) {
  return t.app.inject({
    method: 'POST',
    url: kind === 'staff' ? '/api/v1/staff/session' : '/api/v1/portal/session',
    payload: { chamber, email, password },
    remoteAddress: ip,
  });
}

/** The database's refusal message (drizzle wraps the driver's error as its cause). */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (error) {
    const e = error as { message?: string; cause?: { message?: string } };
    return `${e.message ?? ''} ${e.cause?.message ?? ''}`;
  }
  return 'no error: the statement was accepted';
}

/** Minimal RFC 4180 reader: quoted cells, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      out.push(row);
      row = [];
      cell = '';
      i += 1;
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    out.push(row);
  }
  return out;
}

describe('sign-ins (rule 6)', () => {
  it('records staff and patient sign-ins, successful and failed, with action, actor label, address and patient', async () => {
    const wrong = 'not-the-password-9';
    const staffFail = await signInFrom(
      'staff',
      w.chamber.key,
      w.receptionist.email,
      wrong,
      '203.0.113.11',
    );
    expect(staffFail.statusCode).toBe(401);
    expect(await newestRow('staff.sign_in_failed')).toMatchObject({
      actorLabel: w.receptionist.email,
      ip: '203.0.113.11',
      patientId: null,
      subjectType: 'user',
      subjectId: w.receptionist.id,
    });

    const staffOk = await signInFrom(
      'staff',
      w.chamber.key,
      w.receptionist.email,
      PASSWORD,
      '203.0.113.10',
    );
    expect(staffOk.statusCode).toBe(200);
    expect(await newestRow('staff.sign_in')).toMatchObject({
      actorLabel: 'Rita Reception',
      ip: '203.0.113.10',
      patientId: null,
      subjectType: 'user',
      subjectId: w.receptionist.id,
    });

    const patientFail = await signInFrom(
      'patient',
      w.chamber.key,
      w.alice.email,
      wrong,
      '2001:db8::7',
    );
    expect(patientFail.statusCode).toBe(401);
    expect(await newestRow('portal.sign_in_failed')).toMatchObject({
      actorLabel: w.alice.email,
      ip: '2001:db8::7',
      patientId: w.alice.id,
    });

    const patientOk = await signInFrom(
      'patient',
      w.chamber.key,
      w.alice.email,
      PASSWORD,
      '198.51.100.20',
    );
    expect(patientOk.statusCode).toBe(200);
    expect(await newestRow('portal.sign_in')).toMatchObject({
      actorLabel: w.alice.email,
      ip: '198.51.100.20',
      patientId: w.alice.id,
    });

    // System Activity shows the same, and never the password typed.
    const shown = await activity('action=portal.sign_in');
    expect(shown[0]).toMatchObject({
      action: 'portal.sign_in',
      patientId: w.alice.id,
      ip: '198.51.100.20',
      actor: { label: w.alice.email },
    });
    const all = JSON.stringify(await rows());
    expect(all).not.toContain(wrong);
    expect(all).not.toContain(PASSWORD);
  });

  it('a staff sign-in is found when System Activity is filtered by that user', async () => {
    const res = await signInFrom('staff', w.chamber.key, w.nurse.email, PASSWORD, '203.0.113.30');
    expect(res.statusCode).toBe(200);
    // The sign-in is recorded (label and subject name the nurse) ...
    expect(await newestRow('staff.sign_in')).toMatchObject({
      actorLabel: 'Nina Nurse',
      subjectId: w.nurse.id,
      ip: '203.0.113.30',
    });
    // ... but "filter by user" must find it: once signed in, the user is the actor.
    const byUser = await activity(`userId=${w.nurse.id}&action=staff.sign_in`);
    expect(byUser.map((e) => e.ip)).toContain('203.0.113.30');
    expect(byUser[0]?.actor).toMatchObject({ kind: 'staff', userId: w.nurse.id });
  });

  it('records a failed sign-in with an email that has no account in the chamber', async () => {
    const before = (await rows()).length;
    for (const kind of ['staff', 'patient'] as const) {
      const res = await signInFrom(
        kind,
        w.chamber.key,
        'nobody-here@unknown.example',
        'whatever-123',
        '203.0.113.40',
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('invalid_credentials');
    }
    const added = (await rows()).slice(before);
    expect(added.map((r) => r.action).sort()).toEqual([
      'portal.sign_in_failed',
      'staff.sign_in_failed',
    ]);
    for (const r of added) {
      expect(r).toMatchObject({ actorLabel: 'nobody-here@unknown.example', ip: '203.0.113.40' });
    }
  });

  it('records refusals of a right password (blocked account) and the block itself', async () => {
    const c = w.chamber;
    const hank = await createPatient(t, c, { bandId: w.band, given: 'Hank', family: 'Hill' });
    for (let i = 0; i < 5; i += 1) {
      const res = await signInFrom('patient', c.key, hank.email, 'wrong-password-1', '192.0.2.5');
      expect(res.statusCode).toBe(401);
    }
    expect(await newestRow('portal_account.blocked')).toMatchObject({
      patientId: hank.id,
      ip: '192.0.2.5',
    });
    const refused = await signInFrom('patient', c.key, hank.email, PASSWORD, '192.0.2.6');
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('account_blocked');
    const failed = await activity(`action=portal.sign_in_failed&patientId=${hank.id}`);
    expect(failed).toHaveLength(6);
    expect(failed[0]).toMatchObject({ ip: '192.0.2.6', details: { reason: 'blocked' } });
    expect(failed.slice(1).every((e) => e.details?.reason === 'wrong_password')).toBe(true);
  });

  it('records sign-outs', async () => {
    // Signing out ends every session of the account (rule 8): a user of its own, so the
    // world's sessions live on.
    const leaving = await createStaff(t, w.chamber, { name: 'Lee Leaving' });
    const session = await staffClient(t, w.chamber, leaving.email);
    expect((await session.delete('/api/v1/staff/session')).status).toBe(200);
    expect(await newestRow('staff.sign_out')).toMatchObject({
      actorKind: 'staff',
      actorUserId: leaving.id,
      actorLabel: 'Lee Leaving',
      ip: '127.0.0.1',
    });
  });
});

describe('reads and writes of messages (rule 6)', () => {
  const secrets = [
    'SECRET-1 my rash is spreading to my arms',
    'SECRET-2 take two tablets of amoxicillin',
    'SECRET-3 internal: needs a safeguarding review',
  ];

  it('records reading the Feed and a conversation and writing messages, without the message text', async () => {
    const started = await w.as.alice.post('/api/v1/portal/conversations', { text: secrets[0] });
    expect(started.status).toBe(201);
    const conversationId: string = started.body.conversation.id;
    const patientWrote = await newestRow('message.created');
    expect(patientWrote).toMatchObject({
      actorKind: 'patient',
      actorPatientId: w.alice.id,
      actorLabel: 'Alice Archer',
      patientId: w.alice.id,
      subjectType: 'message',
      subjectId: started.body.message.id,
    });
    expect(await newestRow('conversation.created')).toMatchObject({
      patientId: w.alice.id,
      subjectId: conversationId,
    });

    expect((await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`)).status).toBe(200);
    expect(await newestRow('feed.viewed')).toMatchObject({
      actorKind: 'staff',
      actorUserId: w.receptionist.id,
      actorLabel: 'Rita Reception',
      patientId: w.alice.id,
      ip: '127.0.0.1',
    });

    expect((await w.as.receptionist.get(`/api/v1/conversations/${conversationId}`)).status).toBe(
      200,
    );
    expect(await newestRow('conversation.viewed')).toMatchObject({
      actorUserId: w.receptionist.id,
      patientId: w.alice.id,
      subjectType: 'conversation',
      subjectId: conversationId,
    });

    for (const [text, shareWithPatient] of [
      [secrets[1], true],
      [secrets[2], false],
    ] as const) {
      const reply = await w.as.receptionist.post(
        `/api/v1/conversations/${conversationId}/messages`,
        { text, shareWithPatient, roleIds: [w.roles.builtIn] },
      );
      expect(reply.status).toBe(201);
      expect(await newestRow('message.created')).toMatchObject({
        actorUserId: w.receptionist.id,
        patientId: w.alice.id,
        subjectId: reply.body.message.id,
        details: { conversationId, sharedWithPatient: shareWithPatient },
      });
    }

    expect((await w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`)).status).toBe(
      200,
    );
    expect(await newestRow('conversation.viewed')).toMatchObject({
      actorKind: 'patient',
      actorPatientId: w.alice.id,
      patientId: w.alice.id,
      subjectId: conversationId,
    });
    expect((await w.as.alice.get('/api/v1/portal/conversations')).status).toBe(200);
    expect(await newestRow('inbox.viewed')).toMatchObject({ patientId: w.alice.id });
    expect((await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}`)).status).toBe(200);
    expect(await newestRow('patient.viewed')).toMatchObject({
      actorUserId: w.receptionist.id,
      patientId: w.alice.id,
    });

    // No text anywhere in the log: not in details, labels or subjects; nor in what admins read.
    const everything = JSON.stringify(await rows()) + JSON.stringify(await activity());
    const csv = (await w.as.admin.get('/api/v1/admin/audit.csv')).body as string;
    for (const secret of secrets) {
      expect(everything).not.toContain(secret);
      expect(everything).not.toContain(secret.slice(0, 8));
      expect(csv).not.toContain(secret.slice(0, 8));
    }
  });
});

describe('settings and accounts (rule 6)', () => {
  it('records settings changes with who changed what, and nothing for a refused change', async () => {
    const res = await w.as.admin.patch('/api/v1/admin/settings', {
      sharedItemsEmailEnabled: true,
      timeZone: 'Europe/Dublin',
    });
    expect(res.status).toBe(200);
    const row = await newestRow('settings.updated');
    expect(row).toMatchObject({
      actorKind: 'staff',
      actorUserId: w.chamber.admin.userId,
      actorLabel: 'Admin User',
      ip: '127.0.0.1',
      details: { sharedItemsEmailEnabled: true, timeZone: 'Europe/Dublin' },
    });
    const count = (await activity('action=settings.')).length;
    const refused = await w.as.admin.patch('/api/v1/admin/settings', { timeZone: 'Mars/Olympus' });
    expect(refused.status).toBe(422);
    expect(await activity('action=settings.')).toHaveLength(count);
    await w.as.admin.patch('/api/v1/admin/settings', { timeZone: 'Europe/London' });
  });

  it('records account and role changes', async () => {
    const role = await w.as.admin.post('/api/v1/admin/roles', { name: 'Pharmacy' });
    expect(role.status).toBe(201);
    expect(await newestRow('role.created')).toMatchObject({
      actorUserId: w.chamber.admin.userId,
      subjectId: role.body.id,
    });
    const reset = await w.as.receptionist.post(`/api/v1/patients/${w.bob.id}/portal-account/reset`);
    expect(reset.status).toBe(200);
    expect(await newestRow('portal_account.reset_sent')).toMatchObject({
      actorUserId: w.receptionist.id,
      patientId: w.bob.id,
    });
    await t.deliverMail();
  });
});

describe('System Activity (GET /api/v1/admin/audit)', () => {
  it('is for administrators only', async () => {
    for (const url of ['/api/v1/admin/audit', '/api/v1/admin/audit.csv']) {
      const staff = await w.as.receptionist.get(url);
      expect(staff.status).toBe(403);
      expect(staff.body.error.code).toBe('admin_required');
      expect((await w.as.alice.get(url)).status).toBe(401);
      const anonymous = await client(t.app).get(url);
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('unauthenticated');
    }
  });

  it('filters by action prefix, user and patient', async () => {
    expect((await w.as.nurse.get(`/api/v1/patients/${w.bob.id}/feed`)).status).toBe(200);

    const portal = await activity('action=portal.');
    expect(portal.length).toBeGreaterThan(0);
    expect(portal.every((e) => e.action.startsWith('portal.'))).toBe(true);
    expect(portal.map((e) => e.action)).toContain('portal.sign_in');

    // `_` is a letter here, not a LIKE wildcard: portal_ finds portal_account.*, not portal.*.
    const accounts = await activity('action=portal_');
    expect(accounts.length).toBeGreaterThan(0);
    expect(accounts.every((e) => e.action.startsWith('portal_account.'))).toBe(true);
    expect(await activity('action=portal_account.invited')).not.toHaveLength(0);

    const byNurse = await activity(`userId=${w.nurse.id}`);
    expect(byNurse.length).toBeGreaterThan(0);
    expect(byNurse.every((e) => e.actor.userId === w.nurse.id)).toBe(true);
    expect(byNurse.map((e) => e.action)).toContain('feed.viewed');

    const aboutBob = await activity(`patientId=${w.bob.id}`);
    expect(aboutBob.length).toBeGreaterThan(0);
    expect(aboutBob.every((e) => e.patientId === w.bob.id)).toBe(true);

    const both = await activity(`userId=${w.nurse.id}&patientId=${w.bob.id}&action=feed.`);
    expect(both.length).toBeGreaterThan(0);
    expect(
      both.every(
        (e) =>
          e.actor.userId === w.nurse.id && e.patientId === w.bob.id && e.action === 'feed.viewed',
      ),
    ).toBe(true);

    expect(await activity('action=no_such_action.')).toEqual([]);
    expect(await activity('userId=00000000-0000-4000-8000-000000000000')).toEqual([]);
  });

  it('refuses malformed filters with the field', async () => {
    for (const [query, field] of [
      ['from=yesterday', 'from'],
      ['to=2026-13-45', 'to'],
      ['action=portal%25', 'action'],
      ['userId=not-a-uuid', 'userId'],
      ['cursor=%21%21', 'cursor'],
      ['cursor=abc', 'cursor'],
      ['unknown=1', undefined],
    ] as const) {
      const res = await w.as.admin.get(`/api/v1/admin/audit?${query}`);
      expect(res.status, query).toBeGreaterThanOrEqual(400);
      expect(res.status, query).toBeLessThan(500);
      expect(res.body.error.code, query).toBe('validation_failed');
      if (field) expect(res.body.error.field, query).toBe(field);
    }
  });

  it('pages newest first with a cursor', async () => {
    for (let i = 0; i < 55; i += 1) {
      expect((await w.as.nurse.get(`/api/v1/patients/${w.bob.id}`)).status).toBe(200);
    }
    const query = `action=patient.viewed&userId=${w.nurse.id}`;
    const first = await w.as.admin.get(`/api/v1/admin/audit?${query}`);
    expect(first.body.events).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await w.as.admin.get(
      `/api/v1/admin/audit?${query}&cursor=${first.body.nextCursor}`,
    );
    expect(second.status).toBe(200);
    expect(second.body.events).toHaveLength(5);
    expect(second.body.nextCursor).toBeNull();
    const ids = [...first.body.events, ...second.body.events].map((e: Event) => Number(e.id));
    expect(new Set(ids).size).toBe(55);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
  });
});

describe('CSV export (GET /api/v1/admin/audit.csv)', () => {
  it('is a CSV attachment with a header row, and defuses cells a spreadsheet would run', async () => {
    const formulaRole = await w.as.admin.post('/api/v1/admin/roles', { name: '=SUM(1)' });
    expect(formulaRole.status).toBe(201);
    for (const name of ['=SUM(1)', '+1+1', '-2+3', '@A1']) {
      const user = await createStaff(t, w.chamber, { name });
      const res = await signInFrom('staff', w.chamber.key, user.email, PASSWORD, '192.0.2.77');
      expect(res.statusCode).toBe(200);
    }

    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/admin/audit.csv',
      headers: { cookie: w.as.admin.cookie! },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment;\s*filename="[^"]+\.csv"/);
    const table = parseCsv(res.body);
    expect(table[0]).toEqual([
      'id',
      'at',
      'action',
      'actor_kind',
      'actor',
      'actor_user_id',
      'actor_patient_id',
      'patient_id',
      'subject_type',
      'subject_id',
      'ip',
      'details',
      'privileged',
    ]);
    expect(table.length).toBeGreaterThan(10);
    for (const line of table.slice(1)) {
      expect(line).toHaveLength(13);
      expect(['true', 'false']).toContain(line[12]);
      for (const cell of line) expect(cell, `cell ${cell}`).not.toMatch(/^[=+\-@\t\r]/);
    }
    const actors = table.slice(1).map((line) => line[4]);
    for (const name of ['=SUM(1)', '+1+1', '-2+3', '@A1']) expect(actors).toContain(`'${name}`);
    const roleRow = table.find(
      (line) => line[2] === 'role.created' && line[9] === formulaRole.body.id,
    );
    expect(JSON.parse(roleRow![11]!)).toEqual({ name: '=SUM(1)' });

    // The same filters as the screen.
    const filtered = await w.as.admin.get(
      `/api/v1/admin/audit.csv?action=feed.&patientId=${w.alice.id}`,
    );
    const lines = parseCsv(filtered.body).slice(1);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l[2] === 'feed.viewed' && l[7] === w.alice.id)).toBe(true);
    expect(await newestRow('audit.exported')).toMatchObject({
      actorUserId: w.chamber.admin.userId,
    });
  });
});

describe('append-only (rule 6): the database itself refuses changes', () => {
  it('refuses UPDATE, DELETE and TRUNCATE through the product’s own database handle', async () => {
    const before = await rows();
    expect(before.length).toBeGreaterThan(0);
    const first = before[0]!;
    const attempts = [
      sql`update audit_events set action = 'tampered' where chamber_id = ${w.chamber.id}::uuid and id = ${first.id}`,
      sql`update audit_events set ip = null`,
      sql`delete from audit_events where chamber_id = ${w.chamber.id}::uuid and id = ${first.id}`,
      sql`delete from audit_events`,
      sql`truncate audit_events`,
      sql`truncate table audit_events restart identity cascade`,
    ];
    // On PostgreSQL the product's restricted role has not even the right (docs/operations.md);
    // the trigger refuses the tables' owner as well.
    for (const statement of attempts) {
      expect(await refusal(t.db.execute(statement))).toMatch(
        t.engine === 'postgres' ? /permission denied/ : /append-only/,
      );
      expect(await refusal(t.ownerDb().execute(statement))).toMatch(/append-only/);
    }
    // Inside a transaction too.
    expect(
      await refusal(
        t.ownerDb().transaction(async (tx) => {
          await tx.execute(sql`delete from audit_events where id = ${first.id}`);
        }),
      ),
    ).toMatch(/append-only/);
    const after = await rows();
    expect(after.slice(0, before.length)).toEqual(before);
  });
});

describe('the patient’s Activity tab (GET /api/v1/patients/:id/activity)', () => {
  it('shows that patient’s rows only', async () => {
    const res = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/activity`);
    expect(res.status).toBe(200);
    const events: Event[] = res.body.events;
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => e.patientId === w.alice.id)).toBe(true);
    const actions = events.map((e) => e.action);
    for (const a of ['portal.sign_in', 'feed.viewed', 'message.created'])
      expect(actions).toContain(a);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const bob = await w.as.receptionist.get(`/api/v1/patients/${w.bob.id}/activity`);
    expect(bob.body.events.every((e: Event) => e.patientId === w.bob.id)).toBe(true);
    const bobIds = new Set(bob.body.events.map((e: Event) => e.id));
    expect(events.some((e) => bobIds.has(e.id))).toBe(false);

    const missing = await w.as.receptionist.get(
      '/api/v1/patients/00000000-0000-4000-8000-000000000000/activity',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    expect((await w.as.alice.get(`/api/v1/patients/${w.alice.id}/activity`)).status).toBe(401);
  });

  it('pages with a cursor', async () => {
    // The paging test above left 55 "patient.viewed" rows about Bob.
    const first = await w.as.receptionist.get(`/api/v1/patients/${w.bob.id}/activity`);
    expect(first.body.events).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await w.as.receptionist.get(
      `/api/v1/patients/${w.bob.id}/activity?cursor=${first.body.nextCursor}`,
    );
    expect(second.status).toBe(200);
    expect(second.body.events.length).toBeGreaterThan(0);
    expect(second.body.events.every((e: Event) => e.patientId === w.bob.id)).toBe(true);
    const firstIds = new Set(first.body.events.map((e: Event) => e.id));
    expect(second.body.events.some((e: Event) => firstIds.has(e.id))).toBe(false);
  });
});

describe('chambers never cross', () => {
  it('another chamber’s audit rows never appear, by any filter, in the list, the CSV or a patient’s Activity', async () => {
    const other = await createChamber(t);
    const band = await createBand(t, other, { name: 'Online', messaging: true });
    const stranger = await createStaff(t, other, {
      name: 'Stella Stranger',
      roleIds: [other.builtInRoleId],
    });
    const zed = await createPatient(t, other, { bandId: band, given: 'Zed', family: 'Zulu' });
    const asStranger = await staffClient(t, other, stranger.email);
    const asZed = await patientClient(t, other, zed.email);
    const otherRole = await createRole(t, other, 'Other Chamber Role');
    expect((await asZed.post('/api/v1/portal/conversations', { text: 'Zed writes' })).status).toBe(
      201,
    );
    expect((await asStranger.get(`/api/v1/patients/${zed.id}/feed`)).status).toBe(200);
    const foreign = await rows(other.id);
    expect(foreign.length).toBeGreaterThan(3);

    const csv = (await w.as.admin.get('/api/v1/admin/audit.csv')).body as string;
    const list = JSON.stringify(await activity());
    for (const marker of [
      other.admin.userId,
      stranger.id,
      zed.id,
      otherRole,
      'Stella Stranger',
      'Zed Zulu',
      zed.email,
    ]) {
      expect(csv).not.toContain(marker);
      expect(list).not.toContain(marker);
    }
    const foreignIds = new Set(foreign.map((r) => String(r.id)));
    const listedIds = parseCsv(csv)
      .slice(1)
      .map((l) => l[0]);
    expect(listedIds.some((id) => foreignIds.has(id!))).toBe(false);

    expect(await activity(`patientId=${zed.id}`)).toEqual([]);
    expect(await activity(`userId=${stranger.id}`)).toEqual([]);
    const theirs = await w.as.receptionist.get(`/api/v1/patients/${zed.id}/activity`);
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('not_found');

    // And the other way round: their admin sees none of this chamber's rows.
    const asOtherAdmin = await staffClient(t, other, other.admin.email);
    const otherCsv = (await asOtherAdmin.get('/api/v1/admin/audit.csv')).body as string;
    for (const marker of [w.alice.id, w.bob.id, w.receptionist.id, 'Rita Reception']) {
      expect(otherCsv).not.toContain(marker);
    }
  });
});

describe('date filters (runs last: it moves the clock by days)', () => {
  it('filters by from and to (YYYY-MM-DD, whole days in UTC)', async () => {
    const day1 = t.clock().toISOString().slice(0, 10);
    t.clock.advance(hours(48));
    const day3 = t.clock().toISOString().slice(0, 10);
    // Sessions idled out over two days: sign in again.
    const admin = await staffClient(t, w.chamber, w.chamber.admin.email);
    const nurse = await staffClient(t, w.chamber, w.nurse.email);
    expect((await nurse.get(`/api/v1/patients/${w.alice.id}/feed`)).status).toBe(200);

    const fromDay3 = await activity(`from=${day3}`, admin);
    expect(fromDay3.length).toBeGreaterThan(0);
    expect(fromDay3.every((e) => e.at.slice(0, 10) >= day3)).toBe(true);
    expect(fromDay3.map((e) => e.action)).toEqual(
      expect.arrayContaining(['staff.sign_in', 'feed.viewed']),
    );

    const toDay1 = await activity(`to=${day1}`, admin);
    expect(toDay1.length).toBeGreaterThan(0);
    expect(toDay1.every((e) => e.at.slice(0, 10) <= day1)).toBe(true);

    const day2 = new Date(Date.parse(`${day1}T00:00:00Z`) + hours(24)).toISOString().slice(0, 10);
    expect(await activity(`from=${day2}&to=${day2}`, admin)).toEqual([]);
    const bothDays = await activity(
      `from=${day1}&to=${day3}&userId=${w.nurse.id}&action=feed.`,
      admin,
    );
    expect(bothDays.some((e) => e.at.startsWith(day1))).toBe(true);
    expect(bothDays.some((e) => e.at.startsWith(day3))).toBe(true);
  });
});
