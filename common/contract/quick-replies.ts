import { Type, type Static } from 'typebox';
import { MESSAGE_MAX_LENGTH } from '../limits.js';
import { QUICK_REPLY_NAME_MAX, QUICK_REPLY_ROLES_MAX } from '../quick-reply-variables.js';
import { Id } from './common.js';

/**
 * Quick replies (SPEC rule 15): named answers staff insert in the composer. Admins keep the
 * list (Admin > Configuration > Quick Replies); staff get the ones they may use, their
 * variables filled for a patient and themselves (common/quick-reply-variables.ts).
 */

export { QUICK_REPLY_NAME_MAX, QUICK_REPLY_ROLES_MAX } from '../quick-reply-variables.js';

/** A role a quick reply is for; `deleted` when the role was deleted since (nobody holds it). */
export const QuickReplyRole = Type.Object(
  { id: Id, name: Type.String(), deleted: Type.Boolean() },
  { additionalProperties: false },
);
export type QuickReplyRole = Static<typeof QuickReplyRole>;

/** A quick reply as admins see it: its text with the variables unfilled. */
export const QuickReply = Type.Object(
  {
    id: Id,
    name: Type.String(),
    text: Type.String(),
    /** The roles whose members may use it; empty: every staff user. */
    roles: Type.Array(QuickReplyRole),
  },
  { additionalProperties: false },
);
export type QuickReply = Static<typeof QuickReply>;

export const QuickReplyList = Type.Object(
  { quickReplies: Type.Array(QuickReply) },
  { additionalProperties: false },
);
export type QuickReplyList = Static<typeof QuickReplyList>;

const Name = Type.String({
  minLength: 1,
  maxLength: QUICK_REPLY_NAME_MAX,
  description: `1 to ${QUICK_REPLY_NAME_MAX} characters, at least one visible`,
});
const Text = Type.String({
  minLength: 1,
  maxLength: MESSAGE_MAX_LENGTH * 2,
  description: `1 to ${MESSAGE_MAX_LENGTH} characters (Unicode code points); variables: {patient.firstName}, {patient.lastName}, {clinic.name}, {clinic.phone}, {user.name}`,
});
const RoleIds = Type.Array(Id, {
  maxItems: QUICK_REPLY_ROLES_MAX,
  description: 'the roles that may use it; empty (or left out): everyone',
});

/** New Quick Reply: **Name**, **Text**, the roles that may use it. */
export const NewQuickReply = Type.Object(
  { name: Name, text: Text, roleIds: Type.Optional(RoleIds) },
  { additionalProperties: false },
);
export type NewQuickReply = Static<typeof NewQuickReply>;

/** A change to a quick reply: any of its fields. */
export const QuickReplyChange = Type.Object(
  { name: Type.Optional(Name), text: Type.Optional(Text), roleIds: Type.Optional(RoleIds) },
  { additionalProperties: false, minProperties: 1 },
);
export type QuickReplyChange = Static<typeof QuickReplyChange>;

/** Insert quick reply: for which patient the variables are filled. */
export const QuickReplyQuery = Type.Object({ patientId: Id }, { additionalProperties: false });
export type QuickReplyQuery = Static<typeof QuickReplyQuery>;

/** A quick reply ready to insert: its text filled for the patient and the user. */
export const FilledQuickReply = Type.Object(
  { id: Id, name: Type.String(), text: Type.String() },
  { additionalProperties: false },
);
export type FilledQuickReply = Static<typeof FilledQuickReply>;

export const FilledQuickReplies = Type.Object(
  { quickReplies: Type.Array(FilledQuickReply) },
  { additionalProperties: false },
);
export type FilledQuickReplies = Static<typeof FilledQuickReplies>;
