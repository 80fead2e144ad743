import { Type, type Static } from 'typebox';
import { Cursor, Named, NextCursor, Nullable, Timestamp } from './common.js';

/** The Start Page's Notifications: "New message from …", newest first, with the unread count. */

/** `?unread=true` lists only unread notifications. */
export const NotificationListQuery = Type.Object(
  {
    unread: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')])),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type NotificationListQuery = Static<typeof NotificationListQuery>;

/** What a notification is about: a patient's message or a colleague's, or an access change. */
export const NotificationKind = Type.Union([
  Type.Literal('patient_message'),
  Type.Literal('staff_message'),
  // Rule 12: the conversation's reply-by passed while still awaiting reply (Escalation role).
  Type.Literal('overdue'),
  // An admin act opened internal notes of a role the reader holds to someone new: "Ada Admin
  // joined Nurses", "Ada Admin added Sam Smith to Nurses", "Ada Admin gave the integration Lab
  // Sync access to internal notes". The title is that sentence; no patient, no conversation.
  Type.Literal('access_change'),
]);
export type NotificationKind = Static<typeof NotificationKind>;

/**
 * One notification: for a conversation, one item while unread, counting its new messages
 * ("3 new messages from Alice Archer"). `preview` is of the newest of them, null when the
 * reader may no longer see it; `answeredBy` once a colleague replied to the patient after it.
 * An `access_change` has only its title: `patient`, `conversationId`, `messageId`, `preview`
 * and `answeredBy` are null, `count` is 1.
 */
export const Notification = Type.Object({
  id: Type.String(),
  kind: NotificationKind,
  title: Type.String(),
  patient: Nullable(Named),
  conversationId: Nullable(Type.String()),
  messageId: Nullable(Type.String()),
  count: Type.Integer(),
  preview: Nullable(Type.String()),
  answeredBy: Nullable(Named),
  /** The conversation has a red flag (rule 14): the item says so. */
  redFlag: Type.Boolean(),
  createdAt: Timestamp,
  read: Type.Boolean(),
});
export type Notification = Static<typeof Notification>;

/** A page of notifications with the unread count. */
export const NotificationList = Type.Object({
  unreadCount: Type.Integer(),
  notifications: Type.Array(Notification),
  nextCursor: NextCursor,
});
export type NotificationList = Static<typeof NotificationList>;

/** The unread count alone (also the answer of marking read). */
export const UnreadCount = Type.Object({ unreadCount: Type.Integer() });
export type UnreadCount = Static<typeof UnreadCount>;
