import { sql } from 'drizzle-orm';
import { fromPostgres } from '../server/db/connect.js';
import { SMTP_MAX_CONNECTIONS } from '../server/jobs/mailer.js';
import { WORKER_CONCURRENCY } from '../server/jobs/worker.js';
import { queueSharedItemsEmail } from '../server/modules/shared-items/shared-items.service.js';
import { runBaselineProcess } from './lib/baseline-process.js';
import { datasetIds, patientEmail, postgresDataset } from './lib/dataset.js';
import { median, postgresCpuMs, processCpuMs } from './lib/measure.js';
import { POOL_SIZE } from './lib/product.js';
import { log, parseOptions, ratio, ratioText, writeReport, type Side } from './lib/scenario.js';
import { startSmtpSink } from './lib/smtp-sink.js';
import { startWorkerProcess } from './lib/worker-process.js';
import { lockWaitSampler, lockWaitText } from './lib/lock-waits.js';

// Email drain: 10,000 "something new in your portal" emails queued the way the product queues
// them, delivered by the product's worker process to a loopback SMTP server; against a bare
// nodemailer loop (pooled transport, the product's settings) sending as many emails of the same
// size to the same server. Every email must arrive exactly once: none twice, none missing.

const options = parseOptions();
const jobsArg = process.argv.find((a) => a.startsWith('--jobs='));
const JOBS = Math.min(
  jobsArg ? Number(jobsArg.split('=')[1]) : options.quick ? 500 : 10_000,
  options.size.patients,
);
const WARMUP_JOBS = Math.min(200, JOBS);
/** The product's transport keeps this many SMTP connections (server/jobs/mailer.ts). */
const SMTP_CONNECTIONS = SMTP_MAX_CONNECTIONS;
/** Sends the baseline keeps in flight: enough to keep every pooled connection busy. */
const BASELINE_IN_FLIGHT = SMTP_CONNECTIONS * 2;
const MAIL_FROM = 'Patient Portal <no-reply@portal.invalid>';
const PUBLIC_URL = 'http://127.0.0.1:3000';
/** Shared-items emails wait this long for more items before they are due (the product's default). */
const DELAY_SECONDS = 300;

/** One drain: how long it took and what arrived. */
interface Drain extends Side {
  duplicates: number;
  missing: number;
}

const data = await postgresDataset(options.size, log);
try {
  const database = fromPostgres(data.url, 4);
  const sink = await startSmtpSink();
  let worker: Awaited<ReturnType<typeof startWorkerProcess>> | undefined;
  let waits: Awaited<ReturnType<typeof lockWaitSampler>> | undefined;
  const { db } = database;
  const ids = await datasetIds(db, JOBS);
  // `npm run bench` runs the scenarios on one copy of the data set: the setting is put back and
  // the jobs made here removed at the end, so the scenarios after this one see the data set as it was.
  const before = await db.execute<{ enabled: boolean }>(sql`
    select shared_items_email_enabled as enabled from chambers where id = ${ids.chamberId}::uuid`);
  const queued: Date[] = [];
  try {
    // The clinic's administrator turns the "something new" email on (Settings).
    const chamber = await db.execute<{ name: string }>(sql`
      update chambers set shared_items_email_enabled = true where id = ${ids.chamberId}::uuid
      returning name`);
    const chamberName = chamber.rows[0]!.name;

    /**
     * What arrived at the SMTP server for recipients 1 ... n since its last reset: whatever
     * arrived beyond one per expected recipient is a duplicate (or a stray email). The
     * baseline's untimed warm-up emails (warmup<i>@...) are left out.
     */
    const delivery = (n: number) => {
      const expected = new Set(Array.from({ length: n }, (_, i) => patientEmail(i + 1)));
      let duplicates = 0;
      let missing = 0;
      for (const to of expected) if (!sink.perRecipient.has(to)) missing += 1;
      for (const [to, c] of sink.perRecipient)
        if (expected.has(to)) duplicates += c - 1;
        else if (!to.startsWith('warmup')) duplicates += c;
      return { duplicates, missing };
    };

    worker = await startWorkerProcess(data.url, {
      SMTP_URL: sink.url,
      PORTAL_MAIL_FROM: MAIL_FROM,
      PORTAL_PUBLIC_URL: PUBLIC_URL,
      PORTAL_WORKER_POLL_MS: '50',
      PORTAL_DATABASE_POOL_SIZE: String(POOL_SIZE),
    });
    const workerPid = worker.child.pid!;
    // The database's active backends, sampled while the worker drains (rounds, not warm-up).
    const sampler = (waits = await lockWaitSampler(data.url));
    let warmUp = true;

    const product = async (n: number): Promise<Drain> => {
      // Queued as sharing an item queues it (queueSharedItemsEmail, in the sharing transaction),
      // 500 patients per transaction, four transactions at a time; due in DELAY_SECONDS.
      const queuedAt = new Date();
      queued.push(queuedAt);
      const enqueueStarted = Date.now();
      const patients = ids.patientIds.slice(0, n);
      const chunks: string[][] = [];
      for (let i = 0; i < patients.length; i += 500) chunks.push(patients.slice(i, i + 500));
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
            const slice = chunk;
            await db.transaction(async (tx) => {
              for (const patientId of slice)
                if (
                  !(await queueSharedItemsEmail(
                    tx,
                    ids.chamberId,
                    patientId,
                    queuedAt,
                    DELAY_SECONDS,
                  ))
                )
                  throw new Error(`no email wanted for patient ${patientId}`);
            });
          }
        }),
      );
      log(`queued ${n} jobs in ${((Date.now() - enqueueStarted) / 1000).toFixed(1)} s`);
      sink.reset();
      const node0 = processCpuMs(workerPid);
      const pg0 = postgresCpuMs();
      const sink0 = process.cpuUsage();
      // The delay passes for all of them at once: they are due now.
      const due = await db.execute(sql`
        update jobs set run_at = now()
         where chamber_id = ${ids.chamberId}::uuid and state = 'pending'
           and created_at = ${queuedAt.toISOString()}::timestamptz
        returning id`);
      if (due.rows.length !== n) throw new Error(`${due.rows.length} jobs queued, ${n} expected`);
      const started = performance.now();
      await sampler.measure(() => sink.waitFor(n, 30_000 + n * 20));
      if (warmUp) sampler.take();
      warmUp = false;
      const seconds = (sink.arrivals[sink.arrivals.length - 1]! - started) / 1000;
      const cpu = {
        node: processCpuMs(workerPid) - node0,
        postgres: postgresCpuMs() - pg0,
        smtp: cpuMs(process.cpuUsage(sink0)),
      };
      // Every job finished, and nothing more arrives afterwards.
      const until = Date.now() + 30_000;
      let states: Record<string, number> = {};
      for (;;) {
        const r = await db.execute<{ state: string; n: string | number }>(sql`
          select state, count(*) as n from jobs
           where chamber_id = ${ids.chamberId}::uuid and created_at = ${queuedAt.toISOString()}::timestamptz
           group by state`);
        states = Object.fromEntries(r.rows.map((row) => [row.state, Number(row.n)]));
        if ((states.done ?? 0) + (states.failed ?? 0) >= n || Date.now() > until) break;
        await new Promise((r2) => setTimeout(r2, 100));
      }
      await new Promise((r2) => setTimeout(r2, 500));
      if ((states.done ?? 0) !== n)
        throw new Error(`jobs after the drain: ${JSON.stringify(states)}, ${n} done expected`);
      const { duplicates, missing } = delivery(n);
      return {
        ops: n - missing,
        errors: missing,
        seconds,
        latencies: [],
        cpu,
        duplicates,
        missing,
      };
    };

    const baseline = async (n: number): Promise<Drain> => {
      sink.reset();
      const pg0 = postgresCpuMs();
      const sink0 = process.cpuUsage();
      const r = await runBaselineProcess<{
        sent: number;
        errors: number;
        seconds: number;
        latencies: number[];
        cpuMs: number;
      }>(
        'bench/baselines/nodemailer-loop.ts',
        {
          smtpUrl: sink.url,
          from: MAIL_FROM,
          count: n,
          recipient: patientEmail(0).replace('0', '{i}'),
          chamberName,
          portalUrl: `${PUBLIC_URL}/portal/`,
          maxConnections: SMTP_CONNECTIONS,
          inFlight: BASELINE_IN_FLIGHT,
          warmup: WARMUP_JOBS,
        },
        { timeoutMs: 30_000 + n * 20 },
      );
      const cpu = {
        node: r.cpuMs,
        postgres: postgresCpuMs() - pg0,
        // The SMTP server's share of the timed emails (it took the warm-up ones too).
        smtp: (cpuMs(process.cpuUsage(sink0)) * n) / (n + WARMUP_JOBS),
      };
      await new Promise((r2) => setTimeout(r2, 200));
      const { duplicates, missing } = delivery(n);
      return {
        ops: r.sent,
        errors: r.errors,
        seconds: r.seconds,
        latencies: [],
        cpu,
        duplicates,
        missing,
      };
    };

    log(`warm-up: ${WARMUP_JOBS} emails each`);
    await baseline(WARMUP_JOBS);
    await product(WARMUP_JOBS);
    const rounds = { baseline: [] as Drain[], product: [] as Drain[] };
    for (let i = 0; i < options.rounds; i += 1) {
      const b = await baseline(JOBS);
      rounds.baseline.push(b);
      const p = await product(JOBS);
      rounds.product.push(p);
      log(
        `round ${i + 1}: baseline ${(b.ops / b.seconds).toFixed(0)}/s, product ${(p.ops / p.seconds).toFixed(0)}/s (ratio ${(p.ops / p.seconds / (b.ops / b.seconds)).toFixed(2)}); duplicates ${p.duplicates}, missing ${p.missing}`,
      );
    }

    const r = ratio(rounds);
    const lockWaits = sampler.take();
    const sum = (sides: Drain[], f: (d: Drain) => number) => sides.reduce((a, d) => a + f(d), 0);
    const row = (label: string, sides: Drain[]) => {
      const sent = sum(sides, (d) => d.ops);
      const perMessage = (k: string) => sum(sides, (d) => d.cpu[k] ?? 0) / Math.max(1, sent);
      return [
        label,
        median(sides.map((d) => d.ops / d.seconds)),
        median(sides.map((d) => d.seconds)),
        sum(sides, (d) => d.duplicates),
        sum(sides, (d) => d.missing),
        perMessage('node'),
        perMessage('postgres'),
        perMessage('smtp'),
      ];
    };
    const duplicates = sum(rounds.product, (d) => d.duplicates);
    const missing = sum(rounds.product, (d) => d.missing);
    const met = r.median >= 0.5 && duplicates === 0 && missing === 0;
    writeReport({
      id: 'email',
      title: `Email drain: ${JOBS.toLocaleString('en-GB')} queued emails`,
      command: `npm run bench -- email${options.quick ? ' --quick' : ''}`,
      baseline: `a bare Node process sending ${JOBS.toLocaleString('en-GB')} emails of the same size with nodemailer's pooled SMTP transport (${SMTP_CONNECTIONS} connections, the product's settings), ${BASELINE_IN_FLIGHT} in flight, to the same loopback SMTP server`,
      target: '≥ 0.5 of baseline; no duplicates',
      table: {
        head: [
          'side',
          'emails per second',
          'drain s',
          'duplicates',
          'missing',
          'CPU ms/email Node',
          'CPU ms/email PostgreSQL',
          'CPU ms/email SMTP server',
        ],
        rows: [
          row('nodemailer pooled loop (baseline)', rounds.baseline),
          row('product worker process', rounds.product),
        ],
      },
      verdict: `ratio ${ratioText(r)}; ${duplicates} duplicates, ${missing} missing in ${(JOBS * options.rounds).toLocaleString('en-GB')} jobs: ${met ? 'target met' : 'target missed'}`,
      notes: [
        `${options.rounds} rounds of ${JOBS.toLocaleString('en-GB')} emails each side, alternating, after a warm-up of ${WARMUP_JOBS}; the baseline, a new process each round, first sends ${WARMUP_JOBS} untimed emails of its own.`,
        `Product: ${JOBS.toLocaleString('en-GB')} "something new" emails queued with the product's queueSharedItemsEmail (one job per patient, in transactions of 500), made due at once (their ${DELAY_SECONDS} s delay passing), then delivered by one worker process (\`--role=worker\`, PORTAL_WORKER_POLL_MS=50, pool of ${POOL_SIZE}, ${WORKER_CONCURRENCY} jobs at once over ${SMTP_CONNECTIONS} pooled SMTP connections); timed from the moment they were due until the last email arrived. Each job's state checked afterwards: all done.`,
        'Exactly once: the SMTP server counts the emails per envelope recipient (one patient per job); an email beyond one per recipient counts as a duplicate. It does not parse the emails (server/test/smtp.ts does, and would be the bottleneck).',
        `While the product's worker drained, ${lockWaitText(lockWaits)}.`,
        'CPU per email: Node is the worker process (product) or the nodemailer process (baseline); PostgreSQL is every PostgreSQL process of the machine; SMTP server is the benchmark process that runs it.',
        'Product changes this row led to: the SMTP transport really pools its connections (its options had been passed as message defaults: a new connection, greeting and EHLO for every email); the worker runs the jobs of a batch side by side instead of one by one, and looks up the recipients of a batch of shared-items emails in one query instead of one per job.',
      ],
      quick: options.quick,
    });
  } finally {
    await worker?.stop();
    await waits?.close();
    await sink.close();
    await db.execute(sql`
      update chambers set shared_items_email_enabled = ${before.rows[0]!.enabled}
       where id = ${ids.chamberId}::uuid`);
    for (const at of queued)
      await db.execute(sql`
        delete from jobs where chamber_id = ${ids.chamberId}::uuid and kind = 'shared_items_email'
           and created_at = ${at.toISOString()}::timestamptz`);
    await database.close();
  }
} finally {
  await data.drop();
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}
