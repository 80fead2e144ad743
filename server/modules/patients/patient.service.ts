import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { conflict, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { createAccountLink } from '../auth/account-links.js';
import { findPortalAccountByEmail } from '../auth/auth.repository.js';
import { audit, auditRead } from '../audit/audit.service.js';
import {
  findBandForPatient,
  findPatientRecord,
  insertPatient,
  parseDateQuery,
  searchPatients,
  setPortalAccountEmail,
  updatePatient,
  upsertInvitedAccount,
} from './patient.repository.js';
import { presentPatientRecord } from './patient.presenter.js';

export interface PatientInput {
  givenName: string;
  familyName: string;
  dateOfBirth: string;
  email?: string | null;
  mobile?: string | null;
  chargeBandId: string;
  emailConsent?: boolean;
}

/**
 * Makes (or refreshes) an Invited portal account and queues the invitation email, in the
 * caller's transaction. Returns false when the patient has no email or the email is another
 * account's user name.
 */
export async function invitePatient(
  db: Db,
  chamberId: string,
  patient: { id: string; email: string | null },
  now: Date,
): Promise<boolean> {
  if (!patient.email) return false;
  const other = await findPortalAccountByEmail(db, chamberId, patient.email);
  if (other && other.patientId !== patient.id) return false;
  const accountId = await upsertInvitedAccount(db, chamberId, patient.id, patient.email, now);
  await createAccountLink(db, {
    chamberId,
    subject: { accountId, patientId: patient.id },
    purpose: 'invitation',
    now,
  });
  return true;
}

type EligibilityReason = ReturnType<typeof presentPatientRecord>['messaging']['reason'];

/** Rule 1 without the messaging tick: the patient may use the portal (documents, medical data). */
const mayUsePortal = (reason: EligibilityReason) =>
  reason === null || reason === 'messaging_not_allowed';

/**
 * What a change took away from the patient (rule 1), for the audit row: `lost: 'portal'` when
 * they could use the portal and no longer can, `lost: 'messaging'` when only messaging went.
 */
function lostAccess(before: EligibilityReason, after: EligibilityReason) {
  if (mayUsePortal(before) && !mayUsePortal(after)) return { lost: 'portal', reason: after };
  if (before === null && after !== null) return { lost: 'messaging', reason: after };
  return {};
}

export function createPatientService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function loadBand(chamberId: string, bandId: string) {
    const band = await findBandForPatient(db, chamberId, bandId);
    if (!band)
      throw invalid('charge_band_not_found', 'That charge band does not exist.', 'chargeBandId');
    return band;
  }

  function checkDate(dateOfBirth: string, today: Date): void {
    const parsed = parseDateQuery(dateOfBirth);
    if (
      !parsed ||
      parsed !== dateOfBirth ||
      parsed > today.toISOString().slice(0, 10) ||
      parsed < '1880-01-01'
    ) {
      throw invalid(
        'validation_failed',
        'dateOfBirth must be a real date in the past, written as YYYY-MM-DD.',
        'dateOfBirth',
      );
    }
  }

  async function record(chamberId: string, patientId: string) {
    const row = await findPatientRecord(db, chamberId, patientId);
    if (!row) throw notFound('That patient');
    return presentPatientRecord(row);
  }

  return {
    /** Find and Select patient, by name, date of birth or email. */
    async search(actor: StaffActor, query: string) {
      if (query.trim().length === 0)
        throw invalid(
          'validation_failed',
          'Type a name, a date of birth or an email to search for.',
          'query',
        );
      const rows = await searchPatients(db, actor.chamberId, query, 20);
      return rows.map((p) => ({ ...p, name: `${p.givenName} ${p.familyName}` }));
    },

    /** The Patient Record; the read is audited. */
    async get(actor: StaffActor, patientId: string) {
      const result = await record(actor.chamberId, patientId);
      await auditRead(ctx, actor, clock(), {
        action: 'patient.viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
      });
      return result;
    },

    /** Adds a patient; on a band set to Allow And Notify, the patient is invited at once. */
    async create(actor: StaffActor, input: PatientInput) {
      const now = clock();
      checkDate(input.dateOfBirth, now);
      const band = await loadBand(actor.chamberId, input.chargeBandId);
      const id = randomUUID();
      const email = input.email?.trim() || null;
      let invited = false;
      await db.transaction(async (tx) => {
        await insertPatient(tx, {
          chamberId: actor.chamberId,
          id,
          givenName: input.givenName.trim(),
          familyName: input.familyName.trim(),
          dateOfBirth: input.dateOfBirth,
          email,
          mobile: input.mobile?.trim() || null,
          chargeBandId: band.id,
          emailConsent: input.emailConsent ?? false,
          createdAt: now,
          updatedAt: now,
        });
        if (band.onlineAccess === 'allow_and_notify' && email) {
          invited = await invitePatient(tx, actor.chamberId, { id, email }, now);
        }
        await audit(tx, actor, now, {
          action: 'patient.created',
          patientId: id,
          subjectType: 'patient',
          subjectId: id,
          details: { chargeBandId: band.id, invited },
        });
      });
      if (invited) ctx.signals.jobsEnqueued();
      return record(actor.chamberId, id);
    },

    /**
     * Changes a patient. Moving to another band takes effect on messaging at once (rule 1), even
     * when the patient loses the portal or messaging by it (the staff app warns before); moving
     * onto an Allow And Notify band invites a patient who has no portal account yet. Only what
     * really changes is written and audited: a request that changes nothing writes nothing.
     */
    async update(actor: StaffActor, patientId: string, changes: Partial<PatientInput>) {
      const now = clock();
      const current = await findPatientRecord(db, actor.chamberId, patientId);
      if (!current) throw notFound('That patient');
      if (changes.dateOfBirth !== undefined) checkDate(changes.dateOfBirth, now);
      const band = changes.chargeBandId
        ? await loadBand(actor.chamberId, changes.chargeBandId)
        : undefined;
      const email = changes.email === undefined ? undefined : changes.email?.trim() || null;
      if (email && current.account && email.toLowerCase() !== current.account.email.toLowerCase()) {
        const other = await findPortalAccountByEmail(db, actor.chamberId, email);
        if (other && other.patientId !== patientId) {
          throw conflict(
            'email_in_use',
            'Another patient’s portal account uses this email address.',
            'email',
          );
        }
      }
      if (email === null && current.account) {
        throw conflict(
          'email_required',
          'A patient with a portal account needs an email address: it is their user name.',
          'email',
        );
      }
      const next = {
        givenName: changes.givenName?.trim(),
        familyName: changes.familyName?.trim(),
        dateOfBirth: changes.dateOfBirth,
        email,
        mobile: changes.mobile === undefined ? undefined : changes.mobile?.trim() || null,
        chargeBandId: band?.id,
        emailConsent: changes.emailConsent,
      };
      const changed = (Object.keys(next) as (keyof typeof next)[]).filter(
        (k) => next[k] !== undefined && next[k] !== current.patient[k],
      );
      if (changed.length === 0) return presentPatientRecord(current);
      const write = Object.fromEntries(changed.map((k) => [k, next[k]]));
      const before = presentPatientRecord(current);
      let invited = false;
      let after = before;
      await db.transaction(async (tx) => {
        await updatePatient(tx, actor.chamberId, patientId, write, now);
        if (changed.includes('email') && email && current.account)
          await setPortalAccountEmail(tx, actor.chamberId, patientId, email, now);
        const finalEmail = email === undefined ? current.patient.email : email;
        if (
          band &&
          changed.includes('chargeBandId') &&
          band.onlineAccess === 'allow_and_notify' &&
          !current.account &&
          finalEmail
        ) {
          invited = await invitePatient(
            tx,
            actor.chamberId,
            { id: patientId, email: finalEmail },
            now,
          );
        }
        const row = await findPatientRecord(tx, actor.chamberId, patientId);
        if (!row) throw notFound('That patient');
        after = presentPatientRecord(row);
        await audit(tx, actor, now, {
          action: 'patient.updated',
          patientId,
          subjectType: 'patient',
          subjectId: patientId,
          details: {
            fields: changed,
            ...(changed.includes('chargeBandId') && {
              chargeBand: {
                fromId: before.chargeBand.id,
                from: before.chargeBand.name,
                toId: after.chargeBand.id,
                to: after.chargeBand.name,
              },
            }),
            ...(changed.includes('emailConsent') && { emailConsent: after.emailConsent }),
            ...lostAccess(before.messaging.reason, after.messaging.reason),
            invited,
          },
        });
      });
      if (invited) ctx.signals.jobsEnqueued();
      return after;
    },
  };
}

export type PatientService = ReturnType<typeof createPatientService>;
