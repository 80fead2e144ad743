import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ConfirmSignUp, SignUp, SignUpConfirmed } from '../../../common/contract/sign-up.js';
import type { Db } from '../../db/connect.js';
import { AppError, badRequest, invalid, tooManyRequests } from '../../errors.js';
import { minutes } from '../../lib/clock.js';
import { isUniqueViolation } from '../../db/unique-violation.js';
import type { ServiceContext } from '../../lib/context.js';
import { consumeToken, findPortalAccountByEmail } from '../auth/auth.repository.js';
import {
  assertAcceptablePassword,
  hashPassword,
  passwordUserInputs,
  verifyPassword,
} from '../../lib/passwords.js';
import { countHit, windowEnd } from '../../lib/rate-limit-store.js';
import { hashToken } from '../../lib/tokens.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { auditEntry } from '../audit/audit.service.js';
import type { AnonymousActor } from '../auth/actor.js';
import { createAccountLink } from '../auth/account-links.js';
import { findChamberByKey } from '../chambers/chamber.repository.js';
import { enqueueJob } from '../email-jobs/email-job.repository.js';
import {
  bandForInviteCode,
  isPlausibleDateOfBirth,
  normaliseInviteCode,
  patientToLink,
} from './sign-up.policy.js';
import {
  activateSignedUpAccount,
  findChamberKeyAndName,
  findLinkablePatients,
  findOnlineBandsByInviteCode,
  findUsableSignUpLink,
  insertSignedUpAccount,
  insertSignedUpPatient,
  markPatientLinked,
} from './sign-up.repository.js';

/**
 * A well-formed sign-up answers no sooner than this (ms) after its password is hashed, whatever
 * is stored: a new patient costs several writes, a wrong code none, and the time must not tell
 * them apart (the same method as a password-reset request).
 */
export const SIGN_UP_ANSWER_MS = 300;

/**
 * Sign-ups with one email (at one clinic code) in a window: beyond it 429. Counted before
 * anything stored is read, so the limit says nothing about the email either.
 */
export const SIGN_UP_EMAIL_LIMIT = { max: 5, windowMs: minutes(15) } as const;

/** What became of a well-formed sign-up; never told to the person, only audited and tested. */
export type SignUpOutcome =
  'created' | 'linked' | 'account_exists' | 'no_clinic' | 'portal_off' | 'wrong_code';

const invalidLink = () =>
  badRequest(
    'link_invalid',
    'This link is not valid: it may have expired or been used already. If you confirmed your email already, sign in; otherwise use “Forgotten password?” to get a new link.',
    'token',
  );

/** Sign-ups that made no account, audited with their reason. */
const REFUSED = new Set<SignUpOutcome>(['portal_off', 'wrong_code', 'account_exists']);

export function createSignUpService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  /**
   * The part of a sign-up that depends on what is stored, in one transaction: an email that has
   * an account already tells its holder by email; else an existing patient is linked, or a new
   * one made on the code's band, with an Invited account and its emailed link.
   */
  async function register(
    tx: Db,
    anon: AnonymousActor,
    chamberId: string,
    band: { id: string; name: string },
    form: {
      firstName: string;
      lastName: string;
      dateOfBirth: string;
      email: string;
      emailConsent: boolean;
      passwordHash: string;
    },
    now: Date,
  ): Promise<SignUpOutcome> {
    const existing = await findPortalAccountByEmail(tx, chamberId, form.email);
    if (existing) {
      // Rule 17: told so by email only; the account is left as it is.
      await enqueueJob(tx, {
        chamberId,
        kind: 'sign_up_attempt_email',
        payload: { accountId: existing.id },
        runAt: now,
        now,
        dedupeKey: `sign-up-attempt:${existing.id}`,
        maxAttempts: 6,
      });
      return 'account_exists';
    }
    const linked = patientToLink(
      await findLinkablePatients(tx, chamberId, form.email, form.dateOfBirth),
      form.firstName,
    );
    const patientId = linked?.id ?? randomUUID();
    if (linked) {
      // Never moved to the code's band: only the sign-up, and the consent given, are noted.
      await markPatientLinked(tx, chamberId, linked.id, { emailConsent: form.emailConsent, now });
    } else {
      await insertSignedUpPatient(tx, {
        chamberId,
        id: patientId,
        givenName: form.firstName,
        familyName: form.lastName,
        dateOfBirth: form.dateOfBirth,
        email: form.email,
        chargeBandId: band.id,
        emailConsent: form.emailConsent,
        signedUpOnlineAt: now,
        createdAt: now,
        updatedAt: now,
      });
    }
    const accountId = randomUUID();
    await insertSignedUpAccount(tx, {
      chamberId,
      id: accountId,
      patientId,
      email: form.email,
      passwordHash: form.passwordHash,
      emailConsent: form.emailConsent,
      now,
    });
    await createAccountLink(tx, {
      chamberId,
      subject: { accountId, patientId },
      purpose: 'sign_up',
      now,
    });
    await insertAuditEvents(tx, [
      auditEntry(
        chamberId,
        anon,
        now,
        {
          action: 'portal.signed_up',
          patientId,
          subjectType: 'portal_account',
          subjectId: accountId,
          details: {
            outcome: linked ? 'linked' : 'created',
            inviteCodeBandId: band.id,
            inviteCodeBandName: band.name,
            chargeBandId: linked ? linked.chargeBandId : band.id,
            emailConsent: form.emailConsent,
            ...(linked ? { nameTyped: `${form.firstName} ${form.lastName}` } : {}),
          },
        },
        form.email,
      ),
    ]);
    return linked ? 'linked' : 'created';
  }

  return {
    /**
     * Self sign-up (rule 17). A malformed form is refused with 422 and its field; every other
     * sign-up answers the same, after the same time, whatever the clinic, code, email and
     * patient: the outcome is returned for the audit and tests only, never to the person.
     */
    async signUp(anon: AnonymousActor, input: SignUp): Promise<SignUpOutcome> {
      const now = clock();
      const form = {
        firstName: input.firstName.trim(),
        lastName: input.lastName.trim(),
        dateOfBirth: input.dateOfBirth,
        email: input.email.trim(),
        emailConsent: input.emailConsent,
      };
      const chamberKey = input.chamber.trim().toLowerCase();
      const code = normaliseInviteCode(input.inviteCode);
      if (!chamberKey)
        throw invalid('validation_failed', 'Type the clinic code your clinic gave you.', 'chamber');
      if (!code)
        throw invalid(
          'validation_failed',
          'Type the Online sign-up invite code your clinic gave you.',
          'inviteCode',
        );
      if (!isPlausibleDateOfBirth(form.dateOfBirth, now))
        throw invalid(
          'validation_failed',
          'The date of birth must be a real date in the past, written as YYYY-MM-DD.',
          'dateOfBirth',
        );
      const chamber = await findChamberByKey(db, chamberKey);
      await assertAcceptablePassword(
        input.password,
        passwordUserInputs(
          form.firstName,
          form.lastName,
          `${form.firstName} ${form.lastName}`,
          form.email,
          form.dateOfBirth,
          chamberKey,
          chamber?.name,
        ),
      );
      // Counted for every well-formed sign-up, known email or not, under a hash of the email.
      const counted = await countHit(
        db,
        `sign-up email ${hashToken(`${chamberKey} ${form.email.toLowerCase()}`)}`,
        new Date(windowEnd(now.getTime(), SIGN_UP_EMAIL_LIMIT.windowMs)),
      );
      if (counted.hits > SIGN_UP_EMAIL_LIMIT.max)
        throw tooManyRequests(
          'Too many sign-ups with this email address. Please wait a few minutes and try again.',
          (counted.windowEndsAt.getTime() - now.getTime()) / 1000,
        );

      const started = performance.now();
      // Hashed on every path, so a sign-up that stores nothing costs the same.
      const passwordHash = await hashPassword(input.password);
      let outcome: SignUpOutcome = 'no_clinic';
      if (chamber && !chamber.patientPortalEnabled) outcome = 'portal_off';
      else if (chamber) {
        const band = bandForInviteCode(
          await findOnlineBandsByInviteCode(db, chamber.id, code),
          code,
        );
        outcome = 'wrong_code';
        if (band) {
          for (let attempt = 0; ; attempt += 1) {
            try {
              outcome = await db.transaction((tx) =>
                register(tx, anon, chamber.id, band, { ...form, passwordHash }, now),
              );
              break;
            } catch (error) {
              // Another sign-up with this email (or for this patient) committed first: the
              // second look finds its account and tells the holder.
              if (attempt > 0 || !isUniqueViolation(error)) throw error;
            }
          }
          ctx.signals.jobsEnqueued();
        }
      }
      // Rule 6 for sign-ups: a refused one is recorded in its clinic (never the password), so
      // staff can see attempts with wrong codes; a clinic that does not exist has no record.
      if (chamber && REFUSED.has(outcome))
        await insertAuditEvents(db, [
          auditEntry(
            chamber.id,
            anon,
            now,
            { action: 'portal.sign_up_refused', details: { reason: outcome } },
            form.email,
          ),
        ]);
      const wait = SIGN_UP_ANSWER_MS - (performance.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return outcome;
    },

    /**
     * Uses a sign-up link once, with the password chosen on the form: the account becomes
     * Active, only while it is still Invited. A link used, expired, replaced, or of an account
     * changed since answers 400 `link_invalid`; another password 401 and the link stays usable.
     */
    async confirm(anon: AnonymousActor, input: ConfirmSignUp): Promise<SignUpConfirmed> {
      const now = clock();
      if (input.token.length < 20 || input.token.length > 100) throw invalidLink();
      const link = await findUsableSignUpLink(db, hashToken(input.token), now);
      if (!link?.accountId) throw invalidLink();
      // The reader of the email must also be who chose the password (see ConfirmSignUp).
      if (!(await verifyPassword(link.passwordHash, input.password)))
        throw new AppError(
          401,
          'invalid_credentials',
          'This is not the password you chose when you signed up. Please type it again.',
          'password',
        );
      const { chamberId, accountId } = link;
      const email = await db.transaction(async (tx) => {
        if (!(await consumeToken(tx, chamberId, link.id, now))) throw invalidLink();
        const account = await activateSignedUpAccount(tx, chamberId, accountId, now);
        if (!account) throw invalidLink();
        await insertAuditEvents(tx, [
          auditEntry(
            chamberId,
            anon,
            now,
            {
              action: 'portal.sign_up_confirmed',
              patientId: account.patientId,
              subjectType: 'portal_account',
              subjectId: accountId,
            },
            account.email,
          ),
        ]);
        return account.email;
      });
      const chamber = await findChamberKeyAndName(db, chamberId);
      return { chamber: { key: chamber?.key ?? '', name: chamber?.name ?? '' }, email };
    },
  };
}

export type SignUpService = ReturnType<typeof createSignUpService>;
