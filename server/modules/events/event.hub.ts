import type { FastifyBaseLogger } from 'fastify';
import type { CloseReason, ResyncEvent, TypingEvent } from '../../../common/contract/events.js';
import type { Database } from '../../db/connect.js';
import type { ServiceContext } from '../../lib/context.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { LIVE_EVENTS_CHANNEL } from '../../db/event-order.js';
import {
  eventFor,
  mayHearTyping,
  variantFor,
  type Delivered,
  type TypingSignal,
} from './event.policy.js';
import {
  eventAt,
  eventsAfter,
  eventsSince,
  isAfter,
  isAfterPlace,
  liveSessions,
  newestEvent,
  START,
  type EventCursor,
  type EventRow,
} from './event.repository.js';

/** A reconnect that missed more than this many events of its chamber gets "resync". */
export const MAX_CATCH_UP = 1000;
const BATCH = 500;
/** Streams written between two turns of other work (`handOut`). */
const LISTENERS_PER_TURN = 100;
/**
 * Events committed while an older transaction (of any chamber) is still open are held back
 * until it ends (event.repository.ts): the hub looks again after this long, doubling up to a
 * second, since that transaction's end may send no NOTIFY of its own.
 */
const HELD_BACK_RETRY_MS = 5;
const HELD_BACK_RETRY_MAX_MS = 1000;

/** One open event stream. */
export interface EventListener {
  actor: StaffActor | PatientActor;
  /**
   * The newest event this stream has passed (delivered or not for this listener): its seq (the
   * id a stream sends) and its transaction (`sentXid`, absent before the first).
   */
  sentSeq: number;
  sentXid?: string;
  /** Events held while the stream catches up, then sent in order. */
  buffer: EventRow[] | null;
  /**
   * `json`, when given, is the data already serialised (shared by the listeners of a variant);
   * `data` is then absent when the hub did not build it for this listener.
   */
  send(id: number, event: Delivered['event'], data: Delivered['data'], json?: string): void;
  send(id: number, event: Delivered['event'], data: undefined, json: string): void;
  send(id: number, event: 'resync', data: ResyncEvent): void;
  /** A fleeting event: no id, never replayed. */
  sendFleeting(event: 'conversation.typing', data: TypingEvent): void;
  /** A comment line that keeps proxies from closing an idle stream. */
  ping(): void;
  close(reason: CloseReason): void;
}

interface ChamberState {
  listeners: Set<EventListener>;
  last: EventCursor;
  ready: Promise<void>;
  running: boolean;
  again: boolean;
  /** A look after held-back events is scheduled; its delay doubles while they stay held. */
  heldTimer: NodeJS.Timeout | undefined;
  heldDelay: number;
  /**
   * Until when (ms since the epoch) the last check of the streams' sessions holds, unless an
   * 'access.changed' event is read first; 0 when a stream joined since (`refresh`).
   */
  checkedUntil: number;
}

const sameIds = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((id, i) => id === b[i]);

function moveTo(listener: EventListener, place: EventCursor): void {
  listener.sentSeq = place.seq;
  listener.sentXid = place.xid;
}

/**
 * Live events for one app process. The durable event log is the truth: on a NOTIFY (from any
 * process), on a reconnect of the listening connection, or every few seconds, the hub reads
 * the chamber's new events once and hands each listener what SPEC rule 4 lets it hear.
 * "Is replying…" is fleeting: it comes as a NOTIFY payload and is passed on at once.
 */
export function createEventHub(ctx: ServiceContext, database: Database, log?: FastifyBaseLogger) {
  const { db, clock, config } = ctx;
  const chambers = new Map<string, ChamberState>();
  let stopListening: (() => Promise<void>) | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  let heartbeatTimer: NodeJS.Timeout | undefined;

  /**
   * Hands one event to one listener. `shared` holds the data of this event serialised once per
   * variant (event.policy.ts), for the listeners of one drain, all given the same `now`.
   */
  function deliver(
    listener: EventListener,
    row: EventRow,
    now: Date,
    shared?: Map<string, string>,
  ): void {
    if (listener.buffer) {
      listener.buffer.push(row);
      return;
    }
    if (!isAfterPlace(row, listener.sentXid ?? START.xid, listener.sentSeq)) return;
    moveTo(listener, row);
    if (row.kind === 'access.changed') return;
    const variant = variantFor(listener.actor, row);
    if (variant === null) return;
    // A variant already serialised in this drain is sent as it is, without building its data.
    const ready = variant === undefined ? undefined : shared?.get(variant);
    if (ready !== undefined) {
      listener.send(row.seq, row.kind, undefined, ready);
      return;
    }
    const delivered = eventFor(listener.actor, row, now, variant);
    if (!delivered) return;
    let json: string | undefined;
    if (shared && delivered.variant !== undefined) {
      json = JSON.stringify(delivered.data);
      shared.set(delivered.variant, json);
    }
    listener.send(row.seq, delivered.event, delivered.data, json);
  }

  /** Passes "is replying…" to the listeners of its chamber who may hear it. */
  function typing(signal: TypingSignal): void {
    const state = chambers.get(signal.chamberId);
    if (!state) return;
    for (const listener of state.listeners) {
      if (!listener.buffer && mayHearTyping(listener.actor, signal))
        listener.sendFleeting('conversation.typing', signal.event);
    }
  }

  /** A NOTIFY: a chamber id (new events to read) or a typing signal (JSON). */
  function onNotify(payload: string): void {
    if (!payload.startsWith('{')) {
      wake(payload);
      return;
    }
    try {
      typing(JSON.parse(payload) as TypingSignal);
    } catch (error) {
      log?.warn({ err: error }, 'live events: unreadable typing signal');
    }
  }

  /** Closes streams whose session ended and gives staff listeners their current roles. */
  async function refresh(chamberId: string, state: ChamberState): Promise<void> {
    // The streams of now: one that joins while this runs is checked by the next drain.
    state.checkedUntil = Number.POSITIVE_INFINITY;
    const all = [...state.listeners];
    let live: Awaited<ReturnType<typeof liveSessions>>;
    try {
      live = await liveSessions(
        db,
        chamberId,
        [...new Set(all.map((l) => l.actor.sessionId))],
        clock(),
        config.sessionIdleMinutes * 60_000,
      );
    } catch (error) {
      state.checkedUntil = 0;
      throw error;
    }
    let until = Number.POSITIVE_INFINITY;
    for (const session of live.values()) until = Math.min(until, session.until);
    state.checkedUntil = Math.min(state.checkedUntil, until);
    for (const listener of all) {
      const session = live.get(listener.actor.sessionId);
      // A portal session now acting for another patient (rule 18) reconnects for that one.
      if (
        !session ||
        (listener.actor.kind === 'patient' && session.patientId !== listener.actor.patientId)
      ) {
        listener.close('session_ended');
        state.listeners.delete(listener);
      } else if (listener.actor.kind === 'staff') {
        // A new actor only when the roles changed: a heartbeat passes every open stream.
        if (!sameIds(listener.actor.roleIds, session.roleIds))
          listener.actor = { ...listener.actor, roleIds: session.roleIds };
      }
    }
  }

  /**
   * Hands a batch of events to every stream, stream by stream, so that a stream's frames of the
   * batch go out in one write. A large role's streams take tens of ms to write: every
   * LISTENERS_PER_TURN streams the hub lets other work run (a send arriving meanwhile, the
   * database's answers), instead of holding the process until the last stream is written.
   * A stream that joins meanwhile starts before this batch and is reached by the same loop
   * (a Set's iterator visits members added while it runs); one that leaves is skipped.
   */
  async function handOut(state: ChamberState, rows: EventRow[]): Promise<void> {
    // One `now` and one cache of serialised variants per event, for every stream alike.
    const now = clock();
    const shared = rows.map(() => new Map<string, string>());
    let n = 0;
    for (const listener of state.listeners) {
      for (let i = 0; i < rows.length; i += 1) deliver(listener, rows[i]!, now, shared[i]);
      n += 1;
      if (n % LISTENERS_PER_TURN === 0) await new Promise(setImmediate);
    }
    const newest = rows[rows.length - 1]!;
    state.last = { xid: newest.xid, seq: newest.seq };
  }

  async function drain(chamberId: string, state: ChamberState): Promise<void> {
    try {
      await state.ready;
      do {
        state.again = false;
        for (;;) {
          const rows = await eventsSince(db, chamberId, state.last, BATCH);
          if (rows.length === 0) break;
          // Rule 4 as it is now, before anything is handed out: the sessions are checked again
          // when access may have changed since the last check: an 'access.changed' event was
          // read (its write committed before what follows it, event.repository.ts), a stream
          // joined, or a session may have expired or gone idle. A full batch may stop just
          // before such an event of the same moment: checked as well.
          if (
            rows.length === BATCH ||
            clock().getTime() >= state.checkedUntil ||
            rows.some((r) => r.kind === 'access.changed')
          )
            await refresh(chamberId, state);
          await handOut(state, rows);
          state.heldDelay = HELD_BACK_RETRY_MS;
          if (rows.length < BATCH) break;
        }
      } while (state.again);
      if (!state.heldTimer && (await eventsAfter(db, chamberId, state.last))) {
        const delay = state.heldDelay;
        state.heldDelay = Math.min(delay * 2, HELD_BACK_RETRY_MAX_MS, config.eventsPollMs);
        state.heldTimer = setTimeout(() => {
          state.heldTimer = undefined;
          wake(chamberId);
        }, delay);
      }
    } catch (error) {
      log?.warn({ err: error }, 'live events: reading new events failed; will retry');
    } finally {
      state.running = false;
    }
  }

  function wake(chamberId: string): void {
    const state = chambers.get(chamberId);
    if (!state) return;
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    void drain(chamberId, state);
  }

  /** Starts following a chamber from its newest event. */
  function startChamber(chamberId: string): ChamberState {
    const created: ChamberState = {
      listeners: new Set(),
      last: START,
      ready: Promise.resolve(),
      running: false,
      again: false,
      heldTimer: undefined,
      heldDelay: HELD_BACK_RETRY_MS,
      checkedUntil: 0,
    };
    created.ready = newestEvent(db, chamberId).then(
      (newest) => {
        if (isAfter(newest, created.last)) created.last = newest;
      },
      (error: unknown) => {
        // The database was away: forget this chamber, so the next stream starts it afresh
        // instead of every later subscribe and drain failing on the same rejected promise.
        if (chambers.get(chamberId) === created) chambers.delete(chamberId);
        throw error;
      },
    );
    chambers.set(chamberId, created);
    return created;
  }

  const wakeAll = () => {
    for (const id of chambers.keys()) wake(id);
  };

  return {
    /** Starts listening for NOTIFY, the safety-net poll and the heartbeats. */
    async start(): Promise<void> {
      stopListening = await database.listen(LIVE_EVENTS_CHANNEL, onNotify, wakeAll);
      pollTimer = setInterval(wakeAll, config.eventsPollMs);
      heartbeatTimer = setInterval(() => {
        for (const [chamberId, state] of chambers) {
          refresh(chamberId, state)
            .then(() => {
              for (const listener of state.listeners) listener.ping();
            })
            .catch((error: unknown) => log?.warn({ err: error }, 'live events: heartbeat failed'));
        }
      }, config.eventsHeartbeatMs);
    },

    /**
     * Adds a stream. Without a Last-Event-ID it hears what happens from now on; with one, it
     * first gets exactly what it missed, in order, or "resync" when that is too much.
     */
    async subscribe(listener: EventListener, lastEventId: number | undefined): Promise<void> {
      const chamberId = listener.actor.chamberId;
      // The chamber's state, started if needed, and taken again if it was dropped while this
      // waited (its last stream closed, or the database was away): a listener only ever joins
      // a state the hub still drains.
      let state: ChamberState;
      for (;;) {
        state = chambers.get(chamberId) ?? startChamber(chamberId);
        await state.ready;
        if (chambers.get(chamberId) === state) break;
      }
      listener.buffer = [];
      state.listeners.add(listener);
      // Its session was checked by this request, but perhaps before an access change the hub
      // has read already: the next drain checks every stream again.
      state.checkedUntil = 0;
      if (lastEventId === undefined) {
        moveTo(listener, state.last);
      } else {
        // An id that is none of the chamber's events (another chamber's, made up, or gone)
        // cannot say what was missed: the stream starts again, as for too much missed.
        const from = await eventAt(db, chamberId, lastEventId);
        const missed = from ? await eventsSince(db, chamberId, from, MAX_CATCH_UP + 1) : [];
        if (!from || missed.length > MAX_CATCH_UP) {
          const newest = await newestEvent(db, chamberId);
          moveTo(listener, newest);
          listener.send(newest.seq, 'resync', {
            reason: 'Too much was missed: load everything again.',
          });
        } else {
          moveTo(listener, from);
          const pending = listener.buffer;
          listener.buffer = null;
          for (const row of missed) deliver(listener, row, clock());
          listener.buffer = pending;
        }
      }
      const held = listener.buffer ?? [];
      listener.buffer = null;
      for (const row of held) deliver(listener, row, clock());
    },

    unsubscribe(listener: EventListener): void {
      const state = chambers.get(listener.actor.chamberId);
      if (!state) return;
      state.listeners.delete(listener);
      if (state.listeners.size === 0 && !state.running) {
        clearTimeout(state.heldTimer);
        chambers.delete(listener.actor.chamberId);
      }
    },

    /** Ends every stream (the app is shutting down) and stops listening. */
    async stop(): Promise<void> {
      clearInterval(pollTimer);
      clearInterval(heartbeatTimer);
      for (const state of chambers.values()) {
        clearTimeout(state.heldTimer);
        for (const listener of state.listeners) listener.close('shutdown');
      }
      chambers.clear();
      await stopListening?.();
    },

    /** Number of open streams, for health and benchmarks. */
    size(): number {
      let n = 0;
      for (const state of chambers.values()) n += state.listeners.size;
      return n;
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
