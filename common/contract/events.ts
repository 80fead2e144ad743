import { Type, type Static } from 'typebox';
import { Nullable, Timestamp } from './common.js';

/**
 * Live events: GET /api/v1/events is a Server-Sent Events stream. Each event has an `id` (the
 * message's seq, to send back as Last-Event-ID), a name (`LiveEventName`) and a JSON `data`.
 * Heartbeats are comment lines without data.
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

/** The notification a staff user got for a new message, if any. */
export const EventNotification = Type.Object({
  id: Type.String(),
  title: Type.String(),
  patientName: Type.String(),
});
export type EventNotification = Static<typeof EventNotification>;

/** `message` on a staff stream: a new message they wrote or that is shared with a role they hold. */
export const StaffMessageEvent = Type.Object({
  conversationId: Type.String(),
  messageId: Type.String(),
  patientId: Type.String(),
  createdAt: Timestamp,
  mine: Type.Boolean(),
  notification: Nullable(EventNotification),
});
export type StaffMessageEvent = Static<typeof StaffMessageEvent>;

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
    'text/event-stream: `id: <seq>`, `event: message|resync|closed`, `data: <JSON>` (see PatientMessageEvent, StaffMessageEvent, ResyncEvent, ClosedEvent); comment lines as heartbeats',
});
