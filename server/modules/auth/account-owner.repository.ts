import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { chambers, patients, portalAccounts, users } from '../../db/schema.js';

/**
 * What is known about the owner of an invitation or reset link, in words: their names and
 * email addresses, and their clinic's name and code (a new password must not be built from
 * them). Empty when the account is gone.
 */
export async function findAccountOwnerWords(
  db: Db,
  chamberId: string,
  owner: { accountId: string | null; userId: string | null },
): Promise<(string | null)[]> {
  const clinic = await db
    .select({ name: chambers.name, key: chambers.key })
    .from(chambers)
    .where(eq(chambers.id, chamberId))
    .limit(1);
  const words: (string | null)[] = [clinic[0]?.name ?? null, clinic[0]?.key ?? null];
  if (owner.accountId) {
    const rows = await db
      .select({
        givenName: patients.givenName,
        familyName: patients.familyName,
        email: patients.email,
        accountName: portalAccounts.name,
        accountEmail: portalAccounts.email,
      })
      .from(portalAccounts)
      .leftJoin(
        patients,
        and(
          eq(patients.chamberId, portalAccounts.chamberId),
          eq(patients.id, portalAccounts.patientId),
        ),
      )
      .where(and(eq(portalAccounts.chamberId, chamberId), eq(portalAccounts.id, owner.accountId)))
      .limit(1);
    const p = rows[0];
    if (p) words.push(p.givenName, p.familyName, p.email, p.accountName, p.accountEmail);
  }
  if (owner.userId) {
    const rows = await db
      .select({ name: users.name, email: users.email })
      .from(users)
      .where(and(eq(users.chamberId, chamberId), eq(users.id, owner.userId)))
      .limit(1);
    const u = rows[0];
    if (u) words.push(u.name, u.email);
  }
  return words;
}
