import { and, eq, or, sql, type Placeholder, type SQL } from 'drizzle-orm';
import { uuidArrayParam } from '../../db/arrays.js';
import { messages } from '../../db/schema.js';

/**
 * SPEC rule 4, who sees which message, written once in its two forms side by side: a
 * TypeScript predicate (live events decide per listener) and the same predicate as SQL (lists
 * and look-ups filter in the database). `visibility.policy.test.ts` holds them against each
 * other on real rows.
 */

/** Someone reading messages: a patient, or a staff user with the roles they hold now. */
export type Reader =
  { kind: 'patient'; patientId: string } | { kind: 'staff'; userId: string; roleIds: string[] };

/** What rule 4 looks at in a message. */
export interface MessageAudience {
  patientId: string;
  sharedWithPatient: boolean;
  authorUserId: string | null;
  /** The roles the message is shared with. */
  roleIds: string[];
}

/** The reader an actor of a request or a live stream is. */
export function readerOf(
  actor:
    { kind: 'patient'; patientId: string } | { kind: 'staff'; userId: string; roleIds: string[] },
): Reader {
  return actor.kind === 'patient'
    ? { kind: 'patient', patientId: actor.patientId }
    : { kind: 'staff', userId: actor.userId, roleIds: actor.roleIds };
}

/**
 * Rule 4: a patient sees the messages shared with them in their own conversations; a staff
 * user sees a message they wrote or one shared with a role they hold.
 */
export function maySee(reader: Reader, m: MessageAudience): boolean {
  if (reader.kind === 'patient') return m.sharedWithPatient && m.patientId === reader.patientId;
  return m.authorUserId === reader.userId || m.roleIds.some((r) => reader.roleIds.includes(r));
}

/** A table with the columns of `messages` (the table itself or an alias of it). */
type MessagesTable = Pick<
  typeof messages,
  'patientId' | 'sharedWithPatient' | 'authorUserId' | 'roleIds'
>;

/**
 * A reader of a statement prepared once: its values are given when the statement runs, under
 * these placeholder names (`readerPatientId`, or `readerUserId` and `readerRoleIds`).
 */
export type PreparedReader =
  | { kind: 'patient'; patientId: Placeholder }
  | { kind: 'staff'; userId: Placeholder; roleIds: Placeholder };

export function preparedReader(kind: 'patient'): Extract<PreparedReader, { kind: 'patient' }>;
export function preparedReader(kind: 'staff'): Extract<PreparedReader, { kind: 'staff' }>;
export function preparedReader(kind: Reader['kind']): PreparedReader {
  return kind === 'patient'
    ? { kind, patientId: sql.placeholder('readerPatientId') }
    : { kind, userId: sql.placeholder('readerUserId'), roleIds: sql.placeholder('readerRoleIds') };
}

/** The values of a `preparedReader` for one reader. */
export function readerValues(reader: Reader): Record<string, unknown> {
  return reader.kind === 'patient'
    ? { readerPatientId: reader.patientId }
    : { readerUserId: reader.userId, readerRoleIds: reader.roleIds };
}

/** `maySee` as an SQL condition on a row of `messages` (or of an alias of it). */
export function maySeeSql(reader: Reader | PreparedReader, m: MessagesTable = messages): SQL {
  if (reader.kind === 'patient') {
    return and(sql`${m.sharedWithPatient}`, eq(m.patientId, reader.patientId))!;
  }
  const heldRole = Array.isArray(reader.roleIds)
    ? reader.roleIds.length > 0
      ? sql`${m.roleIds} && ${uuidArrayParam(reader.roleIds)}`
      : sql`false`
    : sql`${m.roleIds} && ${reader.roleIds}::uuid[]`;
  return or(eq(m.authorUserId, reader.userId), heldRole)!;
}
