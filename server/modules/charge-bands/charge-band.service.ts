import { randomUUID } from 'node:crypto';
import { conflict, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit } from '../audit/audit.service.js';
import { invitePatient } from '../patients/patient.service.js';
import {
  findBandIdsByInviteCode,
  findBandIdsByName,
  findChargeBand,
  insertChargeBand,
  listChargeBands,
  listUninvitedPatientsOfBand,
  updateChargeBand,
  type ChargeBandRow,
} from './charge-band.repository.js';

export type OnlineAccess = 'none' | 'allow_and_notify' | 'allow_no_notifications';

/** A charge band as the Billing Rules screen shows it. */
export function presentBand(b: ChargeBandRow & { patientCount?: number }) {
  return {
    id: b.id,
    name: b.name,
    onlineAccess: b.onlineAccess,
    allowOnlineMessaging: b.allowOnlineMessaging,
    onlineSignUpInviteCode: b.onlineSignUpInviteCode ?? '',
    patientCount: Number(b.patientCount ?? 0),
  };
}

export function createChargeBandService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function load(chamberId: string, id: string) {
    const band = await findChargeBand(db, chamberId, id);
    if (!band) throw notFound('That charge band');
    return band;
  }

  async function listBands(chamberId: string) {
    const rows = await listChargeBands(db, chamberId);
    return rows.map((r) => presentBand({ ...r.band, patientCount: r.patientCount }));
  }

  /** One band exactly as the list shows it, patient count included. */
  async function presentOne(chamberId: string, id: string) {
    const band = (await listBands(chamberId)).find((b) => b.id === id);
    if (!band) throw notFound('That charge band');
    return band;
  }

  async function assertNameFree(chamberId: string, name: string, exceptId?: string) {
    const rows = await findBandIdsByName(db, chamberId, name);
    if (rows.some((r) => r.id !== exceptId))
      throw conflict(
        'charge_band_name_taken',
        'A charge band with this name exists already.',
        'name',
      );
  }

  return {
    list(actor: StaffActor) {
      return listBands(actor.chamberId);
    },

    async create(actor: StaffActor, input: { name: string }) {
      const name = input.name.trim();
      await assertNameFree(actor.chamberId, name);
      const now = clock();
      const id = randomUUID();
      await db.transaction(async (tx) => {
        await insertChargeBand(tx, {
          chamberId: actor.chamberId,
          id,
          name,
          createdAt: now,
          updatedAt: now,
        });
        await audit(tx, actor, now, {
          action: 'charge_band.created',
          subjectType: 'charge_band',
          subjectId: id,
          details: { name },
        });
      });
      return await presentOne(actor.chamberId, id);
    },

    /** Name and Online Settings (Allow online messaging, Online sign-up invite code). */
    async update(
      actor: StaffActor,
      id: string,
      input: { name?: string; allowOnlineMessaging?: boolean; onlineSignUpInviteCode?: string },
    ) {
      const band = await load(actor.chamberId, id);
      if (input.name !== undefined) await assertNameFree(actor.chamberId, input.name.trim(), id);
      const touchesOnlineSettings =
        input.allowOnlineMessaging !== undefined || input.onlineSignUpInviteCode !== undefined;
      if (touchesOnlineSettings && band.onlineAccess === 'none') {
        throw conflict(
          'band_not_online',
          'Online Settings apply only to a band with online access. Use Enable Online Booking first.',
          input.allowOnlineMessaging !== undefined
            ? 'allowOnlineMessaging'
            : 'onlineSignUpInviteCode',
        );
      }
      const code = input.onlineSignUpInviteCode?.trim();
      if (code) {
        const taken = await findBandIdsByInviteCode(db, actor.chamberId, code);
        if (taken.some((r) => r.id !== id)) {
          throw conflict(
            'invite_code_taken',
            'Another charge band uses this Online sign-up invite code.',
            'onlineSignUpInviteCode',
          );
        }
      }
      const now = clock();
      await db.transaction(async (tx) => {
        await updateChargeBand(
          tx,
          actor.chamberId,
          id,
          {
            name: input.name?.trim(),
            allowOnlineMessaging: input.allowOnlineMessaging,
            onlineSignUpInviteCode:
              input.onlineSignUpInviteCode === undefined ? undefined : code || null,
          },
          now,
        );
        await audit(tx, actor, now, {
          action: 'charge_band.updated',
          subjectType: 'charge_band',
          subjectId: id,
          details: { ...input },
        });
      });
      return await presentOne(actor.chamberId, id);
    },

    /**
     * Enable Online Booking (Allow And Notify: every patient on the band with an email and no
     * portal account is invited now, and patients who join the band later too; Allow With No
     * Notifications: access without email), or back to no online access. Nothing is deleted.
     */
    async setOnlineAccess(actor: StaffActor, id: string, mode: OnlineAccess) {
      const band = await load(actor.chamberId, id);
      const now = clock();
      let invited = 0;
      await db.transaction(async (tx) => {
        await updateChargeBand(tx, actor.chamberId, id, { onlineAccess: mode }, now);
        if (mode === 'allow_and_notify') {
          const uninvited = await listUninvitedPatientsOfBand(tx, actor.chamberId, id);
          for (const p of uninvited) {
            if (await invitePatient(tx, actor.chamberId, p, now)) invited += 1;
          }
        }
        await audit(tx, actor, now, {
          action: 'charge_band.online_access_changed',
          subjectType: 'charge_band',
          subjectId: id,
          details: { from: band.onlineAccess, to: mode, invited },
        });
      });
      if (invited > 0) ctx.signals.jobsEnqueued();
      return { ...(await presentOne(actor.chamberId, id)), invited };
    },
  };
}

export type ChargeBandService = ReturnType<typeof createChargeBandService>;
