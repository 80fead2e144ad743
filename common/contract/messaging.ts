import { Type, type Static } from 'typebox';
import { ELIGIBILITY_CODES } from '../labels.js';
import { MESSAGE_MAX_LENGTH, SUBJECT_MAX_LENGTH } from '../limits.js';
import { Cursor, Id, Limit, Named, NextCursor, Nullable, Timestamp } from './common.js';

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
    patientId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'the patient the message is written for (rule 18): refused with 409 acting_for_changed when the session now acts for another',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PatientMessageBody = Static<typeof PatientMessageBody>;

export { SUBJECT_MAX_LENGTH } from '../limits.js';

/** A conversation's optional short title, seen by everyone who sees the conversation. */
export const Subject = Type.String({
  description: `1 to ${SUBJECT_MAX_LENGTH} characters; empty or blank means no subject`,
});

/** A patient's new conversation: the message, and what it is about (rule 9). */
export const PatientStartBody = Type.Object(
  {
    ...PatientMessageBody.properties,
    topicId: Type.Optional(Id),
    subject: Type.Optional(Subject),
  },
  { additionalProperties: false },
);
export type PatientStartBody = Static<typeof PatientStartBody>;

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

/** A staff user's new conversation with a patient, with an optional subject. */
export const StaffStartBody = Type.Object(
  { ...StaffMessageBody.properties, subject: Type.Optional(Subject) },
  { additionalProperties: false },
);
export type StaffStartBody = Static<typeof StaffStartBody>;

/** A staff reply: also "Send and close", and the last message its writer saw (rule 11). */
export const StaffReplyBody = Type.Object(
  {
    ...StaffMessageBody.properties,
    close: Type.Optional(Type.Boolean({ description: 'Send and close' })),
    afterMessageId: Type.Optional(
      Type.String({
        format: 'uuid',
        description:
          'the newest message its writer saw: 409 conversation_changed when a newer one they may see exists',
      }),
    ),
  },
  { additionalProperties: false },
);
export type StaffReplyBody = Static<typeof StaffReplyBody>;

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

/**
 * Who wrote a message: the patient, a staff user with their role label, or the clinic itself
 * (the automatic out-of-hours message of rule 13: `name` is the clinic's, `role` null).
 */
export const Author = Type.Object({
  kind: Type.Union([Type.Literal('patient'), Type.Literal('staff'), Type.Literal('clinic')]),
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
  /** The text matched a red flag phrase when sent (rule 14). */
  redFlag: Type.Boolean(),
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
  /** The text matched a red flag phrase when sent (rule 14). */
  redFlag: Type.Boolean(),
});
export type StaffMessage = Static<typeof StaffMessage>;

/** Open or Closed (rule 10). */
export const ConversationStatus = Type.Union([Type.Literal('open'), Type.Literal('closed')]);
export type ConversationStatus = Static<typeof ConversationStatus>;

/** What a conversation is about, as every reader of it sees it (rule 9). */
const About = {
  subject: Nullable(Type.String()),
  topic: Nullable(Named),
};

/**
 * Conversation-level state (rule 10), shown to every staff user who sees at least one of its
 * messages: it tells that a reply was sent, never its text.
 */
export const ConversationState = Type.Object({
  id: Type.String(),
  patient: Named,
  ...About,
  status: ConversationStatus,
  awaitingReply: Type.Boolean(),
  overdue: Type.Boolean(),
  redFlag: Type.Boolean(),
  replyBy: Nullable(Timestamp),
  assignee: Nullable(Named),
  /** The staff user who last replied to the patient. */
  answeredBy: Nullable(Named),
});
export type ConversationState = Static<typeof ConversationState>;

/** One line of the patient's Inbox: the last message shared with them. */
export const InboxLine = Type.Object({
  id: Type.String(),
  createdAt: Timestamp,
  ...About,
  status: ConversationStatus,
  replyBy: Nullable(Timestamp),
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
  ...About,
  status: ConversationStatus,
  assignee: Nullable(Named),
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
  conversation: Type.Object({
    id: Type.String(),
    ...About,
    status: ConversationStatus,
    replyBy: Nullable(Timestamp),
  }),
  messages: Type.Array(PatientMessage),
  nextCursor: NextCursor,
  canReply: Type.Boolean(),
});
export type PatientConversation = Static<typeof PatientConversation>;

/** A conversation as a staff user sees it, with the reply form's default audience. */
export const StaffConversation = Type.Object({
  conversation: Type.Object({
    ...ConversationState.properties,
    patientCanSee: Type.Boolean(),
    /** When the patient opened the conversation after the last staff message shared with them. */
    seenByPatient: Nullable(Type.Object({ messageId: Type.String(), at: Timestamp })),
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
  | 'request_in_progress'
  | 'topic_not_found'
  | 'subject_too_long'
  | 'conversation_changed';

/** The Messages page's views (rule 10). */
export const TeamInboxView = Type.Union([
  Type.Literal('open'),
  Type.Literal('mine'),
  Type.Literal('unassigned'),
  Type.Literal('closed'),
]);
export type TeamInboxView = Static<typeof TeamInboxView>;

/** GET /api/v1/inbox: a view, filters and paging. */
export const TeamInboxQuery = Type.Object(
  {
    view: Type.Optional(TeamInboxView),
    roleId: Type.Optional(Id),
    topicId: Type.Optional(Id),
    cursor: Type.Optional(Cursor),
    limit: Type.Optional(Limit),
  },
  { additionalProperties: false },
);
export type TeamInboxQuery = Static<typeof TeamInboxQuery>;

/** One conversation of the team inbox: its state and the last message the viewer may see. */
export const TeamInboxLine = Type.Object({
  ...ConversationState.properties,
  lastMessage: Type.Object({
    id: Type.String(),
    author: Author,
    createdAt: Timestamp,
    preview: Type.String(),
    internalNote: Type.Boolean(),
  }),
  /** The viewer's unread messages in it. */
  unread: Type.Integer(),
});
export type TeamInboxLine = Static<typeof TeamInboxLine>;

export const TeamInbox = Type.Object({
  conversations: Type.Array(TeamInboxLine),
  nextCursor: NextCursor,
});
export type TeamInbox = Static<typeof TeamInbox>;

/** PATCH /api/v1/conversations/:id: status, assignee (compare-and-set), clearing a red flag. */
export const ConversationChange = Type.Object(
  {
    status: Type.Optional(ConversationStatus),
    assigneeId: Type.Optional(Nullable(Id)),
    expectedAssigneeId: Type.Optional(
      Nullable(
        Type.String({
          format: 'uuid',
          description:
            'the assignee its writer saw (null: nobody); 409 conversation_changed if it changed',
        }),
      ),
    ),
    redFlag: Type.Optional(Type.Literal(false)),
  },
  { additionalProperties: false },
);
export type ConversationChange = Static<typeof ConversationChange>;

/** GET /api/v1/conversations/:id/assignees: the Active users who can see it, for **Assign**. */
export const Assignees = Type.Object({ users: Type.Array(Named) });
export type Assignees = Static<typeof Assignees>;
