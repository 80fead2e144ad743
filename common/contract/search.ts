import { Type, type Static } from 'typebox';
import { MAX_SEARCH_LENGTH } from '../search-text.js';
import { Cursor, Id, NextCursor, Timestamp } from './common.js';
import { Author } from './messaging.js';

/**
 * Search (rule 16): staff **Search messages** on the Messages page, patients **Search** in the
 * Inbox. Results are only messages the searcher may see (rule 4), ranked, with the matching
 * words marked as data (segments), never as HTML.
 */

/** The words typed: read as plain words, never as query syntax. */
const Q = Type.String({
  minLength: 1,
  maxLength: MAX_SEARCH_LENGTH,
  description: `the words to find (1 to ${MAX_SEARCH_LENGTH} characters); quotes, hyphens and operators are read as plain words`,
});

const LocalDate = (description: string) =>
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description });

/** `GET /api/v1/search`: staff, the whole chamber or one patient, within dates. */
export const SearchQuery = Type.Object(
  {
    q: Q,
    patientId: Type.Optional(Id),
    from: Type.Optional(LocalDate("first day, YYYY-MM-DD in the clinic's time zone (inclusive)")),
    to: Type.Optional(LocalDate("last day, YYYY-MM-DD in the clinic's time zone (inclusive)")),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type SearchQuery = Static<typeof SearchQuery>;

/** `GET /api/v1/portal/search`: a patient's own conversations. */
export const PortalSearchQuery = Type.Object(
  { q: Q, cursor: Type.Optional(Cursor) },
  { additionalProperties: false },
);
export type PortalSearchQuery = Static<typeof PortalSearchQuery>;

/** A piece of a snippet: plain text, marked when it is a word that matched. */
export const SnippetPart = Type.Object(
  { text: Type.String(), match: Type.Boolean() },
  { additionalProperties: false },
);
export type SnippetPart = Static<typeof SnippetPart>;

/** One message found. */
export const SearchResult = Type.Object(
  {
    messageId: Id,
    conversationId: Id,
    patient: Type.Object({ id: Id, name: Type.String() }, { additionalProperties: false }),
    createdAt: Timestamp,
    author: Author,
    snippet: Type.Array(SnippetPart, {
      description: 'the part of the message around the matching words, in order',
    }),
  },
  { additionalProperties: false },
);
export type SearchResult = Static<typeof SearchResult>;

export const SearchResults = Type.Object(
  { results: Type.Array(SearchResult), nextCursor: NextCursor },
  { additionalProperties: false },
);
export type SearchResults = Static<typeof SearchResults>;
