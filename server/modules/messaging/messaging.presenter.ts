import type {
  Attachment,
  Author,
  ConversationState,
  FeedLine,
  InboxLine,
  PatientMessage,
  StaffMessage,
  TeamInboxLine,
} from '../../../common/contract/messaging.js';
import type { ConversationStateShown, TeamInboxRow } from './conversation.repository.js';
import type { AttachmentRow, ConversationSummaryRow, MessageRow } from './messaging.repository.js';

const PREVIEW_LENGTH = 140;

/** A plain-text preview: whitespace folded, cut at a word where possible. */
export function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= PREVIEW_LENGTH) return flat;
  const cut = flat.slice(0, PREVIEW_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${space > PREVIEW_LENGTH / 2 ? cut.slice(0, space) : cut}…`;
}

/** Who wrote a message, as both apps show it: a staff user's role, no role for anyone else. */
export function author(
  m: Pick<MessageRow, 'authorKind' | 'authorName' | 'authorRoleName'>,
): Author {
  return m.authorKind === 'staff'
    ? { kind: 'staff', name: m.authorName, role: m.authorRoleName }
    : { kind: m.authorKind, name: m.authorName, role: null };
}

/** A file attached to a message, as both readers see it. */
function presentAttachment(a: AttachmentRow): Attachment {
  return { id: a.id, title: a.title, contentType: a.contentType, sizeBytes: a.sizeBytes };
}

/** A message as its patient sees it: never the role audience, never an internal note. */
export function presentMessageForPatient(m: MessageRow): PatientMessage {
  return {
    id: m.id,
    conversationId: m.conversationId,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
    author: author(m),
    mine: m.authorKind === 'patient',
    attachments: m.attachments.map(presentAttachment),
    redFlag: m.redFlag,
  };
}

/** A message as a staff user sees it, with its audience ("Shared with"). */
export function presentMessageForStaff(
  m: MessageRow,
  roles: { id: string; name: string; deleted: boolean }[],
  viewerUserId: string,
): StaffMessage {
  return {
    id: m.id,
    conversationId: m.conversationId,
    text: m.text,
    createdAt: m.createdAt.toISOString(),
    author: { ...author(m), userId: m.authorUserId },
    sharedWithPatient: m.sharedWithPatient,
    roles: roles.map((r) => ({ id: r.id, name: r.deleted ? `${r.name} (deleted)` : r.name })),
    internalNote: !m.sharedWithPatient,
    mine: m.authorUserId === viewerUserId,
    attachments: m.attachments.map(presentAttachment),
    redFlag: m.redFlag,
  };
}

/** One line of the patient's Inbox: the last message shared with them, its author and time. */
export function presentInboxLine(s: ConversationSummaryRow): InboxLine {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    ...about(s),
    status: s.status,
    replyBy: s.awaitingReply && s.replyBy ? s.replyBy.toISOString() : null,
    unreadCount: s.unreadCount,
    lastMessage: lastMessageOf(s),
  };
}

/** The last message of a list line: its author, time and a plain-text preview. */
function lastMessageOf(s: ConversationSummaryRow) {
  return {
    id: s.last.id,
    author: author(s.last),
    createdAt: s.last.createdAt.toISOString(),
    preview: preview(s.last.text),
  };
}

/** One line of a Feed: the last message this staff user may see, and whether it is a note. */
export function presentFeedLine(s: ConversationSummaryRow): FeedLine {
  return {
    id: s.id,
    createdAt: s.createdAt.toISOString(),
    ...about(s),
    status: s.status,
    assignee: named(s.assigneeId, s.assigneeName),
    awaitingReply: s.awaitingReply,
    unreadCount: s.unreadCount,
    lastMessage: { ...lastMessageOf(s), internalNote: !s.last.sharedWithPatient },
  };
}

/** `{ id, name }`, or null when there is no id. */
function named(id: string | null, name: string | null) {
  return id ? { id, name: name ?? '' } : null;
}

/** What a conversation is about: its subject and topic (rule 9). */
function about(c: { subject: string | null; topicId: string | null; topicName: string | null }) {
  return { subject: c.subject, topic: named(c.topicId, c.topicName) };
}

/**
 * A conversation's state as every staff reader of it sees it (rule 10). Overdue: still
 * awaiting reply after its reply-by.
 */
export function presentConversationState(c: ConversationStateShown, now: Date): ConversationState {
  const replyBy = c.awaitingReply && c.replyBy ? c.replyBy : null;
  return {
    id: c.id,
    patient: { id: c.patientId, name: c.patientName },
    ...about(c),
    status: c.status,
    awaitingReply: c.awaitingReply,
    overdue: replyBy !== null && replyBy.getTime() <= now.getTime(),
    redFlag: c.redFlag,
    replyBy: replyBy?.toISOString() ?? null,
    assignee: named(c.assigneeId, c.assigneeName),
    answeredBy: named(c.answeredById, c.answeredByName),
  };
}

/** One row of the team inbox: the state, the last message the viewer may see, their unread. */
export function presentTeamInboxLine(r: TeamInboxRow, now: Date): TeamInboxLine {
  return {
    ...presentConversationState(r, now),
    lastMessage: {
      id: r.last.id,
      author: author(r.last),
      createdAt: r.last.createdAt.toISOString(),
      preview: preview(r.last.text),
      internalNote: !r.last.sharedWithPatient,
    },
    unread: r.unread,
  };
}
