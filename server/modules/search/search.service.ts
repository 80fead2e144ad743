import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type {
  PortalSearchQuery,
  SearchQuery,
  SearchResults,
} from '../../../common/contract/search.js';
import { PAGE_SIZE } from '../../../common/limits.js';
import { foldAccents } from '../../../common/search-text.js';
import { hasVisibleText } from '../../../common/visible-text.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import { patientOfChamber } from '../patients/patient.repository.js';
import type { Actor, PatientActor, StaffActor } from '../auth/actor.js';
import { auditRead } from '../audit/audit.service.js';
import { readerOf } from '../messaging/visibility.policy.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import { localMidnight } from '../reports/working-calendar.js';
import { headlineSource, presentSearchResult, type Markers } from './search.presenter.js';
import {
  chamberTimeZone,
  headlines,
  planForTheseValues,
  searchMessages,
  wordsAreRare,
  SEARCH_WINDOW,
  type SearchFilter,
} from './search.repository.js';

/** Where a page of results continues: a window of matches, and the place reached in it. */
interface SearchCursor {
  /** The window holds matches with a seq below this. */
  before: number;
  after?: { rank: number; seq: number };
}

const badCursor = () =>
  invalid('validation_failed', 'cursor is not a cursor this search gave out.', 'cursor');

function encodeSearchCursor(c: SearchCursor): string {
  const text = c.after ? `${c.before}:${c.after.rank}:${c.after.seq}` : String(c.before);
  return Buffer.from(text, 'utf8').toString('base64url');
}

const positive = (s: string | undefined): number | undefined => {
  if (s === undefined || !/^[1-9]\d{0,15}$/.test(s)) return undefined;
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : undefined;
};

/** The cursor's window and place, or a 422 naming the field when it was tampered with. */
function parseSearchCursor(cursor: string | undefined): SearchCursor | undefined {
  if (cursor === undefined) return undefined;
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const before = positive(parts[0]);
  if (before === undefined) throw badCursor();
  if (parts.length === 1) return { before };
  const rank =
    parts[1] !== undefined && /^\d+(\.\d+)?(e-\d+)?$/.test(parts[1]) ? Number(parts[1]) : NaN;
  const seq = positive(parts[2]);
  if (parts.length !== 3 || !Number.isFinite(rank) || seq === undefined || seq >= before)
    throw badCursor();
  return { before, after: { rank, seq } };
}

/** The words typed, ready for the database: control characters out, accents folded. */
function checkWords(q: string): string {
  if (!hasVisibleText(q)) throw invalid('validation_failed', 'Type the words to find.', 'q');
  // eslint-disable-next-line no-control-regex
  return foldAccents(q.replace(/[\u0000-\u001f\u007f]/g, ' '));
}

const FIRST_YEAR = 1900;
const LAST_YEAR = 2999;

/** A day of the query, or a 422 naming the field. */
function localDay(value: string | undefined, field: 'from' | 'to'): DateTime | undefined {
  if (value === undefined) return undefined;
  const d = DateTime.fromISO(value, { zone: 'utc' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || !d.isValid || d.toISODate() !== value)
    throw invalid('validation_failed', `${field} must be a date (YYYY-MM-DD).`, field);
  if (d.year < FIRST_YEAR || d.year > LAST_YEAR)
    throw invalid(
      'validation_failed',
      `${field} must be a date between ${FIRST_YEAR} and ${LAST_YEAR}.`,
      field,
    );
  return d;
}

/** The day after a day (YYYY-MM-DD). */
const nextDay = (day: string) =>
  DateTime.fromISO(day, { zone: 'utc' }).plus({ days: 1 }).toISODate()!;

/** The dates of a search, checked: real days, from on or before to. */
function checkDays(from: string | undefined, to: string | undefined) {
  const a = localDay(from, 'from');
  const b = localDay(to, 'to');
  if (a && b && b < a) throw invalid('validation_failed', 'to must be on or after from.', 'to');
  return { from, to };
}

/** Fresh markers for `ts_headline`: text no message holds, so no message can fake a match. */
function newMarkers(): Markers {
  return { start: randomBytes(8).toString('hex'), stop: randomBytes(8).toString('hex') };
}

const headlineOptions = (m: Markers) =>
  `StartSel=${m.start}, StopSel=${m.stop}, MaxWords=30, MinWords=12, ShortWord=2, MaxFragments=0`;

/**
 * Search (SPEC rule 16): staff across their chamber, patients in their own Inbox. A result is
 * a message the searcher may see (rule 4) and its snippet is cut from that message alone.
 * Every search is audited without its words: their length, the count, the patients shown.
 */
export function createSearchService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  /** One page of a checked search, audited. */
  async function run(
    actor: Actor,
    search: { q: string; words: string; cursor: SearchCursor | undefined },
    filter: Pick<SearchFilter, 'patientId' | 'createdFrom' | 'createdBefore'>,
    details: Record<string, unknown>,
  ): Promise<SearchResults> {
    const { q, words, cursor } = search;
    const markers = newMarkers();
    // The audit row is written after the read: the audit chain's per-chamber lock is then held
    // for one statement, not until a read's commit. A search of the whole chamber has one right
    // plan for each of its two forms (chosen from the words' statistics); one patient's, or one
    // within dates, is planned for its own values in a transaction of its own.
    const read = async (tx: typeof db) => {
      const rare = await wordsAreRare(tx, words);
      const page = await searchMessages(tx, {
        rare,
        chamberId: actor.chamberId,
        reader: readerOf(actor),
        words,
        ...filter,
        before: cursor?.before,
        after: cursor?.after,
        pageSize: PAGE_SIZE,
      });
      const shown = page.rows.slice(0, PAGE_SIZE);
      const marked = await headlines(
        tx,
        words,
        shown.map((r) => headlineSource(r.text)),
        headlineOptions(markers),
      );
      return { shown, marked, page };
    };
    const wholeChamber =
      actor.kind === 'staff' &&
      filter.patientId === undefined &&
      filter.createdFrom === undefined &&
      filter.createdBefore === undefined;
    const { shown, marked, page } = wholeChamber
      ? await read(db)
      : await db.transaction(async (tx) => {
          await planForTheseValues(tx);
          return read(tx);
        });
    const last = shown[shown.length - 1];
    const windowBefore = cursor?.before ?? (page.newestSeq ?? 0) + 1;
    const nextCursor =
      page.rows.length > PAGE_SIZE && last
        ? encodeSearchCursor({ before: windowBefore, after: { rank: last.rank, seq: last.seq } })
        : page.found > SEARCH_WINDOW && page.oldestSeq !== null
          ? encodeSearchCursor({ before: page.oldestSeq })
          : null;
    await auditRead(ctx, actor, clock(), {
      action: 'message.searched',
      ...(filter.patientId ? { patientId: filter.patientId } : {}),
      details: {
        queryLength: [...q].length,
        resultCount: shown.length,
        patientIds: [...new Set(shown.map((r) => r.patientId))],
        ...details,
      },
    });
    return {
      results: shown.map((r, i) => presentSearchResult(r, marked[i] ?? null, markers)),
      nextCursor,
    };
  }

  return {
    /** Search messages: the chamber's messages this staff user may see, optionally filtered. */
    async searchAsStaff(actor: StaffActor, query: SearchQuery): Promise<SearchResults> {
      const words = checkWords(query.q);
      const { from, to } = checkDays(query.from, query.to);
      const cursor = parseSearchCursor(query.cursor);
      if (query.patientId && !(await patientOfChamber(db, actor.chamberId, query.patientId)))
        throw notFound('That patient');
      const timeZone = from || to ? await chamberTimeZone(db, actor.chamberId) : undefined;
      if ((from || to) && !timeZone) throw notFound('That clinic');
      return run(
        actor,
        { q: query.q, words, cursor },
        {
          patientId: query.patientId,
          createdFrom: from && timeZone ? new Date(localMidnight(from, timeZone)) : undefined,
          createdBefore:
            to && timeZone ? new Date(localMidnight(nextDay(to), timeZone)) : undefined,
        },
        {
          ...(query.patientId ? { patientFilter: query.patientId } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        },
      );
    },

    /** The portal's Search: the patient's own messages shared with them. */
    async searchAsPatient(actor: PatientActor, query: PortalSearchQuery): Promise<SearchResults> {
      await requirePatientAccess(db, actor, 'messaging');
      const words = checkWords(query.q);
      const cursor = parseSearchCursor(query.cursor);
      return run(actor, { q: query.q, words, cursor }, {}, {});
    },
  };
}

export type SearchService = ReturnType<typeof createSearchService>;
