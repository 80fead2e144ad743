import { wakeAfterCommit } from '../../db/event-order.js';
import type { ServiceContext } from '../../lib/context.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import {
  escalateConversation,
  findEscalationState,
  scheduleEscalation,
} from './escalation.repository.js';

/** What an escalation job did: escalated, or rightly did nothing (and why). */
export interface EscalationOutcome {
  escalated: boolean;
  note: string;
}

/**
 * Rule 12 at a conversation's reply-by: if it is still open and awaiting reply, it is Overdue;
 * the Escalation role is told once and may then read the patient's messages. A reply or a
 * close before then cancels it; a newer promise reschedules it. Idempotent: a job run twice
 * (a worker that died after committing) escalates once.
 */
export async function escalateIfOverdue(
  ctx: Pick<ServiceContext, 'db' | 'clock'>,
  chamberId: string,
  conversationId: string,
): Promise<EscalationOutcome> {
  const outcome = await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    // The conversation's row lock (findEscalationState) makes a second worker wait and then
    // see it escalated; the wake-up goes after commit.
    const s = await findEscalationState(tx, chamberId, conversationId);
    if (!s) return { escalated: false, note: 'the conversation does not exist' };
    if (s.status !== 'open' || !s.awaitingReply || !s.replyBy) {
      return { escalated: false, note: 'answered or closed before its reply-by' };
    }
    if (s.replyBy.getTime() > now.getTime()) {
      await scheduleEscalation(tx, { chamberId, conversationId, runAt: s.replyBy, now });
      return { escalated: false, note: 'not due yet: scheduled for its reply-by' };
    }
    if (s.escalatedReplyBy?.getTime() === s.replyBy.getTime()) {
      return { escalated: false, note: 'already escalated' };
    }
    const done = await escalateConversation(tx, {
      chamberId,
      conversationId,
      patientId: s.patientId,
      roleId: s.escalationRoleId,
      replyBy: s.replyBy,
      now,
    });
    await insertAuditEvents(tx, [
      {
        chamberId,
        at: now,
        action: 'conversation.escalated',
        actorKind: 'system',
        actorLabel: 'Reply Times',
        patientId: s.patientId,
        subjectType: 'conversation',
        subjectId: conversationId,
        details: {
          escalationRoleId: s.escalationRoleId,
          replyBy: s.replyBy.toISOString(),
          messagesShared: done.shared,
          usersNotified: done.notified,
        },
      },
    ]);
    return {
      escalated: true,
      note: s.escalationRoleId
        ? `overdue: ${done.notified} notified, ${done.shared} messages shared`
        : 'overdue: no Escalation role to tell',
    };
  });
  if (outcome.escalated) await wakeAfterCommit(ctx.db, chamberId);
  return outcome;
}
