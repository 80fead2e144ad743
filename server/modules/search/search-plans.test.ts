import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { foldAccents } from '../../../common/search-text.js';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { readerOf } from '../messaging/visibility.policy.js';
import { searchMessages, wordsAreRare, type SearchFilter } from './search.repository.js';

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  // 60 messages: "appointment" in all, "dressing" in every tenth, "zebra" in one.
  for (let i = 0; i < 60; i++) {
    const extra = i % 10 === 0 ? ' about the dressing' : i === 37 ? ' the zebra crossing' : '';
    const res = await w.as.alice.post('/api/v1/portal/conversations', {
      text: `Question ${i} on my appointment${extra}`,
    });
    expect(res.status).toBe(201);
  }
});
afterAll(() => t?.close());

const filter = (words: string, rare: boolean): SearchFilter => ({
  chamberId: w.chamber.id,
  reader: readerOf({ kind: 'staff', userId: w.receptionist.id, roleIds: [w.roles.builtIn] }),
  words: foldAccents(words),
  pageSize: 20,
  rare,
});

describe('search: the two forms of the window read the same messages', () => {
  it('the GIN form and the newest-first walk answer the same page, for common and rare words', async () => {
    for (const words of ['appointment', 'dressing', 'zebra', 'appointment dressing', 'nothing']) {
      const gin = await searchMessages(t.db, filter(words, true));
      const walk = await searchMessages(t.db, filter(words, false));
      expect(walk, words).toEqual(gin);
    }
    const all = await searchMessages(t.db, filter('appointment', false));
    expect(all.found).toBe(60);
    expect(all.rows).toHaveLength(21);
  });

  it('the statistics tell a common word from a rare one', async () => {
    await t.ownerDb().execute(sql`analyze messages`);
    // In every message: common.
    expect(await wordsAreRare(t.db, 'appointment')).toBe(false);
    expect(await wordsAreRare(t.db, 'Appointments')).toBe(false);
    // In no message, or only stop words: rare (the GIN form reads nothing).
    expect(await wordsAreRare(t.db, 'giraffe')).toBe(true);
    expect(await wordsAreRare(t.db, 'appointment giraffe')).toBe(true);
    expect(await wordsAreRare(t.db, 'the')).toBe(true);
  });
});

describe('search: the session settings the plans rely on', () => {
  it.skipIf(inject('engine') !== 'postgres')(
    "the product's connections never JIT-compile a statement",
    async () => {
      // A search estimated over jit_above_cost spent 28 ms compiling for 0.3 ms of work.
      const all = await Promise.all(
        Array.from({ length: 3 }, () => t.db.execute<{ jit: string }>(sql`show jit`)),
      );
      for (const r of all) expect(r.rows[0]?.jit).toBe('off');
    },
  );
});
