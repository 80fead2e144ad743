import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chambers } from '../db/schema.js';
import { hours, minutes } from '../lib/clock.js';
import { hashToken } from '../lib/tokens.js';
import {
  createBand,
  createChamber,
  createPatient,
  createStaff,
  patientClient,
  staffClient,
  type TestChamber,
} from '../test/factories.js';
import { client, signIn, type Client } from '../test/http.js';
import { closedPort, startSmtpServer, type ReceivedEmail, type SmtpCapture } from '../test/smtp.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { fileMailer, smtpMailer, type Mailer } from './mailer.js';
import { backoffMs, createWorker } from './worker.js';

const FROM = 'Clinic <no-reply@clinic.example>';
const DELAY = minutes(5);

let t: TestApp;
let servers: SmtpCapture[] = [];
let mailers: Mailer[] = [];

async function smtp(options: Parameters<typeof startSmtpServer>[0] = {}): Promise<SmtpCapture> {
  const server = await startSmtpServer(options);
  servers.push(server);
  return server;
}

/** A second worker, as the background process runs it, delivering to a real SMTP server. */
function smtpWorker(port: number) {
  const mailer = smtpMailer(`smtp://127.0.0.1:${port}`, FROM);
  mailers.push(mailer);
  return createWorker(t.ctx, mailer);
}

interface Clinic {
  chamber: TestChamber;
  band: string;
  staff: { id: string; email: string; name: string };
  admin: Client;
  rita: Client;
  alice: { id: string; email: string; name: string };
  asAlice: Client;
}

/** A chamber with "Enable new shared items email" on, a receptionist, and Alice who consents to email. */
async function clinic(options: { emailSetting?: boolean } = {}): Promise<Clinic> {
  const chamber = await createChamber(t);
  const band = await createBand(t, chamber, { name: 'Online', messaging: true });
  const staff = await createStaff(t, chamber, {
    name: 'Rita Reception',
    roleIds: [chamber.builtInRoleId],
  });
  const alice = await createPatient(t, chamber, {
    bandId: band,
    given: 'Alice',
    family: 'Archer',
    email: 'patient-a@mail.example',
  });
  const admin = await staffClient(t, chamber, chamber.admin.email);
  if (options.emailSetting ?? true) {
    const res = await admin.patch('/api/v1/admin/settings', { sharedItemsEmailEnabled: true });
    expect(res.status).toBe(200);
    expect(res.body.sharedItemsEmailEnabled).toBe(true);
  }
  return {
    chamber,
    band,
    staff,
    admin,
    rita: await staffClient(t, chamber, staff.email),
    alice,
    asAlice: await patientClient(t, chamber, alice.email),
  };
}

/** Staff start a conversation with the patient; shared with the patient unless told otherwise. */
async function share(
  c: Clinic,
  patientId: string,
  text: string,
  shareWithPatient = true,
): Promise<string> {
  const res = await c.rita.post(`/api/v1/patients/${patientId}/conversations`, {
    text,
    shareWithPatient,
    roleIds: [c.chamber.builtInRoleId],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.conversation.id;
}

type JobRow = {
  id: string;
  kind: string;
  state: string;
  attempts: number;
  last_error: string | null;
  run_at: Date | string;
  payload: unknown;
};

async function jobs(kind?: string): Promise<JobRow[]> {
  const r = await t.db.execute<JobRow>(sql`
    select id, kind, state, attempts, last_error, run_at, payload from jobs
     where ${kind ?? null}::text is null or kind = ${kind ?? null}
     order by created_at, id`);
  return r.rows.map((j) => ({ ...j, attempts: Number(j.attempts) }));
}

const at = (d: Date | string) => new Date(d).getTime();

function assertNoClinicalContent(mail: ReceivedEmail, forbidden: string[]) {
  for (const word of forbidden) {
    expect(mail.subject, `subject carries "${word}"`).not.toContain(word);
    expect(mail.text, `text carries "${word}"`).not.toContain(word);
    expect(mail.raw.toLowerCase(), `source carries "${word}"`).not.toContain(word.toLowerCase());
  }
}

describe('backoffMs', () => {
  it('waits 30 s, 1 min, 2 min ... doubling, capped at one hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(backoffMs)).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000,
    ]);
    expect(backoffMs(8)).toBe(3_600_000);
    expect(backoffMs(30)).toBe(3_600_000);
    expect(backoffMs(1000)).toBe(3_600_000);
    expect(backoffMs(0)).toBe(30_000);
  });
});

describe('fileMailer', () => {
  it('writes each email as a readable .eml file, private to the product', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-mail-'));
    try {
      const mailer = fileMailer(path.join(dir, 'mail'), FROM);
      await mailer.send({
        to: 'someone@mail.example',
        subject: 'Hello\r\nBcc: x@evil.example',
        text: 'Line one\nhttp://127.0.0.1:3000/portal/',
      });
      mailer.close();
      const files = fs.readdirSync(path.join(dir, 'mail'));
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.eml$/);
      const file = path.join(dir, 'mail', files[0]!);
      if (process.platform !== 'win32') expect(fs.statSync(file).mode & 0o077).toBe(0);
      const mail = await simpleParser(fs.readFileSync(file));
      expect(mail.from?.text).toContain('no-reply@clinic.example');
      expect(
        (Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) =>
          a ? a.value.map((v) => v.address) : [],
        ),
      ).toEqual(['someone@mail.example']);
      expect(mail.subject).toContain('Hello');
      expect(mail.headers.has('bcc')).toBe(false);
      expect(mail.text?.trim()).toBe('Line one\nhttp://127.0.0.1:3000/portal/');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('with a database and a real SMTP server', () => {
  // One database for the file; each test makes its own chamber. Jobs are global to the worker,
  // so each test starts with an empty queue.
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());
  beforeEach(async () => {
    await t.db.execute(sql`delete from jobs`);
  });

  afterEach(async () => {
    // The pooled SMTP connections first, so the servers close at once.
    for (const m of mailers) m.close();
    await Promise.all(servers.map((s) => s.close()));
    mailers = [];
    servers = [];
  });

  describe('shared items email over SMTP (rule 5)', () => {
    it('waits 5 minutes, then sends one email with the portal link and no clinical content', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const text = 'Your biopsy shows a benign naevus, nothing to do.';
      await share(c, c.alice.id, text);

      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      t.clock.advance(DELAY - 1000);
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(0);

      t.clock.advance(1000);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      const mail = server.received[0]!;
      expect(mail.envelopeTo).toEqual([c.alice.email]);
      expect(mail.to).toEqual([c.alice.email]);
      expect(mail.from).toContain('no-reply@clinic.example');
      expect(mail.text).toContain(`${t.config.publicUrl}/portal/`);
      assertNoClinicalContent(mail, [
        text,
        'biopsy',
        'naevus',
        'Rita',
        'Reception',
        'Alice',
        'Archer',
      ]);
      expect((await jobs('shared_items_email')).map((j) => j.state)).toEqual(['done']);

      // Nothing more to send, however long we wait.
      t.clock.advance(hours(3));
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
    });

    it('makes one email of several items within 5 minutes, and a new one for an item after it', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const conversation = await share(c, c.alice.id, 'First item');
      t.clock.advance(minutes(1));
      await share(c, c.alice.id, 'Second item');
      t.clock.advance(minutes(2));
      const reply = await c.rita.post(`/api/v1/conversations/${conversation}/messages`, {
        text: 'Third item',
        shareWithPatient: true,
        roleIds: [],
      });
      expect(reply.status).toBe(201);
      expect(await jobs('shared_items_email')).toHaveLength(1);

      t.clock.advance(minutes(2)); // 5 minutes after the first item
      expect((await worker.runDue()).done).toBe(1);
      expect(server.received).toHaveLength(1);
      t.clock.advance(minutes(10));
      await worker.runDue();
      expect(server.received).toHaveLength(1);

      await share(c, c.alice.id, 'Fourth item, after the email');
      t.clock.advance(DELAY - 1000);
      await worker.runDue();
      expect(server.received).toHaveLength(1);
      t.clock.advance(1000);
      expect((await worker.runDue()).done).toBe(1);
      expect(server.received).toHaveLength(2);
      expect(server.received.map((m) => m.envelopeTo)).toEqual([[c.alice.email], [c.alice.email]]);
    });

    it('sends nothing when the patient does not consent or the setting is off', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);

      const consent = await c.admin.patch(`/api/v1/patients/${c.alice.id}`, {
        emailConsent: false,
      });
      expect(consent.status).toBe(200);
      expect(consent.body.emailConsent).toBe(false);
      await share(c, c.alice.id, 'Shared while consent is off');
      t.clock.advance(DELAY);
      await worker.runDue();
      expect(server.received).toHaveLength(0);

      expect(
        (await c.admin.patch(`/api/v1/patients/${c.alice.id}`, { emailConsent: true })).status,
      ).toBe(200);
      expect(
        (await c.admin.patch('/api/v1/admin/settings', { sharedItemsEmailEnabled: false })).status,
      ).toBe(200);
      await share(c, c.alice.id, 'Shared while the setting is off');
      t.clock.advance(DELAY);
      await worker.runDue();
      expect(server.received).toHaveLength(0);
      expect(await jobs('shared_items_email')).toHaveLength(0);
    });

    it('sends nothing when consent is turned off after the email was queued', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      await share(c, c.alice.id, 'Queued, then consent withdrawn');
      expect((await jobs('shared_items_email')).map((j) => j.state)).toEqual(['pending']);
      t.clock.advance(minutes(2));
      expect(
        (await c.admin.patch(`/api/v1/patients/${c.alice.id}`, { emailConsent: false })).status,
      ).toBe(200);
      t.clock.advance(minutes(3));
      await worker.runDue();
      expect(server.received).toHaveLength(0);
      const [job] = await jobs('shared_items_email');
      expect(job?.state).toBe('done');
      t.clock.advance(hours(2));
      await worker.runDue();
      expect(server.received).toHaveLength(0);
    });

    it('sends nothing when the setting is turned off after the email was queued', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      await share(c, c.alice.id, 'Queued, then the setting switched off');
      expect(
        (await c.admin.patch('/api/v1/admin/settings', { sharedItemsEmailEnabled: false })).status,
      ).toBe(200);
      t.clock.advance(DELAY);
      await worker.runDue();
      expect(server.received).toHaveLength(0);
    });

    it('sends nothing for internal notes nor for the patient’s own messages', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const conversation = await share(c, c.alice.id, 'Internal: check the lab system', false);
      const own = await c.asAlice.post('/api/v1/portal/conversations', { text: 'My own question' });
      expect(own.status).toBe(201);
      const ownReply = await c.asAlice.post(
        `/api/v1/portal/conversations/${own.body.conversation.id}/messages`,
        { text: 'And a follow-up' },
      );
      expect(ownReply.status).toBe(201);
      const note = await c.rita.post(`/api/v1/conversations/${conversation}/messages`, {
        text: 'Another internal note',
        shareWithPatient: false,
        roleIds: [c.chamber.builtInRoleId],
      });
      expect(note.status).toBe(201);
      expect(await jobs('shared_items_email')).toHaveLength(0);
      t.clock.advance(DELAY);
      await worker.runDue();
      expect(server.received).toHaveLength(0);
    });

    it('never carries message text, author or patient names, however many items and patients', async () => {
      const c = await clinic();
      const bob = await createPatient(t, c.chamber, {
        bandId: c.band,
        given: 'Bob',
        family: 'Baker',
        email: 'patient-b@mail.example',
      });
      const nurse = await createStaff(t, c.chamber, {
        name: 'Nina Nightingale',
        roleIds: [c.chamber.builtInRoleId],
      });
      const asNurse = await staffClient(t, c.chamber, nurse.email);
      const asBob = await patientClient(t, c.chamber, bob.email);
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const texts = [
        'HbA1c result 48 mmol/mol – borderline diabetes',
        'Please stop taking warfarin before surgery',
        'Internal: possible safeguarding concern',
        'I have had chest pain since Tuesday',
        'Your smear test was clear',
        'Hepatitis B vaccination booked for Friday',
      ];
      const aliceConv = await share(c, c.alice.id, texts[0]!);
      const bobConv = await share(c, bob.id, texts[1]!);
      expect(
        (
          await c.rita.post(`/api/v1/conversations/${bobConv}/messages`, {
            text: texts[2],
            shareWithPatient: false,
            roleIds: [c.chamber.builtInRoleId],
          })
        ).status,
      ).toBe(201);
      expect(
        (await asBob.post(`/api/v1/portal/conversations/${bobConv}/messages`, { text: texts[3] }))
          .status,
      ).toBe(201);
      expect(
        (
          await asNurse.post(`/api/v1/conversations/${aliceConv}/messages`, {
            text: texts[4],
            shareWithPatient: true,
            roleIds: [],
          })
        ).status,
      ).toBe(201);
      t.clock.advance(DELAY);
      await worker.runDue();
      const bobAgain = await asNurse.post(`/api/v1/patients/${bob.id}/conversations`, {
        text: texts[5],
        shareWithPatient: true,
        roleIds: [],
      });
      expect(bobAgain.status).toBe(201);
      t.clock.advance(DELAY);
      await worker.runDue();

      expect(server.received.map((m) => m.envelopeTo[0]).sort()).toEqual([
        c.alice.email,
        bob.email,
        bob.email,
      ]);
      for (const mail of server.received) {
        assertNoClinicalContent(mail, [
          ...texts,
          'warfarin',
          'HbA1c',
          'chest',
          'Rita',
          'Nina',
          'Nightingale',
          'Alice',
          'Archer',
          'Bob',
          'Baker',
        ]);
        expect(mail.text).toContain(`${t.config.publicUrl}/portal/`);
      }
    });
  });

  describe('hostile text never makes headers', () => {
    it('CR/LF and header-like text in messages, names and the chamber name add no header nor recipient', async () => {
      const c = await clinic();
      const odd = await createPatient(t, c.chamber, {
        bandId: c.band,
        given: 'Zoë "Bcc: x@evil.example"',
        family: "O'Brien-Ünal <script>alert(1)</script> %0d%0aBcc: y@evil.example",
        email: 'patient-odd@mail.example',
      });
      // The chamber name reaches the subject; an operator typing line breaks must not add headers.
      await t.db
        .update(chambers)
        .set({ name: 'Clinic\r\nBcc: z@evil.example\r\nX-Injected: yes' })
        .where(eq(chambers.id, c.chamber.id));
      const server = await smtp();
      const worker = smtpWorker(server.port);
      await share(
        c,
        odd.id,
        'Hello\r\nBcc: x@evil.example\r\nSubject: hacked\r\n\r\nbody\nCc: w@evil.example',
      );
      await share(c, c.alice.id, 'To: v@evil.example\nBcc: x@evil.example');

      // Names with line breaks are refused at the door, changing nothing.
      for (const body of [
        { givenName: 'Eve\r\nBcc: x@evil.example' },
        { familyName: 'Eve\nBcc: x@evil.example' },
      ]) {
        const res = await c.admin.patch(`/api/v1/patients/${odd.id}`, body);
        expect(res.status, JSON.stringify(body)).toBe(422);
        expect(res.body.error.code).toBe('validation_failed');
      }

      t.clock.advance(DELAY);
      expect((await worker.runDue()).done).toBe(2);
      expect(server.received).toHaveLength(2);
      for (const mail of server.received) {
        expect(mail.headers.has('bcc')).toBe(false);
        expect(mail.headers.has('cc')).toBe(false);
        expect(mail.headers.has('x-injected')).toBe(false);
        expect(mail.headerNames).not.toContain('bcc');
        expect(mail.headerNames).not.toContain('cc');
        expect(mail.headerNames).not.toContain('x-injected');
        expect(mail.headerNames.filter((h) => h === 'subject')).toHaveLength(1);
        expect(mail.headerNames.filter((h) => h === 'to')).toHaveLength(1);
        expect(mail.envelopeTo).toHaveLength(1);
        expect(mail.to).toHaveLength(1);
        expect(mail.subject).not.toContain('hacked');
        expect(mail.raw).not.toContain('hacked');
        expect(mail.raw).not.toContain("O'Brien");
        expect(mail.raw).not.toContain('script');
      }
      expect(server.received.map((m) => m.envelopeTo[0]).sort()).toEqual(
        [c.alice.email, odd.email].sort(),
      );
      expect(server.received.flatMap((m) => m.envelopeTo).join(' ')).not.toContain('evil');
    });
  });

  describe('SMTP faults (an acknowledged message never loses its email)', () => {
    it('keeps the job pending while SMTP is down, then delivers it exactly once', async () => {
      const c = await clinic();
      const port = await closedPort();
      const worker = smtpWorker(port);
      await share(c, c.alice.id, 'Sent while the mail server is down');
      t.clock.advance(DELAY);

      expect(await worker.runDue()).toEqual({ done: 0, retried: 1, failed: 0 });
      const [job] = await jobs('shared_items_email');
      expect(job).toMatchObject({ state: 'pending', attempts: 1 });
      expect(job?.last_error).toBeTruthy();
      expect(at(job!.run_at)).toBe(t.clock().getTime() + backoffMs(1));
      // Not due again before the backoff has passed.
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });

      const server = await smtp({ port });
      t.clock.advance(backoffMs(1) - 1000);
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(0);
      t.clock.advance(1000);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      expect(server.received[0]!.envelopeTo).toEqual([c.alice.email]);
      const [after] = await jobs('shared_items_email');
      expect(after).toMatchObject({ state: 'done', attempts: 2 });

      t.clock.advance(hours(2));
      await worker.runDue();
      expect(server.received).toHaveLength(1);
    });

    it('retries 421 answers with growing backoff, then delivers once when the server accepts', async () => {
      const c = await clinic();
      const server = await smtp({ fail: { stage: 'rcpt', code: 421 } });
      const worker = smtpWorker(server.port);
      await share(c, c.alice.id, 'Sent while the mail server is busy');
      t.clock.advance(DELAY);

      for (let attempt = 1; attempt <= 3; attempt += 1) {
        expect(await worker.runDue(), `attempt ${attempt}`).toEqual({
          done: 0,
          retried: 1,
          failed: 0,
        });
        const [job] = await jobs('shared_items_email');
        expect(job).toMatchObject({ state: 'pending', attempts: attempt });
        expect(job?.last_error).toContain('421');
        expect(at(job!.run_at) - t.clock().getTime()).toBe(backoffMs(attempt));
        expect(server.attempts.rcpt).toBe(attempt);
        // Just before the backoff ends: nothing is tried.
        t.clock.advance(backoffMs(attempt) - 1000);
        expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
        expect(server.attempts.rcpt).toBe(attempt);
        t.clock.advance(1000);
      }
      expect([1, 2, 3].map(backoffMs)).toEqual([30_000, 60_000, 120_000]);

      server.fail(null);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      expect((await jobs('shared_items_email'))[0]).toMatchObject({ state: 'done', attempts: 4 });
      t.clock.advance(hours(2));
      await worker.runDue();
      expect(server.received).toHaveLength(1);
    });

    it('a job claimed by a worker that died is taken over once its lease ends, and sent once', async () => {
      const c = await clinic();
      const server = await smtp();
      const worker = smtpWorker(server.port);
      await share(c, c.alice.id, 'Claimed by a worker that crashed');
      t.clock.advance(DELAY);
      // As a worker does when it claims the job, then the process dies before finishing.
      const lease = minutes(5);
      await t.db.execute(sql`
        update jobs set state = 'running', attempts = attempts + 1,
               locked_until = ${new Date(t.clock().getTime() + lease).toISOString()}::timestamptz
         where kind = 'shared_items_email'`);
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      t.clock.advance(lease - 1000);
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(0);
      t.clock.advance(2000);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      t.clock.advance(hours(1));
      await worker.runDue();
      expect(server.received).toHaveLength(1);
    });

    it('an item shared while a failing email is being sent still gets exactly one email', async () => {
      const c = await clinic();
      const server = await smtp({ fail: { stage: 'rcpt', code: 421 } });
      const inner = smtpMailer(server.url, FROM);
      mailers.push(inner);
      let duringSend: (() => Promise<unknown>) | undefined = () =>
        share(c, c.alice.id, 'Shared while the first email is in flight');
      const worker = createWorker(t.ctx, {
        async send(email) {
          const hook = duringSend;
          duringSend = undefined;
          if (hook) await hook();
          return inner.send(email);
        },
        close: () => inner.close(),
        describe: () => 'SMTP with a hook',
      });
      await share(c, c.alice.id, 'First item');
      t.clock.advance(DELAY);
      await worker.runDue();
      expect(server.received).toHaveLength(0);
      // The failed job gives way to the newer one, which sends the single email.
      expect((await jobs('shared_items_email')).map((j) => j.state).sort()).toEqual([
        'done',
        'pending',
      ]);

      server.fail(null);
      t.clock.advance(DELAY);
      expect((await worker.runDue()).done).toBe(1);
      expect(server.received).toHaveLength(1);
      t.clock.advance(hours(2));
      await worker.runDue();
      expect(server.received).toHaveLength(1);
      expect((await jobs('shared_items_email')).filter((j) => j.state !== 'done')).toEqual([]);
    });

    it('gives up after the last attempt of a job that keeps failing, and stops trying', async () => {
      const c = await clinic();
      const server = await smtp({ fail: { stage: 'rcpt', code: 421 } });
      const worker = smtpWorker(server.port);
      await share(c, c.alice.id, 'The mail server never recovers');
      t.clock.advance(DELAY);
      const maxAttempts = 8;
      for (let attempt = 1; attempt < maxAttempts; attempt += 1) {
        expect((await worker.runDue()).retried, `attempt ${attempt}`).toBe(1);
        t.clock.advance(backoffMs(attempt));
      }
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 1 });
      const [job] = await jobs('shared_items_email');
      expect(job).toMatchObject({ state: 'failed', attempts: maxAttempts });
      expect(job?.last_error).toContain('421');
      expect(server.attempts.rcpt).toBe(maxAttempts);
      t.clock.advance(hours(24));
      expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
      expect(server.attempts.rcpt).toBe(maxAttempts);
    });

    it('an invitation queued while SMTP is down arrives later with a working link', async () => {
      const c = await clinic({ emailSetting: false });
      const port = await closedPort();
      const worker = smtpWorker(port);
      const dora = await createPatient(t, c.chamber, {
        bandId: c.band,
        given: 'Dora',
        family: 'Down',
        email: 'patient-d@mail.example',
        account: 'none',
      });
      const earlier = new Set((await jobs()).map((j) => j.id));
      expect((await c.rita.post(`/api/v1/patients/${dora.id}/portal-account/invite`)).status).toBe(
        200,
      );
      expect(await worker.runDue()).toEqual({ done: 0, retried: 1, failed: 0 });
      const queued = (await jobs('account_link_email')).filter((j) => !earlier.has(j.id));
      expect(queued).toHaveLength(1);
      expect(queued[0]).toMatchObject({ state: 'pending', attempts: 1 });
      expect(queued[0]?.last_error).toBeTruthy();

      const server = await smtp({ port });
      t.clock.advance(backoffMs(1));
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      const token = server.received[0]!.text.match(/#token=([A-Za-z0-9_-]+)/)?.[1];
      expect(token).toBeTruthy();
      const set = await client(t.app).post('/api/v1/portal/password', {
        token,
        password: 'after-outage-42',
      });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      await signIn(t.app, 'patient', c.chamber.key, dora.email, 'after-outage-42');
    });

    for (const stage of ['rcpt', 'data'] as const) {
      it(`fails a job at once on a 550 answer to ${stage.toUpperCase()}, with no retry storm`, async () => {
        const c = await clinic();
        const server = await smtp({ fail: { stage, code: 550, message: 'No such user here' } });
        const worker = smtpWorker(server.port);
        await share(c, c.alice.id, 'To a mailbox that does not exist');
        t.clock.advance(DELAY);

        expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 1 });
        const [job] = await jobs('shared_items_email');
        expect(job).toMatchObject({ state: 'failed', attempts: 1 });
        expect(job?.last_error).toContain('550');
        // The failure is visible to the chamber's administrators, and only to them.
        const seen = await c.admin.get('/api/v1/admin/email-jobs');
        expect(seen.status).toBe(200);
        expect(seen.body.jobs).toEqual([
          expect.objectContaining({
            kind: 'shared_items_email',
            label: 'New shared items email',
            state: 'failed',
            attempts: 1,
            lastError: expect.stringContaining('550'),
          }),
        ]);
        expect((await c.rita.get('/api/v1/admin/email-jobs')).status).toBe(403);
        const tried = { ...server.attempts };

        t.clock.advance(hours(2));
        expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
        expect(server.attempts).toEqual(tried);
        expect(server.received).toHaveLength(0);
        expect((await jobs('shared_items_email'))[0]).toMatchObject({
          state: 'failed',
          attempts: 1,
        });
      });
    }
  });

  describe('invitation and reset links over SMTP (rule 8)', () => {
    function link(mail: ReceivedEmail, app: 'portal' | 'staff') {
      const found = mail.text.match(/(\S+)#token=([A-Za-z0-9_-]+)/);
      expect(found, 'a #token= link in the email').toBeTruthy();
      // A patient's link is under the clinic link (`/portal/c/<clinic code>/`).
      expect(found![1]).toMatch(
        app === 'portal'
          ? new RegExp(`^${t.config.publicUrl}/portal/c/[a-z0-9-]+/set-password$`)
          : new RegExp(`^${t.config.publicUrl}/staff/set-password$`),
      );
      return found![2]!;
    }

    async function storedHashes(subject: { patientId?: string; userId?: string }) {
      const r = await t.db.execute<{ token_hash: string; used_at: unknown }>(sql`
        select token_hash, used_at from account_tokens
         where patient_id = ${subject.patientId ?? null}::uuid or user_id = ${subject.userId ?? null}::uuid`);
      return r.rows;
    }

    async function tokenStoredAnywhere(token: string): Promise<boolean> {
      const r = await t.db.execute<{ n: number | string }>(sql`
        select (select count(*) from account_tokens where token_hash = ${token} or id::text = ${token})
             + (select count(*) from jobs where payload::text like ${`%${token}%`}) as n`);
      return Number(r.rows[0]?.n) > 0;
    }

    it('a staff invitation and a Reset Portal Login arrive with a working, single-use link; only its hash is stored', async () => {
      const c = await clinic({ emailSetting: false });
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const carol = await createPatient(t, c.chamber, {
        bandId: c.band,
        given: 'Carol',
        family: 'Cole',
        email: 'patient-c@mail.example',
        account: 'none',
      });

      const invited = await c.rita.post(`/api/v1/patients/${carol.id}/portal-account/invite`);
      expect(invited.status).toBe(200);
      expect(invited.body.portalAccount.state).toBe('invited');
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(1);
      const invitation = server.received[0]!;
      expect(invitation.envelopeTo).toEqual([carol.email]);
      expect(invitation.subject).toContain('invitation');
      const token = link(invitation, 'portal');
      const hashes = await storedHashes({ patientId: carol.id });
      expect(hashes.map((h) => h.token_hash)).toContain(hashToken(token));
      expect(hashes.map((h) => h.token_hash)).not.toContain(token);
      expect(await tokenStoredAnywhere(token)).toBe(false);
      expect(invitation.raw).not.toContain(hashToken(token));

      const anonymous = client(t.app);
      const set = await anonymous.post('/api/v1/portal/password', {
        token,
        password: 'first-password-42',
      });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      await signIn(t.app, 'patient', c.chamber.key, carol.email, 'first-password-42');
      const replay = await anonymous.post('/api/v1/portal/password', {
        token,
        password: 'other-password-42',
      });
      expect(replay.status).toBe(400);
      expect(replay.body.error.code).toBe('link_invalid');

      const reset = await c.rita.post(`/api/v1/patients/${carol.id}/portal-account/reset`);
      expect(reset.status).toBe(200);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received).toHaveLength(2);
      const resetMail = server.received[1]!;
      expect(resetMail.envelopeTo).toEqual([carol.email]);
      expect(resetMail.subject).toContain('new password');
      const resetToken = link(resetMail, 'portal');
      expect(resetToken).not.toBe(token);
      expect((await storedHashes({ patientId: carol.id })).map((h) => h.token_hash)).not.toContain(
        resetToken,
      );
      expect(await tokenStoredAnywhere(resetToken)).toBe(false);
      const reseted = await anonymous.post('/api/v1/portal/password', {
        token: resetToken,
        password: 'second-password-42',
      });
      expect(reseted.status, JSON.stringify(reseted.body)).toBe(200);
      await signIn(t.app, 'patient', c.chamber.key, carol.email, 'second-password-42');
      await expect(
        signIn(t.app, 'patient', c.chamber.key, carol.email, 'first-password-42'),
      ).rejects.toThrow(/401/);
      for (const mail of server.received) assertNoClinicalContent(mail, ['Carol', 'Cole']);
    });

    it('a new staff user without a password gets a staff-app invitation over SMTP', async () => {
      const c = await clinic({ emailSetting: false });
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const created = await c.admin.post('/api/v1/admin/users', {
        name: 'Nora New',
        email: `nora@${c.chamber.key}.example`,
        roleIds: [],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      const mail = server.received[0]!;
      expect(mail.envelopeTo).toEqual([`nora@${c.chamber.key}.example`]);
      const token = link(mail, 'staff');
      expect(await tokenStoredAnywhere(token)).toBe(false);
      const anonymous = client(t.app);
      expect(
        (await anonymous.post('/api/v1/staff/password', { token, password: 'staff-password-42' }))
          .status,
      ).toBe(200);
      await signIn(
        t.app,
        'staff',
        c.chamber.key,
        `nora@${c.chamber.key}.example`,
        'staff-password-42',
      );
    });

    it('a patient’s own "forgotten password" request is emailed over SMTP', async () => {
      const c = await clinic({ emailSetting: false });
      const server = await smtp();
      const worker = smtpWorker(server.port);
      const anonymous = client(t.app);
      const asked = await anonymous.post('/api/v1/portal/password-reset', {
        chamber: c.chamber.key,
        email: c.alice.email,
      });
      expect(asked.status).toBe(202);
      const unknown = await anonymous.post('/api/v1/portal/password-reset', {
        chamber: c.chamber.key,
        email: 'nobody@mail.example',
      });
      expect(unknown.status).toBe(202);
      expect(unknown.body).toEqual(asked.body);
      expect(await worker.runDue()).toEqual({ done: 1, retried: 0, failed: 0 });
      expect(server.received.map((m) => m.envelopeTo)).toEqual([[c.alice.email]]);
      const token = link(server.received[0]!, 'portal');
      expect(
        (
          await anonymous.post('/api/v1/portal/password', {
            token,
            password: 'reset-password-42',
          })
        ).status,
      ).toBe(200);
    });
  });

  describe('several workers', () => {
    it('two workers running at once deliver each due email exactly once', async () => {
      const c = await clinic();
      const patients = [c.alice];
      for (const name of ['Dan', 'Eve', 'Fay', 'Gus']) {
        patients.push(
          await createPatient(t, c.chamber, {
            bandId: c.band,
            given: name,
            family: 'Patient',
            email: `patient-${name.toLowerCase()}@mail.example`,
          }),
        );
      }
      const invitees = [];
      for (const name of ['Hal', 'Ivy']) {
        invitees.push(
          await createPatient(t, c.chamber, {
            bandId: c.band,
            given: name,
            family: 'Invitee',
            email: `invitee-${name.toLowerCase()}@mail.example`,
            account: 'none',
          }),
        );
      }
      const server = await smtp();
      const first = smtpWorker(server.port);
      const second = smtpWorker(server.port);
      for (const p of patients) await share(c, p.id, `Item for ${p.name}`);
      t.clock.advance(DELAY);
      for (const p of invitees)
        expect((await c.rita.post(`/api/v1/patients/${p.id}/portal-account/invite`)).status).toBe(
          200,
        );
      const expected = patients.length + invitees.length;
      expect(
        (await jobs()).filter((j) => j.state === 'pending' && at(j.run_at) <= t.clock().getTime()),
      ).toHaveLength(expected);

      const stats = await Promise.all([first.runDue(), second.runDue(), first.runDue()]);
      expect(stats.reduce((n, s) => n + s.done, 0)).toBe(expected);
      expect(stats.reduce((n, s) => n + s.retried + s.failed, 0)).toBe(0);
      const recipients = server.received.map((m) => m.envelopeTo.join(','));
      expect(recipients).toHaveLength(expected);
      expect(new Set(recipients).size).toBe(expected);
      expect(recipients.sort()).toEqual([...patients, ...invitees].map((p) => p.email).sort());

      t.clock.advance(hours(1));
      await Promise.all([first.runDue(), second.runDue()]);
      expect(server.received).toHaveLength(expected);
      expect((await jobs()).filter((j) => j.state !== 'done')).toEqual([]);
    });
  });
});
