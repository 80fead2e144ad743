import { aliasedTable, and, asc, desc, eq, gt, or, sql } from 'drizzle-orm';
import type { NotificationKind } from '../../../common/contract/notifications.js';
import { uuidArray, uuidArrayParam } from '../../db/arrays.js';
import type { Db } from '../../db/connect.js';
import {
  conversations,
  liveEvents,
  messages,
  notifications,
  patientProxies,
  portalAccounts,
  roleMembers,
  roles,
  sessions,
  users,
} from '../../db/schema.js';
import { proxyInForce } from '../portal-access/acting-for.repository.js';
import {
  stateFields,
  withStateJoins,
  type ConversationStateRow,
} from '../messaging/conversation.repository.js';

type MessageRecord = typeof messages.$inferSelect;

/**
 * A place in a chamber's events: events are ordered by the transaction that wrote them, then
 * by seq (migration 0019). The seq alone is the event id a stream sends.
 */
export interface EventCursor {
  /** The writing transaction's id (`xid8`), as text. */
  xid: string;
  seq: number;
}

/** Before the chamber's first event. */
export const START: EventCursor = { xid: '0', seq: 0 };

/** Whether event a comes after event b. */
export function isAfter(a: EventCursor, b: EventCursor): boolean {
  return isAfterPlace(a, b.xid, b.seq);
}

/**
 * Whether event a comes after the place (xid, seq). Run for every event and open stream, so it
 * compares the xids' decimal text (no leading zeros: longer is larger) instead of parsing them.
 */
export function isAfterPlace(a: EventCursor, xid: string, seq: number): boolean {
  if (a.xid.length !== xid.length) return a.xid.length > xid.length;
  return a.xid > xid || (a.xid === xid && a.seq > seq);
}

/**
 * The horizon: the oldest transaction of this database still open (`write_horizon()`,
 * migration 0019). An event below it is final, and no event can still appear below it, so
 * readers read only there.
 */
const HORIZON = sql`write_horizon()`;

/** Who may hear an event (rule 4): the patient, members of these roles, these staff users. */
export interface EventAudience {
  patientId: string | null;
  toPatient: boolean;
  roleIds: string[];
  userIds: string[];
}

/** A new message of a chamber with what is needed to decide who may hear of it (rule 4). */
export type MessageEventRow = EventAudience &
  Pick<MessageRecord, 'conversationId' | 'authorKind' | 'authorUserId'> & {
    /**
     * `notification`: the notifications of a message to a large role, written after it by the
     * job worker (`message` then carries none of them).
     */
    kind: 'message' | 'notification';
    seq: number;
    xid: string;
    patientId: string;
    messageId: string;
    patientName: string;
    authorName: string;
    /** ISO 8601, as the event sends it. */
    createdAt: string;
    /** The notification each user has for this message: user id → its id and count. */
    notified: Map<string, { id: string; count: number; kind: NotificationKind }>;
    /** The conversation has a red flag (rule 14): notifications say so. */
    redFlag: boolean;
  };

/** A change of a conversation's state; the state sent is the conversation's as it is now. */
export type ConversationEventRow = EventAudience & {
  kind: 'conversation.updated';
  seq: number;
  xid: string;
  conversationId: string;
  state: ConversationStateRow;
  by: { id: string; name: string } | null;
  /** An escalation (rule 12): the `overdue` notification each told user got. */
  notified: Map<string, { id: string; count: number; kind: NotificationKind }>;
};

/**
 * A write that may change what open streams may hear (migration 0021: a session ended or
 * pointed elsewhere, a user made inactive, role membership, a role deleted, a proxy): the hub
 * checks its streams' sessions again before handing out what follows. Nobody hears it.
 */
export type AccessChangedRow = EventAudience & { kind: 'access.changed'; seq: number; xid: string };

export type EventRow = MessageEventRow | ConversationEventRow | AccessChangedRow;

type Notified = { userId: string; id: string; count: number; kind: NotificationKind }[];

const byUser = aliasedTable(users, 'by_user');

/**
 * The chamber's events after a place, in order, as far as the horizon: an event written by a
 * transaction older than every open one. A later call never finds an event before the last
 * one this answered.
 */
export async function eventsSince(
  db: Db,
  chamberId: string,
  after: EventCursor,
  limit: number,
): Promise<EventRow[]> {
  const query = db
    .select({
      seq: liveEvents.seq,
      xid: sql<string>`${liveEvents.xid}::text`,
      kind: liveEvents.kind,
      patientId: liveEvents.patientId,
      conversationId: liveEvents.conversationId,
      messageId: liveEvents.messageId,
      toPatient: liveEvents.toPatient,
      roleIds: sql<string[] | string | null>`${liveEvents.roleIds}::text[]`,
      userIds: sql<string[] | string | null>`${liveEvents.userIds}::text[]`,
      createdAt: liveEvents.createdAt,
      byId: byUser.id,
      byName: byUser.name,
      authorKind: messages.authorKind,
      authorUserId: messages.authorUserId,
      authorName: sql<
        string | null
      >`(select ${users.name} from ${users} where ${users.chamberId} = ${messages.chamberId} and ${users.id} = ${messages.authorUserId})`,
      // Drivers answer json as parsed JSON or as its text.
      notified: sql<
        Notified | string | null
      >`(select coalesce(json_agg(json_build_object('userId', ${notifications.userId}, 'id', ${notifications.id}, 'count', ${notifications.messageCount}, 'kind', ${notifications.kind})), '[]'::json) from ${notifications}
         where ${notifications.chamberId} = ${liveEvents.chamberId} and ${notifications.messageId} = ${liveEvents.messageId}
           and ${liveEvents.kind} in ('message', 'notification') and ${liveEvents.data} is null)`,
      // An escalation's notifications: written in the same statement as its event.
      overdueNotified: sql<
        Notified | string | null
      >`(select coalesce(json_agg(json_build_object('userId', ${notifications.userId}, 'id', ${notifications.id}, 'count', ${notifications.messageCount}, 'kind', ${notifications.kind})), '[]'::json) from ${notifications}
         where ${notifications.chamberId} = ${liveEvents.chamberId} and ${notifications.conversationId} = ${liveEvents.conversationId}
           and ${notifications.kind} = 'overdue' and ${notifications.createdAt} = ${liveEvents.createdAt}
           and ${liveEvents.data} ->> 'reason' = 'overdue')`,
      state: stateFields,
    })
    .from(liveEvents)
    .leftJoin(
      messages,
      and(eq(messages.chamberId, liveEvents.chamberId), eq(messages.id, liveEvents.messageId)),
    )
    .leftJoin(
      conversations,
      and(
        eq(conversations.chamberId, liveEvents.chamberId),
        eq(conversations.id, liveEvents.conversationId),
      ),
    )
    .$dynamic();
  const rows = await withStateJoins(query)
    .leftJoin(
      byUser,
      and(
        eq(byUser.chamberId, liveEvents.chamberId),
        sql`${byUser.id}::text = ${liveEvents.data} ->> 'by'`,
      ),
    )
    .where(
      and(
        eq(liveEvents.chamberId, chamberId),
        sql`(${liveEvents.xid}, ${liveEvents.seq}) > (${after.xid}::xid8, ${after.seq}::bigint)`,
        sql`${liveEvents.xid} < ${HORIZON}`,
      ),
    )
    .orderBy(asc(liveEvents.xid), asc(liveEvents.seq))
    .limit(limit);
  return rows.map((row): EventRow => {
    const audience: EventAudience = {
      patientId: row.patientId,
      toPatient: row.toPatient,
      roleIds: uuidArray(row.roleIds),
      userIds: uuidArray(row.userIds),
    };
    if (row.kind === 'access.changed') {
      return { ...audience, kind: 'access.changed', seq: row.seq, xid: row.xid };
    }
    const state = row.state as unknown as ConversationStateRow;
    if (row.kind === 'message' || row.kind === 'notification') {
      return {
        ...audience,
        kind: row.kind,
        seq: row.seq,
        xid: row.xid,
        patientId: row.patientId!,
        conversationId: row.conversationId!,
        messageId: row.messageId!,
        patientName: state.patientName,
        authorKind: row.authorKind!,
        authorUserId: row.authorUserId,
        authorName: row.authorKind === 'patient' ? state.patientName : (row.authorName ?? ''),
        createdAt: row.createdAt.toISOString(),
        notified: notifiedByUser(row.notified),
        redFlag: state.redFlag,
      };
    }
    return {
      ...audience,
      kind: 'conversation.updated',
      seq: row.seq,
      xid: row.xid,
      conversationId: row.conversationId!,
      state: {
        ...state,
        staffRoleIds: uuidArray(state.staffRoleIds as unknown as string[] | string | null),
        staffAuthorIds: uuidArray(state.staffAuthorIds as unknown as string[] | string | null),
      },
      by: row.byId ? { id: row.byId, name: row.byName ?? '' } : null,
      notified: notifiedByUser(row.overdueNotified),
    };
  });
}

/**
 * The notifications of an event by user: a map, so that handing an event to each of n
 * listeners costs n lookups, not n × n. Drivers answer json parsed or as its text.
 */
function notifiedByUser(v: Notified | string | null) {
  const list = typeof v === 'string' ? (JSON.parse(v) as Notified) : (v ?? []);
  return new Map(list.map((n) => [n.userId, { id: n.id, count: Number(n.count), kind: n.kind }]));
}

/** The chamber's newest event below the horizon (START when it has none). */
export async function newestEvent(db: Db, chamberId: string): Promise<EventCursor> {
  const rows = await db
    .select({ xid: sql<string>`${liveEvents.xid}::text`, seq: liveEvents.seq })
    .from(liveEvents)
    .where(and(eq(liveEvents.chamberId, chamberId), sql`${liveEvents.xid} < ${HORIZON}`))
    .orderBy(desc(liveEvents.xid), desc(liveEvents.seq))
    .limit(1);
  return rows[0] ? { xid: rows[0].xid, seq: Number(rows[0].seq) } : START;
}

/** The place of the chamber's event with this seq (a stream's Last-Event-ID), if it has one. */
export async function eventAt(
  db: Db,
  chamberId: string,
  seq: number,
): Promise<EventCursor | undefined> {
  if (seq === 0) return START;
  const rows = await db
    .select({ xid: sql<string>`${liveEvents.xid}::text` })
    .from(liveEvents)
    .where(and(eq(liveEvents.chamberId, chamberId), eq(liveEvents.seq, seq)))
    .limit(1);
  return rows[0] ? { xid: rows[0].xid, seq } : undefined;
}

/**
 * Whether the chamber has committed events after a place: called once every event below the
 * horizon was read, these are held back by an older transaction still open (of any chamber),
 * or were released since the read (that transaction ended without an event of its own, so no
 * NOTIFY will come). Either way the reader must look again soon.
 */
export async function eventsAfter(db: Db, chamberId: string, after: EventCursor): Promise<boolean> {
  const rows = await db.execute<{ held: boolean }>(sql`
    select exists (
      select 1 from ${liveEvents}
       where ${liveEvents.chamberId} = ${chamberId}::uuid
         and (${liveEvents.xid}, ${liveEvents.seq}) > (${after.xid}::xid8, ${after.seq}::bigint)) as held`);
  return rows.rows[0]?.held === true;
}

/** A session that still lives: its roles, whom it acts for, and until when that holds. */
export interface LiveSession {
  roleIds: string[];
  patientId: string | null;
  /**
   * Until when (ms since the epoch) the session stays live without a write (then logged as
   * 'access.changed'): its expiry or idle time, whichever is first. A portal session acting
   * for someone else through a proxy is `now`: a proxy may end with the date.
   */
  until: number;
}

/**
 * For the given sessions: which still live, and the current roles of their staff users. The
 * ids go as one array parameter: a heartbeat checks every open stream's session at once, and
 * 10,000 separate parameters cost far more to build and to parse than one array.
 */
export async function liveSessions(
  db: Db,
  chamberId: string,
  sessionIds: string[],
  now: Date,
  idleMs: number,
) {
  if (sessionIds.length === 0) return new Map<string, LiveSession>();
  const rows = await db
    .select({
      id: sessions.id,
      patientId: sessions.patientId,
      untilMs: sql<number | string>`(case
        when ${sessions.kind} = 'patient' and ${sessions.patientId} is distinct from
             (select ${portalAccounts.patientId} from ${portalAccounts}
               where ${portalAccounts.chamberId} = ${sessions.chamberId} and ${portalAccounts.id} = ${sessions.accountId})
        then ${now.getTime()}::float8
        else extract(epoch from least(${sessions.expiresAt}, ${sessions.lastSeenAt} + ${idleMs}::float8 * interval '1 millisecond')) * 1000
      end)::float8`,
      roleIds: sql<
        string[] | null
      >`(select coalesce(array_agg(${roleMembers.roleId}::text), '{}') from ${roleMembers}
          join ${roles} on ${roles.chamberId} = ${roleMembers.chamberId} and ${roles.id} = ${roleMembers.roleId} and ${roles.deletedAt} is null
         where ${roleMembers.chamberId} = ${sessions.chamberId} and ${roleMembers.userId} = ${sessions.userId})`,
    })
    .from(sessions)
    .leftJoin(users, and(eq(users.chamberId, sessions.chamberId), eq(users.id, sessions.userId)))
    .where(
      and(
        eq(sessions.chamberId, chamberId),
        sql`${sessions.id} = any(${uuidArrayParam(sessionIds)})`,
        gt(sessions.expiresAt, now),
        gt(sessions.lastSeenAt, new Date(now.getTime() - idleMs)),
        or(
          // Rule 18: a portal session acts for the account's own record or a proxy in force.
          and(
            eq(sessions.kind, 'patient'),
            sql`(${sessions.patientId} = (select ${portalAccounts.patientId} from ${portalAccounts}
                  where ${portalAccounts.chamberId} = ${sessions.chamberId} and ${portalAccounts.id} = ${sessions.accountId})
                or exists (select 1 from ${patientProxies}
                  where ${patientProxies.chamberId} = ${sessions.chamberId}
                    and ${patientProxies.accountId} = ${sessions.accountId}
                    and ${patientProxies.patientId} = ${sessions.patientId}
                    and ${proxyInForce(now)}))`,
          ),
          sql`${users.active}`,
        ),
      ),
    );
  return new Map<string, LiveSession>(
    rows.map((row) => [
      row.id,
      { roleIds: row.roleIds ?? [], patientId: row.patientId, until: Number(row.untilMs) },
    ]),
  );
}
