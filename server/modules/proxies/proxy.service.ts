import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { ActingFor, NewProxy, Proxy } from '../../../common/contract/proxies.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { isUniqueViolation } from '../../db/unique-violation.js';
import type { ServiceContext } from '../../lib/context.js';
import { patientOfChamber } from '../patients/patient.repository.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { createAccountLink } from '../auth/account-links.js';
import { setSessionPatient } from '../auth/auth.repository.js';
import { audit, auditRead } from '../audit/audit.service.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { findActingForChoices } from '../portal-access/acting-for.repository.js';
import {
  endProxies,
  findAccountByEmail,
  findPatientWithoutAccountByEmail,
  findProxiesOfPatient,
  insertAccount,
  insertProxy,
  type ProxyRow,
} from './proxy.repository.js';

/** A proxy as staff and the patient see it. */
function presentProxy(row: ProxyRow): Proxy {
  return {
    id: row.id,
    account: {
      id: row.account.id,
      name: row.account.name,
      email: row.account.email,
      state: row.account.state,
      isPatient: row.account.patientId !== null,
    },
    relationship: row.relationship,
    endsOn: row.endsOn,
    createdAt: row.createdAt.toISOString(),
    addedBy: row.addedBy,
  };
}

/**
 * Proxy access (SPEC rule 18): staff add and remove a patient's proxies on the Patient Record;
 * a proxy chooses in the portal whom they act for; a patient sees and removes their own.
 */
export function createProxyService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function requirePatient(chamberId: string, patientId: string): Promise<void> {
    if (!(await patientOfChamber(db, chamberId, patientId))) throw notFound('That patient');
  }

  /** The clinic's today (rule 7), `YYYY-MM-DD`. */
  async function clinicToday(chamberId: string): Promise<string> {
    const chamber = await findChamber(db, chamberId);
    return DateTime.fromJSDate(clock(), { zone: chamber?.timeZone ?? 'UTC' }).toISODate()!;
  }

  return {
    /** Proxy Access on the Patient Record: the proxies in force. */
    async list(actor: StaffActor, patientId: string): Promise<Proxy[]> {
      await requirePatient(actor.chamberId, patientId);
      const rows = await findProxiesOfPatient(db, actor.chamberId, patientId, clock());
      await auditRead(ctx, actor, clock(), { action: 'proxy.list_viewed', patientId });
      return rows.map(presentProxy);
    },

    /**
     * Add Proxy: a portal account by email (made and invited when new; a patient of the clinic
     * with that email and no account gets their own), allowed to act for the patient.
     */
    async add(actor: StaffActor, patientId: string, input: NewProxy): Promise<Proxy> {
      await requirePatient(actor.chamberId, patientId);
      const email = input.email.trim();
      const endsOn = input.endsOn ?? null;
      if (endsOn !== null) {
        const d = DateTime.fromISO(endsOn, { zone: 'utc' });
        if (!d.isValid || d.toISODate() !== endsOn)
          throw invalid('validation_failed', 'endsOn must be a date (YYYY-MM-DD).', 'endsOn');
        if (endsOn < (await clinicToday(actor.chamberId)))
          throw invalid('validation_failed', 'The end date has passed already.', 'endsOn');
      }
      const now = clock();
      const id = randomUUID();
      const invited = await db
        .transaction(async (tx) => {
          let account = await findAccountByEmail(tx, actor.chamberId, email);
          let invitedAccount: string | null = null;
          if (!account) {
            // A patient of the clinic with this email and no account gets their own account.
            const own = await findPatientWithoutAccountByEmail(tx, actor.chamberId, email);
            const name = input.name?.trim() || null;
            if (!own && !name)
              throw invalid(
                'validation_failed',
                'Nobody has a portal account with this email: give the proxy’s name to invite them.',
                'name',
              );
            const accountId = randomUUID();
            await insertAccount(tx, {
              chamberId: actor.chamberId,
              id: accountId,
              patientId: own?.id ?? null,
              name: own ? null : name,
              emailConsent: !own && input.emailConsent === true,
              email,
              state: 'invited',
              invitedAt: now,
              createdAt: now,
              updatedAt: now,
            });
            await createAccountLink(tx, {
              chamberId: actor.chamberId,
              subject: { accountId, patientId: own?.id ?? null },
              purpose: 'invitation',
              now,
            });
            invitedAccount = accountId;
            account = { id: accountId, patientId: own?.id ?? null, state: 'invited', name: '' };
          }
          if (account.patientId === patientId)
            throw invalid(
              'proxy_not_allowed',
              'This email is the patient’s own portal account: a patient is not their own proxy.',
              'email',
            );
          if (
            (await findProxiesOfPatient(tx, actor.chamberId, patientId, now)).some(
              (p) => p.account.id === account.id,
            )
          )
            throw conflict(
              'proxy_exists',
              'This account is a proxy of the patient already.',
              'email',
            );
          // One past its end date but never removed makes way for the new one.
          await endProxies(
            tx,
            actor.chamberId,
            { patientId, accountId: account.id, pastEndDate: true },
            {},
            now,
          );
          await insertProxy(tx, {
            chamberId: actor.chamberId,
            id,
            patientId,
            accountId: account.id,
            relationship: input.relationship.trim(),
            endsOn,
            createdAt: now,
            createdByUserId: actor.userId,
          });
          await audit(tx, actor, now, {
            action: 'proxy.added',
            patientId,
            subjectType: 'proxy',
            subjectId: id,
            details: {
              accountId: account.id,
              relationship: input.relationship.trim(),
              endsOn,
              invited: invitedAccount !== null,
            },
          });
          return invitedAccount !== null;
        })
        .catch((error: unknown) => {
          // Two adding the same proxy at once: the second meets the first's row.
          if (isUniqueViolation(error))
            throw conflict(
              'proxy_exists',
              'This account is a proxy of the patient already.',
              'email',
            );
          throw error;
        });
      if (invited) ctx.signals.jobsEnqueued();
      const rows = await findProxiesOfPatient(db, actor.chamberId, patientId, clock(), id);
      return presentProxy(rows[0]!);
    },

    /** Remove Proxy (staff): the proxy ends at once, open sessions and streams included. */
    async remove(actor: StaffActor, patientId: string, proxyId: string): Promise<void> {
      await requirePatient(actor.chamberId, patientId);
      const now = clock();
      await db.transaction(async (tx) => {
        const ended = await endProxies(
          tx,
          actor.chamberId,
          { patientId, proxyId },
          { userId: actor.userId },
          now,
        );
        if (ended.length === 0) throw notFound('That proxy');
        await audit(tx, actor, now, {
          action: 'proxy.removed',
          patientId,
          subjectType: 'proxy',
          subjectId: proxyId,
          details: { accountId: ended[0] },
        });
      });
    },

    /** A patient's own proxies, for the portal (acting for their own record only). */
    async listForPatient(actor: PatientActor): Promise<Proxy[]> {
      if (actor.proxy) return [];
      const rows = await findProxiesOfPatient(db, actor.chamberId, actor.patientId, clock());
      return rows.map(presentProxy);
    },

    /** A patient removes one of their proxies (only for their own record, never as a proxy). */
    async removeForPatient(actor: PatientActor, proxyId: string): Promise<void> {
      if (actor.proxy) throw notFound('That proxy');
      const now = clock();
      await db.transaction(async (tx) => {
        const ended = await endProxies(
          tx,
          actor.chamberId,
          { patientId: actor.patientId, proxyId },
          { accountId: actor.accountId },
          now,
        );
        if (ended.length === 0) throw notFound('That proxy');
        await audit(tx, actor, now, {
          action: 'proxy.removed',
          subjectType: 'proxy',
          subjectId: proxyId,
          details: { accountId: ended[0], by: 'patient' },
        });
      });
    },

    /** Whom the session acts for, and whom the account may act for. */
    async actingFor(actor: PatientActor): Promise<ActingFor> {
      const patients = await findActingForChoices(db, actor.chamberId, actor.accountId, clock());
      return { patientId: actor.patientId, patients };
    },

    /** Acting for: the session acts for another patient the account may act for. */
    async chooseActingFor(actor: PatientActor, patientId: string): Promise<ActingFor> {
      const patients = await findActingForChoices(db, actor.chamberId, actor.accountId, clock());
      if (!patients.some((p) => p.id === patientId)) throw notFound('That patient');
      if (patientId !== actor.patientId) {
        const now = clock();
        await db.transaction(async (tx) => {
          await setSessionPatient(tx, actor.chamberId, actor.sessionId, patientId);
          await audit(tx, actor, now, {
            action: 'portal.acting_for_changed',
            patientId,
            subjectType: 'patient',
            subjectId: patientId,
            details: { from: actor.patientId },
          });
        });
      }
      return { patientId, patients };
    },
  };
}

export type ProxyService = ReturnType<typeof createProxyService>;
