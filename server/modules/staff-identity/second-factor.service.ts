import { randomUUID } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { StaffSession } from '../../../common/contract/auth.js';
import type {
  ConfirmTotp,
  FactorAdded,
  NewPasskey,
  PasskeySignIn,
  PasskeySignInStart,
  RecoveryCodes,
  SecondFactor,
  SecondFactorAnswer,
  SecondFactorDue,
  SecondFactors,
  SecondFactorMethod,
  TotpSetUp,
  WebAuthnCreationOptions,
  WebAuthnOptions,
  WebAuthnResponse,
} from '../../../common/contract/staff-identity.js';
import type { Db } from '../../db/connect.js';
import { AppError, conflict, forbidden, invalid, notFound } from '../../errors.js';
import { minutes } from '../../lib/clock.js';
import type { ServiceContext } from '../../lib/context.js';
import { createSecretBox } from '../../lib/secret-box.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { audit, auditEntry } from '../audit/audit.service.js';
import type { AnonymousActor, StaffActor } from '../auth/actor.js';
import {
  clearFailedSignIns,
  countFailedSignIn,
  deleteSession,
  deleteSessionsOf,
} from '../auth/auth.repository.js';
import {
  MAX_FAILED_SIGN_INS,
  STAFF_LOCKOUT_MS,
  secondFactorDue,
  type AuthService,
  type NewSession,
} from '../auth/auth.service.js';
import { findChamber, findChamberByKey } from '../chambers/chamber.repository.js';
import { enqueueJob } from '../email-jobs/email-job.repository.js';
import { findUser } from '../users/user.repository.js';
import { hashRecoveryCode, newRecoveryCodes } from './recovery-codes.js';
import { relyingParty } from './relying-party.js';
import {
  claimTotpStep,
  deleteAllFactors,
  deleteFactor,
  findFactorSummary,
  findPasskeyByCredential,
  findSessionStage,
  insertChallenge,
  insertFactor,
  listFactors,
  markPasskeyUsed,
  replaceRecoveryCodes,
  takeChallenge,
  useRecoveryCode,
  type ChallengePurpose,
  type NewFactorRow,
  type SecondFactorRow,
} from './second-factor.repository.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';

/** How long a WebAuthn challenge, or an authenticator secret not yet confirmed, waits. */
const CHALLENGE_MS = minutes(5);
const TOTP_SET_UP_MS = minutes(10);

/**
 * WebAuthn (with its ASN.1 and X.509 parsers) is loaded at the first passkey step, not at
 * start: most processes never see one, and it weighs on every web process's memory (issue 18).
 */
const webAuthn = () => import('@simplewebauthn/server');

/** The answer of a step that may have finished signing in: a new cookie to set. */
export type WithSession<T> = T & { newSession: NewSession | null };

const wrongCode = (field: string) =>
  new AppError(401, 'invalid_code', 'That code is not correct. Please try again.', field);
const passkeyRefused = () =>
  new AppError(
    401,
    'passkey_refused',
    'That passkey was not accepted. Try again, or use another way to sign in.',
  );
const locked = () =>
  new AppError(
    403,
    'account_locked',
    'Too many failed sign-ins: this account is locked for a few minutes, or until a password reset.',
  );

function presentFactor(row: SecondFactorRow): SecondFactor {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

/** A user's id as the WebAuthn user handle (the bytes of the UUID's text). */
const userHandle = (userId: string) => new TextEncoder().encode(userId);

/**
 * Rule 19's second factors: passkeys (WebAuthn), an authenticator app (TOTP, RFC 6238) and ten
 * single-use recovery codes; the second step of sign-in, passkey sign-in in place of both steps,
 * enrolment, and an administrator's reset. Secrets are stored sealed (the TOTP secret) or hashed
 * (recovery codes) and never shown again; every change is audited.
 */
export function createSecondFactorService(ctx: ServiceContext, auth: AuthService) {
  const { db, clock, config } = ctx;
  const rp = relyingParty(config);
  const box = createSecretBox(config);

  const requirePasskeys = () => {
    if (!rp.available)
      throw conflict(
        'passkeys_unavailable',
        `Passkeys need the product to be reached by a domain name (its address is ${config.publicUrl}).`,
      );
  };

  async function newChallenge(
    chamberId: string,
    purpose: ChallengePurpose,
    challenge: string,
    owner: { userId?: string | null; sessionId?: string | null; secret?: string | null },
    lifetime = CHALLENGE_MS,
  ): Promise<{ id: string; expiresAt: Date }> {
    const now = clock();
    const id = randomUUID();
    const expiresAt = new Date(now.getTime() + lifetime);
    await insertChallenge(db, {
      chamberId,
      id,
      purpose,
      challenge,
      userId: owner.userId ?? null,
      sessionId: owner.sessionId ?? null,
      secret: owner.secret ?? null,
      createdAt: now,
      expiresAt,
    });
    return { id, expiresAt };
  }

  /** Checks a passkey's assertion against a credential row; the counter it reported, or throws. */
  async function verifyAssertion(
    factor: SecondFactorRow,
    response: WebAuthnResponse,
    expectedChallenge: string,
    requireUserVerification: boolean,
  ): Promise<number> {
    const { verifyAuthenticationResponse } = await webAuthn();
    try {
      const result = await verifyAuthenticationResponse({
        response: response as unknown as AuthenticationResponseJSON,
        expectedChallenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.rpId,
        requireUserVerification,
        credential: {
          id: factor.credentialId!,
          publicKey: Buffer.from(factor.publicKey!, 'base64url'),
          counter: factor.signCount,
          transports: (factor.transports ?? []) as AuthenticatorTransportFuture[],
        },
      });
      if (!result.verified) throw passkeyRefused();
      return result.authenticationInfo.newCounter;
    } catch (error) {
      if (error instanceof AppError) throw error;
      throw passkeyRefused();
    }
  }

  /**
   * A wrong code or passkey at the second step counts with wrong passwords: the fifth in a row
   * locks the user for 15 minutes and ends the half-signed-in session (rule 8, rule 19).
   */
  async function recordWrongAnswer(
    actor: StaffActor,
    method: SecondFactorMethod,
    error: AppError,
  ): Promise<never> {
    const now = clock();
    const lockedNow = await db.transaction(async (tx) => {
      await countFailedSignIn(
        tx,
        actor.chamberId,
        { userId: actor.userId },
        {
          now,
          max: MAX_FAILED_SIGN_INS,
          lockUntil: new Date(now.getTime() + STAFF_LOCKOUT_MS),
        },
      );
      const user = await findUser(tx, actor.chamberId, actor.userId);
      const isLocked = user?.lockedUntil != null && user.lockedUntil > now;
      if (isLocked) await deleteSessionsOf(tx, actor.chamberId, { userId: actor.userId });
      await audit(tx, actor, now, {
        action: 'staff.second_factor_failed',
        subjectType: 'user',
        subjectId: actor.userId,
        details: { method, locked: isLocked },
      });
      return isLocked;
    });
    throw lockedNow ? locked() : error;
  }

  /** The first factor comes with recovery codes (when the user has none left). */
  async function recoveryCodesIfFirst(
    tx: Db,
    actor: StaffActor,
    now: Date,
  ): Promise<string[] | null> {
    const summary = await findFactorSummary(tx, actor.chamberId, actor.userId);
    if (summary.passkeys + (summary.totp ? 1 : 0) !== 1 || summary.recoveryCodesLeft > 0)
      return null;
    const codes = newRecoveryCodes();
    await replaceRecoveryCodes(
      tx,
      actor.chamberId,
      actor.userId,
      codes.map((c) => ({ id: randomUUID(), codeHash: hashRecoveryCode(c) })),
      now,
    );
    await audit(tx, actor, now, {
      action: 'staff.recovery_codes_created',
      subjectType: 'user',
      subjectId: actor.userId,
      details: { count: codes.length, first: true },
    });
    return codes;
  }

  /** Stores a new factor; a session that had to set one up is now fully signed in. */
  async function addFactor(
    actor: StaffActor,
    row: Omit<NewFactorRow, 'chamberId' | 'userId' | 'id' | 'createdAt'>,
  ): Promise<WithSession<FactorAdded>> {
    const now = clock();
    const added = await db.transaction(async (tx) => {
      let factor: SecondFactorRow;
      try {
        factor = await insertFactor(tx, {
          ...row,
          chamberId: actor.chamberId,
          userId: actor.userId,
          id: randomUUID(),
          createdAt: now,
        });
      } catch (error) {
        if (/staff_second_factors_one_totp/.test(String((error as Error).cause ?? error)))
          throw conflict('totp_exists', 'An authenticator app is already set up: remove it first.');
        if (/staff_second_factors_credential_unique/.test(String((error as Error).cause ?? error)))
          throw conflict('passkey_exists', 'This passkey is already added.');
        throw error;
      }
      await audit(tx, actor, now, {
        action: 'staff.second_factor_added',
        subjectType: 'user',
        subjectId: actor.userId,
        details: { kind: factor.kind, name: factor.name },
      });
      const recoveryCodes = await recoveryCodesIfFirst(tx, actor, now);
      return { factor: presentFactor(factor), recoveryCodes };
    });
    // Committed: a session that had to set a factor up is now fully signed in (a new token).
    const newSession = actor.stage === 'set_up' ? await auth.finishSignIn(actor, 'set_up') : null;
    return { ...added, signedIn: newSession !== null, newSession };
  }

  const mustBeHalfSignedIn = (actor: StaffActor) => {
    if (actor.stage !== 'second_factor')
      throw conflict(
        'no_second_factor_due',
        actor.stage === 'full'
          ? 'You are already signed in.'
          : 'Set up two-step verification first: you have no second step yet.',
      );
  };

  return {
    /** The step a half-signed-in session is at, as sign-in answered it. */
    async step(actor: StaffActor): Promise<SecondFactorDue> {
      if (actor.stage === 'full')
        throw conflict('no_second_factor_due', 'You are already signed in.');
      const summary = await findFactorSummary(db, actor.chamberId, actor.userId);
      const session = await findSessionStage(db, actor.chamberId, actor.sessionId);
      return secondFactorDue(actor.stage, summary, rp.available, session?.expiresAt ?? clock());
    },

    /** A challenge for the user's passkeys, for the second step. */
    async stepPasskeyOptions(actor: StaffActor): Promise<WebAuthnOptions> {
      mustBeHalfSignedIn(actor);
      requirePasskeys();
      const passkeys = (await listFactors(db, actor.chamberId, actor.userId)).filter(
        (f) => f.kind === 'passkey',
      );
      if (passkeys.length === 0) throw conflict('no_passkey', 'You have no passkey.');
      const { generateAuthenticationOptions } = await webAuthn();
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        userVerification: 'preferred',
        allowCredentials: passkeys.map((p) => ({
          id: p.credentialId!,
          transports: (p.transports ?? []) as AuthenticatorTransportFuture[],
        })),
      });
      const challenge = await newChallenge(
        actor.chamberId,
        'passkey_second_factor',
        options.challenge,
        {
          userId: actor.userId,
          sessionId: actor.sessionId,
        },
      );
      return { challengeId: challenge.id, options: { ...options } };
    },

    /**
     * The second step: an authenticator code (accepted once, one step of drift), a recovery code
     * (used up), or a passkey. Right: the session is fully signed in with a new token. Wrong: it
     * counts towards the lock.
     */
    async answerStep(
      actor: StaffActor,
      answer: SecondFactorAnswer,
    ): Promise<NewSession & { session: StaffSession }> {
      mustBeHalfSignedIn(actor);
      const now = clock();
      const user = await findUser(db, actor.chamberId, actor.userId);
      if (!user || (user.lockedUntil && user.lockedUntil > now)) throw locked();
      const factors = await listFactors(db, actor.chamberId, actor.userId);
      if (answer.method === 'totp') {
        const totp = factors.find((f) => f.kind === 'totp');
        if (!totp) throw invalid('method_not_set_up', 'You have no authenticator app.', 'method');
        const step = await matchTotp(
          box.open(totp.totpSecret!),
          answer.code,
          now,
          totp.totpLastStep,
        );
        if (step === null || !(await claimTotpStep(db, actor.chamberId, totp.id, step, now)))
          return recordWrongAnswer(actor, 'totp', wrongCode('code'));
        return auth.finishSignIn(actor, 'totp');
      }
      if (answer.method !== 'passkey') {
        if (
          !(await useRecoveryCode(
            db,
            actor.chamberId,
            actor.userId,
            hashRecoveryCode(answer.code),
            now,
          ))
        )
          return recordWrongAnswer(actor, 'recovery_code', wrongCode('code'));
        return auth.finishSignIn(actor, 'recovery_code');
      }
      const challenge = await takeChallenge(db, {
        chamberId: actor.chamberId,
        id: answer.challengeId,
        purposes: ['passkey_second_factor'],
        userId: actor.userId,
        sessionId: actor.sessionId,
        now,
      });
      const factor = factors.find(
        (f) => f.kind === 'passkey' && f.credentialId === answer.response.id,
      );
      if (!challenge || !factor) return recordWrongAnswer(actor, 'passkey', passkeyRefused());
      let counter: number;
      try {
        counter = await verifyAssertion(factor, answer.response, challenge.challenge, false);
      } catch (error) {
        return recordWrongAnswer(actor, 'passkey', error as AppError);
      }
      await markPasskeyUsed(db, actor.chamberId, factor.id, counter, now);
      return auth.finishSignIn(actor, 'passkey');
    },

    /** A challenge for a passkey sign-in: any passkey of the clinic's staff (discoverable). */
    async signInOptions(input: PasskeySignInStart): Promise<WebAuthnOptions> {
      requirePasskeys();
      const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
      if (!chamber) throw notFound('That clinic');
      const { generateAuthenticationOptions } = await webAuthn();
      const options = await generateAuthenticationOptions({
        rpID: rp.rpId,
        userVerification: 'required',
        allowCredentials: [],
      });
      const challenge = await newChallenge(chamber.id, 'passkey_sign_in', options.challenge, {});
      return { challengeId: challenge.id, options: { ...options } };
    },

    /**
     * Sign-in with a passkey alone: the authenticator verified the user (PIN or biometrics), so
     * it counts as both steps. A locked or Inactive user is refused, as with a password.
     */
    async signInWithPasskey(
      anon: AnonymousActor,
      input: PasskeySignIn,
    ): Promise<NewSession & { session: StaffSession | SecondFactorDue }> {
      requirePasskeys();
      const now = clock();
      const chamber = await findChamberByKey(db, input.chamber.trim().toLowerCase());
      if (!chamber) throw passkeyRefused();
      const challenge = await takeChallenge(db, {
        chamberId: chamber.id,
        id: input.challengeId,
        purposes: ['passkey_sign_in'],
        now,
      });
      const found = await findPasskeyByCredential(db, input.response.id);
      const refuse = async (reason: string, userId?: string): Promise<never> => {
        await insertAuditEvents(db, [
          auditEntry(
            chamber.id,
            anon,
            now,
            {
              action: 'staff.sign_in_failed',
              ...(userId ? { subjectType: 'user', subjectId: userId } : {}),
              details: { reason, method: 'passkey' },
            },
            'passkey',
          ),
        ]);
        throw reason === 'locked'
          ? locked()
          : reason === 'inactive'
            ? forbidden('account_not_active', 'This user is Inactive. Please ask an administrator.')
            : passkeyRefused();
      };
      if (!challenge || !found || found.factor.chamberId !== chamber.id)
        return refuse('unknown_passkey');
      const handle = input.response.response.userHandle;
      if (
        typeof handle === 'string' &&
        handle !== Buffer.from(userHandle(found.user.id)).toString('base64url')
      )
        return refuse('wrong_user_handle', found.user.id);
      let counter: number;
      try {
        counter = await verifyAssertion(found.factor, input.response, challenge.challenge, true);
      } catch {
        return refuse('passkey_refused', found.user.id);
      }
      if (found.user.lockedUntil && found.user.lockedUntil > now)
        return refuse('locked', found.user.id);
      if (!found.user.active) return refuse('inactive', found.user.id);
      await markPasskeyUsed(db, chamber.id, found.factor.id, counter, now);
      return auth.openStaffSession({
        anon,
        chamber,
        user: found.user,
        method: 'passkey',
        secondFactor: 'passkey',
      });
    },

    /** The user's factors, recovery codes left, and whether the clinic requires two-step. */
    async list(actor: StaffActor): Promise<SecondFactors> {
      const [factors, summary, chamber] = await Promise.all([
        listFactors(db, actor.chamberId, actor.userId),
        findFactorSummary(db, actor.chamberId, actor.userId),
        findChamber(db, actor.chamberId),
      ]);
      return {
        factors: factors.map(presentFactor),
        recoveryCodesLeft: summary.recoveryCodesLeft,
        required: chamber?.requireStaffTwoStep ?? false,
        passkeys: { available: rp.available, rpId: rp.rpId },
      };
    },

    /** Options to create a passkey for this user (their existing ones excluded). */
    async passkeyOptions(actor: StaffActor): Promise<WebAuthnCreationOptions> {
      requirePasskeys();
      const existing = (await listFactors(db, actor.chamberId, actor.userId)).filter(
        (f) => f.kind === 'passkey',
      );
      const { generateRegistrationOptions } = await webAuthn();
      const options = await generateRegistrationOptions({
        rpName: rp.rpName,
        rpID: rp.rpId,
        userID: userHandle(actor.userId),
        userName: actor.email,
        userDisplayName: actor.name,
        attestationType: 'none',
        excludeCredentials: existing.map((p) => ({
          id: p.credentialId!,
          transports: (p.transports ?? []) as AuthenticatorTransportFuture[],
        })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
      const challenge = await newChallenge(actor.chamberId, 'passkey_register', options.challenge, {
        userId: actor.userId,
        sessionId: actor.sessionId,
      });
      return { challengeId: challenge.id, options: { ...options } };
    },

    /** Adds a passkey from the browser's answer to the registration challenge. */
    async addPasskey(actor: StaffActor, input: NewPasskey): Promise<WithSession<FactorAdded>> {
      requirePasskeys();
      const now = clock();
      const challenge = await takeChallenge(db, {
        chamberId: actor.chamberId,
        id: input.challengeId,
        purposes: ['passkey_register'],
        userId: actor.userId,
        sessionId: actor.sessionId,
        now,
      });
      if (!challenge)
        throw invalid(
          'challenge_expired',
          'This request has expired: please try again.',
          'challengeId',
        );
      const { verifyRegistrationResponse } = await webAuthn();
      let info;
      try {
        const result = await verifyRegistrationResponse({
          response: input.response as unknown as RegistrationResponseJSON,
          expectedChallenge: challenge.challenge,
          expectedOrigin: rp.origins,
          expectedRPID: rp.rpId,
          requireUserVerification: false,
        });
        if (!result.verified) throw new Error('not verified');
        info = result.registrationInfo.credential;
      } catch {
        throw invalid(
          'passkey_refused',
          'That passkey could not be added. Please try again.',
          'response',
        );
      }
      return addFactor(actor, {
        kind: 'passkey',
        name: input.name.trim(),
        credentialId: info.id,
        publicKey: Buffer.from(info.publicKey).toString('base64url'),
        signCount: info.counter,
        transports: info.transports ?? [],
      });
    },

    /** A new authenticator secret to scan; it becomes a factor once a code from it is typed. */
    async totpSetUp(actor: StaffActor): Promise<TotpSetUp> {
      const chamber = await findChamber(db, actor.chamberId);
      const secret = newTotpSecret();
      const challenge = await newChallenge(
        actor.chamberId,
        'totp_set_up',
        `totp:${randomUUID()}`,
        { userId: actor.userId, sessionId: actor.sessionId, secret: box.seal(secret) },
        TOTP_SET_UP_MS,
      );
      return {
        challengeId: challenge.id,
        secret,
        uri: totpUri(secret, chamber?.name ?? 'Patient Portal', actor.email),
        expiresAt: challenge.expiresAt.toISOString(),
      };
    },

    /** Confirms the authenticator app with a code from it; the set-up is used up either way. */
    async confirmTotp(actor: StaffActor, input: ConfirmTotp): Promise<WithSession<FactorAdded>> {
      const now = clock();
      const challenge = await takeChallenge(db, {
        chamberId: actor.chamberId,
        id: input.challengeId,
        purposes: ['totp_set_up'],
        userId: actor.userId,
        sessionId: actor.sessionId,
        now,
      });
      if (!challenge?.secret)
        throw invalid(
          'challenge_expired',
          'This set-up has expired: please start again.',
          'challengeId',
        );
      const secret = box.open(challenge.secret);
      const step = await matchTotp(secret, input.code, now, null);
      if (step === null) {
        // Kept for another try (a typo), with the time it had left.
        await insertChallenge(db, challenge);
        throw invalid(
          'invalid_code',
          'That code is not correct. Check the app and try again.',
          'code',
        );
      }
      return addFactor(actor, {
        kind: 'totp',
        name: input.name?.trim() || 'Authenticator app',
        totpSecret: challenge.secret,
        totpLastStep: step,
        lastUsedAt: now,
      });
    },

    /** Removes one of the user's factors; the last one stays while the clinic requires two-step. */
    async remove(actor: StaffActor, id: string): Promise<void> {
      const now = clock();
      await db.transaction(async (tx) => {
        const chamber = await findChamber(tx, actor.chamberId);
        const removed = await deleteFactor(tx, actor.chamberId, actor.userId, id);
        if (!removed) throw notFound('That two-step verification method');
        const summary = await findFactorSummary(tx, actor.chamberId, actor.userId);
        const left = summary.passkeys + (summary.totp ? 1 : 0);
        if (left === 0 && chamber?.requireStaffTwoStep)
          throw conflict(
            'last_factor_required',
            'Your clinic requires two-step verification: add another method before removing this one.',
          );
        await audit(tx, actor, now, {
          action: 'staff.second_factor_removed',
          subjectType: 'user',
          subjectId: actor.userId,
          details: { kind: removed.kind, name: removed.name, left },
        });
      });
    },

    /** Ten new recovery codes, shown once; the old ones stop working. */
    async newRecoveryCodes(actor: StaffActor): Promise<RecoveryCodes> {
      const now = clock();
      const codes = newRecoveryCodes();
      await db.transaction(async (tx) => {
        const summary = await findFactorSummary(tx, actor.chamberId, actor.userId);
        if (summary.passkeys === 0 && !summary.totp)
          throw conflict(
            'no_second_factor',
            'Add a passkey or an authenticator app first: recovery codes stand in for them.',
          );
        await replaceRecoveryCodes(
          tx,
          actor.chamberId,
          actor.userId,
          codes.map((c) => ({ id: randomUUID(), codeHash: hashRecoveryCode(c) })),
          now,
        );
        await audit(tx, actor, now, {
          action: 'staff.recovery_codes_created',
          subjectType: 'user',
          subjectId: actor.userId,
          details: { count: codes.length, first: false },
        });
      });
      return { codes };
    },

    /**
     * Reset two-step verification (an admin, for a user who lost their factors): every factor and
     * recovery code goes, the user's sessions end, and they are emailed.
     */
    async reset(admin: StaffActor, userId: string): Promise<void> {
      const now = clock();
      await db.transaction(async (tx) => {
        const user = await findUser(tx, admin.chamberId, userId);
        if (!user) throw notFound('That user');
        const removed = await deleteAllFactors(tx, admin.chamberId, userId);
        await deleteSessionsOf(tx, admin.chamberId, { userId });
        await clearFailedSignIns(tx, admin.chamberId, { userId }, now);
        await audit(tx, admin, now, {
          action: 'staff.second_factor_reset',
          subjectType: 'user',
          subjectId: userId,
          details: {
            passkeys: removed.filter((f) => f.kind === 'passkey').length,
            totp: removed.some((f) => f.kind === 'totp'),
          },
        });
        await enqueueJob(tx, {
          chamberId: admin.chamberId,
          kind: 'two_step_reset_email',
          payload: { userId, adminName: admin.name },
          runAt: now,
          now,
        });
      });
      ctx.signals.jobsEnqueued();
    },

    /** Ends a half-signed-in session (Cancel at the second step). */
    cancel: (actor: StaffActor) => deleteSession(db, actor.chamberId, actor.sessionId),
  };
}

export type SecondFactorService = ReturnType<typeof createSecondFactorService>;
