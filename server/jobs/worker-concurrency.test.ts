import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueSharedItemsEmail } from '../modules/shared-items/shared-items.service.js';
import { createBand, createChamber, createPatient, staffClient } from '../test/factories.js';
import { startSmtpServer, type SmtpCapture } from '../test/smtp.js';
import { recordStatements } from '../test/statements.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { smtpMailer, type Mailer } from './mailer.js';
import { enqueueJob } from '../modules/email-jobs/email-job.repository.js';
import { createWorker, WORKER_CONCURRENCY } from './worker.js';

const FROM = 'Clinic <no-reply@clinic.example>';

let t: TestApp;
let server: SmtpCapture;
let inner: Mailer;

beforeAll(async () => {
  t = await buildTestApp();
  server = await startSmtpServer();
  inner = smtpMailer(server.url, FROM);
});

afterAll(async () => {
  inner?.close();
  await server?.close();
  await t?.close();
});

describe('worker throughput', () => {
  it(`sends the emails of a batch side by side (up to ${WORKER_CONCURRENCY} at once), each exactly once`, async () => {
    const chamber = await createChamber(t);
    const band = await createBand(t, chamber, { name: 'Online', messaging: true });
    const patients = [];
    for (let i = 1; i <= 12; i += 1)
      patients.push(
        await createPatient(t, chamber, {
          bandId: band,
          email: `side-by-side-${i}@mail.example`,
          account: 'invited',
        }),
      );

    // The real SMTP mailer, watched: how many emails are being sent at the same moment. Each
    // send waits (at most 1 s) for a second one to be under way, so one-by-one sending shows.
    let inFlight = 0;
    let most = 0;
    const watched: Mailer = {
      ...inner,
      async send(email) {
        inFlight += 1;
        most = Math.max(most, inFlight);
        try {
          const until = Date.now() + 1000;
          while (inFlight < 2 && Date.now() < until)
            await new Promise((resolve) => setTimeout(resolve, 5));
          await inner.send(email);
        } finally {
          inFlight -= 1;
        }
      },
    };
    const worker = createWorker(t.ctx, watched);
    expect(await worker.runDue()).toEqual({ done: 12, retried: 0, failed: 0 });

    expect(most).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(WORKER_CONCURRENCY);
    const to = server.received.flatMap((m) => m.envelopeTo).sort();
    expect(to).toEqual(patients.map((p) => p.email).sort());
    const states = await t.db.execute<{ state: string; n: string | number }>(sql`
      select state, count(*) as n from jobs where chamber_id = ${chamber.id}::uuid group by state`);
    expect(states.rows.map((r) => [r.state, Number(r.n)])).toEqual([['done', 12]]);
    // Nothing is left to send, and a second round sends nothing again.
    expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
    expect(server.received).toHaveLength(12);
  });

  it('looks up whom the shared-items emails of a batch go to in one query, and still skips or fails each job on its own', async () => {
    const chamber = await createChamber(t);
    const band = await createBand(t, chamber, { name: 'Online', messaging: true });
    const admin = await staffClient(t, chamber, chamber.admin.email);
    const setting = await admin.patch('/api/v1/admin/settings', { sharedItemsEmailEnabled: true });
    expect(setting.status).toBe(200);
    const patients = [];
    for (let i = 1; i <= 6; i += 1)
      patients.push(
        await createPatient(t, chamber, { bandId: band, email: `batch-${i}@mail.example` }),
      );
    server.received.length = 0;
    const now = t.clock();
    for (const p of patients)
      expect(await queueSharedItemsEmail(t.db, chamber.id, p.id, now, 0)).toBe(true);
    // Queued, then consent withdrawn: checked again when sending, so no email.
    const withdrawn = patients[5]!;
    const consent = await admin.patch(`/api/v1/patients/${withdrawn.id}`, { emailConsent: false });
    expect(consent.status).toBe(200);
    // A job whose payload names no patient id fails alone; the rest of the batch is sent.
    await enqueueJob(t.db, {
      chamberId: chamber.id,
      kind: 'shared_items_email',
      payload: { patientId: 'not-a-uuid' },
      runAt: now,
      now,
    });

    const worker = createWorker(t.ctx, inner);
    const { result, statements } = await recordStatements(() => worker.runDue());
    expect(result).toEqual({ done: 6, retried: 1, failed: 0 });
    const to = server.received.flatMap((m) => m.envelopeTo).sort();
    expect(to).toEqual(
      patients
        .slice(0, 5)
        .map((p) => p.email)
        .sort(),
    );
    const rows = await t.db.execute<{ state: string; last_error: string | null }>(sql`
      select state, last_error from jobs
       where chamber_id = ${chamber.id}::uuid and kind = 'shared_items_email'
       order by state, last_error nulls first`);
    expect(rows.rows.map((r) => r.state)).toEqual([
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'pending',
    ]);
    expect(rows.rows[5]!.last_error).toMatch(/no longer wanted/);
    if (t.engine === 'postgres') {
      // One lookup for the batch, one more for the job the batch could not answer (not seven).
      const lookups = statements.filter((s) => /shared_items_email_enabled/.test(s.text));
      expect(lookups).toHaveLength(2);
    }
  });
});
