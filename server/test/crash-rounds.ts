import fs from 'node:fs';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { DEMO_PASSWORD, seedDemo } from '../demo/demo-seed.js';
import { systemClock } from '../lib/clock.js';
import { BUILT_IN_ROLE_NAME } from '../modules/chambers/chamber.service.js';
import { testConfig } from './test-app.js';

// Issue 7 and issue 17 (finding 11): rounds of "a burst of portal sends with Idempotency-Keys,
// something is killed with SIGKILL at a random moment, it comes back, the client retries every
// unanswered send with its key". What is killed (the server process, PostgreSQL) and how it
// comes back is the caller's; the rounds, the retries and the final count are the same for all.

/** What one send got: an HTTP answer, or no answer at all (connection refused, reset, timeout). */
export type Outcome = { status: number; messageId?: string; code?: string } | { error: string };

/** No answer within this is a hang: the rounds count it as an unexpected answer. */
const SEND_TIMEOUT_MS = 15_000;

/** One portal send (a new conversation); no answer is an outcome too, not a failure. */
export async function portalSend(
  url: string,
  cookie: string,
  text: string,
  key: string,
): Promise<Outcome> {
  try {
    const res = await fetch(`${url}/api/v1/portal/conversations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, 'idempotency-key': key },
      body: JSON.stringify({ text }),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
    const body = (await res.json()) as { message?: { id: string }; error?: { code: string } };
    return { status: res.status, messageId: body.message?.id, code: body.error?.code };
  } catch (error) {
    return { error: String(error) };
  }
}

/** Makes the demo chamber (Riverside Clinic) in a database, as `npm run demo` does. */
export async function seedDemoChamber(db: Db): Promise<void> {
  const config = testConfig();
  try {
    await seedDemo(db, config, systemClock);
  } finally {
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  }
}

/** Signs Alice Archer (the demo chamber's patient) in; sessions live in the database. */
export async function signInAlice(url: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/portal/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      chamber: 'demo',
      email: 'alice@patient.example',
      password: DEMO_PASSWORD,
    }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
}

/** What the rounds kill and bring back. */
export interface CrashTarget {
  /** Where the product answers now (it may change at each restart). */
  url(): string;
  /** kill -9 of whatever this target crashes; resolves once it is dead. */
  kill(): Promise<void>;
  /** Brings it back; resolves once the product can be asked again. */
  recover(): Promise<void>;
}

/** One send of the rounds and what became of it, from the client's side. */
export interface SentMessage {
  round: number;
  text: string;
  key: string;
  /** The message id of a 201 that came back before the kill. */
  ackedBeforeKill?: string;
  /** When that 201 came back. */
  ackedAt?: number;
  /** The message id of the 201 a retry with the same key got after the restart. */
  ackedOnRetry?: string;
  /** When the kill of its round was sent (this machine's clock, as the server's). */
  killedAt: number;
}

export interface RoundsResult {
  sent: SentMessage[];
  kills: number;
  killsWithSendsInFlight: number;
  /** Answers that are neither 201 nor "not now" (`allowedRefusals`), nor no answer. */
  unexpected: string[];
  /** Retries of an acknowledged key that did not replay the same message. */
  badReplays: string[];
  /** Time spent bringing the target back, in all rounds. */
  recoverMs: number;
}

/**
 * Runs the rounds: a burst of `burst` sends, kill after a random 0–`maxDelayMs` ms, recover,
 * retry every send without a 201 with its key until it gets one, and retry one acknowledged send
 * (its key must replay the same message). `allowedRefusals` are the HTTP statuses that may
 * answer a send while the target is down or coming back (e.g. 503 while PostgreSQL is away).
 */
export async function runCrashRounds(options: {
  label: string;
  rounds: number;
  burst: number;
  maxDelayMs: number;
  cookie: string;
  target: CrashTarget;
  allowedRefusals: number[];
}): Promise<RoundsResult> {
  const { label, rounds, burst, maxDelayMs, cookie, target, allowedRefusals } = options;
  const result: RoundsResult = {
    sent: [],
    kills: 0,
    killsWithSendsInFlight: 0,
    unexpected: [],
    badReplays: [],
    recoverMs: 0,
  };
  const refusal = (o: Outcome) => 'error' in o || allowedRefusals.includes(o.status);
  const note = (what: string, o: Outcome) => {
    if (!('status' in o) || o.status === 201 || allowedRefusals.includes(o.status)) {
      if ('error' in o && o.error.includes('TimeoutError')) result.unexpected.push(`${what}: hung`);
      return;
    }
    result.unexpected.push(`${what}: ${JSON.stringify(o)}`);
  };

  for (let round = 0; round < rounds; round += 1) {
    const url = target.url();
    const sends: SentMessage[] = Array.from({ length: burst }, (_, i) => ({
      round,
      text: `${label} round ${round} msg ${i}`,
      key: `${label}-${round}-${i}`,
      killedAt: 0,
    }));
    result.sent.push(...sends);
    const settled = new Array<boolean>(burst).fill(false);
    const burstDone = sends.map((s, i) =>
      portalSend(url, cookie, s.text, s.key).then((o) => {
        settled[i] = true;
        s.ackedAt = Date.now();
        return o;
      }),
    );
    await new Promise((r) => setTimeout(r, Math.random() * maxDelayMs));
    if (settled.some((s) => !s)) result.killsWithSendsInFlight += 1;
    const killedAt = Date.now();
    sends.forEach((s) => (s.killedAt = killedAt));
    await target.kill();
    result.kills += 1;
    const outcomes = await Promise.all(burstDone);
    outcomes.forEach((o, i) => {
      note(`round ${round} send ${i}`, o);
      if ('status' in o && o.status === 201) sends[i]!.ackedBeforeKill = o.messageId;
    });

    const recovering = Date.now();
    await target.recover();
    result.recoverMs += Date.now() - recovering;
    const again = target.url();
    // The client retries each send it has no 201 for, side by side, until it gets one.
    const retry = async (s: SentMessage, i: number) => {
      for (let attempt = 0; ; attempt += 1) {
        const o = await portalSend(again, cookie, s.text, s.key);
        note(`round ${round} send ${i} retry ${attempt}`, o);
        if ('status' in o && o.status === 201) {
          s.ackedOnRetry = o.messageId;
          return;
        }
        // 503 while the database's connections come back; 409 request_in_progress would mean
        // a first attempt still running, which no kill leaves behind: both end within seconds.
        if (attempt >= 50 || !(refusal(o) || ('status' in o && o.status === 409))) {
          result.unexpected.push(
            `round ${round} send ${i}: gave up retrying: ${JSON.stringify(o)}`,
          );
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all(sends.map((s, i) => (s.ackedBeforeKill ? undefined : retry(s, i))));
    const acked = sends.find((s) => s.ackedBeforeKill);
    if (acked) {
      const o = await portalSend(again, cookie, acked.text, acked.key);
      if (!('status' in o) || o.status !== 201 || o.messageId !== acked.ackedBeforeKill)
        result.badReplays.push(`round ${round} ${acked.key}: ${JSON.stringify(o)}`);
    }
  }
  return result;
}

export interface StoredCount {
  /** Sends that got a 201 (before the kill or on a retry). */
  acknowledged: number;
  /** Acknowledged sends whose message is not stored whole under the id the client was given. */
  lost: string[];
  /** Sends stored more than once. */
  duplicated: string[];
  /** Stored messages of the rounds whose text no send had (cut short or changed). */
  stray: string[];
  /** Stored messages without a notification for every Active member of the built-in role. */
  unnotified: string[];
  /** Keys whose stored answer does not name the message the client was given. */
  keyMismatch: string[];
  /**
   * Sends stored before their round's kill whose 201 never reached the client: the retry found
   * the message and replayed it (the window where a retry without a key would store it twice).
   */
  committedUnanswered: number;
}

/**
 * Reads what the database holds after the rounds: every acknowledged send once, whole, under
 * the id its 201 named, with its notifications and its key's stored answer.
 */
export async function countStored(
  db: Db,
  label: string,
  sent: SentMessage[],
): Promise<StoredCount> {
  const audience = await db.execute<{ id: string }>(sql`
    select u.id from users u
      join chambers c on c.id = u.chamber_id and c.key = 'demo'
      join role_members rm on rm.chamber_id = u.chamber_id and rm.user_id = u.id
      join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id
     where r.name = ${BUILT_IN_ROLE_NAME} and r.is_built_in and r.deleted_at is null and u.active
     order by u.id`);
  const expectedUsers = audience.rows.map((r) => r.id).join(',');
  if (audience.rows.length !== 2)
    throw new Error(`the demo's built-in role should have 2 Active members: ${expectedUsers}`);

  const stored = await db.execute<{
    id: string;
    text: string;
    notified: string | null;
    created_ms: string | number;
  }>(sql`
    select m.id::text as id, m.text, extract(epoch from m.created_at) * 1000 as created_ms,
           (select string_agg(n.user_id::text, ',' order by n.user_id)
              from notifications n where n.message_id = m.id) as notified
      from messages m
     where m.text like ${`${label} round %`}`);
  const keys = await db.execute<{ key: string; status: number; id: string | null }>(sql`
    select key, response_status as status, response_body->'message'->>'id' as id
      from idempotency_keys where key like ${`${label}-%`}`);
  const byText = new Map<string, (typeof stored.rows)[number][]>();
  for (const row of stored.rows) byText.set(row.text, [...(byText.get(row.text) ?? []), row]);
  const keyAnswer = new Map(keys.rows.map((k) => [k.key, k]));
  const texts = new Set(sent.map((s) => s.text));

  const count: StoredCount = {
    acknowledged: 0,
    lost: [],
    duplicated: [],
    stray: stored.rows.filter((r) => !texts.has(r.text)).map((r) => `${r.id}: ${r.text}`),
    unnotified: [],
    keyMismatch: [],
    committedUnanswered: 0,
  };
  for (const s of sent) {
    const id = s.ackedBeforeKill ?? s.ackedOnRetry;
    const rows = byText.get(s.text) ?? [];
    if (rows.length > 1) count.duplicated.push(`${s.text}: ${rows.map((r) => r.id).join(', ')}`);
    if (!id) continue;
    count.acknowledged += 1;
    const mine = rows.find((r) => r.id === id);
    if (!mine) {
      count.lost.push(
        `${s.text} (acknowledged as ${id}; stored: ${rows.map((r) => r.id).join(', ') || 'nothing'})`,
      );
      continue;
    }
    if (!s.ackedBeforeKill && Number(mine.created_ms) < s.killedAt) count.committedUnanswered += 1;
    if (mine.notified !== expectedUsers)
      count.unnotified.push(`${s.text}: notified ${mine.notified ?? 'nobody'}`);
    const answer = keyAnswer.get(s.key);
    if (!answer || answer.status !== 201 || answer.id !== id)
      count.keyMismatch.push(`${s.key}: ${JSON.stringify(answer ?? null)}`);
  }
  return count;
}

/** The line each crash test prints for the issue's closing note. */
export function describeRounds(
  what: string,
  rounds: number,
  result: RoundsResult,
  count: StoredCount,
  seconds: number,
): string {
  const before = result.sent.filter((s) => s.ackedBeforeKill).length;
  const retried = result.sent.filter((s) => !s.ackedBeforeKill).length;
  // Acknowledged moments before the kill: their commit was among the last writes it met.
  const justBefore = result.sent.filter(
    (s) => s.ackedBeforeKill && s.killedAt - s.ackedAt! < 50,
  ).length;
  return (
    `${what}: rounds ${rounds}, kills ${result.kills} (${result.killsWithSendsInFlight} with sends in flight), ` +
    `sends ${result.sent.length}, acknowledged ${count.acknowledged} (${before} before the kill, ${justBefore} of them less than 50 ms before it, ` +
    `${retried} retried after it, ${count.committedUnanswered} of which were stored before the kill), lost ${count.lost.length}, duplicated ${count.duplicated.length}, ` +
    `stray ${count.stray.length}, without notifications ${count.unnotified.length}, ` +
    `unexpected answers ${result.unexpected.length}, bad replays ${result.badReplays.length}; ` +
    `${seconds.toFixed(1)} s (${(result.recoverMs / 1000).toFixed(1)} s of it coming back)`
  );
}
