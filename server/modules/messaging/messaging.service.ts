import { randomUUID } from 'node:crypto';
import {
  SUBJECT_MAX_LENGTH,
  type Audience,
  type Feed,
  type Inbox,
  type PatientConversation,
  type PatientMessageBody,
  type PatientSent,
  type PatientStartBody,
  type StaffConversation,
  type StaffReplyBody,
  type StaffSent,
  type StaffStartBody,
} from '../../../common/contract/messaging.js';
import {
  MESSAGE_MAX_LENGTH,
  MESSAGE_PAGE_SIZE,
  PAGE_SIZE,
  textLength,
} from '../../../common/limits.js';
import { hasVisibleText, TEXT_EMPTY_MESSAGE } from '../../../common/visible-text.js';
import type { Db } from '../../db/connect.js';
import { lockConversation, wakeAfterCommit } from '../../db/event-order.js';
import { writeTogether } from '../../db/write-together.js';
import { enqueueJobStatement } from '../email-jobs/email-job.repository.js';
import { AppError, forbidden, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { encodeCursor, parseCursor } from '../../lib/schemas.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { type AuditInput, auditRead, auditStatement } from '../audit/audit.service.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { findPatientName, patientOfChamber } from '../patients/patient.repository.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import { assertRolesOfChamber } from '../roles/role.service.js';
import { outOfHoursReply, promisedReplyBy, redFlagsIn } from '../reply-times/clinic-rules.js';
import { scheduleEscalationStatement } from '../reply-times/escalation.repository.js';
import { queueSharedItemsEmail } from '../shared-items/shared-items.service.js';
import { claimAlone, type UnitOfWork } from './idempotency.js';
import { isAudienceEmpty } from './messaging.policy.js';
import { findConversationState, patientSeen } from './conversation.repository.js';
import {
  presentConversationState,
  presentMessageForPatient,
  presentMessageForStaff,
  presentFeedLine,
  presentInboxLine,
} from './messaging.presenter.js';
import {
  attachableDocuments,
  attachmentsOf,
  attachToMessage,
  authorRoleLabel,
  insertConversation,
  type NewConversation,
  insertMessage,
  notificationsStatement,
  type MessageNotifications,
  listFeed,
  listInbox,
  listMessages,
  markConversationNotificationsRead,
  markConversationNotificationsReadStatement,
  markRead,
  markReadStatement,
  newerVisibleMessage,
  newestVisibleSeq,
  rolesOfMessages,
  routeOfPatientMessage,
  type PatientRoute,
  type AttachmentRow,
  type MessageRow,
} from './messaging.repository.js';
import { readerOf } from './visibility.policy.js';

/**
 * Message text rule: 1 to 5,000 characters with at least one a person can see (not only
 * whitespace, zero-width or other invisible characters); kept exactly as typed.
 */
export function checkText(text: string): string {
  if (!hasVisibleText(text)) throw invalid('text_empty', TEXT_EMPTY_MESSAGE, 'text');
  if (textLength(text) > MESSAGE_MAX_LENGTH) {
    throw invalid(
      'text_too_long',
      `A message can be at most ${MESSAGE_MAX_LENGTH} characters long.`,
      'text',
    );
  }
  // Other control characters than tab and line breaks have no place in a message.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) {
    throw invalid('text_invalid', 'The message contains characters that cannot be stored.', 'text');
  }
  return text.replace(/\r\n?/g, '\n');
}

/**
 * A conversation's subject: trimmed, none when nothing of it shows (empty, blank or only
 * invisible characters), at most 120 characters (rule 9).
 */
export function checkSubject(subject: string | undefined): string | null {
  const trimmed = subject?.replace(/\s+/g, ' ').trim() ?? '';
  if (!hasVisibleText(trimmed)) return null;
  if (textLength(trimmed) > SUBJECT_MAX_LENGTH) {
    throw invalid(
      'subject_too_long',
      `A subject can be at most ${SUBJECT_MAX_LENGTH} characters long.`,
      'subject',
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw invalid(
      'subject_invalid',
      'The subject contains characters that cannot be stored.',
      'subject',
    );
  }
  return trimmed;
}

/** 409 conversation_changed: what its writer saw is no longer the newest (rule 11). */
export function conversationChanged(what: string): AppError {
  return new AppError(409, 'conversation_changed', what);
}

/** Where a message goes: a reply in a conversation, or the first message of a new one. */
export type Destination = { conversationId: string } | { patientId: string };

/** The page of a list and the cursor of the next one (one row more was read to know). */
function pageOf<T>(rows: T[], limit: number, seqOf: (row: T) => number) {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(seqOf(last)) : null };
}

export function createMessagingService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;

  /** Fills in the documents attached to each message. */
  async function withAttachments(chamberId: string, rows: MessageRow[]): Promise<MessageRow[]> {
    if (rows.length === 0) return rows;
    const found = await attachmentsOf(
      db,
      chamberId,
      rows.map((m) => m.id),
    );
    return rows.map((m) => ({ ...m, attachments: found.get(m.id) ?? [] }));
  }

  async function presentForStaff(tx: Db, rows: MessageRow[], viewer: StaffActor) {
    const roles = await rolesOfMessages(
      tx,
      viewer.chamberId,
      rows.map((m) => m.id),
    );
    return rows.map((m) => presentMessageForStaff(m, roles.get(m.id) ?? [], viewer.userId));
  }

  /**
   * Attachments of a patient's message: allowed by the chamber, uploaded by this patient, and
   * not attached to another message.
   */
  async function checkAttachments(
    tx: Db,
    actor: PatientActor,
    ids: string[],
  ): Promise<AttachmentRow[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const chamber = await findChamber(tx, actor.chamberId);
    if (!chamber?.patientAttachmentsEnabled) {
      throw forbidden(
        'attachments_not_allowed',
        'This clinic does not accept attachments to messages.',
        'attachmentIds',
      );
    }
    const found = await attachableDocuments(tx, actor.chamberId, actor.patientId, unique);
    if (found.length !== unique.length) {
      throw invalid(
        'attachment_not_found',
        'One of the attached files was not found. Please attach it again.',
        'attachmentIds',
      );
    }
    return found;
  }

  /** A staff message must reach someone besides its author (rule 3), in roles of the chamber. */
  async function checkAudience(actor: StaffActor, audience: Audience): Promise<Audience> {
    const roleIds = [...new Set(audience.roleIds)];
    if (isAudienceEmpty({ ...audience, roleIds })) {
      throw invalid(
        'audience_empty',
        'Choose who sees this message: the patient, one or more roles, or both.',
        'roleIds',
      );
    }
    await assertRolesOfChamber(ctx, actor.chamberId, roleIds);
    return { shareWithPatient: audience.shareWithPatient, roleIds };
  }

  /**
   * The conversation if the reader can see at least one of its messages (rule 4), with the
   * newest such seq; otherwise 404, the same as missing.
   */
  async function visibleConversation(actor: PatientActor | StaffActor, conversationId: string) {
    const conv = await findConversationState(db, actor.chamberId, conversationId);
    // A patient's own conversations only: answered without a second look-up.
    if (!conv || (actor.kind === 'patient' && conv.patientId !== actor.patientId))
      throw notFound('That conversation');
    const seq = await newestVisibleSeq(db, actor.chamberId, conversationId, readerOf(actor));
    if (seq === null) throw notFound('That conversation');
    return { ...conv, newestSeq: seq };
  }

  /** The patient a new conversation is with: a patient starts one with the clinic themselves. */
  async function patientToStartWith(actor: PatientActor | StaffActor, patientId: string) {
    if (actor.kind === 'patient') {
      if (patientId !== actor.patientId) throw notFound('That patient');
      return;
    }
    if (!(await patientOfChamber(db, actor.chamberId, patientId))) throw notFound('That patient');
  }

  /**
   * Sends a message: a patient's (to the Role for new messages, rule 2, with their
   * attachments) or a staff user's (to the audience they chose, rule 3), as a reply or as the
   * first message of a new conversation. One transaction writes the message, its audience,
   * the notifications, the read mark, the email job and the audit rows; `unit` (the route's
   * Idempotency-Key) runs first and last in it. After the commit, live streams and the job
   * worker are woken.
   */
  async function sendMessage(
    actor: PatientActor,
    to: Destination,
    input: PatientMessageBody | PatientStartBody,
    unit?: UnitOfWork<PatientSent>,
  ): Promise<PatientSent>;
  async function sendMessage(
    actor: StaffActor,
    to: Destination,
    input: StaffReplyBody | StaffStartBody,
    unit?: UnitOfWork<StaffSent>,
  ): Promise<StaffSent>;
  async function sendMessage(
    actor: PatientActor | StaffActor,
    to: Destination,
    input: PatientMessageBody | PatientStartBody | StaffReplyBody | StaffStartBody,
    unit?: UnitOfWork<PatientSent> | UnitOfWork<StaffSent>,
  ): Promise<PatientSent | StaffSent> {
    const { chamberId } = actor;
    // 1. Checks that need no transaction, in the order their refusals win: the text, then
    //    whether this author may send at all (rule 1 for a patient, a non-empty audience of
    //    the chamber's roles for staff), then the destination (rule 4: only a conversation
    //    the author can see).
    const text = checkText(input.text);
    const starts = !('conversationId' in to);
    // What a new conversation is about (rule 9); a reply keeps its conversation's.
    const about = input as { subject?: string; topicId?: string };
    const subject = starts ? checkSubject(about.subject) : null;
    const topicId = starts && actor.kind === 'patient' ? (about.topicId ?? null) : null;
    const reply = input as { close?: boolean; afterMessageId?: string };
    const close = !starts && actor.kind === 'staff' && reply.close === true;
    const afterMessageId = !starts && actor.kind === 'staff' ? reply.afterMessageId : undefined;
    let audience: Audience | null = null;
    let attachmentIds: string[] = [];
    if (actor.kind === 'patient') {
      await requirePatientAccess(db, actor, 'messaging');
      attachmentIds = (input as PatientMessageBody).attachmentIds ?? [];
    } else {
      audience = await checkAudience(actor, input as StaffReplyBody);
    }
    let conversation: Awaited<ReturnType<typeof visibleConversation>> | null = null;
    let patientId: string;
    if ('conversationId' in to) {
      conversation = await visibleConversation(actor, to.conversationId);
      patientId = conversation.patientId;
    } else {
      await patientToStartWith(actor, to.patientId);
      patientId = to.patientId;
    }

    // The send's identity for its Idempotency-Key: a retry must ask for the same thing.
    const command = {
      op: conversation ? 'reply' : 'start',
      ...(conversation
        ? { conversationId: conversation.id }
        : actor.kind === 'staff'
          ? { patientId }
          : {}),
      text,
      ...(audience ?? { attachmentIds }),
      ...(subject !== null ? { subject } : {}),
      ...(topicId !== null ? { topicId } : {}),
      ...(close ? { close } : {}),
      ...(afterMessageId !== undefined ? { afterMessageId } : {}),
    };

    let queuedFanOut = false;
    const sent = await db.transaction(async (tx) => {
      const now = clock();
      // 2. The Idempotency-Key, claimed first (a retry stops here), and a new conversation:
      //    for a patient, both in the statement of step 3.
      const claim = unit?.claim(tx, { command, now });
      const conversationId = conversation?.id ?? randomUUID();
      const start: NewConversation | null = conversation
        ? null
        : {
            chamberId,
            id: conversationId,
            patientId,
            startedByKind: actor.kind,
            topicId,
            subject,
            now,
          };
      if (actor.kind === 'staff') {
        await claimAlone(tx, claim);
        if (start) await insertConversation(tx, start);
      }

      // 3. Who the message is shared with and how its author is labelled: a patient's goes
      //    to the topic's role, else the Role for new messages as it is now (rules 2 and 9),
      //    and in a reply also to the roles of the last answer; a staff user's to their choice.
      let attachments: AttachmentRow[] = [];
      let shared: Audience;
      let assigneeUserId: string | null = null;
      let route: PatientRoute | null = null;
      if (audience) {
        shared = audience;
      } else {
        const routed = await routeOfPatientMessage(
          tx,
          chamberId,
          conversation ? { conversationId: conversation.id } : { topicId },
          { claim: claim?.statement, ...(start ? { start } : {}) },
        );
        await claim?.settle(routed.claimed);
        // After the claim: a retry's files are attached by then, and it is answered as the first.
        attachments = await checkAttachments(tx, actor as PatientActor, attachmentIds);
        route = routed;
        if (!route.topicFound) {
          throw invalid(
            'topic_not_found',
            'That topic is not offered. Please choose what your message is about again.',
            'topicId',
          );
        }
        if (route.roleIds.length === 0) throw new Error('chamber has no built-in role');
        shared = { shareWithPatient: true, roleIds: route.roleIds };
        assigneeUserId = route.assigneeUserId;
      }
      const authorRoleName =
        actor.kind === 'staff' ? await authorRoleLabel(tx, chamberId, actor.roleIds) : null;

      // 4. The audit of a new conversation.
      const audits: AuditInput[] = [];
      if (!conversation) {
        audits.push({
          action: 'conversation.created',
          ...(actor.kind === 'staff' ? { patientId } : {}),
          subjectType: 'conversation',
          subjectId: conversationId,
          ...(topicId || subject
            ? { details: { topicId, subjectLength: subject?.length ?? 0 } }
            : {}),
        });
      }

      // 5. The message, in its conversation's order: a reply takes the conversation's row lock
      //    (a new conversation is this transaction's own until it commits). A staff reply that
      //    names the last message its writer saw is refused when a newer one they may see
      //    exists (rule 11), checked under the lock so two replies cannot both pass. Nothing
      //    here waits for another conversation of the chamber.
      if (conversation) await lockConversation(tx, chamberId, conversationId);
      if (afterMessageId !== undefined && conversation && actor.kind === 'staff') {
        const newer = await newerVisibleMessage(
          tx,
          chamberId,
          conversation.id,
          readerOf(actor),
          afterMessageId,
        );
        if (newer === 'unknown') {
          throw invalid(
            'validation_failed',
            'afterMessageId is not a message of this conversation.',
            'afterMessageId',
          );
        }
        if (newer) {
          throw conversationChanged(
            'A new message arrived in this conversation. Read it, then send your reply again.',
          );
        }
      }
      if (actor.kind === 'patient' && conversation?.status === 'closed') {
        // A patient's message reopens a closed conversation (rule 10).
        audits.push({
          action: 'conversation.reopened',
          subjectType: 'conversation',
          subjectId: conversationId,
        });
      }
      if (close) {
        audits.push({
          action: 'conversation.closed',
          patientId,
          subjectType: 'conversation',
          subjectId: conversationId,
        });
      }
      // Rules 12 and 14 on a patient's message: the server checks the red flag phrases again,
      // and a message that starts (or reopens) "awaiting reply" gets the clinic's promise.
      const redFlag = route !== null && redFlagsIn(route.clinic, text).length > 0;
      const newPromise =
        route !== null && !(route.awaitingReply && route.replyBy !== null)
          ? promisedReplyBy(route.clinic, now)
          : null;
      if (redFlag) {
        audits.push({
          action: 'message.red_flagged',
          subjectType: 'conversation',
          subjectId: conversationId,
        });
      }
      const messageId = randomUUID();
      const authorUserId = actor.kind === 'staff' ? actor.userId : null;
      const { seq, notifyLater } = await insertMessage(tx, {
        chamberId,
        id: messageId,
        conversationId,
        patientId,
        authorKind: actor.kind,
        authorUserId,
        proxyAccountId: actor.kind === 'patient' && actor.proxy ? actor.accountId : null,
        authorRoleName,
        text,
        sharedWithPatient: shared.shareWithPatient,
        roleIds: shared.roleIds,
        close,
        redFlag,
        replyBy: newPromise,
        notifyInlineLimit: config.notificationsInlineLimit,
        now,
      });
      // Rule 13: outside office hours the clinic answers at once, once per closed period.
      const autoReply = route
        ? outOfHoursReply(route.clinic, now, route.outOfHoursAnsweredUntil, redFlag)
        : null;
      if (route && autoReply) {
        const autoReplyId = randomUUID();
        await insertMessage(tx, {
          chamberId,
          id: autoReplyId,
          conversationId,
          patientId,
          authorKind: 'clinic',
          authorUserId: null,
          authorRoleName: null,
          text: autoReply.text,
          sharedWithPatient: true,
          roleIds: shared.roleIds,
          close: false,
          outOfHoursAnsweredUntil: autoReply.until,
          now,
        });
        audits.push({
          action: 'message.out_of_hours_reply',
          subjectType: 'message',
          subjectId: autoReplyId,
          details: { conversationId, redFlag },
        });
      }

      // 6. Side effects in the same transaction: members of the roles are notified (not the
      //    author, rule 3; a large role's notifications by a job queued here, so the send does
      //    not write a row per member), the reply-by kept by a durable job (at reply-by it marks
      //    the conversation Overdue and tells the Escalation role, unless answered or closed by
      //    then, rule 12), the files attached, the author has read their own message, the
      //    patient emailed about a staff message shared with them (rule 5).
      const notify: MessageNotifications = {
        chamberId,
        roleIds: shared.roleIds,
        alsoUserId: assigneeUserId,
        exceptUserId: authorUserId,
        kind: actor.kind === 'patient' ? 'patient_message' : 'staff_message',
        patientId,
        conversationId,
        messageId,
        now,
      };
      queuedFanOut = notifyLater;
      if (actor.kind === 'staff' && shared.shareWithPatient) {
        await queueSharedItemsEmail(
          tx,
          chamberId,
          patientId,
          now,
          config.sharedItemsEmailDelaySeconds,
        );
      }

      // 7. The answer, as the author sees their message.
      const message: MessageRow = {
        id: messageId,
        seq,
        conversationId,
        patientId,
        authorKind: actor.kind,
        authorUserId,
        authorName:
          actor.kind === 'patient' && actor.proxy
            ? `${actor.proxy.name} for ${actor.name}`
            : actor.name,
        authorRoleName,
        text,
        sharedWithPatient: shared.shareWithPatient,
        redFlag,
        createdAt: now,
        attachments,
      };
      let result: PatientSent | StaffSent;
      if (actor.kind === 'patient') {
        result = {
          conversation: { id: conversationId },
          message: presentMessageForPatient(message),
        };
      } else {
        const [presented] = await presentForStaff(tx, [message], actor);
        result = { conversation: { id: conversationId }, message: presented! };
      }

      // 8. The writes of steps 6 and 7 in one statement (they touch different rows), with the
      //    audit rows and the answer stored under the Idempotency-Key, in the same commit.
      await writeTogether(tx, [
        // The job exists exactly when the message does; the workers are woken after commit.
        notifyLater
          ? enqueueJobStatement(tx, {
              chamberId,
              kind: 'notification_fan_out',
              payload: { ...notify, now: now.toISOString() },
              runAt: now,
              now,
            })
          : notificationsStatement(tx, notify),
        newPromise &&
          scheduleEscalationStatement(tx, { chamberId, conversationId, runAt: newPromise, now }),
        attachToMessage(
          tx,
          chamberId,
          messageId,
          attachments.map((a) => a.id),
        ),
        markReadStatement(tx, {
          chamberId,
          conversationId,
          readerKind: actor.kind,
          readerId: actor.kind === 'patient' ? actor.patientId : actor.userId,
          seq,
          now,
        }),
        // Replying answers the conversation: the author's notifications of it are read (the
        // author is never notified of their own message, so these are other rows).
        actor.kind === 'staff' &&
          conversation &&
          markConversationNotificationsReadStatement(
            tx,
            chamberId,
            actor.userId,
            conversationId,
            now,
          ),
        auditStatement(
          tx,
          actor,
          now,
          {
            action: 'message.created',
            ...(actor.kind === 'staff' ? { patientId } : {}),
            subjectType: 'message',
            subjectId: messageId,
            details:
              actor.kind === 'staff'
                ? {
                    conversationId,
                    sharedWithPatient: shared.shareWithPatient,
                    roleIds: shared.roleIds,
                  }
                : { conversationId },
          },
          ...audits,
        ),
        (unit as UnitOfWork<PatientSent | StaffSent> | undefined)?.end(tx, result),
      ]);
      return result;
    });
    // 9. After commit: every app process's live events hub is woken (and every worker, for a
    //    large role's notifications), and this process's job worker for the email of step 6.
    await wakeAfterCommit(db, chamberId, { jobs: queuedFanOut });
    ctx.signals.jobsEnqueued();
    return sent;
  }

  /** One page of the messages of a conversation the actor may see, newest first, with files. */
  async function messagePage(
    actor: PatientActor | StaffActor,
    conversationId: string,
    cursor: string | undefined,
  ) {
    const rows = await withAttachments(
      actor.chamberId,
      await listMessages(
        db,
        actor.chamberId,
        conversationId,
        readerOf(actor),
        parseCursor(cursor),
        MESSAGE_PAGE_SIZE + 1,
      ),
    );
    return pageOf(rows, MESSAGE_PAGE_SIZE, (m) => m.seq);
  }

  return {
    sendMessage,

    /** The patient's Inbox, newest first, 20 at a time. */
    async listInbox(
      actor: PatientActor,
      cursor: string | undefined,
      limit = PAGE_SIZE,
    ): Promise<Inbox> {
      await requirePatientAccess(db, actor, 'messaging');
      const rows = await listInbox(
        db,
        actor.chamberId,
        actor.patientId,
        parseCursor(cursor),
        limit + 1,
      );
      const { page, nextCursor } = pageOf(rows, limit, (s) => s.last.seq);
      await auditRead(ctx, actor, clock(), {
        action: 'inbox.viewed',
        subjectType: 'patient',
        subjectId: actor.patientId,
      });
      return { conversations: page.map(presentInboxLine), nextCursor };
    },

    /** One of the patient's conversations: only what is shared with the patient. */
    async openForPatient(
      actor: PatientActor,
      conversationId: string,
      cursor: string | undefined,
    ): Promise<PatientConversation> {
      await requirePatientAccess(db, actor, 'messaging');
      const conv = await visibleConversation(actor, conversationId);
      const { page, nextCursor } = await messagePage(actor, conversationId, cursor);
      await auditRead(ctx, actor, clock(), {
        action: 'conversation.viewed',
        subjectType: 'conversation',
        subjectId: conversationId,
      });
      return {
        conversation: {
          id: conversationId,
          subject: conv.subject,
          topic: conv.topicId ? { id: conv.topicId, name: conv.topicName ?? '' } : null,
          status: conv.status,
          replyBy: conv.awaitingReply && conv.replyBy ? conv.replyBy.toISOString() : null,
        },
        messages: page.map(presentMessageForPatient).reverse(),
        nextCursor,
        canReply: true,
      };
    },

    /** Marks the patient's conversation read up to its newest message. */
    async markReadAsPatient(actor: PatientActor, conversationId: string): Promise<void> {
      await requirePatientAccess(db, actor, 'messaging');
      const conv = await visibleConversation(actor, conversationId);
      await markRead(db, {
        chamberId: actor.chamberId,
        conversationId,
        readerKind: 'patient',
        readerId: actor.patientId,
        seq: conv.newestSeq,
        now: clock(),
      });
    },

    /** The patient's Feed as this staff user may see it (rule 4). */
    async feed(
      actor: StaffActor,
      patientId: string,
      cursor: string | undefined,
      limit = PAGE_SIZE,
    ): Promise<Feed> {
      const patient = await findPatientName(db, actor.chamberId, patientId);
      if (!patient) throw notFound('That patient');
      const rows = await listFeed(
        db,
        actor.chamberId,
        patientId,
        actor,
        parseCursor(cursor),
        limit + 1,
      );
      const { page, nextCursor } = pageOf(rows, limit, (s) => s.last.seq);
      await auditRead(ctx, actor, clock(), {
        action: 'feed.viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
      });
      return {
        patient: {
          id: patientId,
          name: `${patient.givenName} ${patient.familyName}`,
        },
        conversations: page.map(presentFeedLine),
        nextCursor,
      };
    },

    /** One conversation as a staff user sees it. */
    async openForStaff(
      actor: StaffActor,
      conversationId: string,
      cursor: string | undefined,
    ): Promise<StaffConversation> {
      const conv = await visibleConversation(actor, conversationId);
      const { page, nextCursor } = await messagePage(actor, conversationId, cursor);
      await auditRead(ctx, actor, clock(), {
        action: 'conversation.viewed',
        patientId: conv.patientId,
        subjectType: 'conversation',
        subjectId: conversationId,
      });
      const patientCanSee =
        (await newestVisibleSeq(db, actor.chamberId, conversationId, {
          kind: 'patient',
          patientId: conv.patientId,
        })) !== null;
      const seen = conv.answeredSeq
        ? await patientSeen(db, actor.chamberId, conversationId, conv.answeredSeq)
        : null;
      return {
        conversation: {
          ...presentConversationState(conv, clock()),
          patientCanSee,
          seenByPatient: seen ? { messageId: seen.messageId, at: seen.at.toISOString() } : null,
        },
        messages: (await presentForStaff(db, page, actor)).reverse(),
        nextCursor,
        canReply: true,
        /** The reply form's default for "also share with the patient". */
        shareWithPatientByDefault: patientCanSee,
      };
    },

    /** Marks a conversation read for this staff user, with its notifications. */
    async markReadAsStaff(actor: StaffActor, conversationId: string): Promise<void> {
      const conv = await visibleConversation(actor, conversationId);
      const now = clock();
      await db.transaction(async (tx) => {
        await markRead(tx, {
          chamberId: actor.chamberId,
          conversationId,
          readerKind: 'staff',
          readerId: actor.userId,
          seq: conv.newestSeq,
          now,
        });
        await markConversationNotificationsRead(
          tx,
          actor.chamberId,
          actor.userId,
          conversationId,
          now,
        );
      });
    },
  };
}

export type MessagingService = ReturnType<typeof createMessagingService>;
