import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { accountTokens, chambers, portalAccounts, sessions, users } from '../../db/schema.js';

export async function findChamberByKey(db: Db, key: string) {
  const rows = await db.select().from(chambers).where(eq(chambers.key, key)).limit(1);
  return rows[0];
}

export async function findStaffByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.chamberId, chamberId), sql`lower(${users.email}) = lower(${email})`))
    .limit(1);
  return rows[0];
}

export async function findPortalAccountByEmail(db: Db, chamberId: string, email: string) {
  const rows = await db
    .select()
    .from(portalAccounts)
    .where(
      and(
        eq(portalAccounts.chamberId, chamberId),
        sql`lower(${portalAccounts.email}) = lower(${email})`,
      ),
    )
    .limit(1);
  return rows[0];
}

export async function insertSession(db: Db, row: typeof sessions.$inferInsert): Promise<void> {
  await db.insert(sessions).values(row);
}

/** The session for a cookie, with the staff user's current roles or the patient's name. */
export async function findSessionByTokenHash(db: Db, tokenHash: string) {
  const result = await db.execute<{
    chamber_id: string;
    id: string;
    kind: 'staff' | 'patient';
    user_id: string | null;
    patient_id: string | null;
    last_seen_at: Date | string;
    expires_at: Date | string;
    user_name: string | null;
    user_email: string | null;
    user_active: boolean | null;
    is_admin: boolean | null;
    role_ids: string[] | null;
    patient_name: string | null;
    portal_enabled: boolean;
    account_state: string | null;
    band_online_access: string | null;
    band_allows_messaging: boolean | null;
  }>(sql`
    select s.chamber_id, s.id, s.kind, s.user_id, s.patient_id, s.last_seen_at, s.expires_at,
           u.name as user_name, u.email as user_email, u.active as user_active, u.is_admin,
           (select coalesce(array_agg(rm.role_id::text), '{}') from role_members rm
              join roles r on r.chamber_id = rm.chamber_id and r.id = rm.role_id and r.deleted_at is null
             where rm.chamber_id = s.chamber_id and rm.user_id = s.user_id) as role_ids,
           case when p.id is null then null else p.given_name || ' ' || p.family_name end as patient_name,
           c.patient_portal_enabled as portal_enabled, a.state as account_state,
           b.online_access as band_online_access, b.allow_online_messaging as band_allows_messaging
      from sessions s
      join chambers c on c.id = s.chamber_id
      left join users u on u.chamber_id = s.chamber_id and u.id = s.user_id
      left join patients p on p.chamber_id = s.chamber_id and p.id = s.patient_id
      left join charge_bands b on b.chamber_id = p.chamber_id and b.id = p.charge_band_id
      left join portal_accounts a on a.chamber_id = p.chamber_id and a.patient_id = p.id
     where s.token_hash = ${tokenHash}
     limit 1`);
  return result.rows[0];
}

export async function touchSession(db: Db, chamberId: string, id: string, at: Date): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: at })
    .where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)));
}

export async function deleteSession(db: Db, chamberId: string, id: string): Promise<void> {
  await db.delete(sessions).where(and(eq(sessions.chamberId, chamberId), eq(sessions.id, id)));
}

/** Ends every session of one staff user or one patient (sign-out everywhere). */
export async function deleteSessionsOf(
  db: Db,
  chamberId: string,
  subject: { userId: string } | { patientId: string },
): Promise<void> {
  await db
    .delete(sessions)
    .where(
      and(
        eq(sessions.chamberId, chamberId),
        'userId' in subject
          ? eq(sessions.userId, subject.userId)
          : eq(sessions.patientId, subject.patientId),
      ),
    );
}

export async function findUsableToken(db: Db, tokenHash: string, now: Date) {
  const rows = await db
    .select()
    .from(accountTokens)
    .where(
      and(
        eq(accountTokens.tokenHash, tokenHash),
        sql`${accountTokens.usedAt} is null`,
        sql`${accountTokens.expiresAt} > ${now.toISOString()}::timestamptz`,
      ),
    )
    .limit(1);
  return rows[0];
}

/** Marks a link used; false when a concurrent request used it first. */
export async function consumeToken(
  db: Db,
  chamberId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        eq(accountTokens.id, id),
        sql`${accountTokens.usedAt} is null`,
      ),
    )
    .returning({ id: accountTokens.id });
  return rows.length === 1;
}

/** Retires every outstanding link of an account, so only the newest can be used. */
export async function retireTokensOf(
  db: Db,
  chamberId: string,
  subject: { userId: string } | { patientId: string },
  now: Date,
): Promise<void> {
  await db
    .update(accountTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(accountTokens.chamberId, chamberId),
        sql`${accountTokens.usedAt} is null`,
        'userId' in subject
          ? eq(accountTokens.userId, subject.userId)
          : eq(accountTokens.patientId, subject.patientId),
      ),
    );
}
