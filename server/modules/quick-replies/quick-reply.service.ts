import { randomUUID } from 'node:crypto';
import type {
  FilledQuickReplies,
  NewQuickReply,
  QuickReply,
  QuickReplyChange,
  QuickReplyList,
} from '../../../common/contract/quick-replies.js';
import { MESSAGE_MAX_LENGTH, textLength } from '../../../common/limits.js';
import {
  fillQuickReply,
  findUnknownVariable,
  unknownVariableMessage,
} from '../../../common/quick-reply-variables.js';
import { hasVisibleText } from '../../../common/visible-text.js';
import { conflict, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit } from '../audit/audit.service.js';
import { assertRolesOfChamber } from '../roles/role.service.js';
import { presentQuickReply } from './quick-reply.presenter.js';
import {
  deleteQuickReply,
  findFillFacts,
  findQuickReply,
  findQuickReplyByName,
  findRoleNames,
  insertQuickReply,
  listQuickReplies,
  listUsableQuickReplies,
  updateQuickReply,
  type QuickReplyRow,
} from './quick-reply.repository.js';

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL_IN_NAME = /[\u0000-\u001f\u007f]/;

/** A quick reply's name: trimmed, one line, at least one character that shows. */
function checkName(name: string): string {
  const trimmed = name.trim();
  if (!hasVisibleText(trimmed) || CONTROL_IN_NAME.test(trimmed)) {
    throw invalid('validation_failed', 'Please give the quick reply a name.', 'name');
  }
  return trimmed;
}

/**
 * A quick reply's text: the message rule (1 to 5,000 characters, something that shows, no
 * control characters) and only the known variables (rule 15).
 */
function checkQuickReplyText(text: string): string {
  if (!hasVisibleText(text)) throw invalid('text_empty', 'Please write the text.', 'text');
  if (textLength(text) > MESSAGE_MAX_LENGTH) {
    throw invalid(
      'text_too_long',
      `A quick reply can be at most ${MESSAGE_MAX_LENGTH} characters long.`,
      'text',
    );
  }
  if (CONTROL.test(text)) {
    throw invalid('text_invalid', 'The text contains characters that cannot be stored.', 'text');
  }
  const unknown = findUnknownVariable(text);
  if (unknown !== null) throw invalid('variable_unknown', unknownVariableMessage(unknown), 'text');
  return text.replace(/\r\n?/g, '\n');
}

/** Admin > Configuration > Quick Replies, and Insert quick reply in the composer (SPEC rule 15). */
export function createQuickReplyService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function assertNameFree(chamberId: string, name: string, exceptId?: string) {
    const existing = await findQuickReplyByName(db, chamberId, name);
    if (existing && existing.id !== exceptId) {
      throw conflict(
        'quick_reply_name_taken',
        `A quick reply named "${existing.name}" exists already.`,
        'name',
      );
    }
  }

  async function quickReplyOf(actor: StaffActor, id: string): Promise<QuickReplyRow> {
    const row = await findQuickReply(db, actor.chamberId, id);
    if (!row) throw notFound('That quick reply');
    return row;
  }

  async function present(actor: StaffActor, rows: QuickReplyRow[]): Promise<QuickReply[]> {
    const names = await findRoleNames(db, actor.chamberId, [
      ...new Set(rows.flatMap((r) => r.roleIds)),
    ]);
    return rows.map((r) => presentQuickReply(r, names));
  }

  return {
    async list(actor: StaffActor): Promise<QuickReplyList> {
      return { quickReplies: await present(actor, await listQuickReplies(db, actor.chamberId)) };
    },

    /**
     * The quick replies this user may use, filled for the patient and the user. The patient must
     * be one of the chamber's (404 otherwise, as the Feed). Not audited: only the patient's name
     * goes in, as in patient search; no message, document or medical data is read.
     */
    async usable(actor: StaffActor, patientId: string): Promise<FilledQuickReplies> {
      const facts = await findFillFacts(db, actor.chamberId, patientId);
      if (!facts) throw notFound('That patient');
      const values = {
        '{patient.firstName}': facts.firstName,
        '{patient.lastName}': facts.lastName,
        '{clinic.name}': facts.clinicName,
        '{clinic.phone}': facts.clinicPhone.trim(),
        '{user.name}': actor.name,
      };
      const rows = await listUsableQuickReplies(db, actor.chamberId, actor.roleIds);
      return {
        quickReplies: rows.map((r) => ({
          id: r.id,
          name: r.name,
          text: fillQuickReply(r.text, values),
        })),
      };
    },

    /** New Quick Reply: Name, Text and the roles that may use it (none: everyone). */
    async create(actor: StaffActor, input: NewQuickReply): Promise<QuickReply> {
      const name = checkName(input.name);
      const text = checkQuickReplyText(input.text);
      const roleIds = [...new Set(input.roleIds ?? [])];
      await assertRolesOfChamber(ctx, actor.chamberId, roleIds, 'roleIds');
      await assertNameFree(actor.chamberId, name);
      const id = randomUUID();
      const now = clock();
      await db.transaction(async (tx) => {
        await insertQuickReply(tx, { chamberId: actor.chamberId, id, name, text, roleIds, now });
        await audit(tx, actor, now, {
          action: 'quick_reply.created',
          subjectType: 'quick_reply',
          subjectId: id,
          details: { name, text, roleIds },
        });
      });
      const [made] = await present(actor, [await quickReplyOf(actor, id)]);
      return made!;
    },

    /** Renames a quick reply, changes its text or who may use it. */
    async update(actor: StaffActor, id: string, input: QuickReplyChange): Promise<QuickReply> {
      const before = await quickReplyOf(actor, id);
      const name = input.name === undefined ? undefined : checkName(input.name);
      const text = input.text === undefined ? undefined : checkQuickReplyText(input.text);
      const roleIds = input.roleIds === undefined ? undefined : [...new Set(input.roleIds)];
      if (roleIds !== undefined)
        await assertRolesOfChamber(ctx, actor.chamberId, roleIds, 'roleIds');
      if (name !== undefined) await assertNameFree(actor.chamberId, name, id);
      const now = clock();
      await db.transaction(async (tx) => {
        await updateQuickReply(tx, actor.chamberId, id, { name, text, roleIds }, now);
        await audit(tx, actor, now, {
          action: 'quick_reply.updated',
          subjectType: 'quick_reply',
          subjectId: id,
          details: {
            ...(name !== undefined ? { from: before.name, to: name } : {}),
            ...(text !== undefined ? { text } : {}),
            ...(roleIds !== undefined ? { roleIds } : {}),
          },
        });
      });
      const [changed] = await present(actor, [await quickReplyOf(actor, id)]);
      return changed!;
    },

    /** Deletes a quick reply: it is no longer offered (messages it filled keep their text). */
    async remove(actor: StaffActor, id: string): Promise<void> {
      const row = await quickReplyOf(actor, id);
      const now = clock();
      await db.transaction(async (tx) => {
        await deleteQuickReply(tx, actor.chamberId, id);
        await audit(tx, actor, now, {
          action: 'quick_reply.deleted',
          subjectType: 'quick_reply',
          subjectId: id,
          details: { name: row.name },
        });
      });
    },
  };
}

export type QuickReplyService = ReturnType<typeof createQuickReplyService>;
