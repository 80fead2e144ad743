import { lockConversation, wakeAfterCommit } from '../../db/event-order.js';
import type { ServiceContext } from '../../lib/context.js';
import { completeClaimedJob, type ClaimedJob } from '../email-jobs/email-job.repository.js';
import {
  insertNotifications,
  logNotificationEvent,
  type MessageNotifications,
} from './messaging.repository.js';

/** Thrown to undo a fan-out whose job another worker claimed meanwhile. */
class JobTaken extends Error {}

/** What a fan-out job did: the users it notified, or why it did nothing. */
export interface FanOutOutcome {
  notified: number;
  note: string;
}

/**
 * Writes the notifications of a message to a large role (queued by its send), and logs the
 * live event that tells each notified user: in one transaction that also ends the job, so a
 * job run again after a crash never counts a message twice.
 */
export async function fanOutNotifications(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  job: ClaimedJob,
  payload: Record<string, unknown>,
): Promise<FanOutOutcome> {
  const n = notificationsOf(job.chamberId, payload);
  try {
    const outcome = await fanOut(ctx, job, n);
    await wakeAfterCommit(ctx.db, n.chamberId);
    return outcome;
  } catch (error) {
    if (error instanceof JobTaken) {
      return { notified: 0, note: 'claimed by another worker' };
    }
    throw error;
  }
}

async function fanOut(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  job: ClaimedJob,
  n: MessageNotifications,
): Promise<FanOutOutcome> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    // After the conversation's row lock: its own later sends and fan-outs follow in order.
    await lockConversation(tx, n.chamberId, n.conversationId);
    const notified = await insertNotifications(tx, n);
    const note = `${notified} notified`;
    // The job ends with its work: none of it if another worker claimed the job since.
    if (!(await completeClaimedJob(tx, job, note, now))) throw new JobTaken();
    await logNotificationEvent(tx, {
      ...n,
      userIds: n.alsoUserId ? [n.alsoUserId] : [],
      now,
    });
    return { notified, note };
  });
}

/** The job's payload as the send wrote it. */
function notificationsOf(chamberId: string, p: Record<string, unknown>): MessageNotifications {
  return {
    chamberId,
    roleIds: Array.isArray(p.roleIds) ? p.roleIds.map(String) : [],
    alsoUserId: typeof p.alsoUserId === 'string' ? p.alsoUserId : null,
    exceptUserId: typeof p.exceptUserId === 'string' ? p.exceptUserId : null,
    kind: p.kind === 'staff_message' ? 'staff_message' : 'patient_message',
    patientId: String(p.patientId),
    conversationId: String(p.conversationId),
    messageId: String(p.messageId),
    now: new Date(String(p.now)),
  };
}
