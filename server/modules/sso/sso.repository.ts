import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { authChallenges, chambers } from '../../db/schema.js';

/** Single sign-on as a chamber stores it; the client secret already sealed. */
export interface SsoColumns {
  issuer: string;
  clientId: string;
  /** The sealed client secret; undefined keeps the saved one. */
  sealedSecret?: string;
  name: string | null;
  allowPasswordSignIn: boolean;
}

/** Saves the chamber's single sign-on settings. */
export async function updateSso(
  db: Db,
  chamberId: string,
  sso: SsoColumns,
  now: Date,
): Promise<void> {
  await db
    .update(chambers)
    .set({
      ssoIssuer: sso.issuer,
      ssoClientId: sso.clientId,
      ...(sso.sealedSecret === undefined ? {} : { ssoClientSecret: sso.sealedSecret }),
      ssoName: sso.name,
      ssoAllowPasswordSignIn: sso.allowPasswordSignIn,
      updatedAt: now,
    })
    .where(eq(chambers.id, chamberId));
}

/** Removes the chamber's single sign-on (password sign-in allowed again). */
export async function clearSso(db: Db, chamberId: string, now: Date): Promise<void> {
  await db
    .update(chambers)
    .set({
      ssoIssuer: null,
      ssoClientId: null,
      ssoClientSecret: null,
      ssoName: null,
      ssoAllowPasswordSignIn: true,
      updatedAt: now,
    })
    .where(eq(chambers.id, chamberId));
}

/** Drops the chamber's single sign-on requests still waiting for the provider's answer. */
export async function deleteSsoRequests(db: Db, chamberId: string): Promise<void> {
  await db
    .delete(authChallenges)
    .where(and(eq(authChallenges.chamberId, chamberId), eq(authChallenges.purpose, 'sso')));
}
