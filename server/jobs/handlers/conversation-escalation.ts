import { escalateIfOverdue } from '../../modules/reply-times/escalation.service.js';
import type { JobHandlerFactory } from '../job-handler.js';

/** Keeps a reply-by promise (rule 12): at reply-by, an unanswered conversation is escalated. */
export const conversationEscalationHandler: JobHandlerFactory = (ctx) => ({
  async run(job, payload) {
    const outcome = await escalateIfOverdue(ctx, job.chamberId, String(payload.conversationId));
    return { result: outcome.escalated ? 'sent' : 'skipped', note: outcome.note };
  },
});
