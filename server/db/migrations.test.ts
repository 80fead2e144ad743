import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmptyDatabase, migrateUpTo } from '../test/migrations.js';
import { uuidArray } from './arrays.js';
import { migrateDatabase, type Database } from './connect.js';

// Migrations that move data carry every existing row over: each is checked here on rows
// written as the version before it wrote them.

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

describe('0011: the roles of a message move onto the message', () => {
  it('gives every existing message the roles it was shared with, and none to the others', async () => {
    database = await openEmptyDatabase();
    const { db } = database;
    await migrateUpTo(database, '0010_team_inbox');
    const chamber = randomUUID();
    const band = randomUUID();
    const patient = randomUUID();
    const conversation = randomUUID();
    const [nurses, doctors, reception] = [randomUUID(), randomUUID(), randomUUID()];
    const [both, one, none] = [randomUUID(), randomUUID(), randomUUID()];
    await db.execute(sql`
      insert into chambers (id, key, name, created_at, updated_at)
      values (${chamber}::uuid, 'migration-0011', 'Migration', now(), now())`);
    await db.execute(sql`
      insert into charge_bands (chamber_id, id, name, created_at, updated_at)
      values (${chamber}::uuid, ${band}::uuid, 'Standard', now(), now())`);
    for (const [id, name] of [
      [nurses, 'Nurses'],
      [doctors, 'Doctors'],
      [reception, 'Reception'],
    ] as const)
      await db.execute(sql`
        insert into roles (chamber_id, id, name, created_at)
        values (${chamber}::uuid, ${id}::uuid, ${name}, now())`);
    await db.execute(sql`
      insert into patients (chamber_id, id, given_name, family_name, date_of_birth, charge_band_id, created_at, updated_at)
      values (${chamber}::uuid, ${patient}::uuid, 'Alice', 'Example', '1980-01-01', ${band}::uuid, now(), now())`);
    await db.execute(sql`
      insert into conversations (chamber_id, id, patient_id, started_by_kind, last_message_at, created_at)
      values (${chamber}::uuid, ${conversation}::uuid, ${patient}::uuid, 'patient', now(), now())`);
    for (const id of [both, one, none])
      await db.execute(sql`
        insert into messages (chamber_id, id, conversation_id, patient_id, author_kind, text, shared_with_patient, created_at)
        values (${chamber}::uuid, ${id}::uuid, ${conversation}::uuid, ${patient}::uuid, 'patient', 'Hello', true, now())`);
    for (const [message, role] of [
      [both, nurses],
      [both, doctors],
      [one, reception],
    ])
      await db.execute(sql`
        insert into message_roles (chamber_id, message_id, role_id)
        values (${chamber}::uuid, ${message}::uuid, ${role}::uuid)`);

    await migrateDatabase(database);

    const rows = await db.execute<{ id: string; role_ids: string[] }>(sql`
      select id::text as id, array(select r::text from unnest(role_ids) r order by 1) as role_ids
        from messages where chamber_id = ${chamber}::uuid`);
    const byId = new Map(rows.rows.map((r) => [r.id, uuidArray(r.role_ids)]));
    expect(byId.get(both)).toEqual([nurses, doctors].sort());
    expect(byId.get(one)).toEqual([reception]);
    expect(byId.get(none)).toEqual([]);
    const left = await db.execute<{ t: string | null }>(
      sql`select to_regclass('message_roles')::text as t`,
    );
    expect(left.rows[0]?.t).toBeNull();
  });
});

describe('0012: each patient-started conversation keeps its first reply', () => {
  it('sets first_reply_at to the first staff message shared with the patient, ignoring internal notes and staff-started conversations', async () => {
    database = await openEmptyDatabase();
    const { db } = database;
    await migrateUpTo(database, '0011_messages_role_ids');
    const chamber = randomUUID();
    const band = randomUUID();
    const patient = randomUUID();
    const user = randomUUID();
    const [asked, unanswered, staffStarted] = [randomUUID(), randomUUID(), randomUUID()];
    await db.execute(sql`
      insert into chambers (id, key, name, created_at, updated_at)
      values (${chamber}::uuid, 'migration-0012', 'Migration', now(), now())`);
    await db.execute(sql`
      insert into charge_bands (chamber_id, id, name, created_at, updated_at)
      values (${chamber}::uuid, ${band}::uuid, 'Standard', now(), now())`);
    await db.execute(sql`
      insert into users (chamber_id, id, email, name, created_at, updated_at)
      values (${chamber}::uuid, ${user}::uuid, 'rita@example.test', 'Rita', now(), now())`);
    await db.execute(sql`
      insert into patients (chamber_id, id, given_name, family_name, date_of_birth, charge_band_id, created_at, updated_at)
      values (${chamber}::uuid, ${patient}::uuid, 'Alice', 'Example', '1980-01-01', ${band}::uuid, now(), now())`);
    for (const [id, by] of [
      [asked, 'patient'],
      [unanswered, 'patient'],
      [staffStarted, 'staff'],
    ] as const)
      await db.execute(sql`
        insert into conversations (chamber_id, id, patient_id, started_by_kind, last_message_at, created_at)
        values (${chamber}::uuid, ${id}::uuid, ${patient}::uuid, ${by}, now(), now())`);
    const write = (conversation: string, at: string, staff: boolean, shared: boolean) =>
      db.execute(sql`
        insert into messages (chamber_id, id, conversation_id, patient_id, author_kind, author_user_id, text, shared_with_patient, created_at)
        values (${chamber}::uuid, ${randomUUID()}::uuid, ${conversation}::uuid, ${patient}::uuid,
                ${staff ? 'staff' : 'patient'}, ${staff ? user : null}::uuid, 'Text', ${shared}, ${at}::timestamptz)`);
    await write(asked, '2026-01-05T09:00:00Z', false, true);
    await write(asked, '2026-01-05T09:30:00Z', true, false);
    await write(asked, '2026-01-05T10:00:00Z', true, true);
    await write(asked, '2026-01-05T11:00:00Z', true, true);
    await write(unanswered, '2026-01-05T09:00:00Z', false, true);
    await write(unanswered, '2026-01-05T09:10:00Z', true, false);
    await write(staffStarted, '2026-01-05T09:00:00Z', true, true);

    await migrateDatabase(database);

    const rows = await db.execute<{ id: string; ms: number | string | null }>(sql`
      select id::text as id, (extract(epoch from first_reply_at) * 1000)::float8 as ms
        from conversations where chamber_id = ${chamber}::uuid`);
    const byId = new Map(rows.rows.map((r) => [r.id, r.ms === null ? null : Number(r.ms)]));
    expect(byId.get(asked)).toBe(Date.parse('2026-01-05T10:00:00Z'));
    expect(byId.get(unanswered)).toBeNull();
    expect(byId.get(staffStarted)).toBeNull();
  });
});

describe('0018: portal accounts get ids of their own', () => {
  it('keeps every account with its patient, and moves its sessions and links onto it', async () => {
    database = await openEmptyDatabase();
    const { db } = database;
    await migrateUpTo(database, '0017_message_search_dates');
    const chamber = randomUUID();
    const band = randomUUID();
    const [alice, bob] = [randomUUID(), randomUUID()];
    const [aliceSession, bobSession, staffSession] = [randomUUID(), randomUUID(), randomUUID()];
    const [aliceLink, bobLink] = [randomUUID(), randomUUID()];
    const user = randomUUID();
    await db.execute(sql`
      insert into chambers (id, key, name, created_at, updated_at)
      values (${chamber}::uuid, 'migration-0018', 'Migration', now(), now())`);
    await db.execute(sql`
      insert into charge_bands (chamber_id, id, name, created_at, updated_at)
      values (${chamber}::uuid, ${band}::uuid, 'Online', now(), now())`);
    await db.execute(sql`
      insert into users (chamber_id, id, email, name, created_at, updated_at)
      values (${chamber}::uuid, ${user}::uuid, 'staff@example.com', 'Staff', now(), now())`);
    for (const [id, name] of [
      [alice, 'Alice'],
      [bob, 'Bob'],
    ] as const) {
      await db.execute(sql`
        insert into patients (chamber_id, id, given_name, family_name, date_of_birth, charge_band_id, created_at, updated_at)
        values (${chamber}::uuid, ${id}::uuid, ${name}, 'Example', '1980-01-01', ${band}::uuid, now(), now())`);
      await db.execute(sql`
        insert into portal_accounts (chamber_id, patient_id, email, password_hash, state, created_at, updated_at)
        values (${chamber}::uuid, ${id}::uuid, ${name.toLowerCase() + '@example.com'}, 'hash', 'active', now(), now())`);
    }
    for (const [id, kind, patient, userId] of [
      [aliceSession, 'patient', alice, null],
      [bobSession, 'patient', bob, null],
      [staffSession, 'staff', null, user],
    ] as const)
      await db.execute(sql`
        insert into sessions (chamber_id, id, token_hash, kind, user_id, patient_id, created_at, last_seen_at, expires_at)
        values (${chamber}::uuid, ${id}::uuid, ${'hash-' + id}, ${kind}, ${userId}::uuid, ${patient}::uuid, now(), now(), now() + interval '1 hour')`);
    for (const [id, patient] of [
      [aliceLink, alice],
      [bobLink, bob],
    ] as const)
      await db.execute(sql`
        insert into account_tokens (chamber_id, id, account_kind, patient_id, purpose, token_hash, expires_at, created_at)
        values (${chamber}::uuid, ${id}::uuid, 'patient', ${patient}::uuid, 'reset', ${'token-' + id}, now() + interval '1 hour', now())`);

    await migrateDatabase(database);

    const accounts = await db.execute<{ id: string; patient_id: string; email: string }>(sql`
      select id::text as id, patient_id::text as patient_id, email from portal_accounts
       where chamber_id = ${chamber}::uuid order by email`);
    expect(accounts.rows.map((a) => [a.patient_id, a.email])).toEqual([
      [alice, 'alice@example.com'],
      [bob, 'bob@example.com'],
    ]);
    const accountOf = new Map(accounts.rows.map((a) => [a.patient_id, a.id]));
    expect(new Set(accountOf.values()).size).toBe(2);
    const sessions = await db.execute<{
      id: string;
      account_id: string | null;
      patient_id: string | null;
    }>(sql`
      select id::text as id, account_id::text as account_id, patient_id::text as patient_id
        from sessions where chamber_id = ${chamber}::uuid`);
    const session = new Map(sessions.rows.map((s) => [s.id, s]));
    expect(session.get(aliceSession)).toMatchObject({
      account_id: accountOf.get(alice),
      patient_id: alice,
    });
    expect(session.get(bobSession)).toMatchObject({
      account_id: accountOf.get(bob),
      patient_id: bob,
    });
    expect(session.get(staffSession)).toMatchObject({ account_id: null, patient_id: null });
    const links = await db.execute<{ id: string; account_id: string }>(sql`
      select id::text as id, account_id::text as account_id from account_tokens
       where chamber_id = ${chamber}::uuid`);
    expect(new Map(links.rows.map((l) => [l.id, l.account_id]))).toEqual(
      new Map([
        [aliceLink, accountOf.get(alice)],
        [bobLink, accountOf.get(bob)],
      ]),
    );
    // A second account for a patient, or an account of nobody, cannot be made.
    await expect(
      db.execute(sql`
        insert into portal_accounts (chamber_id, id, patient_id, email, state, created_at, updated_at)
        values (${chamber}::uuid, gen_random_uuid(), ${alice}::uuid, 'other@example.com', 'invited', now(), now())`),
    ).rejects.toThrow();
    await expect(
      db.execute(sql`
        insert into portal_accounts (chamber_id, id, email, state, created_at, updated_at)
        values (${chamber}::uuid, gen_random_uuid(), 'nobody@example.com', 'invited', now(), now())`),
    ).rejects.toThrow();
  });
});
