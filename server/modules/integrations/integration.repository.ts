import { and, asc, desc, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { integrationClients, integrationTokens, users } from '../../db/schema.js';

/** A chamber's clients, live ones first, newest first, with who made and revoked them. */
export async function listClients(db: Db, chamberId: string) {
  return db
    .select({
      id: integrationClients.id,
      clientId: integrationClients.clientId,
      name: integrationClients.name,
      scopes: integrationClients.scopes,
      createdAt: integrationClients.createdAt,
      createdByName: users.name,
      lastTokenAt: integrationClients.lastTokenAt,
      revokedAt: integrationClients.revokedAt,
    })
    .from(integrationClients)
    .leftJoin(
      users,
      and(
        eq(users.chamberId, integrationClients.chamberId),
        eq(users.id, integrationClients.createdByUserId),
      ),
    )
    .where(eq(integrationClients.chamberId, chamberId))
    .orderBy(
      sql`${integrationClients.revokedAt} is not null`,
      desc(integrationClients.createdAt),
      asc(integrationClients.name),
    );
}

export type ClientListRow = Awaited<ReturnType<typeof listClients>>[number];

export async function findClient(db: Db, chamberId: string, id: string) {
  const rows = await db
    .select()
    .from(integrationClients)
    .where(and(eq(integrationClients.chamberId, chamberId), eq(integrationClients.id, id)))
    .limit(1);
  return rows[0];
}

export async function findLiveClientByName(db: Db, chamberId: string, name: string) {
  const rows = await db
    .select({ id: integrationClients.id, name: integrationClients.name })
    .from(integrationClients)
    .where(
      and(
        eq(integrationClients.chamberId, chamberId),
        sql`lower(${integrationClients.name}) = lower(${name})`,
        isNull(integrationClients.revokedAt),
      ),
    )
    .limit(1);
  return rows[0];
}

/**
 * The client a token request names. The `client_id` is what tells the chamber, so this is the
 * one lookup not filtered by chamber (as a session is found by its token hash).
 */
export async function findClientByClientId(db: Db, clientId: string) {
  const rows = await db
    .select()
    .from(integrationClients)
    .where(eq(integrationClients.clientId, clientId))
    .limit(1);
  return rows[0];
}

export async function clientIdTaken(db: Db, clientId: string): Promise<boolean> {
  const rows = await db
    .select({ id: integrationClients.id })
    .from(integrationClients)
    .where(eq(integrationClients.clientId, clientId))
    .limit(1);
  return rows.length > 0;
}

export async function insertClient(db: Db, row: typeof integrationClients.$inferInsert) {
  await db.insert(integrationClients).values(row);
}

/** Marks a client revoked; its tokens stop working at once. False when it was revoked already. */
export async function revokeClient(
  db: Db,
  chamberId: string,
  id: string,
  userId: string | null,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(integrationClients)
    .set({ revokedAt: now, revokedByUserId: userId })
    .where(
      and(
        eq(integrationClients.chamberId, chamberId),
        eq(integrationClients.id, id),
        isNull(integrationClients.revokedAt),
      ),
    )
    .returning({ id: integrationClients.id });
  return rows.length > 0;
}

export async function insertToken(db: Db, row: typeof integrationTokens.$inferInsert) {
  await db.insert(integrationTokens).values(row);
}

/** Notes when the client last got a token, and forgets its tokens that ended long ago. */
export async function recordTokenIssued(
  db: Db,
  chamberId: string,
  id: string,
  now: Date,
  forgetBefore: Date,
) {
  await db
    .update(integrationClients)
    .set({ lastTokenAt: now })
    .where(and(eq(integrationClients.chamberId, chamberId), eq(integrationClients.id, id)));
  await db
    .delete(integrationTokens)
    .where(
      and(
        eq(integrationTokens.chamberId, chamberId),
        eq(integrationTokens.integrationClientId, id),
        lt(integrationTokens.expiresAt, forgetBefore),
      ),
    );
}

/** A bearer token by its hash, with its client (found deployment-wide, like a session). */
export async function findTokenByHash(db: Db, tokenHash: string) {
  const rows = await db
    .select({
      chamberId: integrationTokens.chamberId,
      tokenId: integrationTokens.id,
      scopes: integrationTokens.scopes,
      expiresAt: integrationTokens.expiresAt,
      integrationId: integrationClients.id,
      clientId: integrationClients.clientId,
      name: integrationClients.name,
      revokedAt: integrationClients.revokedAt,
    })
    .from(integrationTokens)
    .innerJoin(
      integrationClients,
      and(
        eq(integrationClients.chamberId, integrationTokens.chamberId),
        eq(integrationClients.id, integrationTokens.integrationClientId),
      ),
    )
    .where(eq(integrationTokens.tokenHash, tokenHash))
    .limit(1);
  return rows[0];
}
