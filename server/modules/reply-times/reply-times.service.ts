import type { ClinicInfo, ReplyTime } from '../../../common/contract/clinic.js';
import { MAX_ATTACHMENTS } from '../../../common/contract/messaging.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { PatientActor } from '../auth/actor.js';
import { ALLOWED_TYPES } from '../documents/document.storage.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import { promisedReplyBy, redFlagPhrasesOf, scheduleOf } from './clinic-rules.js';
import { hoursOn, isOpenAt } from './office-hours.js';
import { findClinicRules } from './reply-times.repository.js';

/** What the portal tells patients of the clinic: its contact, today's hours, its promise. */
export function createReplyTimesService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;

  return {
    /**
     * The clinic's name, phone, today's office hours, what the composer warns of (rules 13
     * and 14) and whether patients may attach files (with the limits), by clinic code, or for
     * the signed-in patient's clinic. Public: the portal shows it where a patient cannot go on
     * (signed out, blocked, messaging off).
     */
    async clinic(
      chamberKey: string | undefined,
      patient: PatientActor | null,
    ): Promise<ClinicInfo> {
      if (chamberKey === undefined && !patient) {
        throw invalid('validation_failed', 'Give the clinic code (chamber).', 'chamber');
      }
      const rules = await findClinicRules(
        db,
        chamberKey !== undefined
          ? { key: chamberKey.trim().toLowerCase() }
          : { id: patient!.chamberId },
      );
      if (!rules) throw notFound('That clinic');
      return {
        name: rules.name,
        phone: rules.clinicPhone,
        timeZone: rules.timeZone,
        todaysHours: hoursOn(scheduleOf(rules), clock()),
        emergencyAdvice: rules.emergencyAdvice,
        redFlagPhrases: [...redFlagPhrasesOf(rules)],
        // The limits every upload is checked against, published so the portal shows them first.
        attachments: {
          allowed: rules.patientAttachmentsEnabled,
          types: Object.keys(ALLOWED_TYPES),
          maxBytes: config.maxUploadBytes,
          maxFiles: MAX_ATTACHMENTS,
        },
      };
    },

    /** When the clinic aims to reply to a message sent now (rule 12), and whether it is closed. */
    async replyTime(actor: PatientActor): Promise<ReplyTime> {
      await requirePatientAccess(db, actor, 'messaging');
      const rules = await findClinicRules(db, { id: actor.chamberId });
      if (!rules) throw notFound('That clinic');
      const now = clock();
      return {
        replyBy: promisedReplyBy(rules, now)?.toISOString() ?? null,
        outOfHours: !isOpenAt(scheduleOf(rules), now),
        timeZone: rules.timeZone,
      };
    },
  };
}

export type ReplyTimesService = ReturnType<typeof createReplyTimesService>;
