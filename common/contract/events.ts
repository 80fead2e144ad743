import { Type, type Static } from 'typebox';
import { Named, Nullable, Timestamp } from './common.js';
import { ConversationState, ConversationStatus } from './messaging.js';

/**
 * Live events: GET /api/v1/events is a Server-Sent Events stream. Each durable event has an
 * `id` (its place in the chamber's event log, to send back as Last-Event-ID), a name
 * (`LiveEventName`) and a JSON `data`. `conversation.typing` is fleeting: it has no id and is
 * not replayed. Heartbeats are comment lines without data.
 */

/** `?as=` picks the session when both apps are open; `?lastEventId=` stands in for the header. */
export const EventsQuery = Type.Object(
  {
    as: Type.Optional(
      Type.Union([Type.Literal('staff'), Type.Literal('patient')], {
        description: 'which session to use when both apps are open',
      }),
    ),
    lastEventId: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,15}$',
        description: 'as the Last-Event-ID header, for clients that cannot set it',
      }),
    ),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

/** The names of the events a stream sends. */
export const LiveEventName = Type.Union([
  Type.Literal('message'),
  Type.Literal('conversation.updated'),
  Type.Literal('notification'),
  Type.Literal('conversation.typing'),
  Type.Literal('resync'),
  Type.Literal('closed'),
]);
export type LiveEventName = Static<typeof LiveEventName>;

/** `message` on a patient's stream: a new message shared with them in one of their conversations. */
export const PatientMessageEvent = Type.Object({
  conversationId: Type.String(),
  messageId: Type.String(),
  createdAt: Timestamp,
  /** Written by the clinic (false: the patient's own message, sent from another tab). */
  fromClinic: Type.Boolean(),
});
export type PatientMessageEvent = Static<typeof PatientMessageEvent>;

/** The notification a staff user got for a new message, if any ("3 new messages from …"). */
export const EventNotification = Type.Object({
  id: Type.String(),
  title: Type.String(),
  patientName: Type.String(),
  count: Type.Integer(),
});
export type EventNotification = Static<typeof EventNotification>;

/** `message` on a staff stream: a new message they wrote or that is shared with a role they hold. */
export const StaffMessageEvent = Type.Object({
  conversationId: Type.String(),
  messageId: Type.String(),
  patientId: Type.String(),
  createdAt: Timestamp,
  /** The staff author (null: the patient): their "is replying…" ends. */
  authorId: Nullable(Type.String()),
  mine: Type.Boolean(),
  notification: Nullable(EventNotification),
});
export type StaffMessageEvent = Static<typeof StaffMessageEvent>;

/**
 * `notification` on a staff stream: the notification of a message to a large role, written
 * just after the message by the job worker (the `message` event came first, without it).
 */
export const StaffNotificationEvent = Type.Object({
  conversationId: Type.String(),
  messageId: Type.String(),
  patientId: Type.String(),
  notification: EventNotification,
});
export type StaffNotificationEvent = Static<typeof StaffNotificationEvent>;

/**
 * `conversation.updated` on a staff stream: the conversation's state after a change of status,
 * assignee, red flag or reply-by, or after a message (an answer, a reopening). Only to staff
 * who can see the conversation (rule 11).
 */
export const StaffConversationEvent = Type.Object({
  conversation: ConversationState,
  /** Who made the change (null: the patient or the clinic's own automation). */
  by: Nullable(Named),
  /** The notification this user got with the change: "Overdue: message from …" (rule 12). */
  notification: Nullable(EventNotification),
});
export type StaffConversationEvent = Static<typeof StaffConversationEvent>;

/** `conversation.updated` on a patient's stream: only status and reply-by, of their own conversations. */
export const PatientConversationEvent = Type.Object({
  conversationId: Type.String(),
  status: ConversationStatus,
  replyBy: Nullable(Timestamp),
});
export type PatientConversationEvent = Static<typeof PatientConversationEvent>;

export { TYPING_SECONDS } from '../limits.js';

/** `conversation.typing`: a colleague writes in a conversation you can see. */
export const TypingEvent = Type.Object({
  conversationId: Type.String(),
  user: Named,
  /** "is replying…" ends at this time unless renewed. */
  until: Timestamp,
});
export type TypingEvent = Static<typeof TypingEvent>;

/** `resync`: too much was missed to send it all; reload everything. */
export const ResyncEvent = Type.Object({ reason: Type.String() });
export type ResyncEvent = Static<typeof ResyncEvent>;

/** Why the server ended a stream (the `closed` event, sent last). */
export const CloseReason = Type.Union([
  Type.Literal('session_ended'),
  Type.Literal('shutdown'),
  Type.Literal('slow_reader'),
  Type.Literal('error'),
]);
export type CloseReason = Static<typeof CloseReason>;

/** `closed`: the stream ends; a client reconnects unless the session ended. */
export const ClosedEvent = Type.Object({ reason: CloseReason });
export type ClosedEvent = Static<typeof ClosedEvent>;

/** The stream as OpenAPI shows it: `text/event-stream`, the events above as `event:`/`data:` lines. */
export const EventStream = Type.String({
  description:
    'text/event-stream: `id: <seq>`, `event: message|conversation.updated|notification|conversation.typing|resync|closed`, `data: <JSON>` (see PatientMessageEvent, StaffMessageEvent, StaffNotificationEvent, StaffConversationEvent, PatientConversationEvent, TypingEvent, ResyncEvent, ClosedEvent); comment lines as heartbeats',
});
