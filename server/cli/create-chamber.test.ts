import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, chambers } from '../db/schema.js';
import { verifyAuditChains } from '../modules/audit/audit.service.js';
import { sealAllAudit } from '../test/audit-seal.js';
import { PASSWORD, takeLink } from '../test/factories.js';
import { signIn } from '../test/http.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';
import { createChamberWithAdmin } from './create-chamber.js';

/*
 * Issue 17, finding 10a: `npm run chamber` creates a chamber and its first administrator; the
 * chamber's audit log starts with a row that says so (the command line as the actor), chained
 * like every audit row.
 */

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

describe('npm run chamber', () => {
  it('writes the chamber’s first audit row: chamber.created by the command line, naming the first admin', async () => {
    const { chamberId, adminUserId } = await createChamberWithAdmin(
      t.db,
      {
        key: 'lakeside',
        name: 'Lakeside Clinic',
        timeZone: 'Europe/Dublin',
        adminEmail: 'ada@lakeside.example',
        adminName: 'Ada Admin',
      },
      t.clock(),
    );
    const rows = await t.db.select().from(auditEvents).where(eq(auditEvents.chamberId, chamberId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: 'chamber.created',
      actorKind: 'system',
      actorUserId: null,
      actorPatientId: null,
      actorLabel: 'npm run chamber',
      patientId: null,
      subjectType: 'user',
      subjectId: adminUserId,
      details: {
        key: 'lakeside',
        name: 'Lakeside Clinic',
        timeZone: 'Europe/Dublin',
        adminEmail: 'ada@lakeside.example',
      },
    });
    // Not sealed yet: the worker links it onto the chamber's chain as number 1.
    const [pending] = await verifyAuditChains(t.db, { chamberKey: 'lakeside' });
    expect(pending?.report).toMatchObject({ ok: true, rows: 0, pending: 1 });
    expect(await sealAllAudit(t.db)).toBeGreaterThanOrEqual(1);
    const [check] = await verifyAuditChains(t.db, { chamberKey: 'lakeside' });
    expect(check?.report).toMatchObject({ ok: true, rows: 1, pending: 0, head: { chainSeq: 1 } });

    // The invited admin sets a password and finds the row in System Activity.
    const token = await takeLink(t, 'ada@lakeside.example');
    await t.services.auth.setPasswordWithLink({ kind: 'anonymous', ip: null }, 'staff', {
      token,
      password: PASSWORD,
    });
    const ada = await signIn(t.app, 'staff', 'lakeside', 'ada@lakeside.example', PASSWORD);
    const activity = await ada.get('/api/v1/admin/audit?action=chamber.');
    expect(activity.status).toBe(200);
    expect(activity.body.events).toEqual([
      expect.objectContaining({
        action: 'chamber.created',
        actor: { kind: 'system', userId: null, patientId: null, label: 'npm run chamber' },
        subject: { type: 'user', id: adminUserId, label: 'Ada Admin' },
        privileged: false,
      }),
    ]);
    const [after] = await verifyAuditChains(t.db, { chamberKey: 'lakeside' });
    expect(after?.report.ok).toBe(true);
  });

  it('a taken key changes nothing: no chamber, no admin, no audit row', async () => {
    const before = await t.db.select({ id: auditEvents.id }).from(auditEvents);
    await expect(
      createChamberWithAdmin(
        t.db,
        {
          key: 'lakeside',
          name: 'Lakeside Again',
          timeZone: 'Europe/London',
          adminEmail: 'bo@lakeside.example',
          adminName: 'Bo Admin',
        },
        t.clock(),
      ),
    ).rejects.toMatchObject({ code: 'chamber_key_taken' });
    expect(await t.db.select({ id: auditEvents.id }).from(auditEvents)).toHaveLength(before.length);
    expect(await t.db.select().from(chambers).where(eq(chambers.name, 'Lakeside Again'))).toEqual(
      [],
    );
  });
});
