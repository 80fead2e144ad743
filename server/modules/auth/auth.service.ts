import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { AppError, badRequest, forbidden } from '../../errors.js';
import { portalAccounts, users, type chambers } from '../../db/schema.js';
import { minutes } from '../../lib/clock.js';
import type { ServiceContext } from '../../lib/context.js';
import { assertAcceptablePassword, hashPassword, verifyPassword } from '../../lib/passwords.js';
import { hashToken, newToken } from '../../lib/tokens.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { audit, auditEntry } from '../audit/audit.service.js';
import type { Actor, AnonymousActor, PatientActor, StaffActor } from './actor.js';
import { createAccountLink } from './account-links.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { findPatientRecord } from '../patients/patient.repository.js';
import { presentPatientRecord } from '../patients/patient.presenter.js';
import { listRoles } from '../roles/role.repository.js';
import {
  consumeToken,
  deleteSession,
  deleteSessionsOf,
  findChamberByKey,
  findPortalAccountByEmail,
  findSessionByTokenHash,
  findStaffByEmail,
  findUsableToken,
  insertSession,
  touchSession,
} from './auth.repository.js';

/** Rule 8: the fifth failed sign-in in a row blocks a portal account (and locks a staff one). */
export const MAX_FAILED_SIGN_INS = 5;
/** How long a staff user stays locked out after too many failures. */
export const STAFF_LOCKOUT_MS = minutes(15);
/** Rule 8: a reset for the same email at most every 3 minutes. */
export const RESET_COOLDOWN_MS = minutes(3);
/**
 * A password-reset request answers no sooner than this (ms), known email or not, so that its
 * time does not tell whether the email belongs to an account.
 */
export const RESET_ANSWER_MS = 100;
/** A session's last-seen time is written at most this often. */
const TOUCH_EVERY_MS = 60_000;

export interface SignInInput {
  chamber: string;
  email: string;
  password: string;
}

type Chamber = typeof chambers.$inferSelect;

export interface NewSession {
  token: string;
  expiresAt: Date;
}

const invalidCredentials = (): AppError =>
  new AppError(401, 'invalid_credentials', 'The email or password is not correct.', 'password');

export function createAuthService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;

  /** A new session row (in the caller's transaction) and the token for its cookie. */
  async function startSession(
    tx: Db,
    chamberId: string,
    subject: { userId: string } | { patientId: string },
    ip: string | null,
  ): Promise<NewSession> {
    const now = clock();
    const token = newToken();
    const expiresAt = new Date(now.getTime() + config.sessionAbsoluteHours * 3_600_000);
    await insertSession(tx, {
      chamberId,
      id: randomUUID(),
      tokenHash: hashToken(token),
      kind: 'userId' in subject ? 'staff' : 'patient',
      userId: 'userId' in subject ? subject.userId : null,
      patientId: 'patientId' in subject ? subject.patientId : null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      ip,
    });
    return { token, expiresAt };
  }

  /** Rule 6: a failed sign-in is recorded even when the email belongs to no account. */
  async function recordUnknownAccount(
    chamberId: string,
    anon: AnonymousActor,
    action: 'staff.sign_in_failed' | 'portal.sign_in_failed',
    email: string,
    now: Date,
  ): Promise<void> {
    await insertAuditEvents(db, [
      auditEntry(
        chamberId,
        anon,
        now,
        { action, details: { reason: 'unknown_account' } },
        email.trim().slice(0, 254),
      ),
    ]);
  }

  /** Emails a reset link when the email belongs to an account, at most every 3 minutes. */
  async function sendResetLink(
    anon: AnonymousActor,
    kind: 'staff' | 'patient',
    input: { chamber: string; email: string },
  ): Promise<void> {
    const now = clock();
    const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
    if (!chamber) return;
    const email = input.email.trim();
    await db.transaction(async (tx) => {
      if (kind === 'patient') {
        const account = await findPortalAccountByEmail(tx, chamber.id, email);
        if (!account || account.state === 'disabled') return;
        if (
          account.lastResetRequestedAt &&
          now.getTime() - account.lastResetRequestedAt.getTime() < RESET_COOLDOWN_MS
        )
          return;
        await tx
          .update(portalAccounts)
          .set({ lastResetRequestedAt: now, updatedAt: now })
          .where(
            and(
              eq(portalAccounts.chamberId, chamber.id),
              eq(portalAccounts.patientId, account.patientId),
            ),
          );
        await createAccountLink(tx, {
          chamberId: chamber.id,
          subject: { patientId: account.patientId },
          // Someone who lost the invitation email gets a new invitation.
          purpose: account.state === 'invited' ? 'invitation' : 'reset',
          now,
        });
        await insertAuditEvents(tx, [
          auditEntry(
            chamber.id,
            anon,
            now,
            {
              action: 'portal.password_reset_requested',
              patientId: account.patientId,
              subjectType: 'portal_account',
              subjectId: account.patientId,
            },
            email,
          ),
        ]);
      } else {
        const user = await findStaffByEmail(tx, chamber.id, email);
        if (!user || !user.active) return;
        const recent = await tx.execute<{ n: number }>(sql`
          select count(*)::int as n from account_tokens
           where chamber_id = ${chamber.id} and user_id = ${user.id} and purpose = 'reset'
             and created_at > ${new Date(now.getTime() - RESET_COOLDOWN_MS).toISOString()}::timestamptz`);
        if (Number(recent.rows[0]?.n ?? 0) > 0) return;
        await createAccountLink(tx, {
          chamberId: chamber.id,
          subject: { userId: user.id },
          purpose: 'reset',
          now,
        });
        await insertAuditEvents(tx, [
          auditEntry(
            chamber.id,
            anon,
            now,
            { action: 'staff.password_reset_requested', subjectType: 'user', subjectId: user.id },
            email,
          ),
        ]);
      }
    });
    ctx.signals.jobsEnqueued();
  }

  return {
    /** Staff sign-in: chamber key, email and password; five failures lock the user for 15 minutes. */
    async signInStaff(
      anon: AnonymousActor,
      input: SignInInput,
    ): Promise<NewSession & { userId: string }> {
      const now = clock();
      const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
      const user = chamber ? await findStaffByEmail(db, chamber.id, input.email.trim()) : undefined;
      const ok = await verifyPassword(user?.passwordHash, input.password);
      if (!chamber) throw invalidCredentials();
      if (!user) {
        await recordUnknownAccount(chamber.id, anon, 'staff.sign_in_failed', input.email, now);
        throw invalidCredentials();
      }
      const failed = async (reason: string, err: AppError) => {
        await db.transaction(async (tx) => {
          if (reason === 'wrong_password') {
            // Counted in one statement, so attempts arriving together are all counted.
            const lockUntil = new Date(now.getTime() + STAFF_LOCKOUT_MS).toISOString();
            await tx.execute(sql`
              update users
                 set failed_sign_ins = case when failed_sign_ins + 1 >= ${MAX_FAILED_SIGN_INS} then 0 else failed_sign_ins + 1 end,
                     locked_until = case when failed_sign_ins + 1 >= ${MAX_FAILED_SIGN_INS} then ${lockUntil}::timestamptz else locked_until end
               where chamber_id = ${chamber.id}::uuid and id = ${user.id}::uuid`);
          }
          await insertAuditEvents(tx, [
            auditEntry(
              chamber.id,
              anon,
              now,
              {
                action: 'staff.sign_in_failed',
                subjectType: 'user',
                subjectId: user.id,
                details: { reason },
              },
              input.email.trim(),
            ),
          ]);
        });
        throw err;
      };
      if (!ok) return failed('wrong_password', invalidCredentials());
      if (user.lockedUntil && user.lockedUntil > now) {
        return failed(
          'locked',
          new AppError(
            403,
            'account_locked',
            'Too many failed sign-ins: this account is locked for a few minutes, or until a password reset.',
            'email',
          ),
        );
      }
      if (!user.active) {
        return failed(
          'inactive',
          forbidden(
            'account_not_active',
            'This user is Inactive. Please ask an administrator.',
            'email',
          ),
        );
      }
      const session = await db.transaction(async (tx) => {
        await tx
          .update(users)
          .set({ failedSignIns: 0, lockedUntil: null })
          .where(and(eq(users.chamberId, chamber.id), eq(users.id, user.id)));
        const s = await startSession(tx, chamber.id, { userId: user.id }, anon.ip);
        await insertAuditEvents(tx, [
          // Signed in: the row names the user as its actor, so filtering by user finds it.
          {
            ...auditEntry(
              chamber.id,
              anon,
              now,
              { action: 'staff.sign_in', subjectType: 'user', subjectId: user.id },
              user.name,
            ),
            actorKind: 'staff',
            actorUserId: user.id,
          },
        ]);
        return s;
      });
      return { ...session, userId: user.id };
    },

    /**
     * Patient sign-in. A wrong password counts towards the block; a right password on a blocked
     * or disabled account, or with the portal switched off, says why (the caller knows the password).
     */
    async signInPatient(
      anon: AnonymousActor,
      input: SignInInput,
    ): Promise<NewSession & { patientId: string; chamber: Chamber }> {
      const now = clock();
      const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
      const account = chamber
        ? await findPortalAccountByEmail(db, chamber.id, input.email.trim())
        : undefined;
      const ok = await verifyPassword(account?.passwordHash, input.password);
      if (!chamber) throw invalidCredentials();
      if (!account) {
        await recordUnknownAccount(chamber.id, anon, 'portal.sign_in_failed', input.email, now);
        throw invalidCredentials();
      }
      const failed = async (reason: string, err: AppError) => {
        await db.transaction(async (tx) => {
          if (reason === 'wrong_password' && account.state === 'active') {
            // Counted in one statement, so attempts arriving together are all counted.
            const counted = await tx.execute<{ failed_sign_ins: number; state: string }>(sql`
              update portal_accounts
                 set failed_sign_ins = failed_sign_ins + 1,
                     state = case when failed_sign_ins + 1 >= ${MAX_FAILED_SIGN_INS} then 'blocked' else state end,
                     updated_at = ${now.toISOString()}::timestamptz
               where chamber_id = ${chamber.id}::uuid and patient_id = ${account.patientId}::uuid and state = 'active'
              returning failed_sign_ins, state`);
            const row = counted.rows[0];
            if (row && row.state === 'blocked') {
              await deleteSessionsOf(tx, chamber.id, { patientId: account.patientId });
              await insertAuditEvents(tx, [
                auditEntry(
                  chamber.id,
                  { kind: 'anonymous', ip: anon.ip },
                  now,
                  {
                    action: 'portal_account.blocked',
                    patientId: account.patientId,
                    subjectType: 'portal_account',
                    subjectId: account.patientId,
                    details: { reason: 'failed_sign_ins' },
                  },
                  'system',
                ),
              ]);
            }
          }
          await insertAuditEvents(tx, [
            auditEntry(
              chamber.id,
              anon,
              now,
              {
                action: 'portal.sign_in_failed',
                patientId: account.patientId,
                subjectType: 'portal_account',
                subjectId: account.patientId,
                details: { reason },
              },
              input.email.trim(),
            ),
          ]);
        });
        throw err;
      };
      if (!ok) return failed('wrong_password', invalidCredentials());
      if (account.state === 'blocked') {
        return failed(
          'blocked',
          forbidden(
            'account_blocked',
            'This account is blocked after too many failed sign-ins. Use "Forgotten password" to set a new password, or contact the clinic.',
            'email',
          ),
        );
      }
      if (account.state !== 'active') {
        return failed(
          'not_active',
          forbidden(
            'account_not_active',
            'This portal account is not active. Please contact the clinic.',
            'email',
          ),
        );
      }
      if (!chamber.patientPortalEnabled) {
        return failed(
          'portal_disabled',
          forbidden(
            'portal_disabled',
            'The Patient Portal is not available at this clinic. Please contact the clinic.',
          ),
        );
      }
      const session = await db.transaction(async (tx) => {
        // The count of failed sign-ins in a row starts again (nothing to write when it is 0).
        if (account.failedSignIns !== 0)
          await tx
            .update(portalAccounts)
            .set({ failedSignIns: 0, updatedAt: now })
            .where(
              and(
                eq(portalAccounts.chamberId, chamber.id),
                eq(portalAccounts.patientId, account.patientId),
              ),
            );
        const s = await startSession(tx, chamber.id, { patientId: account.patientId }, anon.ip);
        await insertAuditEvents(tx, [
          {
            ...auditEntry(
              chamber.id,
              anon,
              now,
              {
                action: 'portal.sign_in',
                patientId: account.patientId,
                subjectType: 'portal_account',
                subjectId: account.patientId,
              },
              input.email.trim(),
            ),
            actorKind: 'patient',
            actorPatientId: account.patientId,
          },
        ]);
        return s;
      });
      return { ...session, patientId: account.patientId, chamber };
    },

    /** The signed-in staff user with their roles and the chamber's display settings. */
    async describeStaff(actor: StaffActor) {
      const chamber = await findChamber(db, actor.chamberId);
      const roles = (await listRoles(db, actor.chamberId)).filter((r) =>
        actor.roleIds.includes(r.id),
      );
      return {
        user: {
          id: actor.userId,
          name: actor.name,
          email: actor.email,
          isAdmin: actor.isAdmin,
          roles: roles.map((r) => ({ id: r.id, name: r.name })),
        },
        chamber: { key: chamber?.key, name: chamber?.name, timeZone: chamber?.timeZone },
        sessionIdleMinutes: config.sessionIdleMinutes,
      };
    },

    /** The signed-in patient, and whether they may message (rule 1) so the portal shows the Inbox or not. */
    async describePatient(
      actor: Pick<PatientActor, 'chamberId' | 'patientId' | 'name'>,
      /** The chamber, when the caller has just read it (sign-in). */
      known?: Chamber,
    ) {
      const row = await findPatientRecord(db, actor.chamberId, actor.patientId);
      const chamber = known ?? (await findChamber(db, actor.chamberId));
      const record = row ? presentPatientRecord(row) : null;
      return {
        patient: { id: actor.patientId, name: record?.name ?? actor.name },
        chamber: { key: chamber?.key, name: chamber?.name, timeZone: chamber?.timeZone },
        messaging: record?.messaging ?? {
          allowed: false,
          reason: 'account_not_active',
          message: null,
        },
        sessionIdleMinutes: config.sessionIdleMinutes,
      };
    },

    /**
     * The actor for a session cookie of the expected kind, or null when the cookie is unknown,
     * expired (idle or absolute), or its user was made Inactive.
     */
    async resolveSession(
      token: string,
      kind: 'staff' | 'patient',
      ip: string | null,
      options: { touch?: boolean } = {},
    ): Promise<StaffActor | PatientActor | null> {
      if (token.length < 20 || token.length > 100) return null;
      const row = await findSessionByTokenHash(db, hashToken(token));
      if (!row || row.kind !== kind) return null;
      const now = clock();
      const lastSeen = new Date(row.last_seen_at);
      const idleLimit = lastSeen.getTime() + config.sessionIdleMinutes * 60_000;
      if (
        now.getTime() >= idleLimit ||
        now >= new Date(row.expires_at) ||
        (kind === 'staff' && row.user_active !== true)
      ) {
        await deleteSession(db, row.chamber_id, row.id);
        return null;
      }
      // A live-events stream checks its session without counting as activity.
      if (options.touch !== false && now.getTime() - lastSeen.getTime() >= TOUCH_EVERY_MS) {
        await touchSession(db, row.chamber_id, row.id, now);
      }
      if (kind === 'staff') {
        return {
          kind: 'staff',
          chamberId: row.chamber_id,
          userId: row.user_id!,
          name: row.user_name ?? '',
          email: row.user_email ?? '',
          roleIds: row.role_ids ?? [],
          isAdmin: row.is_admin === true,
          sessionId: row.id,
          ip,
        };
      }
      return {
        kind: 'patient',
        chamberId: row.chamber_id,
        patientId: row.patient_id!,
        name: row.patient_name ?? '',
        sessionId: row.id,
        ip,
        access:
          row.band_online_access === null
            ? undefined
            : {
                portalEnabled: row.portal_enabled,
                accountState: row.account_state,
                bandOnlineAccess: row.band_online_access,
                bandAllowsMessaging: row.band_allows_messaging === true,
              },
      };
    },

    /** Signs out everywhere: every session row of the account is deleted, so no cookie of it works. */
    async signOut(actor: Actor): Promise<void> {
      await db.transaction(async (tx) => {
        // Rule 8: signing out ends the account's sessions everywhere, on every device.
        await deleteSessionsOf(
          tx,
          actor.chamberId,
          actor.kind === 'staff' ? { userId: actor.userId } : { patientId: actor.patientId },
        );
        await audit(tx, actor, clock(), {
          action: actor.kind === 'staff' ? 'staff.sign_out' : 'portal.sign_out',
          subjectType: actor.kind === 'staff' ? 'user' : 'portal_account',
          subjectId: actor.kind === 'staff' ? actor.userId : actor.patientId,
        });
      });
    },

    /**
     * Emails a reset link when the email belongs to an account, at most every 3 minutes; the
     * answer never says whether it does.
     */
    async requestPasswordReset(
      anon: AnonymousActor,
      kind: 'staff' | 'patient',
      input: { chamber: string; email: string },
    ): Promise<void> {
      // Nor does its time: a known email costs a few writes, an unknown one none, so every
      // request answers after the same minimum time.
      const started = performance.now();
      await sendResetLink(anon, kind, input);
      const wait = RESET_ANSWER_MS - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },

    /**
     * Sets a password from an emailed invitation or reset link: the link is used up, the account
     * becomes Active (a block is lifted), and every existing session of the account ends.
     */
    async setPasswordWithLink(
      anon: AnonymousActor,
      kind: 'staff' | 'patient',
      input: { token: string; password: string },
    ): Promise<void> {
      const now = clock();
      const invalidLink = () =>
        badRequest(
          'link_invalid',
          'This link is not valid: it may have expired or been used already. Please ask for a new one.',
          'token',
        );
      if (input.token.length < 20 || input.token.length > 100) throw invalidLink();
      const token = await findUsableToken(db, hashToken(input.token), now);
      if (!token || token.accountKind !== kind) throw invalidLink();
      assertAcceptablePassword(input.password);
      const hash = await hashPassword(input.password);
      await db.transaction(async (tx) => {
        if (!(await consumeToken(tx, token.chamberId, token.id, now))) throw invalidLink();
        if (kind === 'patient' && token.patientId) {
          const updated = await tx
            .update(portalAccounts)
            .set({
              passwordHash: hash,
              state: 'active',
              failedSignIns: 0,
              passwordChangedAt: now,
              activatedAt: sql`coalesce(${portalAccounts.activatedAt}, ${now.toISOString()}::timestamptz)`,
              updatedAt: now,
            })
            .where(
              and(
                eq(portalAccounts.chamberId, token.chamberId),
                eq(portalAccounts.patientId, token.patientId),
                sql`${portalAccounts.state} <> 'disabled'`,
              ),
            )
            .returning({ email: portalAccounts.email });
          if (updated.length === 0) throw invalidLink();
          await deleteSessionsOf(tx, token.chamberId, { patientId: token.patientId });
          await insertAuditEvents(tx, [
            auditEntry(
              token.chamberId,
              anon,
              now,
              {
                action: 'portal.password_set',
                patientId: token.patientId,
                subjectType: 'portal_account',
                subjectId: token.patientId,
                details: { purpose: token.purpose },
              },
              updated[0]?.email,
            ),
          ]);
        } else if (kind === 'staff' && token.userId) {
          const updated = await tx
            .update(users)
            .set({
              passwordHash: hash,
              failedSignIns: 0,
              lockedUntil: null,
              passwordChangedAt: now,
              updatedAt: now,
            })
            .where(
              and(
                eq(users.chamberId, token.chamberId),
                eq(users.id, token.userId),
                eq(users.active, true),
              ),
            )
            .returning({ email: users.email });
          if (updated.length === 0) throw invalidLink();
          await deleteSessionsOf(tx, token.chamberId, { userId: token.userId });
          await insertAuditEvents(tx, [
            auditEntry(
              token.chamberId,
              anon,
              now,
              {
                action: 'staff.password_set',
                subjectType: 'user',
                subjectId: token.userId,
                details: { purpose: token.purpose },
              },
              updated[0]?.email,
            ),
          ]);
        } else {
          throw invalidLink();
        }
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
