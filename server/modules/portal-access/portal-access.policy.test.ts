import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patientAccount, patientBand, patientChamber } from '../../db/joins.js';
import { chambers, chargeBands, patients, portalAccounts } from '../../db/schema.js';
import { createBand, createChamber, createPatient } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import type { OnlineAccess } from '../charge-bands/charge-band.service.js';
import { findEligibilityFacts } from './portal-access.repository.js';
import {
  hasPortalAccess,
  hasPortalAccessSql,
  messagingEligibility,
  type EligibilityFacts,
} from './portal-access.policy.js';

// Rule 1 is written once in two forms: `hasPortalAccess` decides for one patient, and
// `hasPortalAccessSql` filters many (the shared-items email). Here both judge the same real rows,
// one patient for every combination of the rule's facts, and must agree patient by patient.

type AccountState = 'none' | 'invited' | 'active' | 'blocked' | 'disabled';
const PORTAL = [true, false];
const ONLINE: OnlineAccess[] = ['none', 'allow_and_notify', 'allow_no_notifications'];
const MESSAGING = [false, true];
const STATES: AccountState[] = ['none', 'invited', 'active', 'blocked', 'disabled'];

interface Case {
  chamberId: string;
  patientId: string;
  label: string;
  portal: boolean;
  online: OnlineAccess;
  messaging: boolean;
  state: AccountState;
}

let t: TestApp;
const chamberIds: string[] = [];
const cases: Case[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  for (const portal of PORTAL) {
    // Accounts are made with the portal on; it is switched off once the rows are in place.
    const c = await createChamber(t);
    chamberIds.push(c.id);
    for (const online of ONLINE) {
      for (const messaging of MESSAGING) {
        // "Allow online messaging" is kept when a band loses online access, so a band without
        // online access may still carry the tick: made by ticking it first, then turning off.
        const bandId = await createBand(t, c, {
          online: online === 'none' && messaging ? 'allow_no_notifications' : online,
          messaging,
        });
        if (online === 'none' && messaging)
          await t.services.bands.setOnlineAccess(c.admin, bandId, 'none');
        for (const state of STATES) {
          const p = await createPatient(t, c, {
            bandId,
            email: state === 'none' ? null : undefined,
            account: state === 'none' ? 'none' : 'invited',
          });
          // Active, Blocked and Disabled are set directly: the predicate looks only at the state.
          if (state !== 'none' && state !== 'invited') {
            await t.db
              .update(portalAccounts)
              .set({ state })
              .where(and(eq(portalAccounts.chamberId, c.id), eq(portalAccounts.patientId, p.id)));
          }
          const label = `portal ${portal ? 'on' : 'off'}, account ${state}, band ${online}, messaging ${messaging ? 'on' : 'off'}`;
          cases.push({ chamberId: c.id, patientId: p.id, label, portal, online, messaging, state });
        }
      }
    }
    if (!portal)
      await t.db.update(chambers).set({ patientPortalEnabled: false }).where(eq(chambers.id, c.id));
  }
});
afterAll(() => t?.close());

/** Rule 1 read straight from the SPEC, for the combination a patient was made with. */
const expectedAccess = (c: Case) => c.portal && c.state === 'active' && c.online !== 'none';

/** Every patient of the test's chambers with rule 1's facts and the SQL predicate's verdict. */
async function judgedRows() {
  return t.db
    .select({
      patientId: patients.id,
      portalEnabled: chambers.patientPortalEnabled,
      accountState: portalAccounts.state,
      bandOnlineAccess: chargeBands.onlineAccess,
      bandAllowsMessaging: chargeBands.allowOnlineMessaging,
      // As a WHERE reads it: unknown (no account) counts as no access.
      inSql: sql<boolean>`(${hasPortalAccessSql}) is true`,
    })
    .from(patients)
    .innerJoin(chambers, patientChamber)
    .innerJoin(chargeBands, patientBand)
    .leftJoin(portalAccounts, patientAccount)
    .where(inArray(patients.chamberId, chamberIds));
}

describe('rule 1: the SQL predicate and the TypeScript predicate agree', () => {
  it('the rows hold every combination of the facts, once each', async () => {
    expect(cases.length).toBe(PORTAL.length * ONLINE.length * MESSAGING.length * STATES.length);
    const rows = new Map((await judgedRows()).map((r) => [r.patientId, r]));
    expect(rows.size).toBe(cases.length);
    for (const c of cases) {
      const row = rows.get(c.patientId)!;
      expect(
        [
          row.portalEnabled,
          row.accountState ?? 'none',
          row.bandOnlineAccess,
          row.bandAllowsMessaging,
        ],
        c.label,
      ).toEqual([c.portal, c.state, c.online, c.messaging]);
    }
  });

  it('for every patient, the same portal access', async () => {
    const rows = new Map((await judgedRows()).map((r) => [r.patientId, r]));
    for (const c of cases) {
      const { patientId: _patientId, inSql, ...facts } = rows.get(c.patientId)!;
      const inTs = hasPortalAccess(facts);
      expect(inSql, c.label).toBe(inTs);
      expect(inTs, c.label).toBe(expectedAccess(c));
      // The facts the service judges one patient by are these same facts.
      expect(await findEligibilityFacts(t.db, c.chamberId, c.patientId), c.label).toEqual(facts);
    }
    // Used as a filter, as the shared-items email query does.
    const filtered = await t.db
      .select({ id: patients.id })
      .from(patients)
      .innerJoin(chambers, patientChamber)
      .innerJoin(chargeBands, patientBand)
      .leftJoin(portalAccounts, patientAccount)
      .where(and(inArray(patients.chamberId, chamberIds), hasPortalAccessSql));
    expect(filtered.map((r) => r.id).sort()).toEqual(
      cases
        .filter(expectedAccess)
        .map((c) => c.patientId)
        .sort(),
    );
    // Not trivially equal: portal on, account active, two online bands, messaging on or off.
    expect(filtered.length).toBe(4);
  });

  it('messaging is allowed exactly when the portal is and the band allows messaging', async () => {
    const rows = await judgedRows();
    const byId = new Map(cases.map((c) => [c.patientId, c]));
    let allowed = 0;
    for (const { patientId, inSql: _inSql, ...rest } of rows) {
      const facts: EligibilityFacts = rest;
      const c = byId.get(patientId)!;
      const may = messagingEligibility(facts) === null;
      expect(may, c.label).toBe(hasPortalAccess(facts) && facts.bandAllowsMessaging);
      expect(may, c.label).toBe(expectedAccess(c) && c.messaging);
      if (may) allowed += 1;
    }
    expect(allowed).toBe(2);
  });
});
