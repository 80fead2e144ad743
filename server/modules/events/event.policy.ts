import type {
  PatientConversationEvent,
  PatientMessageEvent,
  StaffConversationEvent,
  StaffMessageEvent,
  StaffNotificationEvent,
  TypingEvent,
} from '../../../common/contract/events.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { presentConversationState } from '../messaging/messaging.presenter.js';
import { notificationTitle } from '../notifications/notification.presenter.js';
import type { EventAudience, EventRow } from './event.repository.js';

/**
 * An event as one listener receives it: its name and data, and, when the data is not the
 * listener's own, its `variant`: listeners given the same variant of one event get equal data,
 * so the hub serialises it once for all of them (a message to a role of 1,000: two variants,
 * the author's and everyone else's, instead of 1,000 serialisations).
 */
export type Delivered = { variant?: string } & (
  | { event: 'message'; data: PatientMessageEvent | StaffMessageEvent }
  | { event: 'conversation.updated'; data: PatientConversationEvent | StaffConversationEvent }
  | { event: 'notification'; data: StaffNotificationEvent }
);

/**
 * Whether a listener may hear an event (rule 4): a patient the events of their own
 * conversations meant for them; a staff user those of a role they hold now, or naming them.
 * For a message this is exactly `maySee` (the message's audience is the event's).
 */
export function mayHear(listener: StaffActor | PatientActor, e: EventAudience): boolean {
  if (listener.kind === 'patient') return e.toPatient && e.patientId === listener.patientId;
  return e.userIds.includes(listener.userId) || e.roleIds.some((r) => listener.roleIds.includes(r));
}

/**
 * Whether a listener hears an event, and as which variant: null, not at all (rule 4);
 * undefined, with data of its own (its notification); else the variant whose data it shares
 * with every listener given the same one. Cheap: the hub asks it of every open stream before
 * building any data, and builds a shared variant's data once.
 */
export function variantFor(
  listener: StaffActor | PatientActor,
  e: EventRow,
): string | undefined | null {
  if (e.kind === 'access.changed' || !mayHear(listener, e)) return null;
  if (e.kind === 'notification') {
    // Only to those it notified: a large role's notifications, written after the message.
    return listener.kind === 'staff' && e.notified.has(listener.userId) ? undefined : null;
  }
  if (listener.kind === 'patient') return 'patient';
  if (e.notified.has(listener.userId)) return undefined;
  if (e.kind === 'conversation.updated') return 'staff';
  return e.authorUserId === listener.userId ? 'staff, mine' : 'staff';
}

/**
 * What one listener hears of an event, given `variantFor`'s answer for it when not null (the
 * hub has it already: it is not worked out twice per stream); null when it hears nothing.
 */
export function eventFor(
  listener: StaffActor | PatientActor,
  e: Exclude<EventRow, { kind: 'access.changed' }>,
  now: Date,
  variant: string | undefined,
): Delivered | null {
  if (e.kind === 'conversation.updated') {
    if (listener.kind === 'patient') {
      const replyBy = e.state.awaitingReply && e.state.replyBy ? e.state.replyBy : null;
      return {
        event: 'conversation.updated',
        variant,
        data: {
          conversationId: e.conversationId,
          status: e.state.status,
          replyBy: replyBy?.toISOString() ?? null,
        },
      };
    }
    const told = e.notified.get(listener.userId);
    return {
      event: 'conversation.updated',
      variant,
      data: {
        conversation: presentConversationState(e.state, now),
        by: e.by,
        notification: told
          ? {
              id: told.id,
              title: notificationTitle(
                told.kind,
                told.count,
                e.state.patientName,
                null,
                e.state.redFlag,
              ),
              patientName: e.state.patientName,
              count: told.count,
            }
          : null,
      },
    };
  }
  if (e.kind === 'notification') {
    const told = listener.kind === 'staff' ? e.notified.get(listener.userId) : undefined;
    if (!told) return null;
    return {
      event: 'notification',
      data: {
        conversationId: e.conversationId,
        messageId: e.messageId,
        patientId: e.patientId,
        notification: {
          id: told.id,
          title: notificationTitle(told.kind, told.count, e.patientName, e.authorName, e.redFlag),
          patientName: e.patientName,
          count: told.count,
        },
      },
    };
  }
  if (listener.kind === 'patient') {
    return {
      event: 'message',
      variant,
      data: {
        conversationId: e.conversationId,
        messageId: e.messageId,
        createdAt: e.createdAt,
        fromClinic: e.authorKind !== 'patient',
      },
    };
  }
  const notification = e.notified.get(listener.userId);
  const mine = e.authorUserId === listener.userId;
  return {
    event: 'message',
    variant,
    data: {
      conversationId: e.conversationId,
      messageId: e.messageId,
      patientId: e.patientId,
      createdAt: e.createdAt,
      authorId: e.authorUserId,
      mine,
      notification: notification
        ? {
            id: notification.id,
            title: notificationTitle(
              notification.kind,
              notification.count,
              e.patientName,
              e.authorName,
              e.redFlag,
            ),
            patientName: e.patientName,
            count: notification.count,
          }
        : null,
    },
  };
}

/** "Is replying…" as the hub passes it between app processes (NOTIFY payload). */
export interface TypingSignal extends EventAudience {
  chamberId: string;
  event: TypingEvent;
}

/** Who hears "is replying…": staff who can see the conversation, never its writer (rule 11). */
export function mayHearTyping(listener: StaffActor | PatientActor, t: TypingSignal): boolean {
  return listener.kind === 'staff' && listener.userId !== t.event.user.id && mayHear(listener, t);
}
