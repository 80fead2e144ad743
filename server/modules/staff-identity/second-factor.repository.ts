import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { authChallenges, staffRecoveryCodes, staffSecondFactors, users } from '../../db/schema.js';

export {
  findFactorSummary,
  findSessionStage,
  type FactorSummary,
} from '../auth/auth.repository.js';
export type NewFactorRow = typeof staffSecondFactors.$inferInsert;

export type SecondFactorRow = typeof staffSecondFactors.$inferSelect;
export type ChallengeRow = typeof authChallenges.$inferSelect;
export type ChallengePurpose = ChallengeRow['purpose'];

export function listFactors(db: Db, chamberId: string, userId: string) {
  return db
    .select()
    .from(staffSecondFactors)
    .where(and(eq(staffSecondFactors.chamberId, chamberId), eq(staffSecondFactors.userId, userId)))
    .orderBy(asc(staffSecondFactors.createdAt), asc(staffSecondFactors.id));
}

export async function insertFactor(
  db: Db,
  row: typeof staffSecondFactors.$inferInsert,
): Promise<SecondFactorRow> {
  const [inserted] = await db.insert(staffSecondFactors).values(row).returning();
  return inserted!;
}

/** Removes one factor of the user; false when it is not theirs (or gone). */
export async function deleteFactor(
  db: Db,
  chamberId: string,
  userId: string,
  id: string,
): Promise<SecondFactorRow | undefined> {
  const [row] = await db
    .delete(staffSecondFactors)
    .where(
      and(
        eq(staffSecondFactors.chamberId, chamberId),
        eq(staffSecondFactors.userId, userId),
        eq(staffSecondFactors.id, id),
      ),
    )
    .returning();
  return row;
}

/** Removes every factor and recovery code of the user (an admin's reset); the count removed. */
export async function deleteAllFactors(db: Db, chamberId: string, userId: string) {
  const factors = await db
    .delete(staffSecondFactors)
    .where(and(eq(staffSecondFactors.chamberId, chamberId), eq(staffSecondFactors.userId, userId)))
    .returning({ kind: staffSecondFactors.kind });
  await db
    .delete(staffRecoveryCodes)
    .where(and(eq(staffRecoveryCodes.chamberId, chamberId), eq(staffRecoveryCodes.userId, userId)));
  return factors;
}

/** A passkey by its credential id, in any chamber (a passkey sign-in names no user first). */
export async function findPasskeyByCredential(db: Db, credentialId: string) {
  const rows = await db
    .select({
      factor: staffSecondFactors,
      user: {
        id: users.id,
        name: users.name,
        email: users.email,
        isAdmin: users.isAdmin,
        active: users.active,
        lockedUntil: users.lockedUntil,
      },
    })
    .from(staffSecondFactors)
    .innerJoin(
      users,
      and(
        eq(users.chamberId, staffSecondFactors.chamberId),
        eq(users.id, staffSecondFactors.userId),
      ),
    )
    .where(
      and(
        eq(staffSecondFactors.credentialId, credentialId),
        eq(staffSecondFactors.kind, 'passkey'),
      ),
    )
    .limit(1);
  return rows[0];
}

/**
 * Records a passkey's use: the new signature counter (only forward, so a cloned authenticator
 * replaying an old counter loses the race) and the time.
 */
export async function markPasskeyUsed(
  db: Db,
  chamberId: string,
  id: string,
  signCount: number,
  now: Date,
): Promise<void> {
  await db
    .update(staffSecondFactors)
    .set({
      signCount: sql`greatest(${staffSecondFactors.signCount}, ${signCount})`,
      lastUsedAt: now,
    })
    .where(and(eq(staffSecondFactors.chamberId, chamberId), eq(staffSecondFactors.id, id)));
}

/**
 * Records an accepted authenticator code's time step; false when this step (or a later one) was
 * already accepted, so a code works once even when two requests race.
 */
export async function claimTotpStep(
  db: Db,
  chamberId: string,
  id: string,
  step: number,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(staffSecondFactors)
    .set({ totpLastStep: step, lastUsedAt: now })
    .where(
      and(
        eq(staffSecondFactors.chamberId, chamberId),
        eq(staffSecondFactors.id, id),
        or(isNull(staffSecondFactors.totpLastStep), lt(staffSecondFactors.totpLastStep, step)),
      ),
    )
    .returning({ id: staffSecondFactors.id });
  return rows.length === 1;
}

/** Replaces the user's recovery codes with new ones (their hashes). */
export async function replaceRecoveryCodes(
  db: Db,
  chamberId: string,
  userId: string,
  hashes: { id: string; codeHash: string }[],
  now: Date,
): Promise<void> {
  await db
    .delete(staffRecoveryCodes)
    .where(and(eq(staffRecoveryCodes.chamberId, chamberId), eq(staffRecoveryCodes.userId, userId)));
  await db
    .insert(staffRecoveryCodes)
    .values(hashes.map((h) => ({ chamberId, userId, ...h, createdAt: now })));
}

/** Uses one unused recovery code of the user; false when none matches (or it was just used). */
export async function useRecoveryCode(
  db: Db,
  chamberId: string,
  userId: string,
  codeHash: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(staffRecoveryCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(staffRecoveryCodes.chamberId, chamberId),
        eq(staffRecoveryCodes.userId, userId),
        eq(staffRecoveryCodes.codeHash, codeHash),
        isNull(staffRecoveryCodes.usedAt),
      ),
    )
    .returning({ id: staffRecoveryCodes.id });
  return rows.length === 1;
}

export async function insertChallenge(
  db: Db,
  row: typeof authChallenges.$inferInsert,
): Promise<void> {
  await db.insert(authChallenges).values(row);
}

/**
 * Takes a challenge for use: deleted as it is read, so it works once. Undefined when it is
 * unknown, of another purpose, user or session, or expired.
 */
export async function takeChallenge(
  db: Db,
  where: {
    chamberId: string;
    id: string;
    purposes: ChallengePurpose[];
    userId?: string | null;
    sessionId?: string | null;
    now: Date;
  },
): Promise<ChallengeRow | undefined> {
  const [row] = await db
    .delete(authChallenges)
    .where(
      and(
        eq(authChallenges.chamberId, where.chamberId),
        eq(authChallenges.id, where.id),
        inArray(authChallenges.purpose, where.purposes),
        where.userId === undefined
          ? undefined
          : where.userId === null
            ? isNull(authChallenges.userId)
            : eq(authChallenges.userId, where.userId),
        where.sessionId === undefined
          ? undefined
          : where.sessionId === null
            ? isNull(authChallenges.sessionId)
            : eq(authChallenges.sessionId, where.sessionId),
      ),
    )
    .returning();
  if (!row || row.expiresAt <= where.now) return undefined;
  return row;
}

/** Takes a single sign-on request by the hash of its state (any chamber). */
export async function takeChallengeByValue(
  db: Db,
  purpose: ChallengePurpose,
  challenge: string,
  now: Date,
): Promise<ChallengeRow | undefined> {
  const [row] = await db
    .delete(authChallenges)
    .where(and(eq(authChallenges.challenge, challenge), eq(authChallenges.purpose, purpose)))
    .returning();
  if (!row || row.expiresAt <= now) return undefined;
  return row;
}

/** Drops challenges past their time (the worker's sweep). */
export async function deleteExpiredChallenges(db: Db, now: Date): Promise<number> {
  const rows = await db
    .delete(authChallenges)
    .where(lt(authChallenges.expiresAt, now))
    .returning({ id: authChallenges.id });
  return rows.length;
}
