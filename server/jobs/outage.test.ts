import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CONNECT_TIMEOUT_MS,
  fromPostgres,
  isDatabaseUnavailable,
  migrateDatabase,
  type Database,
} from '../db/connect.js';
import { seedDemo } from '../demo/demo-seed.js';
import { systemClock } from '../lib/clock.js';
import { createSignals } from '../lib/context.js';
import type { StaffActor } from '../modules/auth/actor.js';
import { BUILT_IN_ROLE_NAME } from '../modules/chambers/chamber.service.js';
import { createEventHub, type EventListener } from '../modules/events/event.hub.js';
import {
  privatePostgresUnavailable,
  startPrivatePostgres,
  type PrivatePostgres,
  type StopMode,
} from '../test/private-postgres.js';
import { startServerProcess, type ServerProcess } from '../test/processes.js';
import { openEventStream, type EventStream } from '../test/sse.js';
import { testConfig } from '../test/test-app.js';

// Issue 7: PostgreSQL restarted under load. The product runs as a real process (web, worker and
// event stream) on a PostgreSQL cluster of this test's own, which is stopped (fast, then
// immediate) while patients send and read and a staff user has the event stream open. While it
// is down every request must answer 503 in the one error shape with Retry-After, never 500 and
// never hang; once it is back everything works again within seconds without a restart, and
// nothing acknowledged (or retried with its Idempotency-Key) is lost or stored twice.

const onPostgres = inject('engine') === 'postgres';
const whyNot = onPostgres ? privatePostgresUnavailable() : undefined;
if (whyNot) console.warn(`outage.test.ts skipped: ${whyNot}`);

/** No request may take longer than this: the product must fail fast while the database is away. */
const REQUEST_TIMEOUT_MS = 5_000;
/** After PostgreSQL accepts connections again, every client must succeed again within this. */
const RECOVERY_LIMIT_MS = 5_000;
const PATIENT_CLIENTS = 4;
const STAFF_CLIENTS = 2;
const WARM_UP_MS = 1_500;
const DOWN_MS = 2_500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  what: string;
  status: number | 'timeout' | 'connection error';
  body: any;
  retryAfter: string | null;
  start: number;
  end: number;
}

/** One HTTP call, bounded in time; a timeout or a refused connection is an answer too. */
async function call(
  what: string,
  url: string,
  options: { method?: string; cookie?: string; body?: unknown; key?: string } = {},
): Promise<Answer> {
  const start = Date.now();
  try {
    const res = await fetch(url, {
      method: options.method ?? 'GET',
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(options.key ? { 'idempotency-key': options.key } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text for the failure message.
    }
    return {
      what,
      status: res.status,
      body,
      retryAfter: res.headers.get('retry-after'),
      start,
      end: Date.now(),
    };
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError';
    return {
      what,
      status: timedOut ? 'timeout' : 'connection error',
      body: String(error),
      retryAfter: null,
      start,
      end: Date.now(),
    };
  }
}

const ok = (a: Answer) => typeof a.status === 'number' && a.status >= 200 && a.status < 300;

/**
 * A real SMTP peer on loopback that can hold the next message: the sender waits for the 250
 * until the test lets it go (so the database can be stopped while an email is being sent).
 */
async function startGatedSmtp() {
  const received: { to: string[]; at: number }[] = [];
  let gate: { arrived: () => void; open: Promise<void> } | undefined;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 200,
    onData(stream, session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        const accept = () => {
          received.push({
            to: session.envelope.rcptTo.map((a) => a.address.toLowerCase()),
            at: Date.now(),
          });
          callback();
        };
        const held = gate;
        gate = undefined;
        if (!held) return accept();
        held.arrived();
        void held.open.then(accept);
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    /** Holds the next message; `arrived` resolves once its sender waits for the answer. */
    holdNext() {
      let arrived!: () => void;
      let release!: () => void;
      const arrivedP = new Promise<void>((r) => (arrived = r));
      const open = new Promise<void>((r) => (release = r));
      gate = { arrived, open };
      return { arrived: arrivedP, release };
    },
    count: (to: string) => received.filter((m) => m.to.includes(to)).length,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe.skipIf(!onPostgres || whyNot !== undefined)('PostgreSQL restarted under load', () => {
  let postgres: PrivatePostgres | undefined;
  let database: Database | undefined;
  let smtp: Awaited<ReturnType<typeof startGatedSmtp>> | undefined;
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  let patientCookie: string;
  let staffCookie: string;
  let expectedUsers: string[];

  async function signIn(kind: 'staff' | 'portal', email: string): Promise<string> {
    const res = await fetch(`${server!.url}/api/v1/${kind}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chamber: 'demo', email, password: 'demo-password-1' }),
    });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    database = fromPostgres(postgres.url, 3);
    await migrateDatabase(database);
    await seedDemo(database.db, testConfig(), systemClock);
    const audience = await database.db.execute<{ id: string }>(sql`
      select u.id from users u
        join chambers c on c.id = u.chamber_id and c.key = 'demo'
        join role_members rm on rm.chamber_id = u.chamber_id and rm.user_id = u.id
        join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id
       where r.name = ${BUILT_IN_ROLE_NAME} and r.is_built_in and r.deleted_at is null and u.active
       order by u.id`);
    expectedUsers = audience.rows.map((r) => r.id);
    expect(expectedUsers).toHaveLength(2); // admin and reception in the demo
    smtp = await startGatedSmtp();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-outage-'));
    server = await startServerProcess(postgres.url, dataDir, {
      role: 'all',
      env: {
        SMTP_URL: smtp.url,
        PORTAL_SIGN_IN_RATE_LIMIT: '100000',
        PORTAL_WORKER_POLL_MS: '200',
        // Live events after the restart must come from the LISTEN connection coming back,
        // not from the safety-net poll.
        PORTAL_EVENTS_POLL_MS: '300000',
        PORTAL_EVENTS_HEARTBEAT_MS: '1000',
      },
    });
    patientCookie = await signIn('portal', 'alice@patient.example');
    staffCookie = await signIn('staff', 'reception@riverside.example');
  }, 90_000);

  afterAll(async () => {
    // Each step on its own: one failing must not leave the cluster or the process behind.
    const steps: (() => Promise<unknown>)[] = [
      async () => {
        if (server && server.child.exitCode === null && server.child.signalCode === null) {
          server.child.kill('SIGKILL');
          await server.exited;
        }
      },
      async () => smtp?.close(),
      async () => database?.close(),
      async () => postgres?.destroy(),
      async () => dataDir && fs.rmSync(dataDir, { recursive: true, force: true }),
    ];
    for (const step of steps) await step().catch((e: unknown) => console.error(e));
  }, 60_000);

  /** Set when a case ends, passed or not: its clients stop, and PostgreSQL is running again. */
  let halted = false;

  async function outage(
    mode: StopMode,
    held: { kind: 'staff' | 'portal'; email: string },
    during: { kind: 'staff' | 'portal'; email: string },
  ) {
    halted = false;
    try {
      await outageCase(mode, held, during);
    } finally {
      halted = true;
      if (!postgres!.running) await postgres!.start();
    }
  }

  async function outageCase(
    mode: StopMode,
    held: { kind: 'staff' | 'portal'; email: string },
    during: { kind: 'staff' | 'portal'; email: string },
  ) {
    const label = `outage-${mode}`;
    const url = server!.url;
    const db = database!.db;
    const marks = { stopAsked: 0, stopped: 0, startAsked: 0, up: 0 };
    const answers: Answer[] = [];
    const health: Answer[] = [];
    const started = Date.now();

    // The staff user's live stream, with the time each message event arrived. It starts from
    // the newest message now, so it hears of every send below however fast the first one is.
    const newest = await db.execute<{ seq: string | number | null }>(
      sql`select max(seq) as seq from messages`,
    );
    const streams: EventStream[] = [
      openEventStream(`${url}/api/v1/events?as=staff`, {
        cookie: staffCookie,
        'last-event-id': String(Number(newest.rows[0]!.seq ?? 0)),
      }),
    ];
    const arrivals = new Map<string, number[]>();
    let seenEvents = 0;
    const stamp = () => {
      const all = streams.flatMap((s) => s.events);
      for (const e of all.slice(seenEvents)) {
        if (e.event !== 'message') continue;
        const id = String(e.data.messageId);
        arrivals.set(id, [...(arrivals.get(id) ?? []), Date.now()]);
      }
      seenEvents = all.length;
    };
    const stamper = setInterval(stamp, 10);

    // Patients send (each send keeps its Idempotency-Key until it gets 201) and read; staff read.
    type Send = { text: string; key: string; tries: number; id?: string; ackedAt?: number };
    const sends: Send[] = [];
    const recovered = new Array<boolean>(PATIENT_CLIENTS + STAFF_CLIENTS).fill(false);
    const runClient = async (c: number) => {
      const patient = c < PATIENT_CLIENTS;
      let n = 0;
      let current: Send | undefined;
      let okSinceUp = 0;
      for (let i = 0; ; i += 1) {
        if (marks.up && okSinceUp >= 3 && !current) break;
        if (halted || Date.now() - started > 45_000) break;
        let a: Answer;
        if (patient && i % 2 === 0) {
          if (!current) {
            current = { text: `${label} c${c} m${n}`, key: `${label}-c${c}-m${n}`, tries: 0 };
            sends.push(current);
            n += 1;
          }
          current.tries += 1;
          a = await call('send', `${url}/api/v1/portal/conversations`, {
            method: 'POST',
            cookie: patientCookie,
            body: { text: current.text },
            key: current.key,
          });
          if (a.status === 201) {
            current.id = a.body.message.id;
            current.ackedAt = a.end;
            current = undefined;
          }
        } else if (patient) {
          a = await call('portal read', `${url}/api/v1/portal/conversations`, {
            cookie: patientCookie,
          });
        } else {
          a = await call('staff read', `${url}/api/v1/notifications`, { cookie: staffCookie });
        }
        answers.push(a);
        if (marks.up && a.start >= marks.up && ok(a)) okSinceUp += 1;
        else if (!ok(a)) okSinceUp = 0;
        recovered[c] = okSinceUp >= 3;
        // A client told to retry waits a little (shortened from Retry-After to keep the test brief).
        await sleep(ok(a) ? 10 : 100);
      }
    };
    const clients = Array.from({ length: PATIENT_CLIENTS + STAFF_CLIENTS }, (_, c) => runClient(c));
    let probing = true;
    const prober = (async () => {
      while (probing && !halted) {
        health.push(await call('health', `${url}/api/v1/health`));
        await sleep(100);
      }
    })();

    await sleep(WARM_UP_MS);

    // An email on its way when the database goes: the SMTP peer holds it until PostgreSQL is down.
    const before = { held: smtp!.count(held.email), during: smtp!.count(during.email) };
    const gate = smtp!.holdNext();
    const asked = await call('password reset', `${url}/api/v1/${held.kind}/password-reset`, {
      method: 'POST',
      body: { chamber: 'demo', email: held.email },
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(202);
    await within(gate.arrived, 5_000, 'the worker sending the held email');

    marks.stopAsked = Date.now();
    await postgres!.stop(mode);
    marks.stopped = Date.now();
    // The email is accepted now: the worker must record it as sent once the database is back.
    gate.release();
    // Someone asks for a link while the database is down, and again until it is accepted.
    const resetAnswers: Answer[] = [];
    const resetDuring = (async () => {
      for (;;) {
        const a = await call('password reset', `${url}/api/v1/${during.kind}/password-reset`, {
          method: 'POST',
          body: { chamber: 'demo', email: during.email },
        });
        resetAnswers.push(a);
        if (a.status !== 503 || halted || Date.now() - started > 45_000) return;
        await sleep(200);
      }
    })();
    await sleep(DOWN_MS);
    marks.startAsked = Date.now();
    await postgres!.start();
    marks.up = Date.now();

    await Promise.all(clients);
    await resetDuring;
    probing = false;
    await prober;
    answers.push(...resetAnswers);

    // The process never exited and never stopped answering.
    expect(server!.child.exitCode, server!.log()).toBeNull();
    expect(server!.child.signalCode).toBeNull();

    // Every answer is a success or the one 503 with Retry-After: no 500, no hang, no reset.
    const unexpected = answers.filter((a) => !ok(a) && a.status !== 503);
    expect(unexpected.slice(0, 5), server!.log().slice(-3000)).toEqual([]);
    const refused = answers.filter((a) => a.status === 503);
    for (const a of refused) {
      expect(a.body, a.what).toEqual({
        error: { status: 503, code: 'database_unavailable', message: expect.any(String) },
      });
      expect(a.retryAfter, a.what).toMatch(/^[1-9][0-9]*$/);
    }
    // Before the stop everything worked; while it was down, nothing did, and each refusal was fast.
    expect(answers.filter((a) => a.end < marks.stopAsked && !ok(a))).toEqual([]);
    const whileDown = answers.filter((a) => a.start >= marks.stopped && a.end < marks.startAsked);
    expect(whileDown.length).toBeGreaterThan(10);
    expect(whileDown.filter((a) => a.status !== 503)).toEqual([]);
    const slowestRefusal = Math.max(...refused.map((a) => a.end - a.start));
    expect(slowestRefusal).toBeLessThan(REQUEST_TIMEOUT_MS);
    expect(resetAnswers.some((a) => a.status === 503 && a.start < marks.startAsked)).toBe(true);
    expect(resetAnswers.at(-1)!.status).toBe(202);

    // The health check said so too.
    const healthDown = health.filter((a) => a.start >= marks.stopped && a.end < marks.startAsked);
    expect(healthDown.length).toBeGreaterThan(0);
    for (const a of healthDown) {
      expect(a.status).toBe(503);
      expect(a.body.error.code).toBe('database_unavailable');
      expect(a.retryAfter).toBe('5');
    }
    expect(health.at(-1)!.status).toBe(200);

    // Recovery: within seconds after PostgreSQL is back, every client succeeds again.
    expect(recovered).toEqual(recovered.map(() => true));
    const afterUp = answers.filter((a) => a.start >= marks.up);
    const lastFailure = Math.max(marks.up, ...afterUp.filter((a) => !ok(a)).map((a) => a.end));
    const recoveryMs = lastFailure - marks.up;
    const firstSend = Math.min(
      ...afterUp.filter((a) => a.what === 'send' && a.status === 201).map((a) => a.end),
    );
    const firstRead = Math.min(
      ...afterUp.filter((a) => a.what !== 'send' && a.status === 200).map((a) => a.end),
    );
    expect(recoveryMs).toBeLessThan(RECOVERY_LIMIT_MS);

    // Nothing lost: every send was acknowledged in the end (at once, or on a retry with its key)
    // and is stored exactly once, with its notifications.
    expect(sends.filter((s) => !s.id).map((s) => s.key)).toEqual([]);
    for (const s of sends) {
      const rows = await db.execute<{ id: string }>(
        sql`select id from messages where text = ${s.text}`,
      );
      expect(rows.rows, s.key).toEqual([{ id: s.id }]);
      const notified = await db.execute<{ user_id: string }>(
        sql`select user_id from notifications where message_id = ${s.id!}::uuid order by user_id`,
      );
      expect(
        notified.rows.map((r) => r.user_id),
        s.key,
      ).toEqual(expectedUsers);
    }
    const total = await db.execute<{ n: string | number }>(
      sql`select count(*) as n from messages where text like ${`${label} %`}`,
    );
    expect(Number(total.rows[0]!.n)).toBe(sends.length);
    const retried = sends.filter((s) => s.tries > 1);
    expect(retried.length).toBeGreaterThan(0);

    // The live stream: every message reaches the staff user, once; if the
    // server ended the stream, a reconnect with Last-Event-ID catches up with no gap.
    let reconnects = 0;
    const allIds = sends.map((s) => s.id!);
    const deadline = Date.now() + 10_000;
    while (!allIds.every((id) => arrivals.has(id)) && Date.now() < deadline) {
      const current = streams.at(-1)!;
      if (current.closed) {
        const lastId = current.events.filter((e) => e.id !== undefined).at(-1)?.id;
        streams.push(
          openEventStream(`${url}/api/v1/events?as=staff`, {
            cookie: staffCookie,
            ...(lastId ? { 'last-event-id': lastId } : {}),
          }),
        );
        reconnects += 1;
      }
      await sleep(50);
    }
    stamp();
    clearInterval(stamper);
    const missing = allIds.filter((id) => !arrivals.has(id));
    if (missing.length > 0) {
      const seqs = await db.execute<{ id: string; seq: string | number }>(
        sql`select id, seq from messages where text like ${`${label} %`} order by seq`,
      );
      const detail = {
        marks: Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, v - started])),
        missing: sends
          .filter((s) => missing.includes(s.id!))
          .map((s) => ({ ...s, ackedAt: s.ackedAt! - started })),
        seqs: seqs.rows.map((x) => `${Number(x.seq)}${missing.includes(x.id) ? ' MISSING' : ''}`),
        streams: streams.map((st) => ({
          closed: st.closed,
          events: st.events.map((e) => `${e.event}:${e.id ?? ''}`),
        })),
      };
      expect(missing, JSON.stringify(detail)).toEqual([]);
    }
    const twice = [...arrivals].filter(([, at]) => at.length > 1).map(([id]) => id);
    expect(twice).toEqual([]);
    expect(streams.flatMap((s) => s.events).filter((e) => e.event === 'resync')).toEqual([]);
    const firstAfterUp = sends
      .filter((s) => s.ackedAt! >= marks.up)
      .sort((x, y) => x.ackedAt! - y.ackedAt!)[0]!;
    const streamLagMs = arrivals.get(firstAfterUp.id!)![0]! - firstAfterUp.ackedAt!;
    streams.forEach((s) => s.close());

    // Email: the one being sent when the database went is recorded as sent, not sent again;
    // the one asked for while it was down arrives once it was accepted.
    const emailDeadline = Date.now() + 10_000;
    const pendingLinks = async () =>
      Number(
        (
          await db.execute<{ n: string | number }>(sql`
            select count(*) as n from jobs
             where kind = 'account_link_email' and state in ('pending', 'running')`)
        ).rows[0]!.n,
      );
    while (
      ((await pendingLinks()) > 0 || smtp!.count(during.email) === before.during) &&
      Date.now() < emailDeadline
    )
      await sleep(100);
    const emailsDoneMs = Date.now() - marks.up;
    expect(await pendingLinks()).toBe(0);
    expect(smtp!.count(held.email) - before.held).toBe(1);
    expect(smtp!.count(during.email) - before.during).toBe(1);
    const links = await db.execute<{ state: string; attempts: number; last_error: string | null }>(
      sql`select state, attempts, last_error from jobs
           where kind = 'account_link_email' order by created_at desc limit 2`,
    );
    expect(links.rows).toEqual([
      { state: 'done', attempts: 1, last_error: null },
      { state: 'done', attempts: 1, last_error: null },
    ]);

    const count = (what: (a: Answer) => boolean) => answers.filter(what).length;
    // Observed, not asserted: printed for the issue's closing note.
    console.log(
      `PostgreSQL stop -m ${mode} under load (${PATIENT_CLIENTS + STAFF_CLIENTS} clients): ` +
        `${answers.length} requests (${count(ok)} ok, ${refused.length} answered 503 ` +
        `database_unavailable, slowest refusal ${slowestRefusal} ms, none 500 or hung); ` +
        `down ${marks.startAsked - marks.stopped} ms (stop took ${marks.stopped - marks.stopAsked} ms, ` +
        `start ${marks.up - marks.startAsked} ms); after it accepted connections: first send ` +
        `${firstSend - marks.up} ms, first read ${firstRead - marks.up} ms, last failure ` +
        `${recoveryMs} ms; ${sends.length} sends all stored once (${retried.length} retried with ` +
        `their key); stream: ${reconnects} reconnects, first message after restart ` +
        `${streamLagMs} ms after its 201; emails settled ${emailsDoneMs} ms after restart; ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  it('pg_ctl stop -m fast: 503 while down, recovery within seconds, nothing lost', async () => {
    await outage(
      'fast',
      { kind: 'portal', email: 'bob@patient.example' },
      { kind: 'staff', email: 'nurse@riverside.example' },
    );
  }, 60_000);

  it('pg_ctl stop -m immediate (crash and recovery): the same', async () => {
    await outage(
      'immediate',
      { kind: 'staff', email: 'admin@riverside.example' },
      { kind: 'portal', email: 'alice@patient.example' },
    );
  }, 60_000);

  /** An event hub of this test's own on the private cluster, and listeners for reception. */
  async function withHub(
    run: (h: {
      hub: ReturnType<typeof createEventHub>;
      listener: () => EventListener & { heard: string[] };
      send: (text: string) => Promise<string>;
    }) => Promise<void>,
  ) {
    const db = database!.db;
    const r = await db.execute<{ id: string; chamber_id: string; user_id: string }>(sql`
      select s.id, s.chamber_id, s.user_id from sessions s
        join users u on u.chamber_id = s.chamber_id and u.id = s.user_id
       where s.kind = 'staff' and u.email = 'reception@riverside.example'
       order by s.last_seen_at desc limit 1`);
    const session = r.rows[0]!;
    const roles = await db.execute<{ role_id: string }>(sql`
      select role_id from role_members
       where chamber_id = ${session.chamber_id}::uuid and user_id = ${session.user_id}::uuid`);
    const actor: StaffActor = {
      kind: 'staff',
      chamberId: session.chamber_id,
      userId: session.user_id,
      name: 'Reception',
      email: 'reception@riverside.example',
      roleIds: roles.rows.map((x) => x.role_id),
      isAdmin: false,
      sessionId: session.id,
      ip: null,
      stage: 'full',
    };
    // No safety-net poll: what a listener hears comes from NOTIFY or a LISTEN reconnect.
    const config = testConfig({ eventsPollMs: 300_000, eventsHeartbeatMs: 300_000 });
    const hub = createEventHub(
      { db, clock: systemClock, config, signals: createSignals() },
      database!,
    );
    await hub.start();
    const listener = () => {
      const heard: string[] = [];
      return {
        heard,
        actor,
        sentSeq: 0,
        buffer: null,
        // A listener of a variant already serialised gets only the JSON.
        send: (_id: number, event: string, data: any, json?: string) => {
          if (event === 'message') heard.push((data ?? JSON.parse(json!)).messageId);
        },
        sendFleeting: () => undefined,
        ping: () => undefined,
        close: () => undefined,
      };
    };
    const send = async (text: string) => {
      const sent = await call('send', `${server!.url}/api/v1/portal/conversations`, {
        method: 'POST',
        cookie: patientCookie,
        body: { text },
        key: text.replace(/ /g, '-'),
      });
      expect(sent.status).toBe(201);
      return sent.body.message.id as string;
    };
    try {
      await run({ hub, listener, send });
    } finally {
      if (!postgres!.running) await postgres!.start();
      await hub.stop();
      fs.rmSync(config.dataDir, { recursive: true, force: true });
    }
  }

  async function hears(l: { heard: string[] }, id: string): Promise<boolean> {
    const until = Date.now() + 8_000;
    while (!l.heard.includes(id) && Date.now() < until) await sleep(20);
    return l.heard.includes(id);
  }

  // A stream whose chamber had no listener yet, asked for while the database is away (the
  // sign-in check passed a moment before): it fails, and the next one, once it is back, works.
  it('an event hub asked for a new chamber while the database is down serves it once it is back', async () => {
    await withHub(async ({ hub, listener, send }) => {
      await postgres!.stop('fast');
      const first = listener();
      await expect(hub.subscribe(first, undefined)).rejects.toSatisfy(isDatabaseUnavailable);
      hub.unsubscribe(first);
      await postgres!.start();
      const second = listener();
      await hub.subscribe(second, undefined);
      expect(hub.size()).toBe(1);
      // Delivered through NOTIFY on the hub's own LISTEN connection, which came back by itself.
      const id = await send('hub after restart');
      expect(await hears(second, id)).toBe(true);
    });
  }, 30_000);

  // A new stream joins as the chamber's last other stream closes: it must not end up attached
  // to the chamber state the hub has just dropped, hearing nothing ever after.
  it('a stream that joins as the last other stream of its chamber closes still hears new messages', async () => {
    await withHub(async ({ hub, listener, send }) => {
      const leaving = listener();
      await hub.subscribe(leaving, undefined);
      const joining = listener();
      const joined = hub.subscribe(joining, undefined);
      hub.unsubscribe(leaving);
      await joined;
      expect(hub.size()).toBe(1);
      const id = await send('hub join while another leaves');
      expect(await hears(joining, id)).toBe(true);
    });
  }, 30_000);

  // A database that accepts the connection and then says nothing (frozen, or a network that
  // drops packets): the request gives up after the connect timeout instead of hanging.
  it('a database that never answers is "unavailable" after the connect timeout, not a hang', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const frozen = fromPostgres(`postgres://portal_app:x@127.0.0.1:${port}/portal`, 2);
    try {
      const started = Date.now();
      const error = await frozen.db.execute(sql`select 1`).then(
        () => undefined,
        (e: unknown) => e,
      );
      const waited = Date.now() - started;
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
      expect(waited).toBeGreaterThanOrEqual(CONNECT_TIMEOUT_MS - 100);
      expect(waited).toBeLessThan(CONNECT_TIMEOUT_MS + 2_000);
    } finally {
      await frozen.close();
      sockets.forEach((socket) => socket.destroy());
      silent.close();
    }
  }, 15_000);
});
