import { Type, type Static } from 'typebox';
import { TOPIC_NAME_MAX } from '../limits.js';
import { VISIBLE_CHARACTER } from '../visible-text.js';
import { Id, Named } from './common.js';

/**
 * Message Topics (SPEC rule 9): what a conversation is about, each routed to one role. Admins
 * keep the list; the portal's New message offers the active ones.
 */

export { TOPIC_NAME_MAX } from '../limits.js';

/** A topic as admins see it. */
export const Topic = Type.Object(
  {
    id: Id,
    name: Type.String(),
    role: Named,
    /** The topic's role was deleted: its conversations go to the Role for new messages. */
    roleDeleted: Type.Boolean(),
    active: Type.Boolean({ description: 'offered to patients' }),
  },
  { additionalProperties: false },
);
export type Topic = Static<typeof Topic>;

export const TopicList = Type.Object(
  { topics: Type.Array(Topic) },
  { additionalProperties: false },
);
export type TopicList = Static<typeof TopicList>;

const TopicName = Type.String({
  minLength: 1,
  maxLength: TOPIC_NAME_MAX,
  pattern: VISIBLE_CHARACTER,
  description: `1 to ${TOPIC_NAME_MAX} characters`,
});

/** New Topic: **Topic name**, **Route to role**, active. */
export const NewTopic = Type.Object(
  { name: TopicName, roleId: Id, active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type NewTopic = Static<typeof NewTopic>;

/** A change to a topic: any of its fields. */
export const TopicChange = Type.Object(
  {
    name: Type.Optional(TopicName),
    roleId: Type.Optional(Id),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type TopicChange = Static<typeof TopicChange>;

/** The topics the portal offers under "What is your message about?" (empty: not asked). */
export const PortalTopics = Type.Object(
  { topics: Type.Array(Named) },
  { additionalProperties: false },
);
export type PortalTopics = Static<typeof PortalTopics>;
