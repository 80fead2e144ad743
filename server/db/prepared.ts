import { sql } from 'drizzle-orm';
import type { Db } from './connect.js';

/**
 * A hot query built once per database handle and run as a prepared statement after that.
 * Building SQL from Drizzle's query builder costs more Node CPU than the database spends on a
 * small indexed read (measured on the Inbox: half the product's CPU per request), so the reads
 * every request makes are built once, with `sql.placeholder` for their values. Called with a
 * transaction it builds for that transaction only (the cache holds it weakly).
 */
export function preparedFor<Q>(build: (db: Db) => Q): (db: Db) => Q {
  const cache = new WeakMap<Db, Q>();
  return (db) => {
    let query = cache.get(db);
    if (query === undefined) {
      query = build(db);
      cache.set(db, query);
    }
    return query;
  };
}

/** A value given when a prepared query runs (`execute({ name: value })`). */
export const placeholder = (name: string) => sql.placeholder(name);

/**
 * A paged list prepared in its two forms, its first page and a page before the cursor (the
 * placeholder `beforeSeq`), and run in the form the cursor asks for.
 */
export function preparedPages<
  Q extends { execute(values?: Record<string, unknown>): Promise<unknown> },
>(build: (db: Db, paged: boolean) => Q) {
  const forms = preparedFor((db) => ({ first: build(db, false), next: build(db, true) }));
  return (
    db: Db,
    values: Record<string, unknown>,
    beforeSeq: number | undefined,
  ): ReturnType<Q['execute']> => {
    const { first, next } = forms(db);
    return (
      beforeSeq === undefined ? first.execute(values) : next.execute({ ...values, beforeSeq })
    ) as ReturnType<Q['execute']>;
  };
}
