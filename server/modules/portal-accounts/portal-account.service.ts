import { conflict, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { createAccountLink } from '../auth/account-links.js';
import { deleteSessionsOf } from '../auth/auth.repository.js';
import { audit } from '../audit/audit.service.js';
import { findPatientRecord } from '../patients/patient.repository.js';
import { presentPatientRecord } from '../patients/patient.presenter.js';
import { invitePatient } from '../patients/patient.service.js';
import { setPortalAccountState } from './portal-account.repository.js';

export function createPortalAccountService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function load(actor: StaffActor, patientId: string) {
    const row = await findPatientRecord(db, actor.chamberId, patientId);
    if (!row) throw notFound('That patient');
    return row;
  }

  async function setState(
    actor: StaffActor,
    patientId: string,
    state: 'active' | 'disabled',
    action: 'portal_account.unblocked' | 'portal_account.disabled' | 'portal_account.enabled',
  ) {
    const now = clock();
    const { account } = await load(actor, patientId);
    await db.transaction(async (tx) => {
      await setPortalAccountState(tx, actor.chamberId, patientId, { state, failedSignIns: 0 }, now);
      if (state === 'disabled' && account)
        await deleteSessionsOf(tx, actor.chamberId, { accountId: account.id, patientId });
      await audit(tx, actor, now, {
        action,
        patientId,
        subjectType: 'portal_account',
        subjectId: patientId,
      });
    });
    return presentPatientRecord(await load(actor, patientId));
  }

  return {
    /** Invites the patient to the portal by email (a new invitation replaces an older link). */
    async invite(actor: StaffActor, patientId: string) {
      const row = await load(actor, patientId);
      if (!row.patient.email)
        throw invalid(
          'patient_email_missing',
          'The patient has no email address. Add one to the patient first.',
          'email',
        );
      if (row.account && row.account.state !== 'invited') {
        throw conflict(
          'account_exists',
          'The patient has a portal account already. Use Reset Portal Login instead.',
        );
      }
      const now = clock();
      await db.transaction(async (tx) => {
        if (
          !(await invitePatient(
            tx,
            actor.chamberId,
            { id: patientId, email: row.patient.email },
            now,
          ))
        ) {
          throw conflict(
            'email_in_use',
            'Another patient’s portal account uses this email address.',
            'email',
          );
        }
        await audit(tx, actor, now, {
          action: 'portal_account.invited',
          patientId,
          subjectType: 'portal_account',
          subjectId: patientId,
        });
      });
      ctx.signals.jobsEnqueued();
      return presentPatientRecord(await load(actor, patientId));
    },

    /** Reset Portal Login: emails the patient a link to set a new password (an Invited account gets a new invitation). */
    async resetLogin(actor: StaffActor, patientId: string) {
      const row = await load(actor, patientId);
      if (!row.account)
        throw conflict(
          'no_portal_account',
          'The patient has no portal account. Invite them first.',
        );
      if (row.account.state === 'disabled')
        throw conflict('account_disabled', 'The portal account is disabled. Enable it first.');
      const now = clock();
      await db.transaction(async (tx) => {
        await createAccountLink(tx, {
          chamberId: actor.chamberId,
          subject: { accountId: row.account!.id, patientId },
          purpose: row.account!.state === 'invited' ? 'invitation' : 'reset',
          now,
        });
        await audit(tx, actor, now, {
          action: 'portal_account.reset_sent',
          patientId,
          subjectType: 'portal_account',
          subjectId: patientId,
        });
      });
      ctx.signals.jobsEnqueued();
      return presentPatientRecord(await load(actor, patientId));
    },

    /** Unblock Portal User: a Blocked account becomes Active again. */
    async unblock(actor: StaffActor, patientId: string) {
      const row = await load(actor, patientId);
      if (row.account?.state !== 'blocked')
        throw conflict('account_not_blocked', 'The portal account is not blocked.');
      return setState(actor, patientId, 'active', 'portal_account.unblocked');
    },

    async disable(actor: StaffActor, patientId: string) {
      const row = await load(actor, patientId);
      if (!row.account) throw conflict('no_portal_account', 'The patient has no portal account.');
      if (row.account.state === 'disabled')
        throw conflict('account_disabled', 'The portal account is disabled already.');
      return setState(actor, patientId, 'disabled', 'portal_account.disabled');
    },

    async enable(actor: StaffActor, patientId: string) {
      const row = await load(actor, patientId);
      if (row.account?.state !== 'disabled')
        throw conflict('account_not_disabled', 'The portal account is not disabled.');
      if (!row.account.passwordHash) {
        const now = clock();
        await db.transaction(async (tx) => {
          await setPortalAccountState(tx, actor.chamberId, patientId, { state: 'invited' }, now);
          await audit(tx, actor, now, {
            action: 'portal_account.enabled',
            patientId,
            subjectType: 'portal_account',
            subjectId: patientId,
          });
        });
        return presentPatientRecord(await load(actor, patientId));
      }
      return setState(actor, patientId, 'active', 'portal_account.enabled');
    },
  };
}

export type PortalAccountService = ReturnType<typeof createPortalAccountService>;
