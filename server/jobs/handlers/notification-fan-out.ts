import { fanOutNotifications } from '../../modules/messaging/notification-fan-out.service.js';
import type { JobHandlerFactory } from '../job-handler.js';

/** `notification_fan_out`: a large role's notifications of a message, just after its send (rule 3). */
export const notificationFanOutHandler: JobHandlerFactory = (ctx) => ({
  async run(job, payload) {
    const outcome = await fanOutNotifications(ctx, job, payload);
    return { result: outcome.notified > 0 ? 'sent' : 'skipped', settled: true };
  },
});
