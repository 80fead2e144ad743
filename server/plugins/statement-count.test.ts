import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorld, PASSWORD, type World } from '../test/factories.js';
import { client, type Client, type Reply } from '../test/http.js';
import { recordStatements } from '../test/statements.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

// Issue 6: the number of SQL statements each hot request sends is fixed here, so it cannot grow
// unnoticed (each one is a round trip to the database, and the benchmarks replay exactly these).
// A change that adds or removes one must update the figure below on purpose. Counted on
// PostgreSQL, where every statement goes through pg.Client#query (BEGIN and COMMIT included).

const onPostgres = inject('engine') === 'postgres';

let t: TestApp;
let w: World;

beforeAll(async () => {
  if (!onPostgres) return;
  t = await buildTestApp({ config: { eventsPollMs: 3_600_000, eventsHeartbeatMs: 3_600_000 } });
  w = await createWorld(t);
});
afterAll(() => t?.close());

/** The statements of one request, without the live-event hub's LISTEN. */
async function statementsOf(call: () => Promise<Reply>, status: number): Promise<string[]> {
  const { result, statements } = await recordStatements(call);
  expect(result.status, JSON.stringify(result.body)).toBe(status);
  return statements.map((s) => label(s.text)).filter((l) => l !== 'listen');
}

/** "insert messages", "select sessions", "select pg_notify", "begin". */
function label(text: string): string {
  const t = text.trim().replace(/\s+/g, ' ').replace(/"/g, '');
  const verb = t.split(' ')[0]!.toLowerCase();
  const table =
    verb === 'insert'
      ? /^insert into (\w+)/i.exec(t)
      : verb === 'update'
        ? /^update (\w+)/i.exec(t)
        : verb === 'select'
          ? (/^select (pg_\w+)/i.exec(t) ?? / from (\w+)/i.exec(t))
          : null;
  return table ? `${verb} ${table[1]}` : verb;
}

const sendKey = () => ({ 'idempotency-key': randomUUID() });

describe.skipIf(!onPostgres)('SQL statements per request', () => {
  let conversationId: string;

  it('a patient starts a conversation', async () => {
    let res!: Reply;
    const verbs = await statementsOf(async () => {
      res = await w.as.alice.post(
        '/api/v1/portal/conversations',
        { text: 'Can I change my appointment?' },
        sendKey(),
      );
      return res;
    }, 201);
    conversationId = res.body.conversation.id;
    expect(verbs).toEqual(EXPECTED.patientStarts);
  });

  it('a patient replies', async () => {
    const verbs = await statementsOf(
      () =>
        w.as.alice.post(
          `/api/v1/portal/conversations/${conversationId}/messages`,
          { text: 'Any time after two would do.' },
          sendKey(),
        ),
      201,
    );
    expect(verbs).toEqual(EXPECTED.patientReplies);
  });

  it('a patient opens the Inbox', async () => {
    const verbs = await statementsOf(() => w.as.alice.get('/api/v1/portal/conversations'), 200);
    expect(verbs).toEqual(EXPECTED.inbox);
  });

  it('a patient opens a conversation', async () => {
    const verbs = await statementsOf(
      () => w.as.alice.get(`/api/v1/portal/conversations/${conversationId}`),
      200,
    );
    expect(verbs).toEqual(EXPECTED.patientConversation);
  });

  it("a staff user opens a patient's Feed", async () => {
    const verbs = await statementsOf(
      () => w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`),
      200,
    );
    expect(verbs).toEqual(EXPECTED.feed);
  });

  it('a staff user replies to the patient and a role', async () => {
    const verbs = await statementsOf(
      () =>
        (w.as.receptionist as Client).post(
          `/api/v1/conversations/${conversationId}/messages`,
          { text: 'Two thirty is free.', shareWithPatient: true, roleIds: [w.roles.reception] },
          sendKey(),
        ),
      201,
    );
    expect(verbs).toEqual(EXPECTED.staffReplies);
  });

  it('a staff user lists notifications', async () => {
    const verbs = await statementsOf(() => w.as.receptionist.get('/api/v1/notifications'), 200);
    expect(verbs).toEqual(EXPECTED.notifications);
  });

  it('a patient signs in', async () => {
    let res!: Reply;
    const verbs = await statementsOf(async () => {
      res = await client(t.app).post('/api/v1/portal/session', {
        chamber: w.chamber.key,
        email: w.bob.email,
        password: PASSWORD,
      });
      return res;
    }, 200);
    expect(res.body.patient).toEqual({ id: w.bob.id, name: w.bob.name });
    expect(res.body.messaging.allowed).toBe(true);
    expect(verbs).toEqual(EXPECTED.patientSignsIn);
  });
});

// Every request's first statement is its session (one prepared statement for either kind of
// session: the staff user's roles, or the portal account and whom it acts for, rule 18); it is
// named by the first table its text mentions.
const EXPECTED: Record<string, string[]> = {
  // Issue 13 (topics, status, who can see a conversation, the event log, one notification
  // per conversation) added no statement to a patient's send: the route of the message
  // ("with": topic role, Role for new messages, last answer's roles, assignee) replaced the
  // select of the Role for new messages, and the rest rides in the message's statement.
  patientStarts: [
    'select portal_accounts',
    'begin',
    // The Idempotency-Key's claim, the new conversation and the message's route (topic role,
    // Role for new messages, last answer's roles, assignee, the clinic's office hours) in one.
    'with',
    // The message, the conversation's new state and their live events.
    'with',
    // Its notifications (or, for a large role, their job), the reply-by's escalation job (rule
    // 12), the author's read mark, the audit rows and the answer stored under the key, in one
    // statement (db/write-together.ts). Out of office hours the clinic's automatic answer
    // (rule 13) is one more 'with' (reply-times.test.ts).
    'with',
    'commit',
    // The live-events wake-up, after the commit: a NOTIFY inside the transaction would hold
    // PostgreSQL's cluster-wide notify lock through the commit's flush (db/event-order.ts).
    // Sends that commit at about the same time share one (db/coalesce.ts).
    'select pg_notify',
  ],
  patientReplies: [
    'select portal_accounts',
    'select conversations',
    'select messages',
    'begin',
    'with',
    // The conversation's row lock.
    'select conversations',
    'with',
    'with',
    'commit',
    'select pg_notify',
  ],
  inbox: ['select portal_accounts', 'select messages', 'insert audit_events'],
  patientConversation: [
    'select portal_accounts',
    'select conversations',
    'select messages',
    // The messages with their authors' names (a proxy's, rule 18, or the clinic's for its
    // automatic messages).
    'select portal_accounts',
    'select message_attachments',
    'insert audit_events',
  ],
  feed: ['select portal_accounts', 'select patients', 'select messages', 'insert audit_events'],
  staffReplies: [
    'select portal_accounts',
    'select roles',
    'select conversations',
    'select messages',
    'begin',
    'insert idempotency_keys',
    'select roles',
    'select conversations',
    'with',
    // Whom the shared-items email goes to: the patient and their proxies (rule 18), one union.
    '(select',
    // The message's roles, for the answer.
    'select messages',
    // Notifications, read mark, the author's notifications of the conversation read, audit,
    // the stored answer.
    'with',
    'commit',
    'select pg_notify',
  ],
  // The list with its authors' names (the clinic's, for its automatic messages), and its count;
  // issue 17: the read of the previews is audited (one row naming the page's patients; a page
  // naming no patient writes none).
  notifications: [
    'select portal_accounts',
    'select portal_accounts',
    'select notifications',
    'insert audit_events',
  ],
  patientSignsIn: [
    // Issue 17 (finding 9): the sign-in rate limit counts in the database, one upsert, so that
    // it holds across every web process.
    'insert rate_limit_counters',
    'select chambers',
    'select portal_accounts',
    // Rule 18: whom the account may act for (its own record first), read once for the session
    // and its answer.
    'select portal_accounts',
    'begin',
    'insert sessions',
    'insert audit_events',
    'commit',
    'select patients',
  ],
};
