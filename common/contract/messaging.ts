import { Type, type Static } from 'typebox';
import { ELIGIBILITY_CODES } from '../labels.js';
import { MESSAGE_MAX_LENGTH } from '../limits.js';
import { Id, Named, NextCursor, Nullable, Timestamp } from './common.js';

/**
 * The Patient Portal's Inbox and the staff Feed: what is sent to start a conversation or reply,
 * and what comes back. Text length is counted in code points (`textLength` in common/limits.ts).
 */

/** Message text as sent; the server checks its length and content with clear error codes. */
export const Text = Type.String({
  description: `1 to ${MESSAGE_MAX_LENGTH} characters (Unicode code points), not only whitespace`,
});

/** The most files a patient attaches to one message. */
export const MAX_ATTACHMENTS = 5;
/** The most roles one staff message is shared with. */
export const MAX_AUDIENCE_ROLES = 50;

/** A patient's new message or reply. */
export const PatientMessageBody = Type.Object(
  {
    text: Text,
    attachmentIds: Type.Optional(
      Type.Array(Id, {
        maxItems: MAX_ATTACHMENTS,
        description: 'documents the patient uploaded with POST /portal/documents',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PatientMessageBody = Static<typeof PatientMessageBody>;

/** Who a staff message is shared with: the patient, one or more roles, or both (rule 3). */
export const Audience = Type.Object({
  shareWithPatient: Type.Boolean({ description: 'also share with the patient' }),
  roleIds: Type.Array(Id, {
    maxItems: MAX_AUDIENCE_ROLES,
    description: 'roles the message is shared with',
  }),
});
export type Audience = Static<typeof Audience>;

/** A staff user's new message or reply, with its audience. */
export const StaffMessageBody = Type.Object(
  { text: Text, ...Audience.properties },
  { additionalProperties: false },
);
export type StaffMessageBody = Static<typeof StaffMessageBody>;

/** The optional `Idempotency-Key` header of every sending route. */
export const IdempotencyHeaders = Type.Object(
  {
    'idempotency-key': Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[\\x21-\\x7e]+$',
        description: 'a retry with the same key returns the first result',
      }),
    ),
  },
  { additionalProperties: true },
);
export type IdempotencyHeaders = Static<typeof IdempotencyHeaders>;

/** A file attached to a message, as both readers see it. */
export const Attachment = Type.Object({
  id: Type.String(),
  title: Type.String(),
  contentType: Type.String(),
  sizeBytes: Type.Integer(),
});
export type Attachment = Static<typeof Attachment>;

/** Who wrote a message: the patient, or a staff user with their role label. */
export const Author = Type.Object({
  kind: Type.Union([Type.Literal('patient'), Type.Literal('staff')]),
  name: Type.String(),
  role: Nullable(Type.String()),
});
export type Author = Static<typeof Author>;

/** The author as staff see them: also the staff user's id (null for the patient). */
export const StaffAuthor = Type.Object({ ...Author.properties, userId: Nullable(Type.String()) });
export type StaffAuthor = Static<typeof StaffAuthor>;

/** A message as its patient sees it: never the role audience, never an internal note. */
export const PatientMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  text: Type.String(),
  createdAt: Timestamp,
  author: Author,
  mine: Type.Boolean(),
  attachments: Type.Array(Attachment),
});
export type PatientMessage = Static<typeof PatientMessage>;

/** A message as a staff user sees it, with its audience ("Shared with"). */
export const StaffMessage = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  text: Type.String(),
  createdAt: Timestamp,
  author: StaffAuthor,
  sharedWithPatient: Type.Boolean(),
  roles: Type.Array(Named),
  internalNote: Type.Boolean(),
  mine: Type.Boolean(),
  attachments: Type.Array(Attachment),
});
export type StaffMessage = Static<typeof StaffMessage>;

/** One line of the patient's Inbox: the last message shared with them. */
export const InboxLine = Type.Object({
  id: Type.String(),
  createdAt: Timestamp,
  unreadCount: Type.Integer(),
  lastMessage: Type.Object({
    id: Type.String(),
    author: Author,
    createdAt: Timestamp,
    preview: Type.String(),
  }),
});
export type InboxLine = Static<typeof InboxLine>;

/** One line of a patient's Feed: the last message this staff user may see. */
export const FeedLine = Type.Object({
  id: Type.String(),
  createdAt: Timestamp,
  awaitingReply: Type.Boolean(),
  unreadCount: Type.Integer(),
  lastMessage: Type.Object({
    id: Type.String(),
    author: Author,
    createdAt: Timestamp,
    preview: Type.String(),
    internalNote: Type.Boolean(),
  }),
});
export type FeedLine = Static<typeof FeedLine>;

/** The patient's Inbox, newest first. */
export const Inbox = Type.Object({
  conversations: Type.Array(InboxLine),
  nextCursor: NextCursor,
});
export type Inbox = Static<typeof Inbox>;

/** A patient's Feed as one staff user may see it, newest first. */
export const Feed = Type.Object({
  patient: Named,
  conversations: Type.Array(FeedLine),
  nextCursor: NextCursor,
});
export type Feed = Static<typeof Feed>;

/** One of the patient's conversations, its messages oldest first (older pages with the cursor). */
export const PatientConversation = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  messages: Type.Array(PatientMessage),
  nextCursor: NextCursor,
  canReply: Type.Boolean(),
});
export type PatientConversation = Static<typeof PatientConversation>;

/** A conversation as a staff user sees it, with the reply form's default audience. */
export const StaffConversation = Type.Object({
  conversation: Type.Object({
    id: Type.String(),
    patient: Named,
    awaitingReply: Type.Boolean(),
    patientCanSee: Type.Boolean(),
  }),
  messages: Type.Array(StaffMessage),
  nextCursor: NextCursor,
  canReply: Type.Boolean(),
  shareWithPatientByDefault: Type.Boolean(),
});
export type StaffConversation = Static<typeof StaffConversation>;

/** The answer to a patient's send (201), replayed as is to a retry with the same key. */
export const PatientSent = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  message: PatientMessage,
});
export type PatientSent = Static<typeof PatientSent>;

/** The answer to a staff send (201), replayed as is to a retry with the same key. */
export const StaffSent = Type.Object({
  conversation: Type.Object({ id: Type.String() }),
  message: StaffMessage,
});
export type StaffSent = Static<typeof StaffSent>;

/** Why a patient may not message (SPEC rule 1), in the order the conditions are checked. */
export const EligibilityCode = Type.Enum(ELIGIBILITY_CODES);
export type EligibilityCode = Static<typeof EligibilityCode>;

/** Error codes the sending routes answer besides the common ones (and rule 1's codes). */
export type MessagingErrorCode =
  | 'text_empty'
  | 'text_too_long'
  | 'text_invalid'
  | 'audience_empty'
  | 'attachments_not_allowed'
  | 'attachment_not_found'
  | 'idempotency_key_reused'
  | 'request_in_progress';
