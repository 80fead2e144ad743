import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchResult, SearchResults, SnippetPart } from '../../../common/contract/search.js';
import { FOLD_FROM, FOLD_TO, foldAccents } from '../../../common/search-text.js';
import type { Client } from '../../test/http.js';
import {
  createBand,
  createChamber,
  createPatient,
  createStaff,
  createWorld,
  patientClient,
  signInAgain,
  staffClient,
  type World,
} from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { snippetOf } from './search.presenter.js';

/*
 * Search (SPEC rule 16) through the API on a real database: words, accents and stems, ranking
 * and paging, dates and the patient filter, rule 4 for every kind of reader (checked against
 * an oracle computed here from the stored audiences), snippets, the audit row, bad input.
 */

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

/** A word no other message holds (letters only, so it stays one lexeme). */
function word(): string {
  const letters = 'bcdfghjklmnpqrstvwxz';
  let out = 'qz';
  for (const b of randomUUID().replace(/-/g, '').slice(0, 10))
    out += letters[parseInt(b, 16) % letters.length];
  return out;
}

/** Every word searched for in this file: none may reach the audit log. */
const searched: string[] = [];

const url = (base: string, params: Record<string, string | undefined>) =>
  `${base}?${Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join('&')}`;

async function search(
  as: Client,
  q: string,
  params: Record<string, string | undefined> = {},
  portal = false,
) {
  searched.push(...q.split(/\s+/).filter((x) => x.length > 3));
  return as.get<SearchResults & { error: { status: number; code: string; field?: string } }>(
    url(portal ? '/api/v1/portal/search' : '/api/v1/search', { q, ...params }),
  );
}

/** Every page of a search, following the cursors. */
async function searchAll(
  as: Client,
  q: string,
  params: Record<string, string | undefined> = {},
  portal = false,
): Promise<{ pages: SearchResult[][]; results: SearchResult[] }> {
  const pages: SearchResult[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 40; i += 1) {
    const res = await search(as, q, { ...params, cursor }, portal);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res.body.results);
    if (!res.body.nextCursor) break;
    cursor = res.body.nextCursor;
  }
  return { pages, results: pages.flat() };
}

const ids = (results: SearchResult[]) => results.map((r) => r.messageId);
const matches = (s: SnippetPart[]) => s.filter((p) => p.match).map((p) => p.text);
const snippetText = (s: SnippetPart[]) =>
  s
    .filter((p, i) => !(p.text === '…' && !p.match && (i === 0 || i === s.length - 1)))
    .map((p) => p.text)
    .join('');

/** A staff-started conversation about a patient; its first message's id and the conversation. */
async function staffStarts(
  as: Client,
  patientId: string,
  text: string,
  audience: { shareWithPatient: boolean; roleIds: string[] },
) {
  const res = await as.post(`/api/v1/patients/${patientId}/conversations`, { text, ...audience });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    conversationId: res.body.conversation.id as string,
    messageId: res.body.message.id as string,
  };
}

async function staffReplies(
  as: Client,
  conversationId: string,
  text: string,
  audience: { shareWithPatient: boolean; roleIds: string[] },
): Promise<string> {
  const res = await as.post(`/api/v1/conversations/${conversationId}/messages`, {
    text,
    ...audience,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.message.id;
}

async function patientStarts(as: Client, text: string) {
  const res = await as.post('/api/v1/portal/conversations', { text });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return {
    conversationId: res.body.conversation.id as string,
    messageId: res.body.message.id as string,
  };
}

/** Every table's row count. */
async function allCounts(): Promise<Record<string, number>> {
  const tables = await t.db.execute<{ table_name: string }>(sql`
    select table_name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`);
  const out: Record<string, number> = {};
  for (const { table_name } of tables.rows) {
    out[table_name] = Number(
      (await t.db.execute<{ n: string }>(sql.raw(`select count(*) as n from "${table_name}"`)))
        .rows[0]?.n,
    );
  }
  return out;
}

async function newestAudit() {
  const r = await t.db.execute<{ id: string | number }>(
    sql`select coalesce(max(id), 0) as id from audit_events`,
  );
  return Number(r.rows[0]!.id);
}

async function auditSince(id: number) {
  const r = await t.db.execute<{
    action: string;
    actor_kind: string;
    actor_user_id: string | null;
    actor_patient_id: string | null;
    patient_id: string | null;
    details: unknown;
  }>(sql`select action, actor_kind, actor_user_id, actor_patient_id, patient_id, details
           from audit_events where id > ${id} order by id`);
  return r.rows.map((row) => ({
    ...row,
    details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
  }));
}

describe('words', () => {
  it('accents: café is found by cafe and cafe by café, in any case, and the snippet shows the text as written', async () => {
    const w1 = word();
    const accented = await staffStarts(
      w.as.receptionist,
      w.alice.id,
      `Meet at the Café ${w1} on Monday`,
      {
        shareWithPatient: true,
        roleIds: [w.roles.reception],
      },
    );
    const plain = await staffStarts(w.as.receptionist, w.alice.id, `The cafe ${w1} is closed`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    for (const q of [`cafe ${w1}`, `café ${w1}`, `CAFÉ ${w1}`, `Cafe ${w1.toUpperCase()}`]) {
      const res = await search(w.as.receptionist, q);
      expect(res.status).toBe(200);
      expect(ids(res.body.results).sort(), q).toEqual([accented.messageId, plain.messageId].sort());
    }
    const res = await search(w.as.receptionist, `cafe ${w1}`);
    const byId = new Map(res.body.results.map((r) => [r.messageId, r]));
    expect(matches(byId.get(accented.messageId)!.snippet)).toEqual(['Café', w1]);
    expect(snippetText(byId.get(accented.messageId)!.snippet)).toBe(
      `Meet at the Café ${w1} on Monday`,
    );
    expect(matches(byId.get(plain.messageId)!.snippet)).toEqual(['cafe', w1]);
    // Other Latin letters fold too.
    const w2 = word();
    const nordic = await staffStarts(w.as.receptionist, w.alice.id, `Søren Łukasz Dvořák ${w2}`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    const found = await search(w.as.receptionist, `soren lukasz dvorak ${w2}`);
    expect(ids(found.body.results)).toEqual([nordic.messageId]);
    expect(matches(found.body.results[0]!.snippet)).toEqual(['Søren', 'Łukasz', 'Dvořák', w2]);
  });

  it('stemming: prescriptions finds prescription, and the other way round', async () => {
    const w1 = word();
    const one = await staffStarts(
      w.as.receptionist,
      w.alice.id,
      `Your prescription ${w1} is ready`,
      {
        shareWithPatient: true,
        roleIds: [w.roles.reception],
      },
    );
    const many = await staffStarts(
      w.as.receptionist,
      w.alice.id,
      `Both prescriptions ${w1} were renewed`,
      {
        shareWithPatient: true,
        roleIds: [w.roles.reception],
      },
    );
    for (const q of [`prescriptions ${w1}`, `prescription ${w1}`, `Prescribing ${w1}`]) {
      const res = await search(w.as.receptionist, q);
      expect(res.status).toBe(200);
      // "prescribing" stems to "prescrib", not "prescript": found by neither.
      expect(ids(res.body.results).sort(), q).toEqual(
        q.startsWith('Prescribing') ? [] : [one.messageId, many.messageId].sort(),
      );
    }
    const res = await search(w.as.receptionist, `prescriptions ${w1}`);
    const byId = new Map(res.body.results.map((r) => [r.messageId, r]));
    expect(matches(byId.get(one.messageId)!.snippet)).toEqual(['prescription', w1]);
    expect(matches(byId.get(many.messageId)!.snippet)).toEqual(['prescriptions', w1]);
  });

  it('quotes, hyphens and operators are plain words, never query syntax', async () => {
    const stem = word();
    const longer = `${stem}abc`;
    const m = await staffStarts(
      w.as.receptionist,
      w.alice.id,
      `Follow-up about ${longer} and ${stem}`,
      {
        shareWithPatient: true,
        roleIds: [w.roles.reception],
      },
    );
    // A prefix operator is a character: `stem:*` finds the message by the word `stem` only.
    const prefix = word();
    const other = await staffStarts(w.as.receptionist, w.alice.id, `only ${prefix}xyz here`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    expect(ids((await search(w.as.receptionist, `${prefix}:*`)).body.results)).toEqual([]);
    expect(ids((await search(w.as.receptionist, `${prefix}xyz:*`)).body.results)).toEqual([
      other.messageId,
    ]);
    for (const q of [
      `"${longer}"`,
      `!${longer}`,
      `${longer} |`,
      `(${longer})`,
      `'${longer}'`,
      `${longer} <-> `,
      `-${longer}`,
      `${longer}\\`,
      `follow-up ${longer}`,
      `${longer} & !${stem}`,
    ]) {
      const res = await search(w.as.receptionist, q);
      expect(res.status, q).toBe(200);
      expect(ids(res.body.results), q).toEqual([m.messageId]);
    }
    // `a | b` is not "or": both words must be there.
    expect(ids((await search(w.as.receptionist, `${longer} | ${word()}`)).body.results)).toEqual(
      [],
    );
  });

  it('a search of stop words or punctuation only answers no results; spaces only, or nothing, is refused', async () => {
    for (const q of ['the and of', '!!! ??? ...', '&|!():*<->', 'a', "'", '…']) {
      const before = await newestAudit();
      const res = await search(w.as.receptionist, q);
      expect(res.status, q).toBe(200);
      expect(res.body, q).toEqual({ results: [], nextCursor: null });
      const rows = await auditSince(before);
      expect(
        rows.map((r) => [r.action, (r.details as { resultCount: number }).resultCount]),
      ).toEqual([['message.searched', 0]]);
    }
    for (const q of ['   ', '\u200b\u2800', '\t\n']) {
      const before = await newestAudit();
      const res = await search(w.as.receptionist, q);
      expect(res.status, JSON.stringify(q)).toBe(422);
      expect(res.body).toEqual({
        error: { status: 422, code: 'validation_failed', message: expect.any(String), field: 'q' },
      });
      expect(await auditSince(before)).toEqual([]);
    }
    for (const path of ['/api/v1/search?q=', '/api/v1/search', '/api/v1/portal/search']) {
      const as = path.includes('portal') ? w.as.alice : w.as.receptionist;
      const res = await as.get(path);
      expect(res.status, path).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'validation_failed', field: 'q' });
    }
  });

  it('a search of over 200 characters is refused in the one error shape, storing and auditing nothing', async () => {
    const before = await allCounts();
    const long = `${word()} `.repeat(30).slice(0, 201);
    expect([...long]).toHaveLength(201);
    for (const [as, portal] of [
      [w.as.receptionist, false],
      [w.as.alice, true],
    ] as const) {
      const res = await search(as, long, {}, portal);
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        error: {
          status: 422,
          code: 'validation_failed',
          message: 'q is too long (at most 200 characters).',
          field: 'q',
        },
      });
    }
    expect(await allCounts()).toEqual(before);
    // 200 characters are a search.
    expect((await search(w.as.receptionist, long.slice(0, 200))).status).toBe(200);
  });
});

describe('ranking and paging', () => {
  it('best matches first among the most recent: ordered by cover density, then newest first', async () => {
    const [a, b] = [word(), word()];
    const filler = 'one two three four five six seven eight nine ten eleven twelve';
    const texts = [
      `${a} ${b} ${a} ${b}`, // two covers, the oldest: first all the same
      `${a} ${filler} ${b}`,
      `${a} ${b}`,
      `${b} then ${a}`,
      `${a} ${b}, again`, // the same rank as "a b": newer first
    ];
    const made: string[] = [];
    const c = await staffStarts(w.as.nurse, w.bob.id, texts[0]!, {
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    made.push(c.messageId);
    for (const text of texts.slice(1))
      made.push(
        await staffReplies(w.as.nurse, c.conversationId, text, {
          shareWithPatient: false,
          roleIds: [w.roles.nurses],
        }),
      );
    const res = await search(w.as.nurse, `${a} ${b}`);
    expect(res.status).toBe(200);
    // The order computed here from the database's own rank of each message.
    const ranks = await t.db.execute<{ id: string; rank: number; seq: string | number }>(sql`
      select id, ts_rank_cd(search_vector, plainto_tsquery('english', ${`${a} ${b}`})) as rank, seq
        from messages where id in (${sql.join(
          made.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`);
    const expected = [...ranks.rows]
      .sort((x, y) => Number(y.rank) - Number(x.rank) || Number(y.seq) - Number(x.seq))
      .map((r) => r.id);
    expect(ids(res.body.results)).toEqual(expected);
    expect(expected[0]).toBe(made[0]);
    expect(expected.indexOf(made[4]!)).toBeLessThan(expected.indexOf(made[2]!));
    expect(expected.at(-1)).toBe(made[1]);
    // Not simply newest first.
    expect(expected).not.toEqual([...made].reverse());
  });

  it('pages of 20 follow the cursor through the window of 200 and on into older matches; a tampered cursor is refused', async () => {
    const p = word();
    const extra = word();
    const c = await staffStarts(w.as.receptionist, w.bob.id, `${p} first`, {
      shareWithPatient: false,
      roleIds: [w.roles.reception],
    });
    const made = [c.messageId];
    for (let i = 1; i < 230; i += 1) {
      made.push(
        await staffReplies(
          w.as.receptionist,
          c.conversationId,
          // Every seventh message has the word twice: it ranks higher.
          i % 7 === 0 ? `${p} number ${i} ${extra} ${p}` : `${p} number ${i} ${extra}`,
          { shareWithPatient: false, roleIds: [w.roles.reception] },
        ),
      );
    }
    const { pages, results } = await searchAll(w.as.receptionist, p);
    expect(pages.map((x) => x.length)).toEqual([...Array(10).fill(20), 20, 10]);
    expect(new Set(ids(results)).size).toBe(230);
    expect(new Set(ids(results))).toEqual(new Set(made));
    // The first 10 pages hold the 200 newest matches, the rest the 30 older ones.
    const seqs = await t.db.execute<{ id: string; seq: string | number }>(
      sql`select id, seq from messages where id in (${sql.join(
        made.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`,
    );
    const seqOf = new Map(seqs.rows.map((r) => [r.id, Number(r.seq)]));
    const newest = new Set([...made].sort((x, y) => seqOf.get(y)! - seqOf.get(x)!).slice(0, 200));
    const first = results.slice(0, 200);
    expect(first.every((r) => newest.has(r.messageId))).toBe(true);
    // Within each window: the twice-worded messages first, each group newest first.
    for (const window of [first, results.slice(200)]) {
      const twice = (r: SearchResult) => matches(r.snippet).filter((m) => m === p).length === 2;
      const firstOnce = window.findIndex((r) => !twice(r));
      expect(window.slice(0, firstOnce).every(twice)).toBe(true);
      expect(window.slice(firstOnce).some(twice)).toBe(false);
      for (const group of [window.slice(0, firstOnce), window.slice(firstOnce)]) {
        const s = group.map((r) => seqOf.get(r.messageId)!);
        expect(s).toEqual([...s].sort((x, y) => y - x));
      }
    }
    expect(first.slice(0, 20).every((r) => matches(r.snippet).length === 2)).toBe(true);

    // Two words: 229 messages, all in one window.
    const both = await searchAll(w.as.receptionist, `${p} ${extra}`);
    expect(both.pages.map((x) => x.length)).toEqual([...Array(11).fill(20), 9]);
    // A new match after the first page does not shift the window the cursor continues.
    const page1 = await search(w.as.receptionist, p);
    await staffReplies(w.as.receptionist, c.conversationId, `${p} ${p} ${p} newest`, {
      shareWithPatient: false,
      roleIds: [w.roles.reception],
    });
    const page2 = await search(w.as.receptionist, p, { cursor: page1.body.nextCursor! });
    expect(ids(page2.body.results)).toEqual(ids(pages[1]!));

    // Tampered cursors: not base64url, not ours, or inconsistent.
    const forged = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    for (const cursor of [
      '!!!',
      forged('hello'),
      forged('12:0.1'),
      forged('5:0.1:9'),
      forged('-3'),
      forged('1:abc:1'),
      forged('99999999999999999999'),
      'x'.repeat(201),
    ]) {
      const before = await newestAudit();
      const res = await search(w.as.receptionist, p, { cursor });
      expect([400, 422], cursor).toContain(res.status);
      expect(res.body.error, cursor).toMatchObject({ code: 'validation_failed', field: 'cursor' });
      expect(await auditSince(before)).toEqual([]);
    }
  });
});

describe('filters', () => {
  it('patientId: only that patient’s messages; another chamber’s or an unknown patient answers 404', async () => {
    const f = word();
    const a = await staffStarts(w.as.receptionist, w.alice.id, `${f} for Alice`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    const b = await staffStarts(w.as.receptionist, w.bob.id, `${f} for Bob`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    expect(ids((await search(w.as.receptionist, f)).body.results).sort()).toEqual(
      [a.messageId, b.messageId].sort(),
    );
    const onlyAlice = await search(w.as.receptionist, f, { patientId: w.alice.id });
    expect(ids(onlyAlice.body.results)).toEqual([a.messageId]);
    expect(onlyAlice.body.results[0]!.patient).toEqual({ id: w.alice.id, name: 'Alice Archer' });
    const c2 = await createChamber(t);
    const band = await createBand(t, c2);
    const stranger = await createPatient(t, c2, { bandId: band, account: 'none' });
    for (const patientId of [stranger.id, randomUUID()]) {
      const before = await newestAudit();
      const res = await search(w.as.receptionist, f, { patientId });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({
        error: { status: 404, code: 'not_found', message: 'That patient was not found.' },
      });
      expect(await auditSince(before)).toEqual([]);
    }
    const bad = await search(w.as.receptionist, f, { patientId: 'not-an-id' });
    expect([bad.status, bad.body.error.field]).toEqual([422, 'patientId']);
  });

  it('dates: days in the clinic’s time zone, both inclusive; from after to, or no such day, is refused', async () => {
    const d = word();
    const at = async (iso: string, text: string) => {
      t.clock.set(new Date(iso));
      await signInAgain(t, w);
      return (
        await staffStarts(w.as.receptionist, w.alice.id, `${d} ${text}`, {
          shareWithPatient: true,
          roleIds: [w.roles.reception],
        })
      ).messageId;
    };
    // Europe/London: summer time from 29 March 2026.
    const march = await at('2026-03-10T12:00:00Z', 'in March');
    const lateJune = await at('2026-06-30T22:59:00Z', 'on 30 June, 23:59 in London');
    const july1 = await at('2026-06-30T23:00:00Z', 'on 1 July, 00:00 in London');
    const july1Late = await at('2026-07-01T22:59:59Z', 'on 1 July, 23:59:59 in London');
    const july2 = await at('2026-07-01T23:00:00Z', 'on 2 July, 00:00 in London');
    const found = async (params: Record<string, string>) => {
      const res = await search(w.as.receptionist, d, params);
      expect(res.status, JSON.stringify(params)).toBe(200);
      return ids(res.body.results).sort();
    };
    const sorted = (...x: string[]) => x.sort();
    expect(await found({ from: '2026-07-01', to: '2026-07-01' })).toEqual(sorted(july1, july1Late));
    expect(await found({ to: '2026-06-30' })).toEqual(sorted(march, lateJune));
    expect(await found({ from: '2026-07-02' })).toEqual([july2]);
    expect(await found({ from: '2026-03-10', to: '2026-03-10' })).toEqual([march]);
    expect(await found({})).toHaveLength(5);
    for (const [params, field] of [
      [{ from: '2026-07-02', to: '2026-07-01' }, 'to'],
      [{ from: '2026-02-30' }, 'from'],
      [{ to: '2026-13-01' }, 'to'],
      [{ from: '0000-01-01' }, 'from'],
      [{ from: '1 July' }, 'from'],
    ] as const) {
      const res = await search(w.as.receptionist, d, params);
      expect(res.status, JSON.stringify(params)).toBe(422);
      expect(res.body.error, JSON.stringify(params)).toMatchObject({
        code: 'validation_failed',
        field,
      });
    }
    const audited = await newestAudit();
    await search(w.as.receptionist, d, {
      from: '2026-07-01',
      to: '2026-07-02',
      patientId: w.alice.id,
    });
    const [row] = await auditSince(audited);
    expect(row).toEqual({
      action: 'message.searched',
      actor_kind: 'staff',
      actor_user_id: w.receptionist.id,
      actor_patient_id: null,
      patient_id: w.alice.id,
      details: {
        queryLength: d.length,
        resultCount: 3,
        patientIds: [w.alice.id],
        patientFilter: w.alice.id,
        from: '2026-07-01',
        to: '2026-07-02',
      },
    });
  });
});

describe('rule 4: each searcher finds exactly the messages they may see', () => {
  it('staff in the role, outside it, the author of a note, an admin, another chamber’s staff, patients A and B, another chamber’s patient', async () => {
    const k = word();
    await signInAgain(t, w);
    const c2 = await createChamber(t);
    const band2 = await createBand(t, c2);
    const otherPatient = await createPatient(t, c2, {
      bandId: band2,
      given: 'Olga',
      family: 'Other',
    });
    const otherStaff = await createStaff(t, c2, {
      name: 'Oscar Other',
      roleIds: [c2.builtInRoleId],
    });
    const asOtherPatient = await patientClient(t, c2, otherPatient.email);
    const asOtherStaff = await staffClient(t, c2, otherStaff.email);

    // Alice's conversation: her question (to the built-in role), a reply she sees, and a note
    // for the nurses by the receptionist (who is not one); a nurse's note about her for Nurses.
    const a = await patientStarts(w.as.alice, `${k} Alice asks about her results`);
    await staffReplies(w.as.receptionist, a.conversationId, `${k} reply to Alice`, {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    await staffStarts(w.as.nurse, w.alice.id, `${k} nurses only: NURSE-NOTE`, {
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    await staffReplies(w.as.receptionist, a.conversationId, `${k} for the nurses from reception`, {
      shareWithPatient: false,
      roleIds: [w.roles.nurses],
    });
    // Bob's conversation, a reply to him only, and a note about him by the admin for Reception.
    const b = await patientStarts(w.as.bob, `${k} Bob asks`);
    await staffReplies(w.as.receptionist, b.conversationId, `${k} to Bob alone`, {
      shareWithPatient: true,
      roleIds: [],
    });
    await staffStarts(w.as.admin, w.bob.id, `${k} admin note about Bob for Reception`, {
      shareWithPatient: false,
      roleIds: [w.roles.reception],
    });
    // Another chamber: its patient's message and its staff's reply.
    const o = await patientStarts(asOtherPatient, `${k} from another clinic`);
    await staffReplies(asOtherStaff, o.conversationId, `${k} answer in another clinic`, {
      shareWithPatient: true,
      roleIds: [c2.builtInRoleId],
    });

    const stored = await t.db.execute<{
      id: string;
      chamber_id: string;
      patient_id: string;
      shared_with_patient: boolean;
      author_user_id: string | null;
      role_ids: string[] | string;
      text: string;
    }>(sql`select id, chamber_id, patient_id, shared_with_patient, author_user_id,
                  to_json(role_ids) as role_ids, text
             from messages where text like ${`${k}%`}`);
    const model = stored.rows.map((r) => ({
      ...r,
      role_ids: (typeof r.role_ids === 'string' ? JSON.parse(r.role_ids) : r.role_ids) as string[],
    }));
    expect(model).toHaveLength(9);

    type Searcher = {
      name: string;
      client: Client;
      chamberId: string;
      portal: boolean;
      patientId?: string;
      userId?: string;
      roleIds: string[];
    };
    const searchers: Searcher[] = [
      {
        name: 'staff in the role (nurse)',
        client: w.as.nurse,
        chamberId: w.chamber.id,
        portal: false,
        userId: w.nurse.id,
        roleIds: [w.roles.nurses],
      },
      {
        name: 'staff outside it, author of a note for it (receptionist)',
        client: w.as.receptionist,
        chamberId: w.chamber.id,
        portal: false,
        userId: w.receptionist.id,
        roleIds: [w.roles.builtIn, w.roles.reception],
      },
      {
        name: 'admin outside every role',
        client: w.as.admin,
        chamberId: w.chamber.id,
        portal: false,
        userId: w.chamber.admin.userId,
        roleIds: [],
      },
      {
        name: 'staff of another chamber',
        client: asOtherStaff,
        chamberId: c2.id,
        portal: false,
        userId: otherStaff.id,
        roleIds: [c2.builtInRoleId],
      },
      {
        name: 'patient A',
        client: w.as.alice,
        chamberId: w.chamber.id,
        portal: true,
        patientId: w.alice.id,
        roleIds: [],
      },
      {
        name: 'patient B',
        client: w.as.bob,
        chamberId: w.chamber.id,
        portal: true,
        patientId: w.bob.id,
        roleIds: [],
      },
      {
        name: 'patient of another chamber',
        client: asOtherPatient,
        chamberId: c2.id,
        portal: true,
        patientId: otherPatient.id,
        roleIds: [],
      },
    ];
    // Rule 4, written here from the stored audiences.
    const sees = (s: Searcher, m: (typeof model)[number]) =>
      m.chamber_id === s.chamberId &&
      (s.portal
        ? m.shared_with_patient && m.patient_id === s.patientId
        : m.author_user_id === s.userId || m.role_ids.some((r) => s.roleIds.includes(r)));
    const counts: Record<string, number> = {};
    for (const s of searchers) {
      const { results } = await searchAll(s.client, k, {}, s.portal);
      const expected = model.filter((m) => sees(s, m));
      counts[s.name] = expected.length;
      expect(ids(results).sort(), s.name).toEqual(expected.map((m) => m.id).sort());
      // Each snippet is cut from its own message and marks the word.
      for (const r of results) {
        const own = model.find((m) => m.id === r.messageId)!;
        expect(own.text.replace(/\s+/g, ' ')).toContain(snippetText(r.snippet));
        expect(matches(r.snippet)).toEqual([k]);
        for (const other of model.filter((m) => m.id !== own.id && !sees(s, m)))
          expect(JSON.stringify(r)).not.toContain(other.text.slice(k.length + 1));
      }
      // The staff search's patient filter cannot widen it, nor reach another chamber.
      if (!s.portal && s.chamberId === w.chamber.id) {
        const forBob = await searchAll(s.client, k, { patientId: w.bob.id });
        expect(ids(forBob.results).sort(), `${s.name}, Bob`).toEqual(
          expected
            .filter((m) => m.patient_id === w.bob.id)
            .map((m) => m.id)
            .sort(),
        );
      }
    }
    // The rule is not trivial here: each kind of reader sees a different share.
    expect(counts).toEqual({
      'staff in the role (nurse)': 2,
      'staff outside it, author of a note for it (receptionist)': 6,
      'admin outside every role': 1,
      'staff of another chamber': 2,
      'patient A': 2,
      'patient B': 2,
      'patient of another chamber': 2,
    });
    // The nurses' note by its words: the nurse finds it, nobody else does.
    for (const s of searchers) {
      const res = await search(s.client, 'NURSE-NOTE', {}, s.portal);
      expect(res.status).toBe(200);
      expect(res.body.results.length, s.name).toBe(s.name.startsWith('staff in the role') ? 1 : 0);
      if (!s.name.startsWith('staff in the role'))
        expect(JSON.stringify(res.body)).not.toContain('NURSE');
    }
    // A patient's search is audited under the patient.
    const before = await newestAudit();
    await search(w.as.alice, k, {}, true);
    expect(await auditSince(before)).toEqual([
      {
        action: 'message.searched',
        actor_kind: 'patient',
        actor_user_id: null,
        actor_patient_id: w.alice.id,
        patient_id: w.alice.id,
        details: { queryLength: k.length, resultCount: 2, patientIds: [w.alice.id] },
      },
    ]);
  });
});

describe('snippets', () => {
  it('the marked words are the matches; HTML in a message comes back as plain text; "…" where the message goes on', async () => {
    const [s1, s2] = [word(), word()];
    const html = await staffStarts(
      w.as.receptionist,
      w.alice.id,
      `<b>${s1}</b> <script>alert("x")</script> &amp; <a href="javascript:x">${s2}</a>`,
      { shareWithPatient: true, roleIds: [w.roles.reception] },
    );
    const res = await search(w.as.receptionist, `${s1} ${s2}`);
    expect(ids(res.body.results)).toEqual([html.messageId]);
    // The excerpt runs from the first match to the last (the tags around them are not words).
    expect(res.body.results[0]!.snippet).toEqual([
      { text: '…', match: false },
      { text: s1, match: true },
      { text: '</b> <script>alert("x")</script> &amp; <a href="javascript:x">', match: false },
      { text: s2, match: true },
      { text: '…', match: false },
    ]);

    const long = Array.from({ length: 150 }, (_, i) => `word${i}`);
    long[75] = `${s1}`;
    const inMiddle = await staffStarts(w.as.receptionist, w.alice.id, long.join(' '), {
      shareWithPatient: true,
      roleIds: [w.roles.reception],
    });
    const mid = await search(w.as.receptionist, s1);
    const snippet = mid.body.results.find((r) => r.messageId === inMiddle.messageId)!.snippet;
    expect(snippet[0]).toEqual({ text: '…', match: false });
    expect(snippet.at(-1)).toEqual({ text: '…', match: false });
    expect(matches(snippet)).toEqual([s1]);
    const shown = snippetText(snippet).trim().split(' ');
    expect(shown.length).toBeLessThanOrEqual(30);
    expect(long.join(' ')).toContain(snippetText(snippet));
  });

  it('snippetOf: finds the headline in the folded text, cuts at the markers, falls back to the start unmarked', () => {
    const m = { start: 'S0S0S0S0', stop: 'E1E1E1E1' };
    expect(snippetOf('Un café, merci', 'Un S0S0S0S0cafeE1E1E1E1, merci', m)).toEqual([
      { text: 'Un ', match: false },
      { text: 'café', match: true },
      { text: ', merci', match: false },
    ]);
    expect(snippetOf('a b c café d e', 'S0S0S0S0cafeE1E1E1E1 d', m)).toEqual([
      { text: '…', match: false },
      { text: 'café', match: true },
      { text: ' d', match: false },
      { text: '…', match: false },
    ]);
    // Not in the text (cannot happen), or a marker unclosed: the start, unmarked.
    expect(snippetOf('hello there', 'S0S0S0S0helloE1E1E1E1 world', m)).toEqual([
      { text: 'hello there', match: false },
    ]);
    expect(snippetOf('hello there', 'S0S0S0S0hello there', m)).toEqual([
      { text: 'hello there', match: false },
    ]);
    const long = 'x'.repeat(300);
    expect(snippetOf(long, null, m)).toEqual([
      { text: 'x'.repeat(200), match: false },
      { text: '…', match: false },
    ]);
    // The two fold strings map one letter to one, so positions are kept.
    expect([...FOLD_FROM]).toHaveLength([...FOLD_TO].length);
    expect(foldAccents(FOLD_FROM)).toBe(FOLD_TO);
  });
});

describe('hostile input', () => {
  it('fast-check: any text (quotes, operators, backslashes, NUL, lone surrogates, 10,000 characters) answers 200 or 4xx, and changes no table but the audit log', async () => {
    await signInAgain(t, w);
    await patientStarts(w.as.alice, 'hostile input: a message to find, with "quotes" & stuff');
    const specials = [
      '"',
      "'",
      '\\',
      '&',
      '|',
      '!',
      '(',
      ')',
      ':',
      '*',
      '<',
      '>',
      '-',
      '<->',
      '\u0000',
      ' ',
      '\ud800',
      '\udfff',
      '😀',
      'é',
      '%',
      '+',
      '#',
      '?',
      '=',
      'a',
      'quotes',
      'stuff',
      ';',
      '--',
    ];
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.array(fc.constantFrom(...specials), { maxLength: 40 }).map((a) => a.join('')),
      fc.string({ unit: 'grapheme', maxLength: 220 }),
      fc.constantFrom('x'.repeat(10_000), '"'.repeat(10_000), 'é'.repeat(201), '\\'.repeat(200)),
    );
    /** Percent-encodes every UTF-16 unit, a lone surrogate as the bytes a careless client sends. */
    const encode = (s: string) => {
      let out = '';
      for (let i = 0; i < s.length; i += 1) {
        const c = s.charCodeAt(i);
        const next = s.charCodeAt(i + 1);
        if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          out += encodeURIComponent(s.slice(i, i + 2));
          i += 1;
        } else if (c >= 0xd800 && c <= 0xdfff) {
          out += `%${(0xe0 | (c >> 12)).toString(16)}%${(0x80 | ((c >> 6) & 0x3f)).toString(16)}%${(0x80 | (c & 0x3f)).toString(16)}`;
        } else out += encodeURIComponent(s[i]!);
      }
      return out;
    };
    const before = await allCounts();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), async (q, portal) => {
        const res = await (portal ? w.as.alice : w.as.receptionist).get(
          `${portal ? '/api/v1/portal/search' : '/api/v1/search'}?q=${encode(q)}`,
        );
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect([200, 400, 422], `${JSON.stringify(q)}: ${JSON.stringify(res.body)}`).toContain(
          res.status,
        );
        if (res.status !== 200) expect(res.body.error.status).toBe(res.status);
        else expect(Array.isArray(res.body.results)).toBe(true);
      }),
      { seed: 1616, numRuns: 200 },
    );
    const after = await allCounts();
    delete before.audit_events;
    delete after.audit_events;
    expect(after).toEqual(before);
    // Both kinds of answer were met.
    expect(statuses.get(200)).toBeGreaterThan(20);
    expect((statuses.get(422) ?? 0) + (statuses.get(400) ?? 0)).toBeGreaterThan(10);
    console.info(`search fast-check: ${JSON.stringify(Object.fromEntries(statuses))}`);
  });
});

describe('the audit log', () => {
  it('holds no word of any search made in this file', async () => {
    const rows = await t.db.execute<{ row: unknown }>(
      sql`select to_json(a) as row from audit_events a`,
    );
    const all = JSON.stringify(rows.rows).toLowerCase();
    expect(searched.length).toBeGreaterThan(20);
    for (const q of new Set(searched.filter((x) => /^qz[a-z]+$/.test(x))))
      expect(all.includes(q.toLowerCase()), q).toBe(false);
    const searches = await t.db.execute<{ n: string | number }>(
      sql`select count(*) as n from audit_events where action = 'message.searched'`,
    );
    expect(Number(searches.rows[0]!.n)).toBeGreaterThan(50);
  });
});
