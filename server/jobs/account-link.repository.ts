import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/connect.js';
import { accountTokens, portalAccounts, users } from '../db/schema.js';

/** An account link not used yet, with the email of the account it is for (null: no such account). */
export async function findUnusedAccountLink(db: Db, chamberId: string, tokenId: string) {
  const rows = await db
    .select({
      purpose: accountTokens.purpose,
      accountKind: accountTokens.accountKind,
      email: sql<string | null>`coalesce(${portalAccounts.email}, ${users.email})`,
    })
    .from(accountTokens)
    .leftJoin(
      portalAccounts,
      and(
        eq(portalAccounts.chamberId, accountTokens.chamberId),
        eq(portalAccounts.id, accountTokens.accountId),
      ),
    )
    .leftJoin(
      users,
      and(eq(users.chamberId, accountTokens.chamberId), eq(users.id, accountTokens.userId)),
    )
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        eq(accountTokens.id, tokenId),
        isNull(accountTokens.usedAt),
      ),
    );
  return rows[0];
}

/** Gives an unused link the hash of the token being emailed, and its lifetime from now. */
export async function reissueAccountLink(
  db: Db,
  chamberId: string,
  tokenId: string,
  tokenHash: string,
  expiresAt: Date,
): Promise<void> {
  await db
    .update(accountTokens)
    .set({ tokenHash, expiresAt })
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        eq(accountTokens.id, tokenId),
        isNull(accountTokens.usedAt),
      ),
    );
}
