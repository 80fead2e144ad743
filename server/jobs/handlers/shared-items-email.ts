import { portalClinicLink } from '../../modules/auth/account-links.js';
import type { ClaimedJob } from '../../modules/email-jobs/email-job.repository.js';
import {
  sharedItemsEmailsWanted,
  sharedItemsEmailWanted,
  type SharedItemsEmailTarget,
} from '../../modules/shared-items/shared-items.repository.js';
import { sharedItemsEmail } from '../emails.js';
import { payloadOf, type JobHandlerFactory } from '../job-handler.js';

/** `shared_items_email`: the "something new in your Patient Portal" email of rule 5. */
export const sharedItemsEmailHandler: JobHandlerFactory = ({ db, config, clock }, mailer) => {
  /** Whom each job of the batch goes to, as its batch looked it up (null: not wanted). */
  const wantedOf = new WeakMap<ClaimedJob, SharedItemsEmailTarget | null>();
  const patientOf = (job: ClaimedJob) => String(payloadOf(job).patientId);

  return {
    /**
     * Looks up whom the emails of a batch go to in one query per chamber, instead of one query
     * per job, just before sending them. Should it fail, each job looks itself up.
     */
    async prepare(jobs) {
      const byChamber = new Map<string, ClaimedJob[]>();
      for (const job of jobs)
        byChamber.set(job.chamberId, [...(byChamber.get(job.chamberId) ?? []), job]);
      for (const [chamberId, list] of byChamber) {
        try {
          const answers = await sharedItemsEmailsWanted(
            db,
            chamberId,
            list.map(patientOf),
            clock(),
          );
          for (const job of list) {
            const answer = answers.get(patientOf(job));
            if (answer !== undefined) wantedOf.set(job, answer);
          }
        } catch {
          // A payload or a database that fails here fails the job itself, in run.
        }
      }
    },

    async run(job, payload) {
      // Checked again at sending: consent or the setting may have changed since the item was shared.
      const wanted = wantedOf.has(job)
        ? wantedOf.get(job)
        : await sharedItemsEmailWanted(db, job.chamberId, String(payload.patientId), clock());
      if (!wanted)
        return {
          result: 'skipped',
          note: 'email no longer wanted (setting, consent or account changed)',
        };
      // The patient and each of their proxies get an email of their own (rule 18): no address
      // sees another's.
      for (const email of wanted.emails)
        await mailer.send(
          sharedItemsEmail(
            email,
            wanted.chamberName,
            portalClinicLink(config.publicUrl, wanted.chamberKey),
          ),
        );
      return { result: 'sent' };
    },
  };
};
