import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBand, createChamber, createPatient } from '../test/factories.js';
import { startSmtpServer, type SmtpCapture } from '../test/smtp.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { SMTP_MAX_CONNECTIONS, smtpMailer, type Mailer } from './mailer.js';
import { createWorker } from './worker.js';

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
  it(`sends the emails of a batch side by side (up to ${SMTP_MAX_CONNECTIONS} at once), each exactly once`, async () => {
    const chamber = await createChamber(t);
    const band = await createBand(t, chamber, { name: 'Online', messaging: true });
    const patients = [];
    for (let i = 1; i <= 8; i += 1)
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
    expect(await worker.runDue()).toEqual({ done: 8, retried: 0, failed: 0 });

    expect(most).toBeGreaterThanOrEqual(2);
    expect(most).toBeLessThanOrEqual(SMTP_MAX_CONNECTIONS);
    const to = server.received.flatMap((m) => m.envelopeTo).sort();
    expect(to).toEqual(patients.map((p) => p.email).sort());
    const states = await t.db.execute<{ state: string; n: string | number }>(sql`
      select state, count(*) as n from jobs where chamber_id = ${chamber.id}::uuid group by state`);
    expect(states.rows.map((r) => [r.state, Number(r.n)])).toEqual([['done', 8]]);
    // Nothing is left to send, and a second round sends nothing again.
    expect(await worker.runDue()).toEqual({ done: 0, retried: 0, failed: 0 });
    expect(server.received).toHaveLength(8);
  });
});
