import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { rateLimitCounters } from '../db/schema.js';
import type { Clock } from './clock.js';

declare module '@fastify/rate-limit' {
  interface RateLimitOptions {
    /**
     * Count in the database, shared by every web process (limits against guessing a
     * credential); without it the limit is counted in each process (throughput limits).
     */
    shared?: boolean;
  }
}

type Result = { current: number; ttl: number };
type Callback = (error: Error | null, result?: Result) => void;

/**
 * What the plugin really hands `child` (its typings say the route): the route's rate-limit
 * options merged over the plugin's, with the route as `routeInfo`.
 */
interface RouteLimit {
  shared?: boolean;
  routeInfo?: { method?: string | string[]; url?: string };
}

/** The end of the fixed window, aligned on the clock, that holds this instant. */
export function windowEnd(nowMs: number, windowMs: number): number {
  return (Math.floor(nowMs / windowMs) + 1) * windowMs;
}

/** One more hit on a key's current window, in one statement; answers its count and end. */
export async function countHit(
  db: Db,
  key: string,
  endsAt: Date,
): Promise<{ hits: number; windowEndsAt: Date }> {
  const [row] = await db
    .insert(rateLimitCounters)
    .values({ key, windowEndsAt: endsAt, hits: 1 })
    .onConflictDoUpdate({
      target: [rateLimitCounters.key, rateLimitCounters.windowEndsAt],
      set: { hits: sql`${rateLimitCounters.hits} + 1` },
    })
    .returning({ hits: rateLimitCounters.hits, windowEndsAt: rateLimitCounters.windowEndsAt });
  return row!;
}

/** Deletes at most `limit` counters of windows ended by `now`; answers how many went. */
export async function deleteEndedWindows(db: Db, now: Date, limit: number): Promise<number> {
  // A bounded delete (by ctid) has no query-builder form: raw SQL.
  const r = await db.execute<{ n: number }>(sql`
    with gone as (
      delete from ${rateLimitCounters}
       where ctid in (select ctid from ${rateLimitCounters}
                       where ${rateLimitCounters.windowEndsAt} <= ${now.toISOString()}::timestamptz
                       limit ${limit})
      returning 1)
    select count(*)::int as n from gone`);
  return Number(r.rows[0]?.n ?? 0);
}

/** Counts in this process only: every key of a route shares the one current window. */
function processStore(clock: Clock): FastifyRateLimitStore {
  let endsAt = 0;
  let hits = new Map<string, number>();
  return {
    incr(key: string, callback: Callback, timeWindow: number) {
      const now = clock().getTime();
      if (now >= endsAt) {
        endsAt = windowEnd(now, timeWindow);
        hits = new Map();
      }
      const current = (hits.get(key) ?? 0) + 1;
      hits.set(key, current);
      callback(null, { current, ttl: endsAt - now });
    },
    child: () => processStore(clock),
  };
}

/** Counts in `rate_limit_counters`, so the limit holds across every process on the database. */
function databaseStore(db: Db, clock: Clock, route: string): FastifyRateLimitStore {
  return {
    incr(key: string, callback: Callback, timeWindow: number) {
      const now = clock().getTime();
      // An error fails closed: the plugin refuses the request (503 when the database is away),
      // and nothing these limits guard works without the database anyway.
      countHit(db, `${route} ${key}`, new Date(windowEnd(now, timeWindow))).then(
        (row) => callback(null, { current: row.hits, ttl: row.windowEndsAt.getTime() - now }),
        (error: Error) => callback(error),
      );
    },
    child: () => databaseStore(db, clock, route),
  };
}

/**
 * The `@fastify/rate-limit` store of the app: fixed windows aligned on the clock, counted in
 * the database for routes whose limit says `shared: true` (one counter per route and address),
 * in the process for the others.
 */
export function rateLimitStore(db: Db, clock: Clock): FastifyRateLimitStoreCtor {
  return class RateLimitStore implements FastifyRateLimitStore {
    readonly #local = processStore(clock);

    incr(key: string, callback: Callback, timeWindow: number): void {
      this.#local.incr(key, callback, timeWindow, 0);
    }

    child(options: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      const limit = options as unknown as RouteLimit;
      if (!limit.shared) return processStore(clock);
      const method = [limit.routeInfo?.method ?? ''].flat().join(',');
      return databaseStore(db, clock, `${method} ${limit.routeInfo?.url ?? ''}`);
    }
  };
}
