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
import { manualClock } from '../../lib/clock.js';
import { replyBy as promise } from '../reply-times/office-hours.js';

/**
 * The reply-by every patient's message gets under the test chamber's default Reply Times
 * (Mon–Fri 08:00–18:30, 16 working hours) at the test clock's start: the clock stands still.
 */
const PROMISE = promise(
  {
    timeZone: 'Europe/London',
    officeHours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '08:00', closes: '18:30' })),
    holidays: [],
  },
  manualClock()(),
  16,
);

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
// Issue 13 adds SPEC rules 9-11: patients start conversations with a topic (routed to the
// topic's role) and a subject, staff with a subject; a patient's reply also goes to the roles of
// the last staff message shared with the patient and to the assignee; staff assign, unassign,
// close and reopen conversations (PATCH), Send and close, and name the last message they saw
// (`afterMessageId`: 409 when a newer one exists); notifications are one unread item per user
// and conversation counting its new messages; and every staff user's team inbox (all four views,
// every page) must equal the model's.
//
// Reading a counterexample: "cN" is the N-th conversation of the run and "mN" the N-th message
// (both from 0); every failed expectation prints the model (who holds which role, each conversation
// with its state, messages and audiences, each user's notifications) above the difference.

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

/** Message Topics made in every run's setup: two offered, one inactive (rule 9). */
type TopicKey = 'appointments' | 'prescriptions' | 'forms';
const TOPICS: TopicKey[] = ['appointments', 'prescriptions', 'forms'];
const TOPIC_NAMES: Record<TopicKey, string> = {
  appointments: 'Appointments',
  prescriptions: 'Prescriptions',
  forms: 'Old forms',
};
const TOPIC_ROLES: Record<TopicKey, RoleKey> = {
  appointments: 'reception',
  prescriptions: 'nurses',
  forms: 'doctors',
};
const TOPICS_ACTIVE: Record<TopicKey, boolean> = {
  appointments: true,
  prescriptions: true,
  forms: false,
};

/** The team inbox's views (rule 10). */
type View = 'open' | 'mine' | 'unassigned' | 'closed';
const VIEWS: View[] = ['open', 'mine', 'unassigned', 'closed'];

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
  topic: TopicKey | null;
  /** As stored: whitespace folded and trimmed, null for none. */
  subject: string | null;
  status: 'open' | 'closed';
  assignee: StaffKey | null;
  /** The last staff message shared with the patient ("Answered by", "Seen by patient"). */
  answered: number | null;
  /** The clinic's reply-by promise while awaiting reply (rule 12). */
  replyBy: Date | null;
}

/**
 * One Start Page item: one unread item per user and conversation, counting its new messages;
 * or an access change (issue 17: "Admin User added Rita Reception to Nurses"), of no
 * conversation (`conv` and `message` -1).
 */
interface MNotification {
  user: StaffKey;
  conv: number;
  /** The newest message it tells of. */
  message: number;
  count: number;
  kind: 'patient_message' | 'staff_message' | 'access_change';
  /** An access change's sentence. */
  detail?: string;
  read: boolean;
  /** The list's order: the item moves to the top whenever a message joins it. */
  order: number;
}

interface Model {
  members: Record<StaffKey, Set<RoleKey>>;
  active: Record<StaffKey, boolean>;
  deleted: Set<RoleKey>;
  roleForNew: RoleKey;
  /** The band's Allow online messaging tick (both patients are on the one band). */
  messagingAllowed: boolean;
  topicActive: Record<TopicKey, boolean>;
  convs: MConversation[];
  messages: MMessage[];
  /** Read marks: `${reader}:${conv}` -> index of the newest message read (a high-water mark). */
  marks: Map<string, number>;
  notifications: MNotification[];
  /** The last notification order given out. */
  notificationOrder: number;
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
    topicActive: { ...TOPICS_ACTIVE },
    convs: [],
    messages: [],
    marks: new Map(),
    notifications: [],
    notificationOrder: 0,
  };
}

/** How often each interesting outcome was met in this file's runs (printed at the end). */
const outcomes = new Map<string, number>();
const met = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);

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

/** Rule 9: the topic's role, else (no topic, or its role deleted) the Role for new messages. */
const mainRole = (m: Model, topic: TopicKey | null): RoleKey =>
  topic && !m.deleted.has(TOPIC_ROLES[topic]) ? TOPIC_ROLES[topic] : effectiveRoleForNew(m);

/**
 * Rules 2 and 9: who a patient's message is shared with: the conversation's topic's role (else
 * the Role for new messages) and, in a reply, the live roles of the last staff message shared
 * with the patient.
 */
function patientAudience(m: Model, conv: number): RoleKey[] {
  const c = m.convs[conv]!;
  const roles = new Set<RoleKey>([mainRole(m, c.topic)]);
  if (c.answered !== null)
    for (const r of m.messages[c.answered]!.roles) if (!m.deleted.has(r)) roles.add(r);
  // The assignee must be able to read what they are told of: when they hold none of those
  // roles, also one of theirs (the first by name) that a message of the conversation has.
  if (c.assignee) {
    const held = liveRoles(m, c.assignee);
    if (!held.some((r) => roles.has(r))) {
      const seen = new Set(m.messages.filter((x) => x.conv === conv).flatMap((x) => x.roles));
      const via = held.filter((r) => seen.has(r)).sort(byName)[0];
      if (via) {
        roles.add(via);
        met('patient reply shared with a role of the assignee');
      }
    }
  }
  return [...roles];
}

/** Rule 10: a staff user sees a conversation when they see at least one of its messages. */
const seesConv = (m: Model, s: StaffKey, conv: number) => visibleIn(m, s, conv).length > 0;

/** Rule 10: an assignee made Inactive, or who can no longer see the conversation, is unassigned. */
function unassignUnseen(m: Model, s: StaffKey) {
  m.convs.forEach((c, ci) => {
    if (c.assignee === s && (!m.active[s] || !seesConv(m, s, ci))) {
      c.assignee = null;
      met('assignee unassigned by an admin change');
    }
  });
}

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

/**
 * A message is stored: audience, status, "awaiting reply", "Answered by", notifications and the
 * author's read mark. `alsoNotify` is the assignee a patient's message tells too (rule 9);
 * `close` is Send and close (rule 10).
 */
function addMessage(
  m: Model,
  msg: MMessage,
  opts: { alsoNotify?: StaffKey | null; close?: boolean } = {},
) {
  const index = m.messages.push(msg) - 1;
  const conv = m.convs[msg.conv]!;
  if (isPatient(msg.author)) {
    // A patient's new message reopens a closed conversation (rule 10); one that starts
    // "awaiting reply" gets the clinic's promise (rule 12; the test clock stands still).
    if (!conv.awaiting || !conv.replyBy) conv.replyBy = PROMISE;
    conv.awaiting = true;
    conv.status = 'open';
  } else if (msg.shared) {
    conv.awaiting = false;
    conv.answered = index;
    conv.replyBy = null;
  }
  if (opts.close) {
    conv.awaiting = false;
    conv.status = 'closed';
    conv.replyBy = null;
  }
  // Every Active member of the audience's roles (and the assignee), once, except the author
  // (rules 2, 3 and 9): the user's unread item of the conversation counts one more message, or
  // a new item starts.
  const kind = isPatient(msg.author) ? 'patient_message' : 'staff_message';
  for (const user of STAFF) {
    if (user === msg.author || !m.active[user]) continue;
    const held = liveRoles(m, user);
    if (!msg.roles.some((r) => held.includes(r)) && user !== opts.alsoNotify) continue;
    m.notificationOrder += 1;
    const open = m.notifications.find((n) => n.user === user && n.conv === msg.conv && !n.read);
    if (open) {
      met('notification counting several messages');
      open.count += 1;
      open.message = index;
      if (open.kind !== kind) open.kind = 'staff_message';
      open.order = m.notificationOrder;
    } else {
      m.notifications.push({
        user,
        conv: msg.conv,
        message: index,
        count: 1,
        kind,
        read: false,
        order: m.notificationOrder,
      });
    }
  }
  moveMark(m, msg.author, msg.conv, index);
  if (!isPatient(msg.author)) readNotificationsOf(m, msg.author, msg.conv);
}

function readNotificationsOf(m: Model, user: StaffKey, conv: number) {
  for (const n of m.notifications) if (n.user === user && n.conv === conv) n.read = true;
}

/** A user's notifications, newest first. */
const notificationsOf = (m: Model, user: StaffKey) =>
  m.notifications.filter((n) => n.user === user).sort((a, b) => b.order - a.order);

/** A user's notifications of conversations (those one can reply from), newest first. */
const conversationNotificationsOf = (m: Model, user: StaffKey) =>
  notificationsOf(m, user).filter((n) => n.kind !== 'access_change');

/**
 * The admin made `s` a member of these roles (issue 17): each role's other Active members are
 * told, one item each, the roles in name order as the server goes through them.
 */
function tellMembersAdded(m: Model, s: StaffKey, added: RoleKey[]) {
  for (const role of [...added].sort(byName)) {
    const detail =
      s === 'admin'
        ? `${NAMES.admin} joined ${ROLE_NAMES[role]}`
        : `${NAMES.admin} added ${NAMES[s]} to ${ROLE_NAMES[role]}`;
    for (const user of STAFF) {
      if (user === 'admin' || user === s || !m.active[user] || !m.members[user].has(role)) continue;
      met('access change told');
      m.notificationOrder += 1;
      m.notifications.push({
        user,
        conv: -1,
        message: -1,
        count: 1,
        kind: 'access_change',
        detail,
        read: false,
        order: m.notificationOrder,
      });
    }
  }
}

/** A readable picture of the model, added to every failed expectation. */
function describeModel(m: Model): string {
  const roles = (rs: Iterable<RoleKey>) =>
    [...rs].map((r) => ROLE_NAMES[r] + (m.deleted.has(r) ? ' (deleted)' : '')).join(', ');
  const lines = [
    ...(m.messagingAllowed ? [] : ['Allow online messaging is off']),
    `Role for new messages: ${ROLE_NAMES[m.roleForNew]}${m.deleted.has(m.roleForNew) ? ' (deleted)' : ''}`,
    `Topics: ${TOPICS.map((x) => `${TOPIC_NAMES[x]} -> ${ROLE_NAMES[TOPIC_ROLES[x]]}${m.topicActive[x] ? '' : ' (inactive)'}`).join(', ')}`,
    ...STAFF.map((s) => `${s}${m.active[s] ? '' : ' (Inactive)'} holds [${roles(m.members[s])}]`),
  ];
  m.convs.forEach((c, ci) => {
    const state = [
      c.status,
      ...(c.awaiting ? ['awaiting reply'] : []),
      ...(c.topic ? [`topic ${TOPIC_NAMES[c.topic]}`] : []),
      ...(c.subject !== null ? [`subject "${c.subject}"`] : []),
      ...(c.assignee ? [`assigned to ${c.assignee}`] : []),
      ...(c.answered !== null ? [`answered by m${c.answered}`] : []),
    ];
    lines.push(`c${ci} of ${c.patient}, ${state.join(', ')}:`);
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
        `notifications of ${s}, newest first: ${ns
          .map((n) =>
            n.kind === 'access_change'
              ? `"${n.detail}"${n.read ? ' (read)' : ''}`
              : `c${n.conv} up to m${n.message} (${n.count}${n.read ? ', read' : ''})`,
          )
          .join(', ')}`,
      );
  }
  const marks = [...m.marks].map(([k, v]) => `${k}=m${v}`);
  if (marks.length > 0) lines.push(`read marks: ${marks.join(', ')}`);
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
  topicIds: Record<TopicKey, string>;
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
  const roleIds: Record<RoleKey, string> = {
    ara: w.roles.builtIn,
    reception: w.roles.reception,
    nurses: w.roles.nurses,
    doctors,
  };
  // Admin > Configuration > Online Portal > Message Topics, through the API.
  const topicIds = {} as Record<TopicKey, string>;
  for (const topic of TOPICS) {
    const res = await w.as.admin.post('/api/v1/admin/topics', {
      name: TOPIC_NAMES[topic],
      roleId: roleIds[TOPIC_ROLES[topic]],
      active: TOPICS_ACTIVE[topic],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    topicIds[topic] = res.body.id;
  }
  return {
    model: initialModel(),
    real: {
      chamberId: w.chamber.id,
      chamberKey: w.chamber.key,
      bandId: w.band,
      roleIds,
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
      topicIds,
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

const staffNamed = (r: Real, s: StaffKey | null) =>
  s === null ? null : { id: r.userIds[s], name: NAMES[s] };
const topicNamed = (r: Real, topic: TopicKey | null) =>
  topic === null ? null : { id: r.topicIds[topic], name: TOPIC_NAMES[topic] };
/** Who last replied to the patient (rule 10's "Answered by"). */
const answeredBy = (m: Model, r: Real, c: MConversation) =>
  c.answered === null ? null : staffNamed(r, m.messages[c.answered]!.author as StaffKey);
/** What a conversation is about (rule 9), as every reader of it sees it. */
const aboutOf = (r: Real, c: MConversation) => ({
  subject: c.subject,
  topic: topicNamed(r, c.topic),
});

/** Conversation-level state (rule 10): the clock stands still, so nothing is overdue. */
function expectedState(m: Model, r: Real, ci: number) {
  const c = m.convs[ci]!;
  return {
    id: c.id,
    patient: { id: r.patientIds[c.patient], name: NAMES[c.patient] },
    ...aboutOf(r, c),
    status: c.status,
    awaitingReply: c.awaiting,
    overdue: false,
    redFlag: false,
    replyBy: c.replyBy?.toISOString() ?? null,
    assignee: staffNamed(r, c.assignee),
    answeredBy: answeredBy(m, r, c),
  };
}

/** The viewer's unread messages of a conversation: by others, after their read mark, visible. */
const unreadOf = (m: Model, reader: Reader, ci: number) =>
  visibleIn(m, reader, ci).filter((i) => {
    const by = m.messages[i]!.author;
    return (isPatient(reader) ? !isPatient(by) : by !== reader) && i > markOf(m, reader, ci);
  }).length;

function expectedInbox(m: Model, r: Real, p: PatientKey) {
  const lines = m.convs
    .map((c, ci) => ({ c, ci, visible: visibleIn(m, p, ci) }))
    .filter((x) => x.visible.length > 0)
    .map((x) => ({ ...x, last: x.visible[x.visible.length - 1]! }))
    .sort((a, b) => b.last - a.last);
  return lines.map(({ c, ci, last }) => ({
    id: c.id,
    ...aboutOf(r, c),
    status: c.status,
    replyBy: c.replyBy?.toISOString() ?? null,
    unreadCount: unreadOf(m, p, ci),
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
  return lines.map(({ c, ci, last }) => ({
    id: c.id,
    ...aboutOf(r, c),
    status: c.status,
    assignee: staffNamed(r, c.assignee),
    awaitingReply: c.awaiting,
    unreadCount: unreadOf(m, s, ci),
    lastMessage: {
      id: m.messages[last]!.id,
      author: author(r, m.messages[last]!, false),
      preview: previewOf(m.messages[last]!.text),
      internalNote: !m.messages[last]!.shared,
    },
  }));
}

/** The index of a conversation's newest message, whoever may see it. */
function newestOf(m: Model, ci: number): number {
  for (let i = m.messages.length - 1; i >= 0; i -= 1) if (m.messages[i]!.conv === ci) return i;
  return -1;
}

/** Does a conversation belong in a view (rule 10: Assigned to me and Unassigned are open ones)? */
function inView(c: MConversation, s: StaffKey, view: View): boolean {
  if (view === 'closed') return c.status === 'closed';
  if (c.status !== 'open') return false;
  if (view === 'mine') return c.assignee === s;
  if (view === 'unassigned') return c.assignee === null;
  return true;
}

/**
 * Start Page > Messages (rule 10): every conversation of the view in which the viewer sees a
 * message, newest first by its newest message of any audience (no red flags or reply-by yet),
 * with its state, the last message the viewer may see and their unread count. Filters: a role
 * any of its messages is shared with, a topic.
 */
function expectedTeamInbox(
  m: Model,
  r: Real,
  s: StaffKey,
  view: View,
  filter: { role?: RoleKey; topic?: TopicKey } = {},
) {
  return (
    m.convs
      .map((c, ci) => ({ c, ci, visible: visibleIn(m, s, ci), newest: newestOf(m, ci) }))
      .filter(
        (x) =>
          x.visible.length > 0 &&
          inView(x.c, s, view) &&
          (filter.topic === undefined || x.c.topic === filter.topic) &&
          (filter.role === undefined ||
            m.messages.some((msg) => msg.conv === x.ci && msg.roles.includes(filter.role!))),
      )
      // Rule 10's order: (no red flags here) reply-by soonest, those without one last; then newest.
      .sort(
        (a, b) =>
          (a.c.replyBy?.getTime() ?? Infinity) - (b.c.replyBy?.getTime() ?? Infinity) ||
          b.newest - a.newest,
      )
      .map(({ ci, visible }) => {
        const last = m.messages[visible[visible.length - 1]!]!;
        return {
          ...expectedState(m, r, ci),
          lastMessage: {
            id: last.id,
            author: author(r, last, false),
            preview: previewOf(last.text),
            internalNote: !last.shared,
          },
          unread: unreadOf(m, s, ci),
        };
      })
  );
}

function expectedStaffConversation(m: Model, r: Real, s: StaffKey, ci: number) {
  const c = m.convs[ci]!;
  const patientCanSee = visibleIn(m, c.patient, ci).length > 0;
  return {
    conversation: {
      ...expectedState(m, r, ci),
      patientCanSee,
      // "Seen by patient": once the patient's read mark passed the last answer shared with them.
      seenByPatient:
        c.answered !== null && markOf(m, c.patient, ci) >= c.answered
          ? m.messages[c.answered]!.id
          : null,
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
    shareWithPatientByDefault: patientCanSee,
  };
}

function expectedPatientConversation(m: Model, r: Real, p: PatientKey, ci: number) {
  const c = m.convs[ci]!;
  return {
    conversation: {
      id: c.id,
      ...aboutOf(r, c),
      status: c.status,
      replyBy: c.replyBy?.toISOString() ?? null,
    },
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

/**
 * A notification's title (rule 10): "New message from <author>" for one message, "N new
 * messages from <patient>" for several of the patient's, "N new messages about <patient>" once a
 * colleague's message is among them.
 */
function notificationTitle(m: Model, n: MNotification): string {
  const patient = NAMES[m.convs[n.conv]!.patient];
  if (n.count === 1) return `New message from ${NAMES[m.messages[n.message]!.author]}`;
  return n.kind === 'patient_message'
    ? `${n.count} new messages from ${patient}`
    : `${n.count} new messages about ${patient}`;
}

function expectedNotifications(m: Model, r: Real, s: StaffKey) {
  const mine = notificationsOf(m, s);
  return {
    unreadCount: mine.filter((n) => !n.read).length,
    notifications: mine.map((n) => {
      if (n.kind === 'access_change')
        return {
          kind: n.kind,
          title: n.detail,
          patient: null,
          conversationId: null,
          messageId: null,
          count: 1,
          preview: null,
          answeredBy: null,
          read: n.read,
        };
      const msg = m.messages[n.message]!;
      const c = m.convs[n.conv]!;
      // "Answered by": a colleague replied to the patient after the newest message it tells of.
      const answer = c.answered !== null ? m.messages[c.answered]! : null;
      return {
        kind: n.kind,
        title: notificationTitle(m, n),
        patient: { id: r.patientIds[c.patient], name: NAMES[c.patient] },
        conversationId: c.id,
        messageId: msg.id,
        count: n.count,
        // The preview only while the message is still in the user's view (rule 4).
        preview: sees(m, s, msg) ? previewOf(msg.text) : null,
        answeredBy:
          answer && c.answered! > n.message && answer.author !== s
            ? staffNamed(r, answer.author as StaffKey)
            : null,
        read: n.read,
      };
    }),
  };
}

/** A list line without its times (not modelled): every other field is compared. */
const withoutTimes = (line: any) => ({
  ...line,
  createdAt: undefined,
  lastMessage: { ...line.lastMessage, createdAt: undefined },
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

/** Every line of the Inbox, a Feed or the team inbox, walking its pages `limit` at a time. */
async function allLines(client: Client, url: string, limit = 3) {
  const lines: any[] = [];
  let cursor: string | null = null;
  const join = url.includes('?') ? '&' : '?';
  do {
    const res: Reply = await client.get(
      `${url}${join}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(200);
    lines.push(...res.body.conversations);
    cursor = res.body.nextCursor;
  } while (cursor);
  return lines;
}

/**
 * Everything one reader sees equals the model; nothing outside their view shows. `filters`
 * also checks the team inbox's topic and role filters (at check commands, not at every end).
 */
async function checkReader(m: Model, r: Real, reader: Reader, filters = false) {
  const client = r.as[reader];
  if (isPatient(reader) && !m.messagingAllowed) {
    // No Inbox, and no conversation either: refused before anything is looked up.
    expectNoMessaging(await client.get('/api/v1/portal/conversations'), reader, m);
    expectNoMessaging(await client.get('/api/v1/portal/topics'), reader, m);
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
    same(inbox.map(withoutTimes), expectedInbox(m, r, reader), `Inbox of ${reader}`, m);
    // What is your message about? The active topics, by name (rule 9).
    const offered = await client.get('/api/v1/portal/topics');
    same(
      { status: offered.status, body: offered.body },
      {
        status: 200,
        body: {
          topics: TOPICS.filter((x) => m.topicActive[x])
            .sort((a, b) => TOPIC_NAMES[a].localeCompare(TOPIC_NAMES[b]))
            .map((x) => topicNamed(r, x)),
        },
      },
      `topics offered to ${reader}`,
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
    same(feed.map(withoutTimes), expectedFeed(m, r, reader, p), `Feed of ${p} as ${reader}`, m);
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
        conversation: {
          ...res.body.conversation,
          seenByPatient: res.body.conversation.seenByPatient?.messageId ?? null,
        },
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
  // Start Page > Messages: every view, page by page (one row a page, so that the cursor is used
  // whenever a view has two rows), and with `filters` the topic and role filters.
  for (const view of VIEWS) {
    const lines = await allLines(client, `/api/v1/inbox?view=${view}`, 1);
    same(
      lines.map(withoutTimes),
      expectedTeamInbox(m, r, reader, view),
      `Messages (${view}) of ${reader}`,
      m,
    );
  }
  if (filters) {
    const byTopic = await allLines(
      client,
      `/api/v1/inbox?view=open&topicId=${r.topicIds.appointments}`,
      5,
    );
    same(
      byTopic.map((x: any) => x.id),
      expectedTeamInbox(m, r, reader, 'open', { topic: 'appointments' }).map((x) => x.id),
      `Messages (open, topic Appointments) of ${reader}`,
      m,
    );
    // A role filter names one of the viewer's own roles; any other is refused (rule 4).
    const own = liveRoles(m, reader).sort(byName);
    for (const role of new Set<RoleKey>(['nurses', ...own.slice(0, 1)])) {
      const url = `/api/v1/inbox?view=open&roleId=${r.roleIds[role]}`;
      if (!own.includes(role)) {
        same(
          errorOf(await client.get(url)),
          { status: 422, code: 'role_not_held', field: 'roleId' },
          `Messages (open, role ${ROLE_NAMES[role]}) of ${reader}`,
          m,
        );
        continue;
      }
      same(
        (await allLines(client, url, 5)).map((x: any) => x.id),
        expectedTeamInbox(m, r, reader, 'open', { role }).map((x) => x.id),
        `Messages (open, role ${ROLE_NAMES[role]}) of ${reader}`,
        m,
      );
    }
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
        count: n.count,
        preview: n.preview,
        answeredBy: n.answeredBy,
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
  const n = async (table: string, what = sql`count(*)`) =>
    Number(
      (
        await t.db.execute<{ n: string | number | null }>(
          sql`select ${what} as n from ${sql.identifier(table)} where chamber_id = ${r.chamberId}::uuid`,
        )
      ).rows[0]?.n ?? 0,
    );
  same(
    {
      conversations: await n('conversations'),
      messages: await n('messages'),
      notifications: await n('notifications'),
      notifiedMessages: await n('notifications', sql`sum(message_count)`),
    },
    {
      conversations: m.convs.length,
      messages: m.messages.length,
      notifications: m.notifications.length,
      notifiedMessages: m.notifications.reduce((sum, x) => sum + x.count, 0),
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
/**
 * The staff user who acts on a conversation: mostly one of the Active users who see it (so that
 * changes and replies mostly meet a conversation they may touch), anyone when `anywhere`.
 */
function actorFor(m: Readonly<Model>, ci: number, j: number, anywhere: boolean): StaffKey {
  const viewers = STAFF.filter((s) => m.active[s] && seesConv(m as Model, s, ci));
  return anywhere || viewers.length === 0 ? STAFF[j % STAFF.length]! : viewers[j % viewers.length]!;
}
const actorArb = fc.record({
  j: fc.nat({ max: 11 }),
  anywhere: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, fc.constant(true)),
});
const hasNotification = (s: StaffKey) => (m: Readonly<Model>) =>
  conversationNotificationsOf(m, s).length > 0;
const pickNotification = (m: Readonly<Model>, s: StaffKey, j: number) => {
  const mine = conversationNotificationsOf(m, s);
  return mine[j % mine.length]!;
};

interface AudienceChoice {
  shareWithPatient: boolean;
  roles: RoleKey[];
}
const audienceText = (a: AudienceChoice) =>
  [...(a.shareWithPatient ? ['patient'] : []), ...a.roles.map((x) => ROLE_NAMES[x])].join(' + ') ||
  'nobody';

/**
 * The last message a staff writer names (rule 11): none, the newest they see, an older one they
 * see (`back` more steps back; stale when a newer one exists), or one of the conversation they
 * may not see (a random id when there is none): as unknown as a message that does not exist.
 */
type AfterChoice =
  { kind: 'none' } | { kind: 'newest' } | { kind: 'older'; back: number } | { kind: 'hidden' };
/** A staff reply's extras: Send and close, and the last message its writer saw. */
interface ReplyChoice {
  close: boolean;
  after: AfterChoice;
}
const AFTER_TEXT: Record<AfterChoice['kind'], string> = {
  none: '',
  newest: ', after the newest message',
  older: ', after an older message',
  hidden: ', after a message they cannot see',
};
const replyText = (x: ReplyChoice) =>
  `${x.close ? ', Send and close' : ''}${AFTER_TEXT[x.after.kind]}`;

/** Subjects as typed: none, blank, whitespace to fold, plain, and one over 120 characters. */
const SUBJECTS: (string | undefined)[] = [
  undefined,
  '   ',
  '  Repeat \t prescription\n',
  'Knee pain after the fall',
  'x'.repeat(121),
];
/** A subject as stored (rule 9): whitespace folded and trimmed, empty for none. */
function storedSubject(typed: string | undefined): string | null {
  const folded = typed?.replace(/\s+/g, ' ').trim() ?? '';
  return folded === '' ? null : folded;
}
const subjectTooLong = (typed: string | undefined) => (storedSubject(typed)?.length ?? 0) > 120;
const subjectText = (typed: string | undefined) =>
  typed === undefined ? '' : ` with subject ${JSON.stringify(typed.slice(0, 30))}`;

const patientArb = fc.constantFrom<PatientKey>(...PATIENTS);
const staffArb = fc.constantFrom<StaffKey>(...STAFF);
const roleArb = fc.constantFrom<RoleKey>(...ROLES);
const readerArb = fc.constantFrom<Reader>(...READERS);
const topicArb = fc.constantFrom<TopicKey | null>(null, ...TOPICS);
const subjectArb = fc.constantFrom(...SUBJECTS);
const convArb = fc.nat({ max: 11 });
const audienceArb: fc.Arbitrary<AudienceChoice> = fc.record({
  shareWithPatient: fc.boolean(),
  roles: fc.subarray(ROLES, { maxLength: 2 }),
});
const afterArb: fc.Arbitrary<AfterChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'newest' as const }), weight: 2 },
  { arbitrary: fc.nat({ max: 3 }).map((back) => ({ kind: 'older' as const, back })), weight: 3 },
  { arbitrary: fc.constant({ kind: 'hidden' as const }), weight: 1 },
);
const replyArb: fc.Arbitrary<ReplyChoice> = fc.record({
  close: fc.oneof({ arbitrary: fc.constant(false), weight: 2 }, fc.constant(true)),
  after: afterArb,
});

/** The answer a staff send should get, before anything is stored: 401, 422 or null (go on). */
function staffSendRefusal(m: Model, s: StaffKey, a: AudienceChoice, subject?: string) {
  if (!m.active[s]) return { status: 401, code: 'unauthenticated', field: undefined };
  if (subjectTooLong(subject)) return { status: 422, code: 'subject_too_long', field: 'subject' };
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

/**
 * The `afterMessageId` a writer names, and what the model says of it: 'ok' (nothing newer they
 * may see), 'stale' (409 conversation_changed) or 'unknown' (422 on afterMessageId).
 */
function resolveAfter(m: Model, s: StaffKey, ci: number, after: AfterChoice) {
  const visible = visibleIn(m, s, ci);
  const newest = visible[visible.length - 1];
  switch (after.kind) {
    case 'none':
      return { id: undefined, outcome: 'ok' as const };
    case 'newest':
    case 'older': {
      if (newest === undefined) return { id: randomUUID(), outcome: 'ok' as const };
      if (after.kind === 'newest' || visible.length < 2)
        return { id: m.messages[newest]!.id, outcome: 'ok' as const };
      const older = visible[visible.length - 2 - (after.back % (visible.length - 1))]!;
      return { id: m.messages[older]!.id, outcome: 'stale' as const };
    }
    case 'hidden': {
      const hidden = m.messages.findIndex((msg) => msg.conv === ci && !sees(m, s, msg));
      return {
        id: hidden >= 0 ? m.messages[hidden]!.id : randomUUID(),
        outcome: 'unknown' as const,
      };
    }
  }
}

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

/** A new conversation in the model, as its first message's answer named it. */
function newConversation(
  m: Model,
  id: string,
  patient: PatientKey,
  about: { topic?: TopicKey | null; subject?: string },
) {
  m.convs.push({
    id,
    patient,
    awaiting: false,
    topic: about.topic ?? null,
    subject: storedSubject(about.subject),
    status: 'open',
    assignee: null,
    answered: null,
    replyBy: null,
  });
}

/**
 * A staff message: refused as predicted, 404 outside the author's view, 422 or 409 for the last
 * message it names (rule 11), or stored. `subject` for a new conversation; `reply` for a reply.
 */
async function staffSends(
  m: Model,
  r: Real,
  s: StaffKey,
  a: AudienceChoice,
  target: { conv: number } | { patient: PatientKey },
  send: (body: unknown) => Promise<{ status: number; body: any }>,
  extras: { missingUrl?: (id: string) => string; subject?: string; reply?: ReplyChoice } = {},
) {
  const text = nextText(m, s);
  const body: Record<string, unknown> = staffBody(r, text, a);
  if (extras.subject !== undefined) body.subject = extras.subject;
  let after: ReturnType<typeof resolveAfter> = { id: undefined, outcome: 'ok' };
  if ('conv' in target && extras.reply) {
    if (extras.reply.close) body.close = true;
    after = resolveAfter(m, s, target.conv, extras.reply.after);
    if (after.id !== undefined) body.afterMessageId = after.id;
  }
  const res = await send(body);
  const what = `${s} sends to ${audienceText(a)}${extras.reply ? replyText(extras.reply) : ''}`;
  const refusal = staffSendRefusal(m, s, a, extras.subject);
  if (refusal) {
    same(errorOf(res), refusal, what, m);
    return;
  }
  let conv: number;
  if ('conv' in target) {
    conv = target.conv;
    if (visibleIn(m, s, conv).length === 0) {
      const gone = extras.missingUrl ? await missing(r.as[s], extras.missingUrl, body) : undefined;
      same(
        { status: res.status, body: res.body },
        { status: 404, body: gone ?? res.body },
        `${s} replies in c${conv}`,
        m,
      );
      expect(res.status).toBe(404);
      met('staff reply outside their view: 404');
      return;
    }
    if (after.outcome === 'unknown') {
      met('afterMessageId they cannot see: 422');
      same(
        errorOf(res),
        { status: 422, code: 'validation_failed', field: 'afterMessageId' },
        `${what}: a message they cannot see`,
        m,
      );
      return;
    }
    if (after.outcome === 'stale') {
      met('afterMessageId stale: 409');
      same(
        errorOf(res),
        { status: 409, code: 'conversation_changed', field: undefined },
        `${what}: a newer message exists`,
        m,
      );
      return;
    }
  } else {
    conv = m.convs.length;
  }
  same(res.status, 201, `${what}: ${JSON.stringify(res.body)}`, m);
  if (!('conv' in target))
    newConversation(m, res.body.conversation.id, target.patient, { subject: extras.subject });
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
  addMessage(m, msg, { close: extras.reply?.close ?? false });
  if (extras.reply?.close) met('Send and close');
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

/**
 * A patient's message (rules 2 and 9): shared with the patient and the conversation's route;
 * the assignee is told too.
 */
function patientMessage(m: Model, p: PatientKey, conv: number, id: string, text: string) {
  addMessage(
    m,
    {
      id,
      conv,
      author: p,
      shared: true,
      roles: patientAudience(m, conv),
      text: stored(text),
      authorRole: null,
    },
    { alsoNotify: m.convs[conv]!.assignee },
  );
}

const notificationText = (n: MNotification) => `the notification of c${n.conv} (m${n.message})`;

/** A change made on the Messages page (rule 10). */
type ChangeChoice =
  | { kind: 'assignMe' }
  | { kind: 'assign'; to: StaffKey }
  | { kind: 'unassign' }
  | { kind: 'close' }
  | { kind: 'reopen' };
/** Whether a change of assignee names the assignee its writer saw: not, rightly, or stale. */
type ExpectChoice = 'omit' | 'right' | 'wrong';
const changeArb: fc.Arbitrary<ChangeChoice> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'assignMe' as const }), weight: 2 },
  { arbitrary: staffArb.map((to) => ({ kind: 'assign' as const, to })), weight: 3 },
  { arbitrary: fc.constant({ kind: 'unassign' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'close' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'reopen' as const }), weight: 1 },
);
const expectArb = fc.constantFrom<ExpectChoice>('omit', 'omit', 'right', 'wrong');
const assigns = (c: ChangeChoice) =>
  c.kind === 'assignMe' || c.kind === 'assign' || c.kind === 'unassign';
const CHANGE_TEXT: Record<ChangeChoice['kind'], string> = {
  assignMe: 'assigns to themselves',
  assign: 'assigns',
  unassign: 'unassigns',
  close: 'closes',
  reopen: 'reopens',
};
function changeText(c: ChangeChoice, ci: number, expected: ExpectChoice) {
  const to = c.kind === 'assign' ? ` to ${c.to}` : '';
  const named = assigns(c) && expected !== 'omit' ? `, naming the ${expected} assignee` : '';
  return `${CHANGE_TEXT[c.kind]} c${ci}${to}${named}`;
}

/**
 * PATCH /api/v1/conversations/:id: 404 outside the writer's view (as missing), 409 when the
 * assignee it names changed, 422 assignee_cannot_see for an assignee who is not an Active user
 * who sees it; else the change and the conversation's state.
 */
async function changeConversation(
  m: Model,
  r: Real,
  s: StaffKey,
  ci: number,
  change: ChangeChoice,
  expected: ExpectChoice,
) {
  const c = m.convs[ci]!;
  const target = change.kind === 'assignMe' ? s : change.kind === 'assign' ? change.to : null;
  const body: Record<string, unknown> = assigns(change)
    ? { assigneeId: target && r.userIds[target] }
    : { status: change.kind === 'close' ? 'closed' : 'open' };
  if (assigns(change) && expected !== 'omit') {
    const current = c.assignee && r.userIds[c.assignee];
    body.expectedAssigneeId = expected === 'right' ? current : current ? null : r.userIds[s];
  }
  const url = (id: string) => `/api/v1/conversations/${id}`;
  const res = await r.as[s].patch(url(c.id), body);
  const what = `${s} ${changeText(change, ci, expected)}`;
  if (!m.active[s]) return expectSignedOut(res, s, m);
  if (!seesConv(m, s, ci)) {
    const gone = await r.as[s].patch(url(randomUUID()), body);
    expect(gone.status).toBe(404);
    same({ status: res.status, body: res.body }, { status: 404, body: gone.body }, what, m);
    met('PATCH outside their view: 404');
    return;
  }
  if (assigns(change) && expected === 'wrong') {
    same(errorOf(res), { status: 409, code: 'conversation_changed', field: undefined }, what, m);
    met('PATCH naming a stale assignee: 409');
    return;
  }
  if (target && (!m.active[target] || !seesConv(m, target, ci))) {
    met('assignee who cannot see: 422');
    same(errorOf(res), { status: 422, code: 'assignee_cannot_see', field: 'assigneeId' }, what, m);
    return;
  }
  met(`PATCH ${change.kind}`);
  if (assigns(change)) c.assignee = target;
  else if (change.kind === 'close') {
    // Closing ends "awaiting reply" and its promise (rule 10).
    c.status = 'closed';
    c.awaiting = false;
    c.replyBy = null;
  } else c.status = 'open';
  same(
    { status: res.status, body: res.body },
    { status: 200, body: expectedState(m, r, ci) },
    what,
    m,
  );
}

const arbitraries = {
  // A patient writes a new message: a new conversation, with a topic and a subject (rule 9).
  patientStarts: fc.tuple(patientArb, topicArb, subjectArb).map(
    ([p, topic, subject]) =>
      new Command(
        `${p} starts a conversation${topic ? ` about ${TOPIC_NAMES[topic]}` : ''}${subjectText(subject)}`,
        always,
        async (m, r) => {
          const text = nextText(m, p);
          const res = await r.as[p].post('/api/v1/portal/conversations', {
            text,
            ...(topic ? { topicId: r.topicIds[topic] } : {}),
            ...(subject !== undefined ? { subject } : {}),
          });
          const what = `${p} starts a conversation`;
          if (subjectTooLong(subject)) {
            same(
              errorOf(res),
              { status: 422, code: 'subject_too_long', field: 'subject' },
              what,
              m,
            );
            return;
          }
          if (!m.messagingAllowed) return expectNoMessaging(res, p, m);
          if (topic && !m.topicActive[topic]) {
            // An inactive topic is no longer offered (rule 9).
            same(errorOf(res), { status: 422, code: 'topic_not_found', field: 'topicId' }, what, m);
            met('inactive topic: 422');
            return;
          }
          same(res.status, 201, what, m);
          newConversation(m, res.body.conversation.id, p, { topic, subject });
          patientMessage(m, p, m.convs.length - 1, res.body.message.id, text);
          expect(res.body.message).toMatchObject({
            text: stored(text),
            mine: true,
            author: { kind: 'patient', name: NAMES[p] },
          });
          expect(res.body.message).not.toHaveProperty('roles');
        },
      ),
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
          if (m.convs[ci]!.status === 'closed') met('patient reopens');
          if (m.convs[ci]!.assignee) met('patient reply tells the assignee');
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
  // Staff start a conversation with a patient, with an audience and a subject.
  staffStarts: fc
    .tuple(staffArb, patientArb, audienceArb, subjectArb)
    .map(
      ([s, p, a, subject]) =>
        new Command(
          `${s} starts a conversation with ${p}${subjectText(subject)}, to ${audienceText(a)}`,
          always,
          async (m, r) =>
            staffSends(
              m,
              r,
              s,
              a,
              { patient: p },
              (body) => r.as[s].post(`/api/v1/patients/${r.patientIds[p]}/conversations`, body),
              { subject },
            ),
        ),
    ),
  // Staff reply in a conversation with an audience (an internal note when not shared with the
  // patient), perhaps Send and close, perhaps naming the last message they saw (rule 11).
  staffReplies: fc.tuple(actorArb, convArb, audienceArb, replyArb).map(
    ([{ j, anywhere }, k, a, reply]) =>
      new Command(
        (m) =>
          `${actorFor(m, pick(m, k), j, anywhere)} replies in c${pick(m, k)} to ${audienceText(a)}${replyText(reply)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          const s = actorFor(m, ci, j, anywhere);
          await staffSends(
            m,
            r,
            s,
            a,
            { conv: ci },
            (body) => r.as[s].post(`/api/v1/conversations/${m.convs[ci]!.id}/messages`, body),
            { missingUrl: (id) => `/api/v1/conversations/${id}/messages`, reply },
          );
        },
      ),
  ),
  // Staff reply straight from one of their notifications.
  notificationReplies: fc.tuple(staffArb, fc.nat({ max: 7 }), audienceArb, replyArb).map(
    ([s, j, a, reply]) =>
      new Command(
        (m) =>
          `${s} replies from ${notificationText(pickNotification(m, s, j))} to ${audienceText(a)}${replyText(reply)}`,
        hasNotification(s),
        async (m, r) => {
          const n = pickNotification(m, s, j);
          if (!m.active[s]) {
            const url = `/api/v1/notifications/${randomUUID()}/reply`;
            expectSignedOut(await r.as[s].post(url, staffBody(r, 'x', a)), s, m);
            return;
          }
          const id = await notificationId(m, r, s, n);
          await staffSends(
            m,
            r,
            s,
            a,
            { conv: n.conv },
            (body) => r.as[s].post(`/api/v1/notifications/${id}/reply`, body),
            { reply },
          );
        },
      ),
  ),
  // Messages: Assign to me, Assign, unassign, Close conversation, Reopen (rules 10 and 11).
  conversationChanges: fc.tuple(actorArb, convArb, changeArb, expectArb).map(
    ([{ j, anywhere }, k, change, expected]) =>
      new Command(
        (m) =>
          `${actorFor(m, pick(m, k), j, anywhere)} ${changeText(change, pick(m, k), expected)}`,
        anyConv,
        async (m, r) => {
          const ci = pick(m, k);
          await changeConversation(m, r, actorFor(m, ci, j, anywhere), ci, change, expected);
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
        (m) => `${s} marks ${notificationText(pickNotification(m, s, j))} read`,
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
            `${s} marks ${notificationText(n)} read`,
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
          if (add) {
            if (!m.members[s].has(role)) {
              m.members[s].add(role);
              tellMembersAdded(m, s, [role]);
            }
          } else {
            m.members[s].delete(role);
            unassignUnseen(m, s);
          }
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
          const added = roles.filter((x) => !m.members[s].has(x));
          m.members[s] = new Set(roles);
          tellMembersAdded(m, s, added);
          unassignUnseen(m, s);
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
        for (const s of STAFF) if (m.members[s].has(role)) unassignUnseen(m, s);
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
        if (!active) unassignUnseen(m, s);
      }),
  ),
  // Message Topics: a topic made inactive is no longer offered; its conversations keep it.
  topicChanges: fc.tuple(fc.constantFrom<TopicKey>(...TOPICS), fc.boolean()).map(
    ([topic, active]) =>
      new Command(
        `admin makes the topic ${TOPIC_NAMES[topic]} ${active ? 'active' : 'inactive'}`,
        always,
        async (m, r) => {
          const res = await r.as.admin.patch(`/api/v1/admin/topics/${r.topicIds[topic]}`, {
            active,
          });
          same(
            { status: res.status, active: res.body.active },
            { status: 200, active },
            `topic ${TOPIC_NAMES[topic]} ${active ? 'active' : 'inactive'}`,
            m,
          );
          m.topicActive[topic] = active;
        },
      ),
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
          `${s} tries to ${reply ? 'reply from' : 'mark read'} ${owner}'s ${notificationText(pickNotification(m, owner, j))}`,
        (m) => s !== owner && m.active[owner] && conversationNotificationsOf(m, owner).length > 0,
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
        await checkReader(m, r, reader, true);
      }),
  ),
};

/** Writing and reading weigh most; every admin change is still frequent enough to meet them. */
const command = fc.oneof(
  { arbitrary: arbitraries.patientStarts, weight: 4 },
  { arbitrary: arbitraries.patientReplies, weight: 3 },
  { arbitrary: arbitraries.patientOpens, weight: 2 },
  { arbitrary: arbitraries.staffStarts, weight: 3 },
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
  { arbitrary: arbitraries.conversationChanges, weight: 5 },
  { arbitrary: arbitraries.topicChanges, weight: 1 },
  { arbitrary: arbitraries.checks, weight: 2 },
);

describe('messaging against a reference model (send, reply, audience, read state, roles)', () => {
  it(
    `${RUNS} runs of up to ${MAX_COMMANDS} commands agree with the model on every view`,
    async () => {
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
        `model test on ${t.engine}: ${RUNS} runs, ${commandsRun} commands, ${Date.now() - started} ms; met: ${[
          ...outcomes,
        ]
          .map(([what, n]) => `${what} ×${n}`)
          .join(', ')}`,
      );
      expect(commandsRun).toBeGreaterThan(RUNS);
    },
    Math.max(240_000, RUNS * 6_000),
  );
});
