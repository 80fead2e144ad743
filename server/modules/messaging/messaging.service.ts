import { randomUUID } from 'node:crypto';
import { AppError, forbidden, invalid, notFound } from '../../errors.js';
import type { Db } from '../../db/connect.js';
import type { ServiceContext } from '../../lib/context.js';
import { encodeCursor, parseCursor } from '../../lib/schemas.js';
import { hashJson } from '../../lib/tokens.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { audit, type AuditInput } from '../audit/audit.service.js';
import { queueSharedItemsEmail } from '../notifications/shared-items.service.js';
import { findPatientRecord } from '../patients/patient.repository.js';
import { requirePatientAccess } from '../patients/patient-access.js';
import { assertRolesOfChamber } from '../roles/role.service.js';
import {
  claimIdempotencyKey,
  findIdempotentResult,
  saveIdempotentResult,
} from './idempotency.repository.js';
import { isAudienceEmpty, type Audience } from './messaging.policy.js';
import { findChamber } from '../chambers/chamber.repository.js';
import {
  attachableDocuments,
  attachmentsOf,
  attachToMessage,
  authorRoleLabel,
  findConversation,
  insertConversation,
  insertMessage,
  insertNotifications,
  listFeed,
  listInbox,
  listMessages,
  markConversationNotificationsRead,
  markRead,
  newestVisibleSeq,
  resolveRoleForNewMessages,
  rolesOfMessages,
  type MessageRow,
} from './messaging.repository.js';
import {
  presentMessageForPatient,
  presentMessageForStaff,
  presentSummary,
} from './messaging.presenter.js';

export const MESSAGE_MAX_LENGTH = 5000;
const PAGE = 20;
const MESSAGE_PAGE = 50;

export interface SendResult<T> {
  status: number;
  body: T;
}

/** Message text rule: 1 to 5,000 characters and not only whitespace; kept exactly as typed. */
export function checkText(text: string): string {
  if (text.trim().length === 0) throw invalid('text_empty', 'Please write a message.', 'text');
  if ([...text].length > MESSAGE_MAX_LENGTH) {
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

export function createMessagingService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;

  /** Runs a send once per Idempotency-Key: a retry gets the first answer and stores nothing. */
  async function idempotent<T>(
    chamberId: string,
    actorKey: string,
    key: string | undefined,
    request: unknown,
    send: (tx: Db) => Promise<SendResult<T>>,
  ): Promise<SendResult<T>> {
    if (key === undefined) return db.transaction(send);
    const requestHash = hashJson(request);
    const replay = (stored: { requestHash: string; status: number; body: unknown }) => {
      if (stored.requestHash !== requestHash) {
        throw new AppError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was used for a different request.',
          'Idempotency-Key',
        );
      }
      if (stored.status === 0)
        throw new AppError(
          409,
          'request_in_progress',
          'The same request is still being processed. Please retry.',
        );
      return { status: stored.status, body: stored.body as T };
    };
    // The key is claimed first thing in the transaction: a retry of a stored request conflicts
    // there (waiting for the first one to commit if it is still running) and is answered from
    // the stored result below, so the common case costs no extra look-up.
    const taken = Symbol('taken');
    try {
      return await db.transaction(async (tx) => {
        if (
          !(await claimIdempotencyKey(tx, { chamberId, actorKey, key, requestHash, now: clock() }))
        )
          throw taken;
        const result = await send(tx);
        await saveIdempotentResult(tx, {
          chamberId,
          actorKey,
          key,
          status: result.status,
          body: result.body,
        });
        return result;
      });
    } catch (error) {
      if (error !== taken) throw error;
      const stored = await findIdempotentResult(db, chamberId, actorKey, key);
      if (!stored)
        throw new AppError(
          409,
          'request_in_progress',
          'The same request is still being processed. Please retry.',
        );
      return replay(stored);
    }
  }

  /** Rule 1: refuses with the first missing condition; nothing is stored. */
  const assertPatientMayMessage = (actor: PatientActor) =>
    requirePatientAccess(db, actor, 'messaging');

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

  async function presentForStaff(rows: MessageRow[], viewer: StaffActor) {
    const roles = await rolesOfMessages(
      db,
      viewer.chamberId,
      rows.map((m) => m.id),
    );
    return rows.map((m) => presentMessageForStaff(m, roles.get(m.id) ?? [], viewer.userId));
  }

  /**
   * Attachments of a patient's message: allowed by the chamber, uploaded by this patient, and
   * not attached to another message.
   */
  async function checkAttachments(tx: Db, actor: PatientActor, ids: string[]) {
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

  /** A patient's message: shared with the patient and the Role for new messages as it is now (rule 2). */
  async function writePatientMessage(
    tx: Db,
    actor: PatientActor,
    conversationId: string,
    text: string,
    now: Date,
    attachmentIds: string[] = [],
    /** More audit rows of the same transaction, written with this message's in one statement. */
    alsoAudit: AuditInput[] = [],
  ) {
    const attachments = await checkAttachments(tx, actor, attachmentIds);
    const roleId = await resolveRoleForNewMessages(tx, actor.chamberId);
    const id = randomUUID();
    const seq = await insertMessage(tx, {
      chamberId: actor.chamberId,
      id,
      conversationId,
      patientId: actor.patientId,
      authorKind: 'patient',
      authorUserId: null,
      authorRoleName: null,
      text,
      sharedWithPatient: true,
      roleIds: [roleId],
      now,
    });
    await insertNotifications(tx, {
      chamberId: actor.chamberId,
      roleIds: [roleId],
      exceptUserId: null,
      kind: 'patient_message',
      patientId: actor.patientId,
      conversationId,
      messageId: id,
      now,
    });
    await attachToMessage(
      tx,
      actor.chamberId,
      id,
      attachments.map((a) => a.id),
    );
    await markRead(tx, {
      chamberId: actor.chamberId,
      conversationId,
      readerKind: 'patient',
      readerId: actor.patientId,
      seq,
      now,
    });
    await audit(
      tx,
      actor,
      now,
      {
        action: 'message.created',
        subjectType: 'message',
        subjectId: id,
        details: { conversationId },
      },
      ...alsoAudit,
    );
    const message: MessageRow = {
      id,
      seq,
      conversationId,
      patientId: actor.patientId,
      authorKind: 'patient',
      authorUserId: null,
      authorName: actor.name,
      authorRoleName: null,
      text,
      sharedWithPatient: true,
      createdAt: now,
      attachments,
    };
    return presentMessageForPatient(message);
  }

  /** A staff message with its chosen audience; members of those roles are notified, not the author (rule 3). */
  async function writeStaffMessage(
    tx: Db,
    actor: StaffActor,
    conv: { id: string; patientId: string },
    text: string,
    audience: Audience,
    now: Date,
    /** More audit rows of the same transaction, written with this message's in one statement. */
    alsoAudit: AuditInput[] = [],
  ) {
    const id = randomUUID();
    const roleName = await authorRoleLabel(tx, actor.chamberId, actor.roleIds);
    const seq = await insertMessage(tx, {
      chamberId: actor.chamberId,
      id,
      conversationId: conv.id,
      patientId: conv.patientId,
      authorKind: 'staff',
      authorUserId: actor.userId,
      authorRoleName: roleName,
      text,
      sharedWithPatient: audience.shareWithPatient,
      roleIds: audience.roleIds,
      now,
    });
    await insertNotifications(tx, {
      chamberId: actor.chamberId,
      roleIds: audience.roleIds,
      exceptUserId: actor.userId,
      kind: 'staff_message',
      patientId: conv.patientId,
      conversationId: conv.id,
      messageId: id,
      now,
    });
    await markRead(tx, {
      chamberId: actor.chamberId,
      conversationId: conv.id,
      readerKind: 'staff',
      readerId: actor.userId,
      seq,
      now,
    });
    let emailQueued = false;
    if (audience.shareWithPatient) {
      emailQueued = await queueSharedItemsEmail(
        tx,
        actor.chamberId,
        conv.patientId,
        now,
        config.sharedItemsEmailDelaySeconds,
      );
    }
    await audit(
      tx,
      actor,
      now,
      {
        action: 'message.created',
        patientId: conv.patientId,
        subjectType: 'message',
        subjectId: id,
        details: {
          conversationId: conv.id,
          sharedWithPatient: audience.shareWithPatient,
          roleIds: audience.roleIds,
        },
      },
      ...alsoAudit,
    );
    const message: MessageRow = {
      id,
      seq,
      conversationId: conv.id,
      patientId: conv.patientId,
      authorKind: 'staff',
      authorUserId: actor.userId,
      authorName: actor.name,
      authorRoleName: roleName,
      text,
      sharedWithPatient: audience.shareWithPatient,
      createdAt: now,
      attachments: [],
    };
    const roles = await rolesOfMessages(tx, actor.chamberId, [id]);
    return {
      message: presentMessageForStaff(message, roles.get(id) ?? [], actor.userId),
      emailQueued,
    };
  }

  async function checkAudience(actor: StaffActor, audience: Audience) {
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

  /** The conversation if the staff user can see at least one of its messages; otherwise 404 (rule 4). */
  async function staffConversation(actor: StaffActor, conversationId: string) {
    const conv = await findConversation(db, actor.chamberId, conversationId);
    if (!conv) throw notFound('That conversation');
    const seq = await newestVisibleSeq(db, actor.chamberId, conversationId, {
      kind: 'staff',
      userId: actor.userId,
      roleIds: actor.roleIds,
    });
    if (seq === null) throw notFound('That conversation');
    return { ...conv, newestSeq: seq };
  }

  async function patientConversation(actor: PatientActor, conversationId: string) {
    const conv = await findConversation(db, actor.chamberId, conversationId);
    if (!conv || conv.patientId !== actor.patientId) throw notFound('That conversation');
    const seq = await newestVisibleSeq(db, actor.chamberId, conversationId, { kind: 'patient' });
    if (seq === null) throw notFound('That conversation');
    return { ...conv, newestSeq: seq };
  }

  const done = () => ctx.signals.jobsEnqueued();

  return {
    /** The patient's Inbox, newest first, 20 at a time. */
    async listInbox(actor: PatientActor, cursor: string | undefined, limit = PAGE) {
      await assertPatientMayMessage(actor);
      const before = parseCursor(cursor);
      const rows = await listInbox(db, actor.chamberId, actor.patientId, before, limit + 1);
      const page = rows.slice(0, limit);
      await audit(db, actor, clock(), {
        action: 'inbox.viewed',
        subjectType: 'patient',
        subjectId: actor.patientId,
      });
      return {
        conversations: page.map((s) => presentSummary(s, true)),
        nextCursor:
          rows.length > limit && page.length > 0
            ? encodeCursor(page[page.length - 1]!.last.seq)
            : null,
      };
    },

    /** One of the patient's conversations: only what is shared with the patient. */
    async openForPatient(actor: PatientActor, conversationId: string, cursor: string | undefined) {
      await assertPatientMayMessage(actor);
      await patientConversation(actor, conversationId);
      const rows = await withAttachments(
        actor.chamberId,
        await listMessages(
          db,
          actor.chamberId,
          conversationId,
          { kind: 'patient' },
          parseCursor(cursor),
          MESSAGE_PAGE + 1,
        ),
      );
      const page = rows.slice(0, MESSAGE_PAGE);
      const oldest = page[page.length - 1];
      await audit(db, actor, clock(), {
        action: 'conversation.viewed',
        subjectType: 'conversation',
        subjectId: conversationId,
      });
      return {
        conversation: { id: conversationId },
        messages: page.map(presentMessageForPatient).reverse(),
        nextCursor: rows.length > MESSAGE_PAGE && oldest ? encodeCursor(oldest.seq) : null,
        canReply: true,
      };
    },

    /** New message from the portal: a new conversation. */
    async startAsPatient(
      actor: PatientActor,
      input: { text: string; attachmentIds?: string[] },
      idempotencyKey?: string,
    ) {
      const text = checkText(input.text);
      await assertPatientMayMessage(actor);
      const result = await idempotent(
        actor.chamberId,
        `patient:${actor.patientId}`,
        idempotencyKey,
        { op: 'start', text, attachmentIds: input.attachmentIds ?? [] },
        async (tx) => {
          const now = clock();
          const conversationId = randomUUID();
          await insertConversation(tx, {
            chamberId: actor.chamberId,
            id: conversationId,
            patientId: actor.patientId,
            startedByKind: 'patient',
            now,
          });
          const message = await writePatientMessage(
            tx,
            actor,
            conversationId,
            text,
            now,
            input.attachmentIds,
            [
              {
                action: 'conversation.created',
                subjectType: 'conversation',
                subjectId: conversationId,
              },
            ],
          );
          return { status: 201, body: { conversation: { id: conversationId }, message } };
        },
      );
      done();
      return result;
    },

    /** A patient's reply in one of their conversations. */
    async replyAsPatient(
      actor: PatientActor,
      conversationId: string,
      input: { text: string; attachmentIds?: string[] },
      idempotencyKey?: string,
    ) {
      const text = checkText(input.text);
      await assertPatientMayMessage(actor);
      await patientConversation(actor, conversationId);
      const result = await idempotent(
        actor.chamberId,
        `patient:${actor.patientId}`,
        idempotencyKey,
        { op: 'reply', conversationId, text, attachmentIds: input.attachmentIds ?? [] },
        async (tx) => {
          const message = await writePatientMessage(
            tx,
            actor,
            conversationId,
            text,
            clock(),
            input.attachmentIds,
          );
          return { status: 201, body: { conversation: { id: conversationId }, message } };
        },
      );
      done();
      return result;
    },

    /** Marks the patient's conversation read up to its newest message. */
    async markReadAsPatient(actor: PatientActor, conversationId: string) {
      await assertPatientMayMessage(actor);
      const conv = await patientConversation(actor, conversationId);
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
    async feed(actor: StaffActor, patientId: string, cursor: string | undefined, limit = PAGE) {
      const patient = await findPatientRecord(db, actor.chamberId, patientId);
      if (!patient) throw notFound('That patient');
      const rows = await listFeed(
        db,
        actor.chamberId,
        patientId,
        actor,
        parseCursor(cursor),
        limit + 1,
      );
      const page = rows.slice(0, limit);
      await audit(db, actor, clock(), {
        action: 'feed.viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
      });
      return {
        patient: {
          id: patientId,
          name: `${patient.patient.givenName} ${patient.patient.familyName}`,
        },
        conversations: page.map((s) => presentSummary(s, false)),
        nextCursor:
          rows.length > limit && page.length > 0
            ? encodeCursor(page[page.length - 1]!.last.seq)
            : null,
      };
    },

    /** One conversation as a staff user sees it. */
    async openForStaff(actor: StaffActor, conversationId: string, cursor: string | undefined) {
      const conv = await staffConversation(actor, conversationId);
      const rows = await withAttachments(
        actor.chamberId,
        await listMessages(
          db,
          actor.chamberId,
          conversationId,
          { kind: 'staff', userId: actor.userId, roleIds: actor.roleIds },
          parseCursor(cursor),
          MESSAGE_PAGE + 1,
        ),
      );
      const page = rows.slice(0, MESSAGE_PAGE);
      await audit(db, actor, clock(), {
        action: 'conversation.viewed',
        patientId: conv.patientId,
        subjectType: 'conversation',
        subjectId: conversationId,
      });
      const patientCanSee =
        (await newestVisibleSeq(db, actor.chamberId, conversationId, { kind: 'patient' })) !== null;
      return {
        conversation: {
          id: conv.id,
          patient: { id: conv.patientId, name: conv.patientName },
          awaitingReply: conv.awaitingReply,
          patientCanSee,
        },
        messages: (await presentForStaff(page, actor)).reverse(),
        nextCursor: rows.length > MESSAGE_PAGE ? encodeCursor(page[page.length - 1]!.seq) : null,
        canReply: true,
        /** The reply form's default for "also share with the patient". */
        shareWithPatientByDefault: patientCanSee,
      };
    },

    /** A staff reply with its audience (rule 3). */
    async replyAsStaff(
      actor: StaffActor,
      conversationId: string,
      input: { text: string } & Audience,
      idempotencyKey?: string,
    ) {
      const text = checkText(input.text);
      const audience = await checkAudience(actor, input);
      const conv = await staffConversation(actor, conversationId);
      const result = await idempotent(
        actor.chamberId,
        `staff:${actor.userId}`,
        idempotencyKey,
        { op: 'reply', conversationId, text, ...audience },
        async (tx) => {
          const { message } = await writeStaffMessage(tx, actor, conv, text, audience, clock());
          await markConversationNotificationsRead(
            tx,
            actor.chamberId,
            actor.userId,
            conversationId,
            clock(),
          );
          return { status: 201, body: { conversation: { id: conversationId }, message } };
        },
      );
      done();
      return result;
    },

    /** Staff start a new conversation with a patient. */
    async startAsStaff(
      actor: StaffActor,
      patientId: string,
      input: { text: string } & Audience,
      idempotencyKey?: string,
    ) {
      const text = checkText(input.text);
      const audience = await checkAudience(actor, input);
      if (!(await findPatientRecord(db, actor.chamberId, patientId)))
        throw notFound('That patient');
      const result = await idempotent(
        actor.chamberId,
        `staff:${actor.userId}`,
        idempotencyKey,
        { op: 'start', patientId, text, ...audience },
        async (tx) => {
          const now = clock();
          const conversationId = randomUUID();
          await insertConversation(tx, {
            chamberId: actor.chamberId,
            id: conversationId,
            patientId,
            startedByKind: 'staff',
            now,
          });
          const { message } = await writeStaffMessage(
            tx,
            actor,
            { id: conversationId, patientId },
            text,
            audience,
            now,
            [
              {
                action: 'conversation.created',
                patientId,
                subjectType: 'conversation',
                subjectId: conversationId,
              },
            ],
          );
          return { status: 201, body: { conversation: { id: conversationId }, message } };
        },
      );
      done();
      return result;
    },

    /** Marks a conversation read for this staff user, with its notifications. */
    async markReadAsStaff(actor: StaffActor, conversationId: string) {
      const conv = await staffConversation(actor, conversationId);
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
