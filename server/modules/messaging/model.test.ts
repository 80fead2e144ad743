import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signIn, type Client, type Reply } from '../../test/http.js';
import {
  createRole,
  createStaff,
  createWorld,
  PASSWORD,
  staffClient,
} from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

// Issue 7, item 7: a model-based test of messaging. fast-check generates sequences of commands
// (patients write, staff answer with an audience or write internal notes, the admin changes
// role members, the Role for new messages, Active/Inactive and the band's Allow online
// messaging, readers open conversations and notifications) and runs each against the real HTTP
// API and against a small reference model written from SPEC rules 1-4. At every check command,
// and at the end of every run for every actor, what the actor sees (Inbox, Feed, conversations,
// unread counts, "awaiting reply", notifications, role member counts) must equal the model's
// prediction, and anything outside their view must answer the same 404 as a conversation (or
// notification) that does not exist.
//
// Reading a counterexample: "cN" is the N-th conversation of the run and "mN" the N-th message
// (both from 0); every failed expectation prints the model (who holds which role, each conversation
// with its messages and audiences, each user's notifications) above the difference.

// A longer exploration: MODEL_RUNS=500 MODEL_SEED=$RANDOM npx vitest run --project pglite <this file>
const RUNS = Number(process.env.MODEL_RUNS ?? 40);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 20);
const SEED = Number(process.env.MODEL_SEED ?? 20261207);

type PatientKey = 'alice' | 'bob';
type StaffKey = 'rita' | 'nina' | 'sam' | 'admin';
type Reader = PatientKey | StaffKey;
type RoleKey = 'ara' | 'reception' | 'nurses' | 'doctors';

const PATIENTS: PatientKey[] = ['alice', 'bob'];
const STAFF: StaffKey[] = ['rita', 'nina', 'sam', 'admin'];
const READERS: Reader[] = [...PATIENTS, ...STAFF];
const ROLES: RoleKey[] = ['ara', 'reception', 'nurses', 'doctors'];
const ROLE_NAMES: Record<RoleKey, string> = {
  ara: 'Appointment Reminder Admin',
  reception: 'Reception',
  nurses: 'Nurses',
  doctors: 'Doctors',
};
const NAMES: Record<Reader, string> = {
  alice: 'Alice Archer',
  bob: 'Bob Baker',
  rita: 'Rita Reception',
  nina: 'Nina Nurse',
  sam: 'Sam Surgeon',
  admin: 'Admin User',
};
const isPatient = (r: Reader): r is PatientKey => r === 'alice' || r === 'bob';

// ---------------------------------------------------------------------------------------------
// The reference model

interface MMessage {
  /** The real id, learnt when the API acknowledged the message. */
  id: string;
  conv: number;
  author: Reader;
  shared: boolean;
  roles: RoleKey[];
  text: string;
  /** The author's role label as it was when the message was sent (rule 4: name and role). */
  authorRole: string | null;
}

interface MConversation {
  id: string;
  patient: PatientKey;
  awaiting: boolean;
}

interface MNotification {
  user: StaffKey;
  message: number;
  read: boolean;
}

interface Model {
  members: Record<StaffKey, Set<RoleKey>>;
  active: Record<StaffKey, boolean>;
  deleted: Set<RoleKey>;
  roleForNew: RoleKey;
  /** The band's Allow online messaging tick (both patients are on the one band). */
  messagingAllowed: boolean;
  convs: MConversation[];
  messages: MMessage[];
  /** Read marks: `${reader}:${conv}` -> index of the newest message read (a high-water mark). */
  marks: Map<string, number>;
  notifications: MNotification[];
}

function initialModel(): Model {
  return {
    members: {
      rita: new Set<RoleKey>(['ara', 'reception']),
      nina: new Set<RoleKey>(['nurses']),
      sam: new Set<RoleKey>(['doctors']),
      admin: new Set<RoleKey>(),
    },
    active: { rita: true, nina: true, sam: true, admin: true },
    deleted: new Set(),
    roleForNew: 'ara',
    messagingAllowed: true,
    convs: [],
    messages: [],
    marks: new Map(),
    notifications: [],
  };
}

const liveRoles = (m: Model, s: StaffKey) => [...m.members[s]].filter((r) => !m.deleted.has(r));
const byName = (a: RoleKey, b: RoleKey) => ROLE_NAMES[a].localeCompare(ROLE_NAMES[b]);

/** Rule 4: who sees a message. */
function sees(m: Model, reader: Reader, msg: MMessage): boolean {
  if (isPatient(reader)) return msg.shared && m.convs[msg.conv]!.patient === reader;
  if (msg.author === reader) return true;
  const held = liveRoles(m, reader);
  return msg.roles.some((r) => held.includes(r));
}

/** Indexes of the messages of a conversation the reader sees, oldest first. */
function visibleIn(m: Model, reader: Reader, conv: number): number[] {
  const out: number[] = [];
  m.messages.forEach((msg, i) => {
    if (msg.conv === conv && sees(m, reader, msg)) out.push(i);
  });
  return out;
}

/** Rule 2: the configured role, or the built-in one when it was deleted. */
const effectiveRoleForNew = (m: Model): RoleKey =>
  m.deleted.has(m.roleForNew) ? 'ara' : m.roleForNew;

/** The role shown beside a staff author: their roles by name, the built-in one only if alone. */
function roleLabel(m: Model, s: StaffKey): string | null {
  const held = liveRoles(m, s).sort(byName);
  const own = held.filter((r) => r !== 'ara');
  const shown = own.length > 0 ? own : held;
  return shown.length > 0 ? shown.map((r) => ROLE_NAMES[r]).join(', ') : null;
}

const markKey = (reader: Reader, conv: number) => `${reader}:${conv}`;
const markOf = (m: Model, reader: Reader, conv: number) => m.marks.get(markKey(reader, conv)) ?? -1;
function moveMark(m: Model, reader: Reader, conv: number, index: number) {
  if (index > markOf(m, reader, conv)) m.marks.set(markKey(reader, conv), index);
}

/** A message is stored: audience, "awaiting reply", notifications and the author's read mark. */
function addMessage(m: Model, msg: MMessage) {
  const index = m.messages.push(msg) - 1;
  const conv = m.convs[msg.conv]!;
  if (isPatient(msg.author)) conv.awaiting = true;
  else if (msg.shared) conv.awaiting = false;
  // Every Active member of the audience's roles, once, except the author (rules 2 and 3).
  for (const user of STAFF) {
    if (user === msg.author || !m.active[user]) continue;
    if (msg.roles.some((r) => liveRoles(m, user).includes(r)))
      m.notifications.push({ user, message: index, read: false });
  }
  moveMark(m, msg.author, msg.conv, index);
  if (!isPatient(msg.author)) readNotificationsOf(m, msg.author, msg.conv);
}

function readNotificationsOf(m: Model, user: StaffKey, conv: number) {
  for (const n of m.notifications)
    if (n.user === user && m.messages[n.message]!.conv === conv) n.read = true;
}

const notificationsOf = (m: Model, user: StaffKey) =>
  m.notifications.filter((n) => n.user === user);

/** A readable picture of the model, added to every failed expectation. */
function describeModel(m: Model): string {
  const roles = (rs: Iterable<RoleKey>) =>
    [...rs].map((r) => ROLE_NAMES[r] + (m.deleted.has(r) ? ' (deleted)' : '')).join(', ');
  const lines = [
    ...(m.messagingAllowed ? [] : ['Allow online messaging is off']),
    `Role for new messages: ${ROLE_NAMES[m.roleForNew]}${m.deleted.has(m.roleForNew) ? ' (deleted)' : ''}`,
    ...STAFF.map((s) => `${s}${m.active[s] ? '' : ' (Inactive)'} holds [${roles(m.members[s])}]`),
  ];
  m.convs.forEach((c, ci) => {
    lines.push(`c${ci} of ${c.patient}${c.awaiting ? ', awaiting reply' : ''}:`);
    m.messages.forEach((msg, i) => {
      if (msg.conv !== ci) return;
      const audience = [...(msg.shared ? ['patient'] : []), roles(msg.roles)].filter(Boolean);
      lines.push(`  m${i} by ${msg.author} to ${audience.join(' + ')}`);
    });
  });
  for (const s of STAFF) {
    const ns = notificationsOf(m, s);
    if (ns.length > 0)
      lines.push(
        `notifications of ${s}: ${ns.map((n) => `m${n.message}${n.read ? ' (read)' : ''}`).join(', ')}`,
      );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// The real system: one chamber per run, everyone signed in through the API

interface Real {
  chamberId: string;
  chamberKey: string;
  bandId: string;
  roleIds: Record<RoleKey, string>;
  userIds: Record<StaffKey, string>;
  patientIds: Record<PatientKey, string>;
  emails: Record<StaffKey, string>;
  as: Record<Reader, Client>;
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

async function setup(): Promise<{ model: Model; real: Real }> {
  const w = await createWorld(t);
  const doctors = await createRole(t, w.chamber, 'Doctors');
  const sam = await createStaff(t, w.chamber, { name: 'Sam Surgeon', roleIds: [doctors] });
  return {
    model: initialModel(),
    real: {
      chamberId: w.chamber.id,
      chamberKey: w.chamber.key,
      bandId: w.band,
      roleIds: {
        ara: w.roles.builtIn,
        reception: w.roles.reception,
        nurses: w.roles.nurses,
        doctors,
      },
      userIds: {
        rita: w.receptionist.id,
        nina: w.nurse.id,
        sam: sam.id,
        admin: w.chamber.admin.userId,
      },
      patientIds: { alice: w.alice.id, bob: w.bob.id },
      emails: {
        rita: w.receptionist.email,
        nina: w.nurse.email,
        sam: sam.email,
        admin: w.chamber.admin.email,
      },
      as: {
        alice: w.as.alice,
        bob: w.as.bob,
        rita: w.as.receptionist,
        nina: w.as.nurse,
        sam: await staffClient(t, w.chamber, sam.email),
        admin: w.as.admin,
      },
    },
  };
}

/** Compares with the model's prediction; a failure carries the model's picture. */
function same(actual: unknown, expected: unknown, what: string, m: Model) {
  try {
    expect(actual).toEqual(expected);
  } catch (error) {
    if (error instanceof Error) error.message = `${what}\n${describeModel(m)}\n\n${error.message}`;
    throw error;
  }
}

const errorOf = (res: { status: number; body: any }) => ({
  status: res.status,
  code: res.body?.error?.code,
  field: res.body?.error?.field,
});

/** A staff user the admin made Inactive has no session: every request is 401. */
function expectSignedOut(res: { status: number; body: any }, who: Reader, m: Model) {
  same(
    errorOf(res),
    { status: 401, code: 'unauthenticated', field: undefined },
    `${who} is Inactive`,
    m,
  );
}

/** Rule 1: with Allow online messaging off, every portal messaging request is refused. */
function expectNoMessaging(res: { status: number; body: any }, who: Reader, m: Model) {
  same(
    errorOf(res),
    { status: 403, code: 'messaging_not_allowed', field: undefined },
    `${who} may not message`,
    m,
  );
}

/** The API's answer for a conversation that does not exist, to compare hidden ones with. */
async function missing(client: Client, url: (id: string) => string, body?: unknown) {
  const res =
    body === undefined
      ? await client.get(url(randomUUID()))
      : await client.post(url(randomUUID()), body);
  expect(res.status).toBe(404);
  return res.body;
}

// ---------------------------------------------------------------------------------------------
// Predicted views

function author(r: Real, msg: MMessage, forStaff: boolean) {
  const base = isPatient(msg.author)
    ? { kind: 'patient', name: NAMES[msg.author], role: null }
    : { kind: 'staff', name: NAMES[msg.author], role: msg.authorRole };
  if (!forStaff) return base;
  return { ...base, userId: isPatient(msg.author) ? null : r.userIds[msg.author] };
}

function expectedInbox(m: Model, r: Real, p: PatientKey) {
  const lines = m.convs
    .map((c, ci) => ({ c, ci, visible: visibleIn(m, p, ci) }))
    .filter((x) => x.visible.length > 0)
    .map((x) => ({ ...x, last: x.visible[x.visible.length - 1]! }))
    .sort((a, b) => b.last - a.last);
  return lines.map(({ c, ci, visible, last }) => ({
    id: c.id,
    unreadCount: visible.filter((i) => !isPatient(m.messages[i]!.author) && i > markOf(m, p, ci))
      .length,
    lastMessage: {
      id: m.messages[last]!.id,
      author: author(r, m.messages[last]!, false),
      preview: previewOf(m.messages[last]!.text),
    },
  }));
}

function expectedFeed(m: Model, r: Real, s: StaffKey, p: PatientKey) {
  const lines = m.convs
    .map((c, ci) => ({ c, ci, visible: visibleIn(m, s, ci) }))
    .filter((x) => x.c.patient === p && x.visible.length > 0)
    .map((x) => ({ ...x, last: x.visible[x.visible.length - 1]! }))
    .sort((a, b) => b.last - a.last);
  return lines.map(({ c, ci, visible, last }) => ({
    id: c.id,
    awaitingReply: c.awaiting,
    unreadCount: visible.filter((i) => m.messages[i]!.author !== s && i > markOf(m, s, ci)).length,
    lastMessage: {
      id: m.messages[last]!.id,
      author: author(r, m.messages[last]!, false),
      preview: previewOf(m.messages[last]!.text),
      internalNote: !m.messages[last]!.shared,
    },
  }));
}

function expectedStaffConversation(m: Model, r: Real, s: StaffKey, ci: number) {
  const c = m.convs[ci]!;
  return {
    conversation: {
      id: c.id,
      patient: { id: r.patientIds[c.patient], name: NAMES[c.patient] },
      awaitingReply: c.awaiting,
      patientCanSee: visibleIn(m, c.patient, ci).length > 0,
    },
    messages: visibleIn(m, s, ci).map((i) => {
      const msg = m.messages[i]!;
      return {
        id: msg.id,
        text: msg.text,
        author: author(r, msg, true),
        sharedWithPatient: msg.shared,
        internalNote: !msg.shared,
        roles: [...msg.roles].sort(byName).map((role) => ({
          id: r.roleIds[role],
          name: ROLE_NAMES[role] + (m.deleted.has(role) ? ' (deleted)' : ''),
        })),
        mine: msg.author === s,
      };
    }),
    canReply: true,
    shareWithPatientByDefault: visibleIn(m, c.patient, ci).length > 0,
  };
}

function expectedPatientConversation(m: Model, r: Real, p: PatientKey, ci: number) {
  return {
    conversation: { id: m.convs[ci]!.id },
    messages: visibleIn(m, p, ci).map((i) => {
      const msg = m.messages[i]!;
      return {
        id: msg.id,
        text: msg.text,
        author: author(r, msg, false),
        mine: msg.author === p,
      };
    }),
    canReply: true,
  };
}

function expectedNotifications(m: Model, r: Real, s: StaffKey) {
  const mine = notificationsOf(m, s);
  return {
    unreadCount: mine.filter((n) => !n.read).length,
    notifications: [...mine].reverse().map((n) => {
      const msg = m.messages[n.message]!;
      const c = m.convs[msg.conv]!;
      return {
        kind: isPatient(msg.author) ? 'patient_message' : 'staff_message',
        title: `New message from ${NAMES[msg.author]}`,
        patient: { id: r.patientIds[c.patient], name: NAMES[c.patient] },
        conversationId: c.id,
        messageId: msg.id,
        // The preview only while the message is still in the user's view (rule 4).
        preview: sees(m, s, msg) ? previewOf(msg.text) : null,
        read: n.read,
      };
    }),
  };
}

// Only the fields the model speaks of (times and attachments are not modelled).
const pickSummary = (c: any, forStaff: boolean) => ({
  id: c.id,
  ...(forStaff ? { awaitingReply: c.awaitingReply } : {}),
  unreadCount: c.unreadCount,
  lastMessage: {
    id: c.lastMessage.id,
    author: c.lastMessage.author,
    preview: c.lastMessage.preview,
    ...(forStaff ? { internalNote: c.lastMessage.internalNote } : {}),
  },
});

async function allNotifications(client: Client) {
  const first = await client.get('/api/v1/notifications');
  const list: any[] = [...(first.body.notifications ?? [])];
  let cursor = first.body.nextCursor;
  while (cursor) {
    const next = await client.get(`/api/v1/notifications?cursor=${cursor}`);
    list.push(...next.body.notifications);
    cursor = next.body.nextCursor;
  }
  return { status: first.status, unreadCount: first.body.unreadCount, notifications: list };
}

/** Every line of the Inbox or a Feed, walking its pages three at a time. */
async function allLines(client: Client, url: string) {
  const lines: any[] = [];
  let cursor: string | null = null;
  do {
    const res: Reply = await client.get(`${url}?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, url).toBe(200);
    lines.push(...res.body.conversations);
    cursor = res.body.nextCursor;
  } while (cursor);
  return lines;
}

/** Everything one reader sees equals the model; nothing outside their view shows. */
async function checkReader(m: Model, r: Real, reader: Reader) {
  const client = r.as[reader];
  if (isPatient(reader) && !m.messagingAllowed) {
    // No Inbox, and no conversation either: refused before anything is looked up.
    expectNoMessaging(await client.get('/api/v1/portal/conversations'), reader, m);
    for (const c of m.convs)
      expectNoMessaging(await client.get(`/api/v1/portal/conversations/${c.id}`), reader, m);
    return;
  }
  if (isPatient(reader)) {
    const inbox = await allLines(client, '/api/v1/portal/conversations');
    for (const c of inbox) {
      expect(c).not.toHaveProperty('awaitingReply');
      expect(c.lastMessage).not.toHaveProperty('internalNote');
    }
    same(
      inbox.map((c: any) => pickSummary(c, false)),
      expectedInbox(m, r, reader),
      `Inbox of ${reader}`,
      m,
    );
    const gone = await missing(client, (id) => `/api/v1/portal/conversations/${id}`);
    for (let ci = 0; ci < m.convs.length; ci += 1) {
      const res = await client.get(`/api/v1/portal/conversations/${m.convs[ci]!.id}`);
      if (visibleIn(m, reader, ci).length === 0) {
        same(
          { status: res.status, body: res.body },
          { status: 404, body: gone },
          `${reader} opens c${ci}`,
          m,
        );
        continue;
      }
      expect(res.status).toBe(200);
      for (const msg of res.body.messages) {
        expect(msg).not.toHaveProperty('roles');
        expect(msg).not.toHaveProperty('sharedWithPatient');
      }
      same(
        {
          ...res.body,
          nextCursor: undefined,
          messages: res.body.messages.map((x: any) => ({
            id: x.id,
            text: x.text,
            author: x.author,
            mine: x.mine,
          })),
        },
        { ...expectedPatientConversation(m, r, reader, ci), nextCursor: undefined },
        `${reader} opens c${ci}`,
        m,
      );
    }
    return;
  }
  if (!m.active[reader]) {
    expectSignedOut(await client.get('/api/v1/notifications'), reader, m);
    return;
  }
  for (const p of PATIENTS) {
    const feed = await allLines(client, `/api/v1/patients/${r.patientIds[p]}/feed`);
    same(
      feed.map((c: any) => pickSummary(c, true)),
      expectedFeed(m, r, reader, p),
      `Feed of ${p} as ${reader}`,
      m,
    );
  }
  const gone = await missing(client, (id) => `/api/v1/conversations/${id}`);
  for (let ci = 0; ci < m.convs.length; ci += 1) {
    const res = await client.get(`/api/v1/conversations/${m.convs[ci]!.id}`);
    if (visibleIn(m, reader, ci).length === 0) {
      same(
        { status: res.status, body: res.body },
        { status: 404, body: gone },
        `${reader} opens c${ci}`,
        m,
      );
      continue;
    }
    expect(res.status).toBe(200);
    same(
      {
        ...res.body,
        nextCursor: undefined,
        messages: res.body.messages.map((x: any) => ({
          id: x.id,
          text: x.text,
          author: x.author,
          sharedWithPatient: x.sharedWithPatient,
          internalNote: x.internalNote,
          roles: x.roles,
          mine: x.mine,
        })),
      },
      { ...expectedStaffConversation(m, r, reader, ci), nextCursor: undefined },
      `${reader} opens c${ci}`,
      m,
    );
  }
  const notes = await allNotifications(client);
  expect(notes.status).toBe(200);
  same(
    {
      unreadCount: notes.unreadCount,
      notifications: notes.notifications.map((n) => ({
        kind: n.kind,
        title: n.title,
        patient: n.patient,
        conversationId: n.conversationId,
        messageId: n.messageId,
        preview: n.preview,
        read: n.read,
      })),
    },
    expectedNotifications(m, r, reader),
    `Notifications of ${reader}`,
    m,
  );
  const count = await client.get('/api/v1/notifications/unread-count');
  same(
    count.body,
    { unreadCount: expectedNotifications(m, r, reader).unreadCount },
    `unread count of ${reader}`,
    m,
  );
  // The reply form's roles, with how many members (and Active members) each has.
  const roles = await client.get('/api/v1/roles');
  same(
    roles.body.roles.map((x: any) => ({
      id: x.id,
      name: x.name,
      memberCount: x.memberCount,
      activeMemberCount: x.activeMemberCount,
    })),
    expectedRoles(m, r),
    `roles as ${reader}`,
    m,
  );
  if (reader === 'admin') {
    // Rule 2: the Role for new messages in effect, with a warning when nobody would be notified.
    const settings = await client.get('/api/v1/admin/settings');
    const role = effectiveRoleForNew(m);
    const active = expectedRoles(m, r).find((x) => x.id === r.roleIds[role])!.activeMemberCount;
    same(
      {
        role: settings.body.roleForNewMessages,
        warned: settings.body.roleForNewMessagesWarning !== null,
      },
      {
        role: { id: r.roleIds[role], name: ROLE_NAMES[role], activeMemberCount: active },
        warned: active === 0,
      },
      'Role for new messages in the settings',
      m,
    );
  }
}

/** The chamber's live roles by name, with their members counted. */
function expectedRoles(m: Model, r: Real) {
  return ROLES.filter((role) => !m.deleted.has(role))
    .sort(byName)
    .map((role) => {
      const members = STAFF.filter((s) => m.members[s].has(role));
      return {
        id: r.roleIds[role],
        name: ROLE_NAMES[role],
        memberCount: members.length,
        activeMemberCount: members.filter((s) => m.active[s]).length,
      };
    });
}

/** The database holds exactly the messages and notifications the model has. */
async function checkStored(m: Model, r: Real) {
  const n = async (table: string) =>
    Number(
      (
        await t.db.execute<{ n: string | number }>(
          sql`select count(*) as n from ${sql.identifier(table)} where chamber_id = ${r.chamberId}::uuid`,
        )
      ).rows[0]?.n,
    );
  same(
    {
      conversations: await n('conversations'),
      messages: await n('messages'),
      notifications: await n('notifications'),
    },
    {
      conversations: m.convs.length,
      messages: m.messages.length,
      notifications: m.notifications.length,
    },
    'rows stored',
    m,
  );
}

// ---------------------------------------------------------------------------------------------
// Commands

let commandsRun = 0;

/**
 * One step. Its label may depend on the model when it runs ("replies in c2"); fast-check clones
 * commands for every run, so a counterexample shows the labels of the run that failed.
 */
class Command implements fc.AsyncCommand<Model, Real> {
  private shown: string | undefined;
  constructor(
    private readonly label: string | ((m: Readonly<Model>) => string),
    private readonly pre: (m: Readonly<Model>) => boolean,
    private readonly body: (m: Model, r: Real) => Promise<void>,
  ) {}
  check(m: Readonly<Model>): boolean {
    return this.pre(m);
  }
  run(m: Model, r: Real): Promise<void> {
    commandsRun += 1;
    this.shown = typeof this.label === 'function' ? this.label(m) : this.label;
    return this.body(m, r);
  }
  toString(): string {
    return this.shown ?? (typeof this.label === 'function' ? '(not run)' : this.label);
  }
  [fc.cloneMethod](): Command {
    return new Command(this.label, this.pre, this.body);
  }
}

const always = () => true;
const anyConv = (m: Readonly<Model>) => m.convs.length > 0;
/** Conversation k of the run, counted round (so a shrunk run still has a target). */
const pick = (m: Readonly<Model>, k: number) => k % m.convs.length;
const hasNotification = (s: StaffKey) => (m: Readonly<Model>) => notificationsOf(m, s).length > 0;
const pickNotification = (m: Readonly<Model>, s: StaffKey, j: number) => {
  const mine = notificationsOf(m, s);
  return mine[j % mine.length]!;
};

interface AudienceChoice {
  shareWithPatient: boolean;
  roles: RoleKey[];
}
const audienceText = (a: AudienceChoice) =>
  [...(a.shareWithPatient ? ['patient'] : []), ...a.roles.map((x) => ROLE_NAMES[x])].join(' + ') ||
  'nobody';

const patientArb = fc.constantFrom<PatientKey>(...PATIENTS);
const staffArb = fc.constantFrom<StaffKey>(...STAFF);
const roleArb = fc.constantFrom<RoleKey>(...ROLES);
const readerArb = fc.constantFrom<Reader>(...READERS);
const convArb = fc.nat({ max: 11 });
const audienceArb: fc.Arbitrary<AudienceChoice> = fc.record({
  shareWithPatient: fc.boolean(),
  roles: fc.subarray(ROLES, { maxLength: 2 }),
});

/** The answer a staff send should get, before anything is stored: 401, 422 or null (go on). */
function staffSendRefusal(m: Model, s: StaffKey, a: AudienceChoice) {
  if (!m.active[s]) return { status: 401, code: 'unauthenticated', field: undefined };
  if (!a.shareWithPatient && a.roles.length === 0)
    return { status: 422, code: 'audience_empty', field: 'roleIds' };
  if (a.roles.some((x) => m.deleted.has(x)))
    return { status: 422, code: 'role_not_found', field: 'roleIds' };
  return null;
}

const staffBody = (r: Real, text: string, a: AudienceChoice) => ({
  text,
  shareWithPatient: a.shareWithPatient,
  roleIds: a.roles.map((x) => r.roleIds[x]),
});

/** The real id of a notification the model predicts, found in the user's list. */
async function notificationId(m: Model, r: Real, s: StaffKey, n: MNotification) {
  const listed = await allNotifications(r.as[s]);
  const found = listed.notifications.find((x) => x.messageId === m.messages[n.message]!.id);
  same(Boolean(found), true, `${s} has a notification of m${n.message}`, m);
  return String(found.id);
}

/**
 * What the next message says: its number and author, then one of a few shapes of plain text
 * (line breaks of either kind, runs of spaces, HTML typed as text, an emoji).
 */
const TAILS = ['', '\r\nsecond line', '  two  spaces ', '\n\n<b>not bold</b>', ' \u{1F600}\ttab'];
const nextText = (m: Model, who: Reader) =>
  `m${m.messages.length} by ${who}${TAILS[m.messages.length % TAILS.length]}`;
/** Stored as typed, line breaks made \n (SPEC: plain text, line breaks kept). */
const stored = (typed: string) => typed.replace(/\r\n?/g, '\n');
/** The list's plain-text preview: whitespace folded (every text here is short enough). */
const previewOf = (text: string) => text.replace(/\s+/g, ' ').trim();

/** A staff message: refused as predicted, 404 outside the author's view, or stored. */
async function staffSends(
  m: Model,
  r: Real,
  s: StaffKey,
  a: AudienceChoice,
  target: { conv: number } | { patient: PatientKey },
  send: (body: unknown) => Promise<{ status: number; body: any }>,
  missingUrl?: (id: string) => string,
) {
  const text = nextText(m, s);
  const body = staffBody(r, text, a);
  const res = await send(body);
  const refusal = staffSendRefusal(m, s, a);
  if (refusal) {
    same(errorOf(res), refusal, `${s} sends to ${audienceText(a)}`, m);
    return;
  }
  let conv: number;
  if ('conv' in target) {
    conv = target.conv;
    if (visibleIn(m, s, conv).length === 0) {
      const gone = missingUrl ? await missing(r.as[s], missingUrl, body) : undefined;
      same(
        { status: res.status, body: res.body },
        { status: 404, body: gone ?? res.body },
        `${s} replies in c${conv}`,
        m,
      );
      expect(res.status).toBe(404);
      return;
    }
  } else {
    conv = m.convs.length;
  }
  same(res.status, 201, `${s} sends to ${audienceText(a)}: ${JSON.stringify(res.body)}`, m);
  if (!('conv' in target))
    m.convs.push({ id: res.body.conversation.id, patient: target.patient, awaiting: false });
  expect(res.body.conversation.id).toBe(m.convs[conv]!.id);
  const msg: MMessage = {
    id: res.body.message.id,
    conv,
    author: s,
    shared: a.shareWithPatient,
    roles: [...a.roles],
    text: stored(text),
    authorRole: roleLabel(m, s),
  };
  addMessage(m, msg);
  same(
    {
      text: res.body.message.text,
      author: res.body.message.author,
      sharedWithPatient: res.body.message.sharedWithPatient,
      roles: res.body.message.roles,
      mine: res.body.message.mine,
    },
    {
      text: msg.text,
      author: author(r, msg, true),
      sharedWithPatient: msg.shared,
      roles: [...msg.roles].sort(byName).map((x) => ({ id: r.roleIds[x], name: ROLE_NAMES[x] })),
      mine: true,
    },
    `${s}'s message as acknowledged`,
    m,
  );
}

/** A patient's message: stored with the patient and the Role for new messages (rule 2). */
function patientMessage(m: Model, p: PatientKey, conv: number, id: string, text: string) {
  addMessage(m, {
    id,
    conv,
    author: p,
    shared: true,
    roles: [effectiveRoleForNew(m)],
    text: stored(text),
    authorRole: null,
  });
}

const arbitraries = {
  // A patient writes a new message: a new conversation.
  patientStarts: patientArb.map(
    (p) =>
      new Command(`${p} starts a conversation`, always, async (m, r) => {
        const text = nextText(m, p);
        const res = await r.as[p].post('/api/v1/portal/conversations', { text });
        if (!m.messagingAllowed) return expectNoMessaging(res, p, m);
        same(res.status, 201, `${p} starts a conversation`, m);
        m.convs.push({ id: res.body.conversation.id, patient: p, awaiting: false });
        patientMessage(m, p, m.convs.length - 1, res.body.message.id, text);
        expect(res.body.message).toMatchObject({
          text: stored(text),
          mine: true,
          author: { kind: 'patient', name: NAMES[p] },
        });
        expect(res.body.message).not.toHaveProperty('roles');
      }),
  ),
  // A patient replies in a conversation: theirs and visible to them, or the same 404 as missing.
  patientReplies: fc.tuple(patientArb, convArb).map(
    ([p, k]) =>
      new Command(
        (m) => `${p} replies in c${pick(m, k)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          const text = nextText(m, p);
          const url = (id: string) => `/api/v1/portal/conversations/${id}/messages`;
          const res = await r.as[p].post(url(m.convs[ci]!.id), { text });
          if (!m.messagingAllowed) return expectNoMessaging(res, p, m);
          if (visibleIn(m, p, ci).length === 0) {
            const gone = await missing(r.as[p], url, { text });
            same(
              { status: res.status, body: res.body },
              { status: 404, body: gone },
              `${p} replies in c${ci}`,
              m,
            );
            return;
          }
          same(res.status, 201, `${p} replies in c${ci}`, m);
          patientMessage(m, p, ci, res.body.message.id, text);
        },
      ),
  ),
  // A patient opens a conversation and the portal marks it read.
  patientOpens: fc.tuple(patientArb, convArb).map(
    ([p, k]) =>
      new Command(
        (m) => `${p} opens c${pick(m, k)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          const url = `/api/v1/portal/conversations/${m.convs[ci]!.id}`;
          const opened = await r.as[p].get(url);
          const read = await r.as[p].post(`${url}/read`);
          if (!m.messagingAllowed) {
            expectNoMessaging(opened, p, m);
            expectNoMessaging(read, p, m);
            return;
          }
          const visible = visibleIn(m, p, ci);
          if (visible.length === 0) {
            same([opened.status, read.status], [404, 404], `${p} opens c${ci}`, m);
            return;
          }
          same([opened.status, read.status], [200, 200], `${p} opens c${ci}`, m);
          moveMark(m, p, ci, visible[visible.length - 1]!);
        },
      ),
  ),
  // Staff start a conversation with a patient, with an audience.
  staffStarts: fc
    .tuple(staffArb, patientArb, audienceArb)
    .map(
      ([s, p, a]) =>
        new Command(
          `${s} starts a conversation with ${p}, to ${audienceText(a)}`,
          always,
          async (m, r) =>
            staffSends(m, r, s, a, { patient: p }, (body) =>
              r.as[s].post(`/api/v1/patients/${r.patientIds[p]}/conversations`, body),
            ),
        ),
    ),
  // Staff reply in a conversation with an audience (an internal note when not shared with the patient).
  staffReplies: fc.tuple(staffArb, convArb, audienceArb).map(
    ([s, k, a]) =>
      new Command(
        (m) => `${s} replies in c${pick(m, k)} to ${audienceText(a)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          await staffSends(
            m,
            r,
            s,
            a,
            { conv: ci },
            (body) => r.as[s].post(`/api/v1/conversations/${m.convs[ci]!.id}/messages`, body),
            (id) => `/api/v1/conversations/${id}/messages`,
          );
        },
      ),
  ),
  // Staff reply straight from one of their notifications.
  notificationReplies: fc.tuple(staffArb, fc.nat({ max: 7 }), audienceArb).map(
    ([s, j, a]) =>
      new Command(
        (m) =>
          `${s} replies from the notification of m${pickNotification(m, s, j).message} to ${audienceText(a)}`,
        hasNotification(s),
        async (m, r) => {
          const n = pickNotification(m, s, j);
          if (!m.active[s]) {
            const url = `/api/v1/notifications/${randomUUID()}/reply`;
            expectSignedOut(await r.as[s].post(url, staffBody(r, 'x', a)), s, m);
            return;
          }
          const id = await notificationId(m, r, s, n);
          await staffSends(m, r, s, a, { conv: m.messages[n.message]!.conv }, (body) =>
            r.as[s].post(`/api/v1/notifications/${id}/reply`, body),
          );
        },
      ),
  ),
  // A staff user opens a conversation from the Feed; the staff app marks it read.
  staffOpens: fc.tuple(staffArb, convArb).map(
    ([s, k]) =>
      new Command(
        (m) => `${s} opens c${pick(m, k)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          const url = `/api/v1/conversations/${m.convs[ci]!.id}`;
          const opened = await r.as[s].get(url);
          const read = await r.as[s].post(`${url}/read`);
          if (!m.active[s]) {
            expectSignedOut(opened, s, m);
            expectSignedOut(read, s, m);
            return;
          }
          const visible = visibleIn(m, s, ci);
          if (visible.length === 0) {
            same([opened.status, read.status], [404, 404], `${s} opens c${ci}`, m);
            return;
          }
          same([opened.status, read.status], [200, 200], `${s} opens c${ci}`, m);
          moveMark(m, s, ci, visible[visible.length - 1]!);
          readNotificationsOf(m, s, ci);
        },
      ),
  ),
  // A staff user marks one notification read, or all of them.
  notificationReads: fc.tuple(staffArb, fc.nat({ max: 7 })).map(
    ([s, j]) =>
      new Command(
        (m) => `${s} marks the notification of m${pickNotification(m, s, j).message} read`,
        hasNotification(s),
        async (m, r) => {
          const n = pickNotification(m, s, j);
          if (!m.active[s]) {
            expectSignedOut(await r.as[s].post(`/api/v1/notifications/${randomUUID()}/read`), s, m);
            return;
          }
          const id = await notificationId(m, r, s, n);
          const res = await r.as[s].post(`/api/v1/notifications/${id}/read`);
          n.read = true;
          same(
            { status: res.status, body: res.body },
            {
              status: 200,
              body: { unreadCount: notificationsOf(m, s).filter((x) => !x.read).length },
            },
            `${s} marks the notification of m${n.message} read`,
            m,
          );
        },
      ),
  ),
  allRead: staffArb.map(
    (s) =>
      new Command(`${s} marks every notification read`, always, async (m, r) => {
        const res = await r.as[s].post('/api/v1/notifications/read-all');
        if (!m.active[s]) return expectSignedOut(res, s, m);
        for (const n of notificationsOf(m, s)) n.read = true;
        same(
          { status: res.status, body: res.body },
          { status: 200, body: { unreadCount: 0 } },
          `${s} reads all`,
          m,
        );
      }),
  ),
  // User Management: role members.
  memberChanges: fc.tuple(staffArb, roleArb, fc.boolean()).map(
    ([s, role, add]) =>
      new Command(
        `admin ${add ? 'adds' : 'removes'} ${s} ${add ? 'to' : 'from'} ${ROLE_NAMES[role]}`,
        always,
        async (m, r) => {
          const url = `/api/v1/admin/roles/${r.roleIds[role]}/members/${r.userIds[s]}`;
          const res = add ? await r.as.admin.put(url) : await r.as.admin.delete(url);
          if (m.deleted.has(role) || (!add && !m.members[s].has(role))) {
            same(
              errorOf(res),
              { status: 404, code: 'not_found', field: undefined },
              'member change refused',
              m,
            );
            return;
          }
          same(res.status, 200, 'member change', m);
          if (add) m.members[s].add(role);
          else m.members[s].delete(role);
        },
      ),
  ),
  // User Management: a user's roles replaced at once (the user's own screen).
  roleSets: fc.tuple(staffArb, fc.subarray(ROLES, { maxLength: 3 })).map(
    ([s, roles]) =>
      new Command(
        `admin sets ${s}'s roles to [${roles.map((x) => ROLE_NAMES[x]).join(', ')}]`,
        always,
        async (m, r) => {
          const res = await r.as.admin.patch(`/api/v1/admin/users/${r.userIds[s]}`, {
            roleIds: roles.map((x) => r.roleIds[x]),
          });
          if (roles.some((x) => m.deleted.has(x))) {
            same(
              errorOf(res),
              { status: 422, code: 'role_not_found', field: 'roleIds' },
              'roles refused',
              m,
            );
            return;
          }
          same(res.status, 200, `set ${s}'s roles`, m);
          m.members[s] = new Set(roles);
        },
      ),
  ),
  // Online Portal > General Settings: Role for new messages.
  roleForNewChanges: roleArb.map(
    (role) =>
      new Command(
        `admin sets the Role for new messages to ${ROLE_NAMES[role]}`,
        always,
        async (m, r) => {
          const res = await r.as.admin.patch('/api/v1/admin/settings', {
            roleForNewMessagesId: r.roleIds[role],
          });
          if (m.deleted.has(role)) {
            same(
              errorOf(res),
              { status: 422, code: 'role_not_found', field: 'roleForNewMessagesId' },
              'setting refused',
              m,
            );
            return;
          }
          same(res.status, 200, 'setting changed', m);
          m.roleForNew = role;
          expect(res.body.roleForNewMessages.id).toBe(r.roleIds[role]);
        },
      ),
  ),
  // Deleting a role: its messages keep it in their audience, nobody holds it any more.
  roleDeletions: fc.constantFrom<RoleKey>('ara', 'reception', 'doctors').map(
    (role) =>
      new Command(`admin deletes ${ROLE_NAMES[role]}`, always, async (m, r) => {
        const res = await r.as.admin.delete(`/api/v1/admin/roles/${r.roleIds[role]}`);
        if (role === 'ara') {
          same(
            errorOf(res),
            { status: 409, code: 'role_built_in', field: undefined },
            'built-in role kept',
            m,
          );
          return;
        }
        if (m.deleted.has(role)) {
          same(
            errorOf(res),
            { status: 404, code: 'not_found', field: undefined },
            'deleted twice',
            m,
          );
          return;
        }
        same(res.status, 200, `delete ${ROLE_NAMES[role]}`, m);
        m.deleted.add(role);
      }),
  ),
  // User Management: Active / Inactive (an Inactive user is signed out and notified of nothing).
  activeChanges: fc.tuple(fc.constantFrom<StaffKey>('rita', 'nina', 'sam'), fc.boolean()).map(
    ([s, active]) =>
      new Command(`admin makes ${s} ${active ? 'Active' : 'Inactive'}`, always, async (m, r) => {
        const res = await r.as.admin.patch(`/api/v1/admin/users/${r.userIds[s]}`, { active });
        same(res.status, 200, `make ${s} ${active ? 'Active' : 'Inactive'}`, m);
        if (active && !m.active[s])
          r.as[s] = await signIn(t.app, 'staff', r.chamberKey, r.emails[s], PASSWORD);
        m.active[s] = active;
      }),
  ),
  // Billing Rules > the band's Online Settings: Allow online messaging (rule 1).
  bandChanges: fc.boolean().map(
    (allowed) =>
      new Command(
        `admin ${allowed ? 'ticks' : 'unticks'} Allow online messaging`,
        always,
        async (m, r) => {
          const res = await r.as.admin.patch(`/api/v1/admin/charge-bands/${r.bandId}`, {
            allowOnlineMessaging: allowed,
          });
          same(res.status, 200, 'band changed', m);
          m.messagingAllowed = allowed;
        },
      ),
  ),
  // Someone else's notification answers exactly like one that does not exist.
  foreignNotifications: fc.tuple(staffArb, staffArb, fc.nat({ max: 7 }), fc.boolean()).map(
    ([s, owner, j, reply]) =>
      new Command(
        (m) =>
          `${s} tries to ${reply ? 'reply from' : 'mark read'} ${owner}'s notification of m${pickNotification(m, owner, j).message}`,
        (m) => s !== owner && m.active[owner] && notificationsOf(m, owner).length > 0,
        async (m, r) => {
          const n = pickNotification(m, owner, j);
          const id = await notificationId(m, r, owner, n);
          const body = { text: 'not yours', shareWithPatient: true, roleIds: [] };
          const send = (target: string) =>
            reply
              ? r.as[s].post(`/api/v1/notifications/${target}/reply`, body)
              : r.as[s].post(`/api/v1/notifications/${target}/read`);
          const res = await send(id);
          if (!m.active[s]) return expectSignedOut(res, s, m);
          const gone = await send(randomUUID());
          expect(gone.status).toBe(404);
          same(
            { status: res.status, body: res.body },
            { status: 404, body: gone.body },
            `${s} uses ${owner}'s notification`,
            m,
          );
        },
      ),
  ),
  // A reader looks at everything they can see.
  checks: readerArb.map(
    (reader) =>
      new Command(`${reader} checks their view`, always, async (m, r) => {
        await checkReader(m, r, reader);
      }),
  ),
};

/** Writing and reading weigh most; every admin change is still frequent enough to meet them. */
const command = fc.oneof(
  { arbitrary: arbitraries.patientStarts, weight: 3 },
  { arbitrary: arbitraries.patientReplies, weight: 3 },
  { arbitrary: arbitraries.patientOpens, weight: 2 },
  { arbitrary: arbitraries.staffStarts, weight: 2 },
  { arbitrary: arbitraries.staffReplies, weight: 5 },
  { arbitrary: arbitraries.notificationReplies, weight: 1 },
  { arbitrary: arbitraries.staffOpens, weight: 2 },
  { arbitrary: arbitraries.notificationReads, weight: 1 },
  { arbitrary: arbitraries.allRead, weight: 1 },
  { arbitrary: arbitraries.memberChanges, weight: 2 },
  { arbitrary: arbitraries.roleSets, weight: 1 },
  { arbitrary: arbitraries.roleForNewChanges, weight: 1 },
  { arbitrary: arbitraries.roleDeletions, weight: 1 },
  { arbitrary: arbitraries.activeChanges, weight: 1 },
  { arbitrary: arbitraries.bandChanges, weight: 1 },
  { arbitrary: arbitraries.foreignNotifications, weight: 1 },
  { arbitrary: arbitraries.checks, weight: 2 },
);

describe('messaging against a reference model (send, reply, audience, read state, roles)', () => {
  it(`${RUNS} runs of up to ${MAX_COMMANDS} commands agree with the model on every view`, async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.commands([command], { maxCommands: MAX_COMMANDS, size: 'max' }),
        async (cmds) => {
          const { model, real } = await setup();
          await fc.asyncModelRun(() => ({ model, real }), cmds);
          for (const reader of READERS) await checkReader(model, real, reader);
          await checkStored(model, real);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
    console.info(
      `model test on ${t.engine}: ${RUNS} runs, ${commandsRun} commands, ${Date.now() - started} ms`,
    );
    expect(commandsRun).toBeGreaterThan(RUNS);
  }, 240_000);
});
