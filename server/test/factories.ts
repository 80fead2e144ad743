import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { insertUser } from '../modules/users/user.repository.js';
import { hashPassword } from '../lib/passwords.js';
import type { StaffActor } from '../modules/auth/actor.js';
import { createChamber as createChamberRow } from '../modules/chambers/chamber.service.js';
import type { OnlineAccess } from '../modules/charge-bands/charge-band.service.js';
import { signIn, type Client } from './http.js';
import type { TestApp } from './test-app.js';

export const PASSWORD = 'test-password-1';

let counter = 0;
const unique = (prefix: string) => `${prefix}-${process.pid}-${(counter += 1)}`;

export interface TestChamber {
  id: string;
  key: string;
  builtInRoleId: string;
  admin: StaffActor & { email: string };
}

/** A chamber with its built-in role and a first admin (made as the operator would), Patient Portal on. */
export async function createChamber(
  t: TestApp,
  options: { portal?: boolean; key?: string } = {},
): Promise<TestChamber> {
  const key = options.key ?? unique('c').toLowerCase();
  const now = t.clock();
  const { id, builtInRoleId } = await createChamberRow(
    t.db,
    { key, name: `Clinic ${key}`, patientPortalEnabled: options.portal ?? true },
    now,
  );
  const adminId = randomUUID();
  const email = `admin@${key}.example`;
  await insertUser(t.db, {
    chamberId: id,
    id: adminId,
    email,
    name: 'Admin User',
    passwordHash: await hashPassword(PASSWORD),
    isAdmin: true,
    active: true,
    createdAt: now,
    updatedAt: now,
  });
  return {
    id,
    key,
    builtInRoleId,
    admin: {
      kind: 'staff',
      chamberId: id,
      userId: adminId,
      name: 'Admin User',
      email,
      roleIds: [],
      isAdmin: true,
      sessionId: 'factory',
      ip: null,
      stage: 'full',
    },
  };
}

export async function createRole(t: TestApp, c: TestChamber, name: string): Promise<string> {
  return (await t.services.roles.create(c.admin, { name })).id;
}

/** A staff user with a password, holding the given roles. */
export async function createStaff(
  t: TestApp,
  c: TestChamber,
  options: { name?: string; roleIds?: string[]; isAdmin?: boolean } = {},
) {
  const name = options.name ?? unique('Staff');
  const email = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@${c.key}.example`;
  const user = await t.services.users.create(c.admin, {
    name,
    email,
    password: PASSWORD,
    roleIds: options.roleIds ?? [],
    isAdmin: options.isAdmin ?? false,
  });
  return { id: user.id, email, name };
}

/** A charge band, with online access and messaging as asked. */
export async function createBand(
  t: TestApp,
  c: TestChamber,
  options: { name?: string; online?: OnlineAccess; messaging?: boolean } = {},
) {
  const band = await t.services.bands.create(c.admin, { name: options.name ?? unique('Band') });
  const online = options.online ?? 'allow_no_notifications';
  if (online !== 'none') await t.services.bands.setOnlineAccess(c.admin, band.id, online);
  if (options.messaging ?? true) {
    if (online === 'none') throw new Error('messaging needs online access');
    await t.services.bands.update(c.admin, band.id, { allowOnlineMessaging: true });
  }
  return band.id;
}

/**
 * A patient on a band; with `account: 'active'` the patient is invited, the invitation email is
 * delivered, and the password set through its link, exactly as a real patient would.
 */
export async function createPatient(
  t: TestApp,
  c: TestChamber,
  options: {
    bandId: string;
    given?: string;
    family?: string;
    email?: string | null;
    consent?: boolean;
    account?: 'active' | 'invited' | 'none';
    dateOfBirth?: string;
  },
) {
  const given = options.given ?? 'Pat';
  const family = options.family ?? unique('Patient');
  const email =
    options.email === undefined ? `${family.toLowerCase()}@patients.example` : options.email;
  const patient = await t.services.patients.create(c.admin, {
    givenName: given,
    familyName: family,
    dateOfBirth: options.dateOfBirth ?? '1980-01-02',
    email,
    chargeBandId: options.bandId,
    emailConsent: options.consent ?? true,
  });
  const account = options.account ?? 'active';
  if (account !== 'none' && !patient.portalAccount)
    await t.services.accounts.invite(c.admin, patient.id);
  if (account === 'active' && email) {
    const token = await takeLink(t, email);
    await t.services.auth.setPasswordWithLink({ kind: 'anonymous', ip: null }, 'patient', {
      token,
      password: PASSWORD,
    });
  }
  return { id: patient.id, email: email ?? '', name: `${given} ${family}` };
}

/** Delivers queued email and returns the token of the newest link sent to this address. */
export async function takeLink(t: TestApp, email: string): Promise<string> {
  await t.deliverMail();
  const mail = [...t.outbox].reverse().find((m) => m.to === email);
  const token = mail?.text.match(/#token=([A-Za-z0-9_-]+)/)?.[1];
  expect(token, `a link emailed to ${email}`).toBeTruthy();
  return token!;
}

export const staffClient = (t: TestApp, c: TestChamber, email: string): Promise<Client> =>
  signIn(t.app, 'staff', c.key, email, PASSWORD);
export const patientClient = (t: TestApp, c: TestChamber, email: string): Promise<Client> =>
  signIn(t.app, 'patient', c.key, email, PASSWORD);

/**
 * The usual world: a chamber where Reception is the Role for new messages' fellow role, with
 * a receptionist (built-in role + Reception), a nurse (Nurses), an admin, and patients A and B
 * who may message, each signed in.
 */
export async function createWorld(t: TestApp) {
  const c = await createChamber(t);
  const reception = await createRole(t, c, 'Reception');
  const nurses = await createRole(t, c, 'Nurses');
  const band = await createBand(t, c, {
    name: 'Online',
    online: 'allow_no_notifications',
    messaging: true,
  });
  const receptionist = await createStaff(t, c, {
    name: 'Rita Reception',
    roleIds: [c.builtInRoleId, reception],
  });
  const nurse = await createStaff(t, c, { name: 'Nina Nurse', roleIds: [nurses] });
  const alice = await createPatient(t, c, { bandId: band, given: 'Alice', family: 'Archer' });
  const bob = await createPatient(t, c, { bandId: band, given: 'Bob', family: 'Baker' });
  return {
    chamber: c,
    roles: { builtIn: c.builtInRoleId, reception, nurses },
    band,
    receptionist,
    nurse,
    alice,
    bob,
    as: {
      admin: await staffClient(t, c, c.admin.email),
      receptionist: await staffClient(t, c, receptionist.email),
      nurse: await staffClient(t, c, nurse.email),
      alice: await patientClient(t, c, alice.email),
      bob: await patientClient(t, c, bob.email),
    },
  };
}

export type World = Awaited<ReturnType<typeof createWorld>>;

/** Fresh sessions for every client of a world, after the clock moved past their idle limit. */
export async function signInAgain(t: TestApp, w: World): Promise<void> {
  w.as.admin = await staffClient(t, w.chamber, w.chamber.admin.email);
  w.as.receptionist = await staffClient(t, w.chamber, w.receptionist.email);
  w.as.nurse = await staffClient(t, w.chamber, w.nurse.email);
  w.as.alice = await patientClient(t, w.chamber, w.alice.email);
  w.as.bob = await patientClient(t, w.chamber, w.bob.email);
}
