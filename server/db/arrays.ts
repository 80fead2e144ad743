import { sql, type SQL } from 'drizzle-orm';

/**
 * A uuid[] (or text[]) from raw SQL: node-postgres parses it to an array, PGlite may answer
 * its text `{a,b}`; both read as a string array.
 */
export function uuidArray(v: string[] | string | null | undefined): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  return v
    .replace(/^\{|\}$/g, '')
    .split(',')
    .filter(Boolean);
}

/** A list of uuids as one bound `uuid[]` parameter (one value, whatever the list's length). */
export function uuidArrayParam(ids: readonly string[]): SQL {
  return sql`${`{${ids.join(',')}}`}::uuid[]`;
}
