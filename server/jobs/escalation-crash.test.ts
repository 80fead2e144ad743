import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../demo/demo-seed.js';
import { systemClock } from '../lib/clock.js';
import { startServerProcess, startWorkerProcess, type ServerProcess } from '../test/processes.js';
import { openEventStream, type EventStream } from '../test/sse.js';
import { openTestDatabase, testConfig } from '../test/test-app.js';

// Issue 14: "the job survives restarts and a worker crash (kill the worker process before the
// due time, start it after: the notification arrives once)". Real processes on one PostgreSQL
// database: a web process that stays up, and worker processes (`--role=worker`) that are killed
// with SIGKILL and started again. Processes run on the system clock, so the test cannot move
// their time: where the clock would pass a reply-by (16 working hours away) or a job's lease
// (5 minutes), the test moves that moment into the past with SQL instead, and says so.

const onPostgres = inject('engine') === 'postgres';
const BATCH = 50;
/** How long the test waits for a worker to finish what is due. */
const DUE_WITHIN_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A `--role=worker` process that polls every 100 ms. */
const startWorker = (databaseUrl: string, dataDir: string) =>
  startWorkerProcess(databaseUrl, dataDir, {
    env: { PORTAL_WORKER_POLL_MS: '100' },
    built: inject('serverBundle'),
  });

/** Kills a process with SIGKILL (a crash: nothing of it runs any more) and waits for its end. */
async function crash(p: ServerProcess): Promise<void> {
  p.child.kill('SIGKILL');
  const exit = await p.exited;
  expect(exit.signal).toBe('SIGKILL');
}

const alive = (p: ServerProcess | undefined): p is ServerProcess =>
  p !== undefined && p.child.exitCode === null && p.child.signalCode === null;

describe.skipIf(!onPostgres)('escalation jobs across worker crashes (real processes)', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let dataDir: string;
  let web: ServerProcess | undefined;
  let worker: ServerProcess | undefined;
  const streams: EventStream[] = [];
  let alice: string;
  let nursesRoleId: string;
  /** Active members of the Escalation role (Nurses): Nina Nurse and Noah Nurse. */
  let told: string[];

  async function call(
    method: string,
    url: string,
    options: { cookie?: string; body?: unknown } = {},
  ): Promise<{ status: number; body: any }> {
    const res = await fetch(`${web!.url}${url}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.cookie ? { cookie: options.cookie } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function signIn(kind: 'staff' | 'portal', email: string): Promise<string> {
    const res = await fetch(`${web!.url}/api/v1/${kind}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chamber: 'demo', email, password: DEMO_PASSWORD }),
    });
    expect(res.status).toBe(200);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  }

  /** Alice starts a conversation through the web process; answers its id. */
  async function patientAsks(text: string): Promise<string> {
    const sent = await call('POST', '/api/v1/portal/conversations', {
      cookie: alice,
      body: { text },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    return sent.body.conversation.id as string;
  }

  async function rows<T extends Record<string, unknown>>(q: ReturnType<typeof sql>): Promise<T[]> {
    return (await database.db.execute<T>(q)).rows;
  }

  /** The escalation jobs of these conversations: state and lease, by conversation. */
  async function jobsOf(ids: string[]) {
    return rows<{ conversation_id: string; state: string; leased: boolean; attempts: number }>(sql`
      select payload->>'conversationId' as conversation_id, state,
             coalesce(locked_until > now(), false) as leased, attempts
        from jobs
       where kind = 'conversation_escalation'
         and dedupe_key in (select 'escalation:' || x from unnest(${`{${ids.join(',')}}`}::text[]) x)
       order by created_at`);
  }

  /** Polls (bounded) until every escalation job of these conversations is done. */
  async function untilDone(ids: string[]): Promise<number> {
    const started = Date.now();
    for (;;) {
      const jobs = await jobsOf(ids);
      if (jobs.length === ids.length && jobs.every((j) => j.state === 'done'))
        return Date.now() - started;
      if (Date.now() - started > DUE_WITHIN_MS)
        throw new Error(
          `escalations not done within ${DUE_WITHIN_MS} ms: ${JSON.stringify(jobs)}\n${worker?.log()}`,
        );
      await sleep(100);
    }
  }

  /** What the escalations of these conversations left behind, per conversation. */
  async function escalationsOf(ids: string[]) {
    const list = sql`(select x::uuid from unnest(${`{${ids.join(',')}}`}::text[]) x)`;
    return rows<{
      id: string;
      escalated: boolean;
      told: string[] | string;
      audits: number | string;
      events: number | string;
    }>(sql`
      select c.id::text as id,
             c.escalated_reply_by is not distinct from c.reply_by and c.reply_by is not null as escalated,
             array(select n.user_id::text from notifications n
                    where n.conversation_id = c.id and n.kind = 'overdue' order by 1) as told,
             (select count(*) from audit_events a
               where a.subject_id = c.id::text and a.action = 'conversation.escalated') as audits,
             (select count(*) from live_events e
               where e.conversation_id = c.id and e.kind = 'conversation.updated'
                 and e.data->>'reason' = 'overdue') as events
        from conversations c
       where c.id in ${list}
       order by c.created_at`);
  }

  const asArray = (v: string[] | string) =>
    Array.isArray(v)
      ? v
      : v
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean);

  /**
   * Stands in for the system clock passing the reply-by of these conversations: their promise
   * and their pending escalation job both move to a moment just past (each a millisecond apart,
   * in this order, so that a worker takes them in this order).
   */
  async function makeDue(ids: string[]): Promise<void> {
    await database.db.execute(sql`
      with due as (
        select x::uuid as id, date_trunc('second', now()) - interval '2 seconds'
                 + (n * interval '1 millisecond') as at
          from unnest(${`{${ids.join(',')}}`}::text[]) with ordinality as t(x, n)
      ), moved as (
        update conversations c set reply_by = due.at from due where c.id = due.id returning c.id
      )
      update jobs j set run_at = due.at
        from due
       where j.kind = 'conversation_escalation' and j.state = 'pending'
         and j.dedupe_key = 'escalation:' || due.id::text`);
  }

  beforeAll(async () => {
    database = await openTestDatabase();
    await seedDemo(database.db, testConfig(), systemClock);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-escalation-'));
    web = await startServerProcess(database.url!, dataDir, {
      role: 'web',
      env: { PORTAL_SIGN_IN_RATE_LIMIT: '100000', PORTAL_EVENTS_POLL_MS: '300000' },
    });
    worker = await startWorker(database.url!, dataDir);

    const admin = await signIn('staff', 'admin@riverside.example');
    const [nurses] = await rows<{ id: string }>(
      sql`select r.id::text as id from roles r join chambers c on c.id = r.chamber_id
           where c.key = 'demo' and r.name = 'Nurses'`,
    );
    nursesRoleId = nurses!.id;
    // A second Active member of the role, and an Inactive one who must not be told.
    for (const [name, email] of [
      ['Noah Nurse', 'noah@riverside.example'],
      ['Ivy Inactive', 'ivy@riverside.example'],
    ]) {
      const made = await call('POST', '/api/v1/admin/users', {
        cookie: admin,
        body: { name, email, password: DEMO_PASSWORD, roleIds: [nursesRoleId] },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      if (name === 'Ivy Inactive') {
        const off = await call('PATCH', `/api/v1/admin/users/${made.body.id}`, {
          cookie: admin,
          body: { active: false },
        });
        expect(off.status).toBe(200);
      }
    }
    const set = await call('PATCH', '/api/v1/admin/settings', {
      cookie: admin,
      body: { escalationRoleId: nursesRoleId },
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.escalationRoleId).toBe(nursesRoleId);
    told = (
      await rows<{ id: string }>(sql`
        select u.id::text as id from users u
          join role_members rm on rm.chamber_id = u.chamber_id and rm.user_id = u.id
         where rm.role_id = ${nursesRoleId}::uuid and u.active
         order by 1`)
    ).map((r) => r.id);
    expect(told).toHaveLength(2);
    alice = await signIn('portal', 'alice@patient.example');
  }, 90_000);

  afterAll(async () => {
    streams.forEach((s) => s.close());
    for (const p of [worker, web]) if (alive(p)) await crash(p);
    await database?.close();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a worker killed before the due time, started after it: the Escalation role is told once, live', async () => {
    const started = Date.now();
    const id = await patientAsks('My repeat prescription ran out');
    const [promise] = await rows<{ reply_by: Date | null; ahead_h: number | string }>(sql`
      select reply_by, extract(epoch from reply_by - now()) / 3600 as ahead_h
        from conversations where id = ${id}::uuid`);
    // 16 working hours: at least 16 clock hours ahead, whenever this runs.
    expect(promise!.reply_by).not.toBeNull();
    expect(Number(promise!.ahead_h)).toBeGreaterThanOrEqual(16);
    expect(await jobsOf([id])).toEqual([
      { conversation_id: id, state: 'pending', leased: false, attempts: 0 },
    ]);
    // The running worker polls (every 100 ms) and leaves the job alone: not due yet.
    await sleep(500);
    expect((await jobsOf([id]))[0]!.state).toBe('pending');

    await crash(worker!);
    // While no worker runs, the reply-by passes.
    await makeDue([id]);

    // A nurse has the staff app open (on the web process) the whole time.
    const nina = openEventStream(`${web!.url}/api/v1/events`, {
      cookie: await signIn('staff', 'nurse@riverside.example'),
    });
    streams.push(nina);
    await nina.waitFor(() => nina.status === 200);
    await sleep(300);

    worker = await startWorker(database.url!, dataDir);
    const took = await untilDone([id]);

    const [after] = await escalationsOf([id]);
    expect(after).toMatchObject({ id, escalated: true });
    expect(asArray(after!.told)).toEqual(told);
    expect(Number(after!.audits)).toBe(1);
    expect(Number(after!.events)).toBe(1);
    // The patient's message is shared with the Escalation role now.
    const [shared] = await rows<{ n: number | string }>(sql`
      select count(*) as n from messages
       where conversation_id = ${id}::uuid and author_kind = 'patient'
         and ${nursesRoleId}::uuid = any(role_ids)`);
    expect(Number(shared!.n)).toBe(1);

    const overdue = () =>
      nina.events.filter(
        (e) =>
          e.event === 'conversation.updated' &&
          e.data.conversation.id === id &&
          e.data.notification !== null,
      );
    await nina.waitFor(() => overdue().length > 0, 5_000);
    expect(overdue()[0]!.data).toMatchObject({
      conversation: { id, overdue: true },
      notification: { title: 'Overdue: message from Alice Archer', count: 1 },
    });

    // Once: the new worker keeps polling, and nothing more comes of it.
    await sleep(1_000);
    expect(overdue()).toHaveLength(1);
    expect(asArray((await escalationsOf([id]))[0]!.told)).toEqual(told);
    expect(await jobsOf([id])).toEqual([
      { conversation_id: id, state: 'done', leased: false, attempts: 1 },
    ]);
    console.log(
      `escalation after a worker crash: done ${took} ms after the worker restarted, ` +
        `${told.length} told once; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 45_000);

  it(`a worker killed in the middle of ${BATCH} due escalations: after the restart each is escalated exactly once`, async () => {
    const started = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < BATCH; i += 1) ids.push(await patientAsks(`Batch question ${i}`));
    expect((await jobsOf(ids)).map((j) => j.state)).toEqual(ids.map(() => 'pending'));

    if (alive(worker)) await crash(worker);
    await makeDue(ids);

    // To kill the worker while it is certainly in the middle of the batch (some escalations
    // committed, one inside its transaction, the rest claimed but not begun), the test holds
    // the second half of the conversations locked: the worker escalates the first half, then
    // waits on the lock. A real crash can land anywhere; this makes it land in the middle.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    let held = true;
    try {
      await locker.query('begin');
      await locker.query('select id from conversations where id = any($1::uuid[]) for update', [
        ids.slice(BATCH / 2),
      ]);
      const lockerPid = Number(
        (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid,
      );
      worker = await startWorker(database.url!, dataDir);
      const waitedSince = Date.now();
      for (;;) {
        // A worker's transaction waiting for this lock (not merely for the chamber's event
        // order). Asked on another connection: inside a transaction pg_stat_activity stays as
        // it was at its first reading.
        const [waiting] = await rows<{ n: number | string }>(sql`
          select count(*) as n from pg_stat_activity
           where datname = current_database() and ${lockerPid}::int = any(pg_blocking_pids(pid))`);
        if (Number(waiting!.n) > 0) break;
        if (Date.now() - waitedSince > DUE_WITHIN_MS)
          throw new Error(
            `the worker never reached the locked half: ${JSON.stringify(await jobsOf(ids))}\n${worker.log()}`,
          );
        await sleep(20);
      }
      await crash(worker);
      await locker.query('rollback');
      held = false;
    } finally {
      if (held) await locker.query('rollback').catch(() => undefined);
      await locker.end();
    }

    const atKill = await escalationsOf(ids);
    const escalatedAtKill = atKill.filter((c) => c.escalated).length;
    const jobsAtKill = await jobsOf(ids);
    const leasedAtKill = jobsAtKill.filter((j) => j.state === 'running' && j.leased).length;
    // Escalated, but the dead worker had not yet marked the job done: the case where only
    // conversations.escalated_reply_by keeps the next run from telling the role again.
    const escalatedNotDone = jobsAtKill.filter(
      (j) => j.state === 'running' && atKill.find((c) => c.id === j.conversation_id)?.escalated,
    ).length;
    // In the middle: the first escalations committed, none of the locked half.
    expect(escalatedAtKill).toBeGreaterThan(0);
    expect(escalatedAtKill).toBeLessThanOrEqual(BATCH / 2);
    expect(atKill.slice(BATCH / 2).filter((c) => c.escalated)).toEqual([]);
    // The jobs the dead worker claimed and did not finish stay leased to it.
    expect(leasedAtKill).toBeGreaterThanOrEqual(BATCH / 2);
    expect(jobsAtKill.filter((j) => j.state === 'pending')).toEqual([]);

    // Stands in for the clock passing the dead worker's lease (5 minutes): its jobs are due again.
    await database.db.execute(sql`
      update jobs set locked_until = now() - interval '1 second'
       where kind = 'conversation_escalation' and state = 'running'
         and dedupe_key in (select 'escalation:' || x from unnest(${`{${ids.join(',')}}`}::text[]) x)`);
    worker = await startWorker(database.url!, dataDir);
    const took = await untilDone(ids);
    await sleep(500);

    const after = await escalationsOf(ids);
    expect(after).toHaveLength(BATCH);
    for (const c of after) {
      expect(c.escalated, c.id).toBe(true);
      expect(asArray(c.told), c.id).toEqual(told);
      expect(Number(c.audits), c.id).toBe(1);
      expect(Number(c.events), c.id).toBe(1);
    }
    const jobsAfter = await jobsOf(ids);
    expect(jobsAfter.map((j) => j.state)).toEqual(ids.map(() => 'done'));
    console.log(
      `escalation batch crash: ${BATCH} due, killed with ${escalatedAtKill} escalated and ` +
        `${leasedAtKill} leased to the dead worker (${escalatedNotDone} of them escalated already); after the restart all done in ${took} ms, ` +
        `each once (${told.length} told each); ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }, 60_000);
});
