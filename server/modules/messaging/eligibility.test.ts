import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, type Client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import {
  PASSWORD,
  createBand,
  createChamber,
  createPatient,
  createStaff,
  patientClient,
  staffClient,
  type TestChamber,
} from '../../test/factories.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

async function count(table: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql.raw(`select count(*) as n from ${table}`),
  );
  return Number(r.rows[0]?.n);
}

/** Everything a refused send or read could have written. */
async function snapshot() {
  const tables = [
    'conversations',
    'messages',
    'notifications',
    'conversation_reads',
    'jobs',
    'idempotency_keys',
    'patients',
    'portal_accounts',
    'charge_bands',
  ];
  return Object.fromEntries(await Promise.all(tables.map(async (x) => [x, await count(x)])));
}

function expectError(res: { status: number; body: any }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body.error).toMatchObject({ status, code, message: expect.any(String) });
}

describe('rule 1: who may message', () => {
  let c: TestChamber;
  let admin: Client;
  let reception: Client;
  let standard: string;
  let onlineOnly: string;

  beforeAll(async () => {
    c = await createChamber(t);
    admin = await staffClient(t, c, c.admin.email);
    const receptionist = await createStaff(t, c, { roleIds: [c.builtInRoleId] });
    reception = await staffClient(t, c, receptionist.email);
    standard = await createBand(t, c, { name: 'Standard', online: 'none', messaging: false });
    onlineOnly = await createBand(t, c, { name: 'Online, no messaging', messaging: false });
  });

  let n = 0;
  /**
   * A patient on their own band (online access, Allow online messaging), signed in, with one
   * conversation: their message, a staff reply shared with them, and an internal note.
   */
  async function scenario() {
    n += 1;
    const band = await createBand(t, c, { name: `Online ${n}`, messaging: true });
    const patient = await createPatient(t, c, { bandId: band, given: 'Eli', family: `Gible${n}` });
    const asPatient = await patientClient(t, c, patient.email);
    const sent = await asPatient.post('/api/v1/portal/conversations', { text: 'My question' });
    expect(sent.status).toBe(201);
    const conversationId = sent.body.conversation.id as string;
    for (const [text, shareWithPatient] of [
      ['Our answer', true],
      ['Internal note', false],
    ] as const) {
      const res = await reception.post(`/api/v1/conversations/${conversationId}/messages`, {
        text,
        shareWithPatient,
        roleIds: [c.builtInRoleId],
      });
      expect(res.status).toBe(201);
    }
    return { band, patient, asPatient, conversationId };
  }
  type Scenario = Awaited<ReturnType<typeof scenario>>;

  const staffView = async (s: Scenario) => {
    const conv = await reception.get(`/api/v1/conversations/${s.conversationId}`);
    expect(conv.status).toBe(200);
    return conv.body.messages.map((m: any) => m.text);
  };

  /** The four portal calls answer 403 with the code, the session says why, and nothing is stored. */
  async function expectRefused(s: Scenario, code: string) {
    const before = await snapshot();
    const staffBefore = await staffView(s);
    expectError(await s.asPatient.post('/api/v1/portal/conversations', { text: 'New' }), 403, code);
    expectError(
      await s.asPatient.post(
        '/api/v1/portal/conversations',
        { text: 'New with key' },
        { 'idempotency-key': `refused-${code}-${s.conversationId}` },
      ),
      403,
      code,
    );
    expectError(
      await s.asPatient.post(`/api/v1/portal/conversations/${s.conversationId}/messages`, {
        text: 'Reply',
      }),
      403,
      code,
    );
    expectError(await s.asPatient.get('/api/v1/portal/conversations'), 403, code);
    expectError(
      await s.asPatient.get(`/api/v1/portal/conversations/${s.conversationId}`),
      403,
      code,
    );

    const session = await s.asPatient.get('/api/v1/portal/session');
    expect(session.status).toBe(200);
    expect(session.body.messaging).toEqual({
      allowed: false,
      reason: code,
      message: expect.any(String),
    });
    const record = await reception.get(`/api/v1/patients/${s.patient.id}`);
    expect(record.body.messaging).toMatchObject({ allowed: false, reason: code });

    expect(await snapshot()).toEqual(before);
    // Nothing is deleted, and staff still read the whole Feed.
    expect(await staffView(s)).toEqual(staffBefore);
    expect(staffBefore).toEqual(['My question', 'Our answer', 'Internal note']);
    const feed = await reception.get(`/api/v1/patients/${s.patient.id}/feed`);
    expect(feed.body.conversations.map((x: any) => x.id)).toEqual([s.conversationId]);
  }

  /** Messaging is back, with the old conversation intact. */
  async function expectAllowed(s: Scenario) {
    const session = await s.asPatient.get('/api/v1/portal/session');
    expect(session.body.messaging).toEqual({ allowed: true, reason: null, message: null });
    const inbox = await s.asPatient.get('/api/v1/portal/conversations');
    expect(inbox.status).toBe(200);
    expect(inbox.body.conversations.map((x: any) => x.id)).toEqual([s.conversationId]);
    const open = await s.asPatient.get(`/api/v1/portal/conversations/${s.conversationId}`);
    expect(open.body.messages.map((m: any) => m.text)).toEqual(['My question', 'Our answer']);
    const reply = await s.asPatient.post(
      `/api/v1/portal/conversations/${s.conversationId}/messages`,
      { text: 'Thanks, messaging works again' },
    );
    expect(reply.status).toBe(201);
    expect((await reception.get(`/api/v1/patients/${s.patient.id}`)).body.messaging.allowed).toBe(
      true,
    );
  }

  it('Patient Portal switched off: portal_disabled, sign-in refused; on again restores messaging', async () => {
    const s = await scenario();
    const off = await admin.patch('/api/v1/admin/settings', { patientPortalEnabled: false });
    expect(off.status).toBe(200);
    try {
      await expectRefused(s, 'portal_disabled');
      expectError(
        await client(t.app).post('/api/v1/portal/session', {
          chamber: c.key,
          email: s.patient.email,
          password: PASSWORD,
        }),
        403,
        'portal_disabled',
      );
      // Staff keep working on the Feed meanwhile.
      const staffReply = await reception.post(
        `/api/v1/conversations/${s.conversationId}/messages`,
        {
          text: 'Written while the portal was off',
          shareWithPatient: false,
          roleIds: [c.builtInRoleId],
        },
      );
      expect(staffReply.status).toBe(201);
      // The first missing condition is named: the portal, even when the band is offline too.
      await admin.put(`/api/v1/admin/charge-bands/${s.band}/online-access`, { mode: 'none' });
      const session = await s.asPatient.get('/api/v1/portal/session');
      expect(session.body.messaging.reason).toBe('portal_disabled');
      await admin.put(`/api/v1/admin/charge-bands/${s.band}/online-access`, {
        mode: 'allow_no_notifications',
      });
    } finally {
      expect(
        (await admin.patch('/api/v1/admin/settings', { patientPortalEnabled: true })).status,
      ).toBe(200);
    }
    await expectAllowed(s);
    await patientClient(t, c, s.patient.email);
  });

  it('band without online access: band_not_online; Enable Online Booking again restores messaging', async () => {
    const s = await scenario();
    const off = await admin.put(`/api/v1/admin/charge-bands/${s.band}/online-access`, {
      mode: 'none',
    });
    expect(off.status).toBe(200);
    await expectRefused(s, 'band_not_online');
    const on = await admin.put(`/api/v1/admin/charge-bands/${s.band}/online-access`, {
      mode: 'allow_no_notifications',
    });
    expect(on.body.allowOnlineMessaging).toBe(true);
    await expectAllowed(s);
  });

  it('band without Allow online messaging: messaging_not_allowed; ticking it again restores messaging', async () => {
    const s = await scenario();
    const off = await admin.patch(`/api/v1/admin/charge-bands/${s.band}`, {
      allowOnlineMessaging: false,
    });
    expect(off.status).toBe(200);
    await expectRefused(s, 'messaging_not_allowed');
    // The portal itself stays open to the patient: only messaging is refused.
    expect((await s.asPatient.get('/api/v1/portal/session')).status).toBe(200);
    const on = await admin.patch(`/api/v1/admin/charge-bands/${s.band}`, {
      allowOnlineMessaging: true,
    });
    expect(on.status).toBe(200);
    await expectAllowed(s);
  });

  it('while messaging is refused, marking a conversation read is refused too and stores nothing', async () => {
    const s = await scenario();
    await admin.patch(`/api/v1/admin/charge-bands/${s.band}`, { allowOnlineMessaging: false });
    try {
      const before = await snapshot();
      const reads = await t.db.execute(
        sql`select * from conversation_reads where conversation_id = ${s.conversationId}::uuid order by reader_kind, reader_id`,
      );
      const res = await s.asPatient.post(`/api/v1/portal/conversations/${s.conversationId}/read`);
      expectError(res, 403, 'messaging_not_allowed');
      expect(await snapshot()).toEqual(before);
      const after = await t.db.execute(
        sql`select * from conversation_reads where conversation_id = ${s.conversationId}::uuid order by reader_kind, reader_id`,
      );
      expect(after.rows).toEqual(reads.rows);
    } finally {
      await admin.patch(`/api/v1/admin/charge-bands/${s.band}`, { allowOnlineMessaging: true });
    }
  });

  it('moving the patient to another band hides messaging, moving back restores it', async () => {
    const s = await scenario();
    const toStandard = await admin.patch(`/api/v1/patients/${s.patient.id}`, {
      chargeBandId: standard,
    });
    expect(toStandard.status).toBe(200);
    await expectRefused(s, 'band_not_online');
    const toOnlineOnly = await admin.patch(`/api/v1/patients/${s.patient.id}`, {
      chargeBandId: onlineOnly,
    });
    expect(toOnlineOnly.status).toBe(200);
    await expectRefused(s, 'messaging_not_allowed');
    const back = await admin.patch(`/api/v1/patients/${s.patient.id}`, { chargeBandId: s.band });
    expect(back.body.messaging).toMatchObject({ allowed: true, reason: null });
    await expectAllowed(s);
  });

  /*
   * account_not_active. Through the product, an account stops being Active only by Disable or by
   * a block after failed sign-ins, and both end the patient's sessions at once; an Invited
   * account has no password and cannot sign in. So no signed-in patient can reach the four calls
   * with a non-Active account: the product answers 401 (session gone) and refuses sign-in with
   * 403 account_not_active, while staff see the reason on the Patient Record. The last test
   * proves the 403 itself by setting the state in the database under a live session (defence
   * in depth: rule 1 is checked on every call, not only at sign-in).
   */
  it('account disabled: the session ends, sign-in answers 403 account_not_active, nothing is stored; enabling restores', async () => {
    const s = await scenario();
    const disabled = await admin.post(`/api/v1/patients/${s.patient.id}/portal-account/disable`);
    expect(disabled.status).toBe(200);
    expect(disabled.body.messaging).toMatchObject({ allowed: false, reason: 'account_not_active' });
    const before = await snapshot();
    const staffBefore = await staffView(s);
    for (const res of [
      await s.asPatient.post('/api/v1/portal/conversations', { text: 'New' }),
      await s.asPatient.post(`/api/v1/portal/conversations/${s.conversationId}/messages`, {
        text: 'Reply',
      }),
      await s.asPatient.get('/api/v1/portal/conversations'),
      await s.asPatient.get('/api/v1/portal/session'),
    ]) {
      expectError(res, 401, 'unauthenticated');
    }
    expectError(
      await client(t.app).post('/api/v1/portal/session', {
        chamber: c.key,
        email: s.patient.email,
        password: PASSWORD,
      }),
      403,
      'account_not_active',
    );
    expect(await snapshot()).toEqual(before);
    expect(await staffView(s)).toEqual(staffBefore);

    expect(
      (await admin.post(`/api/v1/patients/${s.patient.id}/portal-account/enable`)).status,
    ).toBe(200);
    await expectAllowed({ ...s, asPatient: await patientClient(t, c, s.patient.email) });
  });

  it('account Invited (no password yet): cannot sign in, and the record says account_not_active', async () => {
    const band = await createBand(t, c, { messaging: true });
    const p = await createPatient(t, c, { bandId: band, account: 'invited' });
    expectError(
      await client(t.app).post('/api/v1/portal/session', {
        chamber: c.key,
        email: p.email,
        password: PASSWORD,
      }),
      401,
      'invalid_credentials',
    );
    const record = await reception.get(`/api/v1/patients/${p.id}`);
    expect(record.body).toMatchObject({
      portalAccount: { state: 'invited' },
      messaging: { allowed: false, reason: 'account_not_active' },
    });
  });

  it('account not Active under a live session (set in the database): the four calls answer 403 account_not_active', async () => {
    const s = await scenario();
    const setState = (state: string) =>
      t.db.execute(
        sql`update portal_accounts set state = ${state} where chamber_id = ${c.id}::uuid and patient_id = ${s.patient.id}::uuid`,
      );
    await setState('blocked');
    try {
      await expectRefused(s, 'account_not_active');
    } finally {
      await setState('active');
    }
    await expectAllowed(s);
  });
});

describe('cross-chamber isolation', () => {
  let c1: TestChamber;
  let c2: TestChamber;
  let alice: { id: string; email: string };
  let carol: { id: string; email: string };
  let asAlice: Client;
  let asCarol: Client;
  let staff1: Client;
  let staff2: Client;
  let admin2: Client;
  let conv1: string;
  let conv2: string;
  let notification1: string;
  let notification2: string;

  beforeAll(async () => {
    c1 = await createChamber(t);
    c2 = await createChamber(t);
    const band1 = await createBand(t, c1, { messaging: true });
    const band2 = await createBand(t, c2, { messaging: true });
    const r1 = await createStaff(t, c1, { roleIds: [c1.builtInRoleId] });
    const r2 = await createStaff(t, c2, { roleIds: [c2.builtInRoleId] });
    staff1 = await staffClient(t, c1, r1.email);
    staff2 = await staffClient(t, c2, r2.email);
    admin2 = await staffClient(t, c2, c2.admin.email);
    alice = await createPatient(t, c1, { bandId: band1, given: 'Alice', family: 'Isolated' });
    carol = await createPatient(t, c2, {
      bandId: band2,
      given: 'Carol',
      family: 'Isolated',
      email: 'carol@chamber-two.example',
    });
    asAlice = await patientClient(t, c1, alice.email);
    asCarol = await patientClient(t, c2, carol.email);
    conv1 = (await asAlice.post('/api/v1/portal/conversations', { text: 'Chamber one secret' }))
      .body.conversation.id;
    conv2 = (await asCarol.post('/api/v1/portal/conversations', { text: 'Chamber two' })).body
      .conversation.id;
    notification1 = (await staff1.get('/api/v1/notifications')).body.notifications[0].id;
    notification2 = (await staff2.get('/api/v1/notifications')).body.notifications[0].id;
    expect([conv1, conv2, notification1, notification2].every(Boolean)).toBe(true);
  });

  it('staff of chamber 2 get 404 for chamber 1’s patient, feed, conversation and notification ids', async () => {
    const before = await snapshot();
    const unread1 = (await staff1.get('/api/v1/notifications')).body.unreadCount;
    const reply = { text: 'Crossing over', shareWithPatient: true, roleIds: [] };
    const attempts: [string, Promise<{ status: number; body: any }>][] = [
      ['patient', staff2.get(`/api/v1/patients/${alice.id}`)],
      ['feed', staff2.get(`/api/v1/patients/${alice.id}/feed`)],
      ['activity', staff2.get(`/api/v1/patients/${alice.id}/activity`)],
      ['start', staff2.post(`/api/v1/patients/${alice.id}/conversations`, reply)],
      ['conversation', staff2.get(`/api/v1/conversations/${conv1}`)],
      ['reply', staff2.post(`/api/v1/conversations/${conv1}/messages`, reply)],
      ['read', staff2.post(`/api/v1/conversations/${conv1}/read`)],
      ['notification read', staff2.post(`/api/v1/notifications/${notification1}/read`)],
      ['notification reply', staff2.post(`/api/v1/notifications/${notification1}/reply`, reply)],
      ['admin patch', admin2.patch(`/api/v1/patients/${alice.id}`, { familyName: 'Taken' })],
      ['admin disable', admin2.post(`/api/v1/patients/${alice.id}/portal-account/disable`)],
      ['admin conversation', admin2.get(`/api/v1/conversations/${conv1}`)],
    ];
    for (const [what, call] of attempts) {
      const res = await call;
      expect(res.status, what).toBe(404);
      expect(res.body.error.code, what).toBe('not_found');
    }
    expect(await snapshot()).toEqual(before);
    expect((await staff1.get('/api/v1/notifications')).body.unreadCount).toBe(unread1);
    const aliceRecord = await staff1.get(`/api/v1/patients/${alice.id}`);
    expect(aliceRecord.body).toMatchObject({
      familyName: 'Isolated',
      portalAccount: { state: 'active' },
    });
    const search = await staff2.get('/api/v1/patients?query=isolated');
    expect(search.body.patients.map((p: any) => p.id)).toEqual([carol.id]);
    expect(
      (await staff2.get('/api/v1/notifications')).body.notifications.map((x: any) => x.id),
    ).toEqual([notification2]);
  });

  it('replying in chamber 2 with chamber 1’s role ids answers 422 role_not_found', async () => {
    const before = await snapshot();
    for (const roleIds of [[c1.builtInRoleId], [c2.builtInRoleId, c1.builtInRoleId]]) {
      for (const res of [
        await staff2.post(`/api/v1/conversations/${conv2}/messages`, {
          text: 'Wrong roles',
          shareWithPatient: true,
          roleIds,
        }),
        await staff2.post(`/api/v1/patients/${carol.id}/conversations`, {
          text: 'Wrong roles',
          shareWithPatient: false,
          roleIds,
        }),
        await staff2.post(`/api/v1/notifications/${notification2}/reply`, {
          text: 'Wrong roles',
          shareWithPatient: true,
          roleIds,
        }),
      ]) {
        expectError(res, 422, 'role_not_found');
        expect(res.body.error.field).toBe('roleIds');
      }
    }
    const settings = await admin2.patch('/api/v1/admin/settings', {
      roleForNewMessagesId: c1.builtInRoleId,
    });
    expectError(settings, 422, 'role_not_found');
    expect(await snapshot()).toEqual(before);
    expect((await staff2.get(`/api/v1/conversations/${conv2}`)).body.messages).toHaveLength(1);
  });

  it('a patient of chamber 2 gets 404 for chamber 1’s conversation ids', async () => {
    const before = await snapshot();
    for (const res of [
      await asCarol.get(`/api/v1/portal/conversations/${conv1}`),
      await asCarol.post(`/api/v1/portal/conversations/${conv1}/messages`, { text: 'Hello?' }),
      await asCarol.post(`/api/v1/portal/conversations/${conv1}/read`),
    ]) {
      expectError(res, 404, 'not_found');
    }
    expect(await snapshot()).toEqual(before);
    const inbox2 = await asCarol.get('/api/v1/portal/conversations');
    expect(inbox2.body.conversations.map((x: any) => x.id)).toEqual([conv2]);
    const inbox1 = await asAlice.get('/api/v1/portal/conversations');
    expect(inbox1.body.conversations.map((x: any) => x.id)).toEqual([conv1]);
  });

  it('signing in with chamber 1’s key and chamber 2’s credentials fails with 401', async () => {
    const shared = 'same.person@both.example';
    await t.services.users.create(c1.admin, {
      name: 'Same One',
      email: shared,
      password: 'chamber-one-pass-1',
    });
    await t.services.users.create(c2.admin, {
      name: 'Same One',
      email: shared,
      password: 'chamber-two-pass-2',
    });
    const attempts: [string, Record<string, string>][] = [
      ['/api/v1/staff/session', { chamber: c1.key, email: c2.admin.email, password: PASSWORD }],
      ['/api/v1/staff/session', { chamber: c1.key, email: shared, password: 'chamber-two-pass-2' }],
      ['/api/v1/portal/session', { chamber: c1.key, email: carol.email, password: PASSWORD }],
      ['/api/v1/staff/session', { chamber: 'no-such-chamber', email: shared, password: PASSWORD }],
    ];
    for (const [url, body] of attempts) {
      const res = await client(t.app).post(url, body);
      expectError(res, 401, 'invalid_credentials');
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const ok = await client(t.app).post('/api/v1/staff/session', {
      chamber: c2.key,
      email: shared,
      password: 'chamber-two-pass-2',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.chamber.key).toBe(c2.key);
  });
});
