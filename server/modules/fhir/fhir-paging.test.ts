import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { ALL, createIntegration, entriesOf, fhirGet, getToken } from './fhir-test-support.js';

let t: TestApp;
let w: World;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
  token = await getToken(t.app, await createIntegration(w.as.admin, 'Pager', ALL));
  // A few conversations of both patients, with replies and an internal note.
  for (const [patient, n] of [
    [w.as.alice, 3],
    [w.as.bob, 2],
  ] as const) {
    for (let i = 0; i < n; i += 1) {
      const c = await patient.post('/api/v1/portal/conversations', { text: `start ${i}` });
      await w.as.receptionist.post(`/api/v1/conversations/${c.body.conversation.id}/messages`, {
        text: `reply ${i}`,
        shareWithPatient: true,
        roleIds: [w.roles.builtIn],
      });
      await w.as.receptionist.post(`/api/v1/conversations/${c.body.conversation.id}/messages`, {
        text: `note ${i}`,
        shareWithPatient: false,
        roleIds: [w.roles.reception],
      });
    }
  }
});
afterAll(() => t?.close());

/** Every message and conversation of the chamber, as they are now. */
async function everything() {
  const m = await t.db.execute<{ id: string }>(
    sql`select id from messages where chamber_id = ${w.chamber.id}::uuid`,
  );
  const c = await t.db.execute<{ id: string }>(
    sql`select id from conversations where chamber_id = ${w.chamber.id}::uuid`,
  );
  return [...m.rows.map((r) => r.id), ...c.rows.map((r) => r.id)].sort();
}

/** New messages of both kinds, as they arrive while an integration pages. */
let written = 0;
async function writeOne() {
  written += 1;
  if (written % 3 === 0) {
    const c = await w.as.bob.post('/api/v1/portal/conversations', { text: `new ${written}` });
    expect(c.status).toBe(201);
    return;
  }
  const feed = await w.as.receptionist.get(`/api/v1/patients/${w.alice.id}/feed`);
  const res = await w.as.receptionist.post(
    `/api/v1/conversations/${feed.body.conversations[0].id}/messages`,
    {
      text: `while paging ${written}`,
      shareWithPatient: written % 2 === 0,
      roleIds: [w.roles.reception],
    },
  );
  expect(res.status).toBe(201);
}

const nextOf = (bundle: any): string | undefined =>
  bundle.link.find((l: any) => l.relation === 'next')?.url;

describe('paging Communication searches', () => {
  it('returns every message and thread header exactly once while new messages arrive between pages', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/fhir/R4/Communication?_count=4';
    let pages = 0;
    while (url) {
      const res = await fhirGet(t.app, token, url);
      expect(res.status).toBe(200);
      expect(entriesOf(res.body).length).toBeLessThanOrEqual(4);
      seen.push(...entriesOf(res.body).map((r) => r.id));
      url = nextOf(res.body);
      pages += 1;
      // New messages land after the position already read, so later pages bring them.
      if (url && pages <= 8) await writeOne();
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual(await everything());
  });

  it('stays exact with writes racing the pages', async () => {
    const before = await everything();
    const seen: string[] = [];
    let done = false;
    const writer = (async () => {
      for (let i = 0; i < 12; i += 1) await writeOne();
      done = true;
    })();
    const pager = (async () => {
      let url: string | undefined = '/fhir/R4/Communication?_count=3';
      while (url) {
        const res = await fhirGet(t.app, token, url);
        expect(res.status).toBe(200);
        seen.push(...entriesOf(res.body).map((r) => r.id));
        url = nextOf(res.body);
      }
    })();
    await Promise.all([writer, pager]);
    expect(done).toBe(true);
    // Nothing twice; everything that existed before paging began; nothing that does not exist.
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    const after = new Set(await everything());
    for (const id of seen) expect(after.has(id)).toBe(true);
  });

  it("keeps the search's filters in next links, and pages one patient's messages exactly once", async () => {
    const byPatient = await t.db.execute<{ id: string }>(
      sql`select id from messages where chamber_id = ${w.chamber.id}::uuid and patient_id = ${w.bob.id}::uuid and shared_with_patient`,
    );
    const seen: string[] = [];
    let url: string | undefined =
      `/fhir/R4/Communication?subject=Patient/${w.bob.id}&part-of:missing=false&_count=2`;
    while (url) {
      const res = await fhirGet(t.app, token, url);
      for (const r of entriesOf(res.body)) {
        expect(r.subject.reference).toBe(`Patient/${w.bob.id}`);
        expect(r.partOf).toBeDefined();
      }
      seen.push(...entriesOf(res.body).map((r) => r.id));
      url = nextOf(res.body);
      if (url) {
        expect(url).toContain(`subject=Patient%2F${w.bob.id}`);
        expect(url).toContain('part-of%3Amissing=false');
        expect(url).toContain('_count=2');
      }
    }
    const notes = await t.db.execute<{ id: string }>(
      sql`select id from messages where chamber_id = ${w.chamber.id}::uuid and patient_id = ${w.bob.id}::uuid and not shared_with_patient`,
    );
    // The client holds the internal scope: notes are there too.
    expect(seen.sort()).toEqual([...byPatient.rows, ...notes.rows].map((r) => r.id).sort());
  });

  it('pages only what a client without the internal scope may read', async () => {
    const plain = await getToken(
      t.app,
      await createIntegration(w.as.admin, 'Plain Pager', ['system/Communication.read']),
    );
    const seen: any[] = [];
    let url: string | undefined = '/fhir/R4/Communication?_count=5';
    while (url) {
      const res = await fhirGet(t.app, plain, url);
      seen.push(...entriesOf(res.body));
      url = nextOf(res.body);
    }
    const shared = await t.db.execute<{ id: string; conversation_id: string }>(
      sql`select id, conversation_id from messages where chamber_id = ${w.chamber.id}::uuid and shared_with_patient`,
    );
    const expected = [
      ...shared.rows.map((r) => r.id),
      ...new Set(shared.rows.map((r) => r.conversation_id)),
    ].sort();
    expect(seen.map((r) => r.id).sort()).toEqual(expected);
    expect(JSON.stringify(seen)).not.toContain('note ');
  });

  it('refuses a tampered cursor', async () => {
    const res = await fhirGet(t.app, token, '/fhir/R4/Communication?_cursor=WzEsOV0');
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
