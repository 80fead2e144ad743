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
