import { TYPING_SECONDS } from '../../../common/contract/events.js';
import type {
  Assignees,
  ConversationChange,
  ConversationState,
  TeamInbox,
  TeamInboxQuery,
} from '../../../common/contract/messaging.js';
import { PAGE_SIZE } from '../../../common/limits.js';
import { wakeAfterCommit } from '../../db/event-order.js';
import { AppError, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit, type AuditInput, auditRead } from '../audit/audit.service.js';
import {
  activeUserRoles,
  findConversationState,
  listTeamInbox,
  notifyTyping,
  staffCanSee,
  updateConversation,
  usersWhoCanSee,
  type ConversationUpdate,
  type InboxCursor,
  type TeamInboxRow,
} from './conversation.repository.js';
import { presentConversationState, presentTeamInboxLine } from './messaging.presenter.js';
import { conversationChanged } from './messaging.service.js';

/** A timestamp as PostgreSQL writes one as text (`2026-01-02 08:30:00.123+00`). */
const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

/** A team inbox cursor: the last row's place in the inbox order, opaque to clients. */
function encodeInboxCursor(r: TeamInboxRow): string {
  return Buffer.from(
    JSON.stringify([r.redFlag ? 0 : 1, r.sortReplyBy, r.lastSeq]),
    'utf8',
  ).toString('base64url');
}

function decodeInboxCursor(cursor: string): InboxCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 3 &&
      (v[0] === 0 || v[0] === 1) &&
      typeof v[1] === 'string' &&
      (v[1] === 'infinity' || TIMESTAMP_TEXT.test(v[1])) &&
      Number.isSafeInteger(v[2]) &&
      (v[2] as number) >= 0
    ) {
      return { notRedFlag: v[0] === 1, replyBy: v[1], negLastSeq: -(v[2] as number) };
    }
  } catch {
    // fall through to the refusal
  }
  throw new AppError(
    422,
    'validation_failed',
    'cursor is not a cursor this list gave out.',
    'cursor',
  );
}

/**
 * The team inbox (rule 10) and the changes staff make to a conversation: status, assignee,
 * red flag (rule 11's compare-and-set on the assignee), and "is replying…".
 */
export function createConversationService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  /** The conversation if this staff user can see at least one of its messages; else 404. */
  async function seenConversation(actor: StaffActor, conversationId: string) {
    const conv = await findConversationState(db, actor.chamberId, conversationId);
    if (!conv || !staffCanSee(conv, actor)) throw notFound('That conversation');
    return conv;
  }

  return {
    /** Start Page > Messages: conversations, one row each, in the inbox order. */
    async teamInbox(actor: StaffActor, query: TeamInboxQuery): Promise<TeamInbox> {
      // A role filter names one of the viewer's roles: which conversations have a message
      // shared with a role they do not hold is not theirs to know (rule 4).
      if (query.roleId && !actor.roleIds.includes(query.roleId)) {
        throw invalid('role_not_held', 'Filter by one of your own roles.', 'roleId');
      }
      const limit = query.limit ? Number(query.limit) : PAGE_SIZE;
      const rows = await listTeamInbox(db, actor.chamberId, actor, {
        view: query.view ?? 'open',
        ...(query.roleId ? { roleId: query.roleId } : {}),
        ...(query.topicId ? { topicId: query.topicId } : {}),
        ...(query.cursor ? { after: decodeInboxCursor(query.cursor) } : {}),
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const now = clock();
      await auditRead(ctx, actor, now, {
        action: 'inbox.team_viewed',
        subjectType: 'inbox',
        subjectId: query.view ?? 'open',
        details: { count: page.length, patientIds: [...new Set(page.map((r) => r.patientId))] },
      });
      const last = page[page.length - 1];
      return {
        conversations: page.map((r) => presentTeamInboxLine(r, now)),
        nextCursor: rows.length > limit && last ? encodeInboxCursor(last) : null,
      };
    },

    /**
     * PATCH a conversation: Close conversation, Reopen, Assign to me, Assign, clear a red
     * flag. With `expectedAssigneeId`, refused with 409 when the assignee changed since its
     * writer looked (rule 11). Audited, and pushed live to the staff who can see it.
     */
    async change(
      actor: StaffActor,
      conversationId: string,
      input: ConversationChange,
    ): Promise<ConversationState> {
      if (
        input.status === undefined &&
        input.assigneeId === undefined &&
        input.redFlag === undefined
      ) {
        throw invalid('validation_failed', 'Say what to change: status, assigneeId or redFlag.');
      }
      await seenConversation(actor, conversationId);
      // The new assignee must be an Active user who can see the conversation (checked again
      // under the lock below, against the conversation as it is then).
      const newAssignee =
        input.assigneeId === undefined || input.assigneeId === null
          ? null
          : input.assigneeId === actor.userId
            ? { name: actor.name, roleIds: actor.roleIds }
            : await activeUserRoles(db, actor.chamberId, input.assigneeId);
      const now = clock();
      const state = await db.transaction(async (tx) => {
        // The conversation's row lock serialises its changes; the wake-up goes after commit.
        const conv = await findConversationState(tx, actor.chamberId, conversationId, {
          forUpdate: true,
        });
        if (!conv || !staffCanSee(conv, actor)) throw notFound('That conversation');
        if (
          input.expectedAssigneeId !== undefined &&
          input.expectedAssigneeId !== conv.assigneeId
        ) {
          throw conversationChanged(
            conv.assigneeName
              ? `${conv.assigneeName} took this conversation meanwhile.`
              : 'The assignee of this conversation changed meanwhile.',
          );
        }
        if (
          input.assigneeId &&
          (!newAssignee ||
            !staffCanSee(conv, { userId: input.assigneeId, roleIds: newAssignee.roleIds }))
        ) {
          throw invalid(
            'assignee_cannot_see',
            'That user cannot see this conversation, so it cannot be assigned to them.',
            'assigneeId',
          );
        }
        const change: ConversationUpdate = {};
        const audits: AuditInput[] = [];
        const about = {
          patientId: conv.patientId,
          subjectType: 'conversation',
          subjectId: conversationId,
        };
        if (input.status && input.status !== conv.status) {
          change.status = input.status;
          audits.push({
            action: input.status === 'closed' ? 'conversation.closed' : 'conversation.reopened',
            ...about,
          });
        }
        if (input.assigneeId !== undefined && input.assigneeId !== conv.assigneeId) {
          change.assigneeUserId = input.assigneeId;
          audits.push({
            action: input.assigneeId ? 'conversation.assigned' : 'conversation.unassigned',
            ...about,
            details: { assigneeId: input.assigneeId, previousAssigneeId: conv.assigneeId },
          });
        }
        if (input.redFlag === false && conv.redFlag) {
          change.redFlag = false;
          audits.push({ action: 'conversation.red_flag_cleared', ...about });
        }
        if (audits.length > 0) {
          await updateConversation(tx, actor.chamberId, conversationId, change, {
            userId: actor.userId,
            now,
          });
          const [first, ...rest] = audits;
          await audit(tx, actor, now, first!, ...rest);
        }
        return (await findConversationState(tx, actor.chamberId, conversationId))!;
      });
      await wakeAfterCommit(db, actor.chamberId);
      return presentConversationState(state, now);
    },

    /** Who the conversation may be assigned to: the Active users who can see it. */
    async assignees(actor: StaffActor, conversationId: string): Promise<Assignees> {
      const conv = await seenConversation(actor, conversationId);
      return { users: await usersWhoCanSee(db, actor.chamberId, conv) };
    },

    /** "Is replying…": tells the staff who can see the conversation, for 30 seconds (rule 11). */
    async typing(actor: StaffActor, conversationId: string): Promise<void> {
      const conv = await seenConversation(actor, conversationId);
      const until = new Date(clock().getTime() + TYPING_SECONDS * 1000);
      await notifyTyping(
        db,
        JSON.stringify({
          chamberId: actor.chamberId,
          patientId: conv.patientId,
          toPatient: false,
          roleIds: conv.staffRoleIds,
          userIds: conv.staffAuthorIds,
          event: {
            conversationId,
            user: { id: actor.userId, name: actor.name },
            until: until.toISOString(),
          },
        }),
      );
    },
  };
}

export type ConversationService = ReturnType<typeof createConversationService>;
