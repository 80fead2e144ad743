import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  PasswordResetRequest,
  PortalSession,
  SessionChamber,
  SetPassword,
  SignIn,
  StaffSession,
} from '../../../common/contract/auth.js';
import type { Db } from '../../db/connect.js';
import { AppError, badRequest, forbidden, notFound, unauthenticated } from '../../errors.js';
import { minutes } from '../../lib/clock.js';
import type { ServiceContext } from '../../lib/context.js';
import {
  assertAcceptablePassword,
  hashPassword,
  passwordUserInputs,
  verifyPassword,
} from '../../lib/passwords.js';
import { hashToken, newToken } from '../../lib/tokens.js';
import { insertAuditEvents, type AuditEntry } from '../audit/audit.repository.js';
import { audit, auditEntry, type AuditAction } from '../audit/audit.service.js';
import type {
  Actor,
  AnonymousActor,
  PatientActor,
  StaffActor,
  StaffSessionStage,
} from './actor.js';
import type {
  SecondFactorDue,
  SecondFactorMethod,
} from '../../../common/contract/staff-identity.js';
import { relyingParty } from '../../lib/relying-party.js';
import { createAccountLink } from './account-links.js';
import { findChamber, findChamberByKey } from '../chambers/chamber.repository.js';
import { passwordSignInAllowed } from '../chambers/single-sign-on.policy.js';
import { findAccountOwnerWords } from './account-owner.repository.js';
import {
  ELIGIBILITY_MESSAGES,
  messagingEligibility,
} from '../portal-access/portal-access.policy.js';
import {
  clearFailedSignIns,
  consumeToken,
  countFailedSignIn,
  deleteSession,
  deleteSessionsOf,
  findFactorSummary,
  type FactorSummary,
  findPortalAccountByEmail,
  takeHalfSession,
  findPortalPatient,
  findSessionByTokenHash,
  findStaffByEmail,
  findStaffRoles,
  findUsableToken,
  hasResetLinkSince,
  insertSession,
  markResetRequested,
  setAccountPassword,
  setSessionPatient,
  touchSession,
  type AccountSubject,
} from './auth.repository.js';
import { findActingForChoices } from '../portal-access/acting-for.repository.js';

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
/**
 * A session's last-seen time is written at most this often: not a write per request, and the
 * idle limit counted from it ends a session at most this much before its last use plus the limit.
 */
const TOUCH_EVERY_MS = 5_000;

/** The two kinds of account: a staff user (`/staff/...`) or a patient's portal account (`/portal/...`). */
export type AccountKind = 'staff' | 'patient';

type Chamber = NonNullable<Awaited<ReturnType<typeof findChamber>>>;

export interface NewSession {
  token: string;
  expiresAt: Date;
}

/** The audit actions of each kind of account. */
const ACTIONS = {
  staff: {
    signIn: 'staff.sign_in',
    signInFailed: 'staff.sign_in_failed',
    signOut: 'staff.sign_out',
    resetRequested: 'staff.password_reset_requested',
    passwordSet: 'staff.password_set',
  },
  patient: {
    signIn: 'portal.sign_in',
    signInFailed: 'portal.sign_in_failed',
    signOut: 'portal.sign_out',
    resetRequested: 'portal.password_reset_requested',
    passwordSet: 'portal.password_set',
  },
} as const satisfies Record<AccountKind, Record<string, AuditAction>>;

const invalidCredentials = (): AppError =>
  new AppError(401, 'invalid_credentials', 'The email or password is not correct.', 'password');

/** Why a sign-in is refused, as its audit row names it, and the answer for each. */
const REFUSALS = {
  wrong_password: invalidCredentials,
  locked: () =>
    new AppError(
      403,
      'account_locked',
      'Too many failed sign-ins: this account is locked for a few minutes, or until a password reset.',
      'email',
    ),
  inactive: () =>
    forbidden('account_not_active', 'This user is Inactive. Please ask an administrator.', 'email'),
  blocked: () =>
    forbidden(
      'account_blocked',
      'This account is blocked after too many failed sign-ins. Use "Forgotten password" to set a new password, or contact the clinic.',
      'email',
    ),
  not_active: () =>
    forbidden(
      'account_not_active',
      'This portal account is not active. Please contact the clinic.',
      'email',
    ),
  sign_up_unconfirmed: () =>
    forbidden(
      'account_not_active',
      'Confirm your email first: open the link we emailed you when you signed up.',
      'email',
    ),
  portal_disabled: () =>
    forbidden(
      'portal_disabled',
      'The Patient Portal is not available at this clinic. Please contact the clinic.',
    ),
  nobody_to_act_for: () =>
    forbidden(
      'nobody_to_act_for',
      'This portal account may no longer act for anyone at this clinic. Please contact the clinic.',
      'email',
    ),
  password_sign_in_off: () =>
    forbidden(
      'password_sign_in_off',
      'This clinic signs staff in through single sign-on: use the "Sign in with" button.',
      'password',
    ),
} satisfies Record<string, () => AppError>;
type Refusal = keyof typeof REFUSALS;

/**
 * A staff user or a portal account as sign-in reads it: what differs between the two kinds,
 * as data, so that one sign-in flow serves both.
 */
interface SignInAccount {
  subject: AccountSubject;
  passwordHash: string | null;
  /** Whether a wrong password counts: towards a staff lock, or an Active account's block. */
  countsFailures: boolean;
  /** Whether a success has a count of failures (or a lock) to clear. */
  hasFailures: boolean;
  /** Why the right password still does not sign in, or null. */
  refusal: Refusal | null;
  /** Who the sign-in's audit row names: the user's name, or the email the patient typed. */
  label: string;
  /** The answer of the sign-in, from what sign-in read (no session read back). */
  describe(): Promise<StaffSession | PortalSession>;
  /** A staff user: their session may need a second factor first (rule 19). */
  staffUser?: StaffUser;
  /** A portal account: the patient its new session acts for (rule 18). */
  actingFor?: string;
}

/** A staff user as a new session needs them. */
export interface StaffUser {
  id: string;
  name: string;
  email: string;
  isAdmin: boolean;
}

/** How a staff session was signed in, and what satisfied the second factor (rule 19). */
export type StaffSignInMethod = 'password' | 'passkey' | 'sso';
export type SecondFactorUsed = 'passkey' | 'totp' | 'recovery_code' | 'sso_mfa' | 'set_up';

/** How long a half-signed-in session lives: the second step, or setting a factor up first. */
export const HALF_SESSION_MS = { second_factor: minutes(5), set_up: minutes(15) } as const;

/** The clinic as both apps show it; a session's chamber always exists (a foreign key). */
function presentChamber(chamber: Chamber | undefined): SessionChamber {
  if (!chamber) throw notFound('That chamber');
  return { key: chamber.key, name: chamber.name, timeZone: chamber.timeZone };
}

/** The audit row's subject: the user, or the patient's portal account. */
function auditSubject(subject: AccountSubject) {
  return 'userId' in subject
    ? { subjectType: 'user', subjectId: subject.userId }
    : {
        patientId: subject.patientId ?? undefined,
        subjectType: 'portal_account',
        subjectId: subject.accountId,
      };
}

/** The signed-in account as the actor of its sign-in row, so filtering by actor finds it. */
function actorOf(subject: AccountSubject): Partial<AuditEntry> {
  return 'userId' in subject
    ? { actorKind: 'staff', actorUserId: subject.userId }
    : { actorKind: 'patient', actorPatientId: subject.patientId };
}

/**
 * What a half-signed-in session is asked for: the ways to finish (the user's factors, and
 * recovery codes while some are left), or to set one up first (rule 19).
 */
export function secondFactorDue(
  stage: 'second_factor' | 'set_up',
  summary: FactorSummary,
  passkeysAvailable: boolean,
  expiresAt: Date,
): SecondFactorDue {
  const methods: SecondFactorMethod[] =
    stage === 'set_up'
      ? [...(passkeysAvailable ? (['passkey'] as const) : []), 'totp']
      : [
          ...(summary.passkeys > 0 && passkeysAvailable ? (['passkey'] as const) : []),
          ...(summary.totp ? (['totp'] as const) : []),
          ...(summary.recoveryCodesLeft > 0 ? (['recovery_code'] as const) : []),
        ];
  return {
    next: stage === 'set_up' ? 'set_up_second_factor' : 'second_factor',
    methods,
    expiresAt: expiresAt.toISOString(),
  };
}

export function createAuthService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;
  const passkeysAvailable = relyingParty(config).available;

  /**
   * Opens a staff session after the first step of sign-in (rule 19): fully signed in when no
   * second factor is due, else half signed in for a few minutes, reaching only the second step
   * (or, when the chamber requires a factor the user lacks, only setting one up). The failed
   * sign-ins in a row start again only when sign-in is complete, so wrong codes and wrong
   * passwords add up to one count of five.
   */
  async function openStaffSession(args: {
    anon: AnonymousActor;
    chamber: Chamber;
    user: StaffUser;
    method: StaffSignInMethod;
    /** What already counts as the second factor (a passkey with user verification, or the IdP's). */
    secondFactor: SecondFactorUsed | null;
  }): Promise<NewSession & { session: StaffSession | SecondFactorDue }> {
    const { anon, chamber, user, method } = args;
    const now = clock();
    const subject = { userId: user.id };
    if (args.secondFactor === null) {
      const summary = await findFactorSummary(db, chamber.id, user.id);
      const hasFactor = summary.passkeys > 0 || summary.totp;
      const stage = hasFactor ? 'second_factor' : chamber.requireStaffTwoStep ? 'set_up' : null;
      if (stage) {
        const started = await db.transaction(async (tx) => {
          const session = await startSession(tx, chamber.id, subject, anon.ip, { stage, method });
          await insertAuditEvents(tx, [
            {
              ...auditEntry(
                chamber.id,
                anon,
                now,
                {
                  action: 'staff.sign_in_started',
                  ...auditSubject(subject),
                  details: { method, next: stage },
                },
                user.name,
              ),
              ...actorOf(subject),
            },
          ]);
          return session;
        });
        return {
          ...started,
          session: secondFactorDue(stage, summary, passkeysAvailable, started.expiresAt),
        };
      }
    }
    const session = await db.transaction(async (tx) => {
      await clearFailedSignIns(tx, chamber.id, subject, now);
      const started = await startSession(tx, chamber.id, subject, anon.ip, {
        stage: 'full',
        method,
      });
      await insertAuditEvents(tx, [
        {
          ...auditEntry(
            chamber.id,
            anon,
            now,
            {
              action: 'staff.sign_in',
              ...auditSubject(subject),
              details: { method, secondFactor: args.secondFactor },
            },
            user.name,
          ),
          ...actorOf(subject),
        },
      ]);
      return started;
    });
    return {
      ...session,
      session: await describeStaff(
        {
          chamberId: chamber.id,
          userId: user.id,
          name: user.name,
          email: user.email,
          isAdmin: user.isAdmin,
        },
        chamber,
      ),
    };
  }

  /** A new session row (in the caller's transaction) and the token for its cookie. */
  async function startSession(
    tx: Db,
    chamberId: string,
    subject: AccountSubject,
    ip: string | null,
    staff: { stage: StaffSessionStage; method: StaffSignInMethod } = {
      stage: 'full',
      method: 'password',
    },
    /** A portal session: the patient it acts for (rule 18). */
    actingFor: string | null = null,
  ): Promise<NewSession> {
    const now = clock();
    const token = newToken();
    const expiresAt = new Date(
      now.getTime() +
        (staff.stage === 'full'
          ? config.sessionAbsoluteHours * 3_600_000
          : HALF_SESSION_MS[staff.stage]),
    );
    await insertSession(tx, {
      chamberId,
      id: randomUUID(),
      tokenHash: hashToken(token),
      kind: 'userId' in subject ? 'staff' : 'patient',
      userId: 'userId' in subject ? subject.userId : null,
      patientId: 'accountId' in subject ? actingFor : null,
      accountId: 'accountId' in subject ? subject.accountId : null,
      createdAt: now,
      lastSeenAt: now,
      expiresAt,
      ip,
      ...('userId' in subject ? { stage: staff.stage, method: staff.method } : {}),
    });
    return { token, expiresAt };
  }

  /** The account an email names in the chamber, with the rules its kind signs in by. */
  async function findSignInAccount(
    kind: AccountKind,
    chamber: Chamber,
    email: string,
    now: Date,
  ): Promise<SignInAccount | undefined> {
    if (kind === 'staff') {
      const user = await findStaffByEmail(db, chamber.id, email);
      if (!user) return undefined;
      return {
        subject: { userId: user.id },
        passwordHash: user.passwordHash,
        countsFailures: true,
        hasFailures: user.failedSignIns !== 0 || user.lockedUntil !== null,
        refusal:
          user.lockedUntil && user.lockedUntil > now
            ? 'locked'
            : !user.active
              ? 'inactive'
              : !passwordSignInAllowed(chamber, user.isAdmin)
                ? 'password_sign_in_off'
                : null,
        label: user.name,
        staffUser: { id: user.id, name: user.name, email: user.email, isAdmin: user.isAdmin },
        describe: () =>
          describeStaff(
            {
              chamberId: chamber.id,
              userId: user.id,
              name: user.name,
              email: user.email,
              isAdmin: user.isAdmin,
            },
            chamber,
          ),
      };
    }
    const account = await findPortalAccountByEmail(db, chamber.id, email);
    if (!account) return undefined;
    const { id: accountId, patientId, state } = account;
    // Rule 18: the account acts for its own record, else for the first patient it is proxy for.
    const choices =
      state === 'active' ? await findActingForChoices(db, chamber.id, accountId, now) : [];
    const actingFor = choices[0];
    return {
      subject: { accountId, patientId },
      actingFor: actingFor?.id,
      passwordHash: account.passwordHash,
      // A Blocked, Invited or Disabled account has nothing left to count towards.
      countsFailures: state === 'active',
      hasFailures: account.failedSignIns !== 0,
      refusal:
        state === 'blocked'
          ? 'blocked'
          : state === 'invited' && account.passwordHash !== null
            ? 'sign_up_unconfirmed'
            : state !== 'active'
              ? 'not_active'
              : !chamber.patientPortalEnabled
                ? 'portal_disabled'
                : !actingFor
                  ? 'nobody_to_act_for'
                  : null,
      label: email,
      describe: () =>
        describePatient(
          { chamberId: chamber.id, patientId: actingFor!.id, accountId, name: actingFor!.name },
          choices,
        ),
    };
  }

  /**
   * Records a refused sign-in (rule 6). A wrong password counts towards the lock or the block;
   * the fifth in a row on a portal account blocks it and ends its sessions.
   */
  async function recordRefusal(
    kind: AccountKind,
    chamber: Chamber,
    anon: AnonymousActor,
    account: SignInAccount,
    reason: Refusal,
    email: string,
    now: Date,
  ): Promise<void> {
    const { subject } = account;
    await db.transaction(async (tx) => {
      if (
        reason === 'wrong_password' &&
        account.countsFailures &&
        (await countFailedSignIn(tx, chamber.id, subject, {
          now,
          max: MAX_FAILED_SIGN_INS,
          lockUntil: new Date(now.getTime() + STAFF_LOCKOUT_MS),
        }))
      ) {
        await deleteSessionsOf(tx, chamber.id, subject);
        await insertAuditEvents(tx, [
          auditEntry(
            chamber.id,
            anon,
            now,
            {
              action: 'portal_account.blocked',
              ...auditSubject(subject),
              details: { reason: 'failed_sign_ins' },
            },
            'system',
          ),
        ]);
      }
      await insertAuditEvents(tx, [
        auditEntry(
          chamber.id,
          anon,
          now,
          { action: ACTIONS[kind].signInFailed, ...auditSubject(subject), details: { reason } },
          email,
        ),
      ]);
    });
  }

  /** The signed-in staff user with their roles and the chamber's display settings. */
  async function describeStaff(
    user: Pick<StaffActor, 'chamberId' | 'userId' | 'name' | 'email' | 'isAdmin'>,
    /** The chamber, when the caller has just read it (sign-in). */
    known?: Chamber,
  ): Promise<StaffSession> {
    const chamber = known ?? (await findChamber(db, user.chamberId));
    const roles = await findStaffRoles(db, user.chamberId, user.userId);
    return {
      user: {
        id: user.userId,
        name: user.name,
        email: user.email,
        isAdmin: user.isAdmin,
        roles,
      },
      chamber: presentChamber(chamber),
      sessionIdleMinutes: config.sessionIdleMinutes,
    };
  }

  /** The signed-in patient, and whether they may message (rule 1) so the portal shows the Inbox or not. */
  async function describePatient(
    actor: Pick<PatientActor, 'chamberId' | 'patientId' | 'name' | 'accountId'>,
    /** Whom the account may act for, when the caller has just read it (sign-in). */
    known?: PortalSession['actingFor'],
  ): Promise<PortalSession> {
    const [row, actingFor] = await Promise.all([
      findPortalPatient(db, actor.chamberId, actor.patientId, actor.accountId),
      known ?? findActingForChoices(db, actor.chamberId, actor.accountId, clock()),
    ]);
    if (!row) throw unauthenticated();
    const code = messagingEligibility(row.facts);
    return {
      patient: { id: actor.patientId, name: `${row.givenName} ${row.familyName}` },
      account: {
        id: actor.accountId,
        name: row.account?.name ?? '',
        email: row.account?.email ?? '',
      },
      actingFor,
      chamber: row.chamber,
      messaging: {
        allowed: code === null,
        reason: code,
        message: code ? ELIGIBILITY_MESSAGES[code] : null,
      },
      sessionIdleMinutes: config.sessionIdleMinutes,
    };
  }

  /** Emails a reset link when the email belongs to an account, at most every 3 minutes. */
  async function sendResetLink(
    anon: AnonymousActor,
    kind: AccountKind,
    input: PasswordResetRequest,
  ): Promise<void> {
    const now = clock();
    const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
    if (!chamber) return;
    const email = input.email.trim();
    const recently = (at: Date | null) =>
      at !== null && now.getTime() - at.getTime() < RESET_COOLDOWN_MS;
    await db.transaction(async (tx) => {
      let subject: AccountSubject;
      let purpose: 'invitation' | 'reset' = 'reset';
      if (kind === 'patient') {
        const account = await findPortalAccountByEmail(tx, chamber.id, email);
        if (!account || account.state === 'disabled') return;
        if (recently(account.lastResetRequestedAt)) return;
        subject = { accountId: account.id, patientId: account.patientId };
        await markResetRequested(tx, chamber.id, account.id, now);
        // Someone who lost the invitation email gets a new invitation.
        if (account.state === 'invited') purpose = 'invitation';
      } else {
        const user = await findStaffByEmail(tx, chamber.id, email);
        if (!user || !user.active) return;
        if (
          await hasResetLinkSince(
            tx,
            chamber.id,
            user.id,
            new Date(now.getTime() - RESET_COOLDOWN_MS),
          )
        )
          return;
        subject = { userId: user.id };
      }
      await createAccountLink(tx, { chamberId: chamber.id, subject, purpose, now });
      await insertAuditEvents(tx, [
        auditEntry(
          chamber.id,
          anon,
          now,
          { action: ACTIONS[kind].resetRequested, ...auditSubject(subject) },
          email,
        ),
      ]);
    });
    ctx.signals.jobsEnqueued();
  }

  return {
    /**
     * Sign-in of either kind of account with the chamber key, email and password. Five wrong
     * passwords in a row lock a staff user for 15 minutes, or block a portal account (rule 8);
     * a right password on a locked, blocked or inactive account, or with the Patient Portal
     * off, says why (the caller knows the password). Every attempt is audited (rule 6).
     */
    async signIn(
      anon: AnonymousActor,
      kind: AccountKind,
      input: SignIn,
    ): Promise<NewSession & { session: StaffSession | PortalSession | SecondFactorDue }> {
      const now = clock();
      const email = input.email.trim();
      const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
      const account = chamber ? await findSignInAccount(kind, chamber, email, now) : undefined;
      // Checked even when nobody has this email, so the time taken does not tell.
      const ok = await verifyPassword(account?.passwordHash, input.password);
      if (!chamber) throw invalidCredentials();
      if (!account) {
        // Rule 6: a failed sign-in is recorded even when the email belongs to no account.
        await insertAuditEvents(db, [
          auditEntry(
            chamber.id,
            anon,
            now,
            { action: ACTIONS[kind].signInFailed, details: { reason: 'unknown_account' } },
            email.slice(0, 254),
          ),
        ]);
        throw invalidCredentials();
      }
      const refusal = ok ? account.refusal : 'wrong_password';
      if (refusal) {
        await recordRefusal(kind, chamber, anon, account, refusal, email, now);
        throw REFUSALS[refusal]();
      }
      if (account.staffUser) {
        return openStaffSession({
          anon,
          chamber,
          user: account.staffUser,
          method: 'password',
          secondFactor: null,
        });
      }
      const session = await db.transaction(async (tx) => {
        // The count of failed sign-ins in a row starts again. A patient's is written only when
        // it is not 0 (one statement less on the busiest sign-in); a staff user's always, so a
        // failure counted since the read above cannot outlive the success, nor can a lock.
        if (account.hasFailures || kind === 'staff')
          await clearFailedSignIns(tx, chamber.id, account.subject, now);
        const started = await startSession(
          tx,
          chamber.id,
          account.subject,
          anon.ip,
          undefined,
          account.actingFor,
        );
        await insertAuditEvents(tx, [
          {
            ...auditEntry(
              chamber.id,
              anon,
              now,
              { action: ACTIONS[kind].signIn, ...auditSubject(account.subject) },
              account.label,
            ),
            ...actorOf(account.subject),
          },
        ]);
        return started;
      });
      return { ...session, session: await account.describe() };
    },

    openStaffSession,

    /**
     * Finishes a half-signed-in staff session (rule 19) once its second factor was checked (or,
     * in the `set_up` stage, a first factor added): the half session ends and a new one, with a
     * new token, starts fully signed in. The failed sign-ins in a row start again.
     */
    async finishSignIn(
      actor: StaffActor,
      used: SecondFactorUsed,
    ): Promise<NewSession & { session: StaffSession }> {
      const now = clock();
      const subject = { userId: actor.userId };
      const started = await db.transaction(async (t) => {
        // Taken as it is read: two answers racing finish one sign-in, not two.
        const stage = await takeHalfSession(t, actor.chamberId, actor.sessionId);
        if (!stage) throw unauthenticated();
        await clearFailedSignIns(t, actor.chamberId, subject, now);
        const method = stage?.method ?? 'password';
        const started = await startSession(t, actor.chamberId, subject, actor.ip, {
          stage: 'full',
          method,
        });
        await audit(t, actor, now, {
          action: 'staff.sign_in',
          ...auditSubject(subject),
          details: { method, secondFactor: used },
        });
        return started;
      });
      return { ...started, session: await describeStaff(actor) };
    },

    /** The signed-in staff user or patient, as sign-in answered. */
    describe(actor: Actor): Promise<StaffSession | PortalSession> {
      return actor.kind === 'staff' ? describeStaff(actor) : describePatient(actor);
    },

    /**
     * The actor for a session cookie of the expected kind, or null when the cookie is unknown,
     * expired (idle or absolute), or its user was made Inactive.
     */
    async resolveSession(
      token: string,
      kind: AccountKind,
      ip: string | null,
      options: { touch?: boolean } = {},
    ): Promise<StaffActor | PatientActor | null> {
      if (token.length < 20 || token.length > 100) return null;
      const now = clock();
      let row = await findSessionByTokenHash(db, hashToken(token), now);
      if (!row || row.kind !== kind) return null;
      if (kind === 'patient' && !row.accountId) return null;
      // Rule 18: a proxy removed or past its end date ends at once. The session goes back to
      // the account's own record, or ends when the account has none.
      if (
        kind === 'patient' &&
        row.patientId !== row.accountPatientId &&
        row.proxyRelationship === null
      ) {
        if (!row.accountPatientId) {
          await deleteSession(db, row.chamberId, row.id);
          return null;
        }
        await setSessionPatient(db, row.chamberId, row.id, row.accountPatientId);
        row = await findSessionByTokenHash(db, hashToken(token), now);
        if (!row) return null;
      }
      const lastSeen = new Date(row.lastSeenAt);
      const idleLimit = lastSeen.getTime() + config.sessionIdleMinutes * 60_000;
      if (
        now.getTime() >= idleLimit ||
        now >= new Date(row.expiresAt) ||
        (kind === 'staff' && row.userActive !== true)
      ) {
        await deleteSession(db, row.chamberId, row.id);
        return null;
      }
      // A live-events stream checks its session without counting as activity.
      if (options.touch !== false && now.getTime() - lastSeen.getTime() >= TOUCH_EVERY_MS) {
        await touchSession(db, row.chamberId, row.id, now);
      }
      if (kind === 'staff') {
        return {
          kind: 'staff',
          chamberId: row.chamberId,
          userId: row.userId!,
          name: row.userName ?? '',
          email: row.userEmail ?? '',
          roleIds: row.roleIds ?? [],
          isAdmin: row.isAdmin === true,
          sessionId: row.id,
          ip,
          stage: row.stage,
        };
      }
      return {
        kind: 'patient',
        chamberId: row.chamberId,
        patientId: row.patientId!,
        name: row.patientName ?? '',
        accountId: row.accountId!,
        ...(row.proxyRelationship !== null
          ? { proxy: { name: row.accountName ?? '', relationship: row.proxyRelationship } }
          : {}),
        sessionId: row.id,
        ip,
        access:
          row.bandOnlineAccess === null
            ? undefined
            : {
                portalEnabled: row.portalEnabled,
                accountState: row.accountState,
                bandOnlineAccess: row.bandOnlineAccess,
                bandAllowsMessaging: row.bandAllowsMessaging === true,
              },
      };
    },

    /** Signs out everywhere: every session row of the account is deleted, so no cookie of it works. */
    async signOut(actor: Actor): Promise<void> {
      const subject: AccountSubject =
        actor.kind === 'staff'
          ? { userId: actor.userId }
          : { accountId: actor.accountId, patientId: actor.proxy ? null : actor.patientId };
      await db.transaction(async (tx) => {
        // Rule 8: signing out ends the account's sessions everywhere, on every device. A
        // half-signed-in session (rule 19: the password alone) ends only itself, so knowing a
        // password is not enough to sign the user out of their devices.
        if (actor.kind === 'staff' && actor.stage !== 'full')
          await deleteSession(tx, actor.chamberId, actor.sessionId);
        else await deleteSessionsOf(tx, actor.chamberId, subject);
        await audit(tx, actor, clock(), {
          action: ACTIONS[actor.kind].signOut,
          ...auditSubject(subject),
        });
      });
    },

    /**
     * Emails a reset link when the email belongs to an account, at most every 3 minutes; the
     * answer never says whether it does.
     */
    async requestPasswordReset(
      anon: AnonymousActor,
      kind: AccountKind,
      input: PasswordResetRequest,
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
      kind: AccountKind,
      input: SetPassword,
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
      // A sign-up link (rule 17) is confirmed with the password chosen at sign-up, not here.
      if (!token || token.accountKind !== kind || token.purpose === 'sign_up') throw invalidLink();
      await assertAcceptablePassword(
        input.password,
        passwordUserInputs(...(await findAccountOwnerWords(db, token.chamberId, token))),
      );
      const subject: AccountSubject | undefined =
        kind === 'patient' && token.accountId
          ? { accountId: token.accountId, patientId: token.patientId }
          : kind === 'staff' && token.userId
            ? { userId: token.userId }
            : undefined;
      if (!subject) throw invalidLink();
      const hash = await hashPassword(input.password);
      await db.transaction(async (tx) => {
        if (!(await consumeToken(tx, token.chamberId, token.id, now))) throw invalidLink();
        const email = await setAccountPassword(tx, token.chamberId, subject, hash, now);
        if (email === undefined) throw invalidLink();
        await deleteSessionsOf(tx, token.chamberId, subject);
        await insertAuditEvents(tx, [
          auditEntry(
            token.chamberId,
            anon,
            now,
            {
              action: ACTIONS[kind].passwordSet,
              ...auditSubject(subject),
              details: { purpose: token.purpose },
            },
            email,
          ),
        ]);
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
