import { author } from '../messaging/messaging.presenter.js';
import type { SearchResult, SnippetPart } from '../../../common/contract/search.js';
import { foldAccents } from '../../../common/search-text.js';
import type { SearchRow } from './search.repository.js';

/** The markers `ts_headline` put around each matching word, fresh for every request. */
export interface Markers {
  start: string;
  stop: string;
}

const ELLIPSIS: SnippetPart = { text: '…', match: false };
const FALLBACK_LENGTH = 200;

/**
 * The text `ts_headline` reads (search.repository.ts `headlines`): accents folded one for one,
 * as the stored search vector folds them, and `<`, `>` made spaces so that no tag is dropped
 * from the excerpt. Every character keeps its place.
 */
export function headlineSource(text: string): string {
  return foldAccents(text).replace(/[<>]/g, ' ');
}

/** Where the first `n` code points of a text end (a surrogate pair is never cut). */
function codePointsEnd(text: string, n: number): number {
  let end = 0;
  let count = 0;
  for (const ch of text) {
    if (count === n) break;
    end += ch.length;
    count += 1;
  }
  return end;
}

/** Whitespace folded to single spaces, as the lists' previews do. */
const flat = (text: string) => text.replace(/\s+/g, ' ');

/** The excerpt between two positions of the text, with "…" where the message goes on. */
function excerpt(text: string, from: number, to: number, marks: [number, number][]): SnippetPart[] {
  let start = from;
  let end = to;
  while (start < end && /\s/.test(text[start]!)) start += 1;
  while (end > start && /\s/.test(text[end - 1]!)) end -= 1;
  const parts: SnippetPart[] = [];
  const push = (a: number, b: number, match: boolean) => {
    if (b <= a) return;
    const piece = flat(text.slice(a, b));
    const last = parts[parts.length - 1];
    if (last && last.match === match) last.text += piece;
    else parts.push({ text: piece, match });
  };
  let at = start;
  for (const [a, b] of marks) {
    const s = Math.max(a, start);
    const e = Math.min(b, end);
    if (e <= s) continue;
    push(at, s, false);
    push(s, e, true);
    at = e;
  }
  push(at, end, false);
  if (text.slice(0, start).trim() !== '') parts.unshift(ELLIPSIS);
  if (text.slice(end).trim() !== '') parts.push(ELLIPSIS);
  return parts;
}

/**
 * The snippet of a message as plain text parts, marked where its words matched. The headline
 * was made from the folded text (`headlineSource`), which keeps every character at its place:
 * found there with its markers taken out, the same range of the message's own text is cut at
 * the markers. Only the found message's own text is ever used. Should the headline not be
 * found, the start of the message is shown unmarked.
 */
export function snippetOf(text: string, headline: string | null, markers: Markers): SnippetPart[] {
  const fallback = () => excerpt(text, 0, codePointsEnd(text, FALLBACK_LENGTH), []);
  if (!headline) return fallback();
  let plain = '';
  const marks: [number, number][] = [];
  let rest = headline;
  for (;;) {
    const open = rest.indexOf(markers.start);
    if (open < 0) break;
    const close = rest.indexOf(markers.stop, open + markers.start.length);
    if (close < 0) return fallback();
    plain += rest.slice(0, open);
    const word = rest.slice(open + markers.start.length, close);
    marks.push([plain.length, plain.length + word.length]);
    plain += word;
    rest = rest.slice(close + markers.stop.length);
  }
  if (rest.includes(markers.stop)) return fallback();
  plain += rest;
  if (plain.trim() === '') return fallback();
  const at = headlineSource(text).indexOf(plain);
  if (at < 0) return fallback();
  return excerpt(
    text,
    at,
    at + plain.length,
    marks.map(([a, b]) => [at + a, at + b]),
  );
}

/** One message found, as its searcher sees it, with the headline made of its text. */
export function presentSearchResult(
  r: SearchRow,
  headline: string | null,
  markers: Markers,
): SearchResult {
  return {
    messageId: r.id,
    conversationId: r.conversationId,
    patient: { id: r.patientId, name: r.patientName },
    createdAt: r.createdAt.toISOString(),
    author: author(r),
    snippet: snippetOf(r.text, headline, markers),
  };
}
