import { randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import type { Db } from '../db/connect.js';
import type { Clock } from '../lib/clock.js';
import { createSignals, type ServiceContext } from '../lib/context.js';
import { hashPassword } from '../lib/passwords.js';
import { hashToken } from '../lib/tokens.js';
import type { PatientActor, StaffActor } from '../modules/auth/actor.js';
import { createChamber } from '../modules/chambers/chamber.service.js';
import { insertChargeBand } from '../modules/charge-bands/charge-band.repository.js';
import { insertProxy } from '../modules/proxies/proxy.repository.js';
import { insertClient } from '../modules/integrations/integration.repository.js';
import { ALL_SCOPES } from '../modules/integrations/integration.policy.js';
import { createMedicalItemService } from '../modules/medical-data/medical-item.service.js';
import { createMessagingService } from '../modules/messaging/messaging.service.js';
import { insertPatient } from '../modules/patients/patient.repository.js';
import { insertPortalAccount } from '../modules/portal-accounts/portal-account.repository.js';
import { insertRole } from '../modules/roles/role.repository.js';
import { insertQuickReply } from '../modules/quick-replies/quick-reply.repository.js';
import { insertTopic } from '../modules/topics/topic.repository.js';
import { insertUser, setUserRoles } from '../modules/users/user.repository.js';
import { updateChamberSettings } from '../modules/settings/setting.repository.js';

export const DEMO_PASSWORD = 'demo-password-1';

export const DEMO_ACCOUNTS = [
  {
    email: 'admin@riverside.example',
    who: 'admin (also in Appointment Reminder Admin)',
    app: 'staff',
  },
  {
    email: 'reception@riverside.example',
    who: 'staff in Appointment Reminder Admin and Reception',
    app: 'staff',
  },
  { email: 'nurse@riverside.example', who: 'staff in Nurses', app: 'staff' },
  { email: 'alice@patient.example', who: 'patient on "Online": can message', app: 'portal' },
  {
    email: 'bob@patient.example',
    who: 'patient on "Online, no messaging": no Inbox',
    app: 'portal',
  },
  {
    email: 'carol@patient.example',
    who: 'patient on "Online", and proxy for her son Charlie Carter',
    app: 'portal',
  },
] as const;

/** The demo chamber's FHIR integration client (Admin > Configuration > Integrations), all scopes. */
export const DEMO_INTEGRATION = {
  name: 'Integration',
  clientId: 'demo-integration',
  secret: 'demo-integration-secret-1',
} as const;

/**
 * Makes the SPEC's demo chamber "demo" (Riverside Clinic): roles, bands, staff, patients,
 * some conversations and one internal note.
 */
export async function seedDemo(db: Db, config: Config, clock: Clock): Promise<void> {
  const start = new Date(clock().getTime() - 3 * 24 * 3_600_000);
  const { id: chamberId, builtInRoleId } = await createChamber(
    db,
    {
      key: 'demo',
      name: 'Riverside Clinic',
      timeZone: 'Europe/London',
      patientPortalEnabled: true,
    },
    start,
  );
  const hash = await hashPassword(DEMO_PASSWORD);
  const roleIds: Record<string, string> = { 'Appointment Reminder Admin': builtInRoleId };
  for (const name of ['Reception', 'Nurses', 'Doctors']) {
    roleIds[name] = randomUUID();
    await insertRole(db, { chamberId, id: roleIds[name]!, name, createdAt: start });
  }
  const staff = [
    {
      email: 'admin@riverside.example',
      name: 'Ada Admin',
      isAdmin: true,
      roles: ['Appointment Reminder Admin'],
    },
    {
      email: 'reception@riverside.example',
      name: 'Rita Reception',
      isAdmin: false,
      roles: ['Appointment Reminder Admin', 'Reception'],
    },
    { email: 'nurse@riverside.example', name: 'Nina Nurse', isAdmin: false, roles: ['Nurses'] },
  ];
  const userIds: Record<string, string> = {};
  for (const s of staff) {
    const id = randomUUID();
    userIds[s.email] = id;
    await insertUser(db, {
      chamberId,
      id,
      email: s.email,
      name: s.name,
      passwordHash: hash,
      isAdmin: s.isAdmin,
      active: true,
      passwordChangedAt: start,
      createdAt: start,
      updatedAt: start,
    });
    await setUserRoles(
      db,
      chamberId,
      id,
      s.roles.map((r) => roleIds[r]!),
    );
  }
  const bands = [
    {
      name: 'Online',
      onlineAccess: 'allow_no_notifications' as const,
      allowOnlineMessaging: true,
      // Rule 17: a new patient signs up with this code and joins this band.
      onlineSignUpInviteCode: 'RIVERSIDE-ONLINE',
    },
    {
      name: 'Online, no messaging',
      onlineAccess: 'allow_no_notifications' as const,
      allowOnlineMessaging: false,
    },
    { name: 'Standard', onlineAccess: 'none' as const, allowOnlineMessaging: false },
  ];
  const bandIds: Record<string, string> = {};
  for (const b of bands) {
    bandIds[b.name] = randomUUID();
    await insertChargeBand(db, {
      chamberId,
      id: bandIds[b.name]!,
      ...b,
      createdAt: start,
      updatedAt: start,
    });
  }
  const people = [
    {
      given: 'Alice',
      family: 'Archer',
      dob: '1985-04-12',
      email: 'alice@patient.example',
      band: 'Online',
      account: true,
    },
    {
      given: 'Bob',
      family: 'Baker',
      dob: '1972-11-03',
      email: 'bob@patient.example',
      band: 'Online, no messaging',
      account: true,
    },
    {
      given: 'Carol',
      family: 'Carter',
      dob: '1990-07-21',
      email: 'carol@patient.example',
      band: 'Online',
      account: true,
    },
    // Rule 18: Carol's son, on "Online" without a portal account; Carol acts for him.
    {
      given: 'Charlie',
      family: 'Carter',
      dob: '2015-03-09',
      email: null,
      band: 'Online',
      account: false,
    },
  ];
  const patientIds: Record<string, string> = {};
  const accountIds: Record<string, string> = {};
  for (const p of people) {
    const id = randomUUID();
    patientIds[p.given] = id;
    await insertPatient(db, {
      chamberId,
      id,
      givenName: p.given,
      familyName: p.family,
      dateOfBirth: p.dob,
      email: p.email,
      chargeBandId: bandIds[p.band]!,
      emailConsent: true,
      createdAt: start,
      updatedAt: start,
    });
    if (p.account && p.email) {
      accountIds[p.given] = randomUUID();
      await insertPortalAccount(db, {
        chamberId,
        id: accountIds[p.given]!,
        patientId: id,
        email: p.email,
        passwordHash: hash,
        state: 'active',
        invitedAt: start,
        activatedAt: start,
        passwordChangedAt: start,
        createdAt: start,
        updatedAt: start,
      });
    }
  }

  // Proxy access (SPEC Part 2 demo): Carol acts for her son Charlie.
  await insertProxy(db, {
    chamberId,
    id: randomUUID(),
    patientId: patientIds.Charlie!,
    accountId: accountIds.Carol!,
    relationship: 'Parent',
    createdAt: start,
    createdByUserId: userIds['admin@riverside.example']!,
  });

  // Message Topics (SPEC Part 2, demo chamber): each routes to one role.
  const topicIds: Record<string, string> = {};
  for (const [name, role] of [
    ['Appointments', 'Reception'],
    ['Prescriptions', 'Nurses'],
    ['Test results', 'Nurses'],
    ['Something else', 'Appointment Reminder Admin'],
  ] as const) {
    topicIds[name] = randomUUID();
    await insertTopic(db, {
      chamberId,
      id: topicIds[name],
      name,
      roleId: roleIds[role]!,
      active: true,
      now: start,
    });
  }

  // Quick replies (SPEC Part 2, demo chamber; rule 15): one for everyone, one for the nurses.
  for (const [name, text, roles] of [
    [
      'Appointment confirmed',
      'Dear {patient.firstName}, your appointment is confirmed. If you cannot come, please call {clinic.phone}.\n\n{user.name}, {clinic.name}',
      [],
    ],
    [
      'Results normal',
      'Dear {patient.firstName}, your recent test results are normal and no further action is needed.\n\n{user.name}, {clinic.name}',
      ['Nurses'],
    ],
  ] as const) {
    await insertQuickReply(db, {
      chamberId,
      id: randomUUID(),
      name,
      text,
      roleIds: roles.map((r) => roleIds[r]!),
      now: start,
    });
  }

  // Reply Times, Patient Safety and Clinic Contact (SPEC Part 2, demo chamber); office hours
  // (Monday to Friday 08:00-18:30) and the 16 working hours are the defaults.
  await updateChamberSettings(
    db,
    chamberId,
    {
      outOfHoursMessage:
        'Thank you. The clinic is closed now; we will read your message when we open.',
      escalationRoleId: roleIds.Reception!,
      clinicPhone: '020 7946 0000',
    },
    start,
  );

  // Conversations written through the real service, so they carry notifications and audit rows.
  let t = start.getTime();
  const at: Clock = () => new Date((t += 47 * 60_000));
  const messaging = createMessagingService({
    db,
    clock: at,
    config,
    signals: createSignals(),
  } satisfies ServiceContext);
  const alice: PatientActor = {
    kind: 'patient',
    chamberId,
    patientId: patientIds.Alice!,
    name: 'Alice Archer',
    accountId: accountIds.Alice!,
    sessionId: 'seed',
    ip: null,
  };
  const staffActor = (email: string, name: string, roleNames: string[]): StaffActor => ({
    kind: 'staff',
    chamberId,
    userId: userIds[email]!,
    name,
    email,
    roleIds: roleNames.map((r) => roleIds[r]!),
    isAdmin: false,
    sessionId: 'seed',
    ip: null,
    stage: 'full',
  });
  const rita = staffActor('reception@riverside.example', 'Rita Reception', [
    'Appointment Reminder Admin',
    'Reception',
  ]);
  const nina = staffActor('nurse@riverside.example', 'Nina Nurse', ['Nurses']);

  const first = await messaging.sendMessage(
    alice,
    { patientId: alice.patientId },
    {
      text: 'Hello, could I move my appointment on Thursday to the afternoon?',
      topicId: topicIds.Appointments!,
      subject: 'Thursday appointment',
    },
  );
  await messaging.sendMessage(
    rita,
    { conversationId: first.conversation.id },
    {
      text: 'Hello Alice, yes: Thursday at 3 pm is free. Shall I book it?',
      shareWithPatient: true,
      roleIds: [roleIds['Appointment Reminder Admin']!],
    },
  );
  await messaging.sendMessage(
    alice,
    { conversationId: first.conversation.id },
    {
      text: 'Yes please, 3 pm is perfect. Thank you!',
    },
  );

  const second = await messaging.sendMessage(
    alice,
    { patientId: alice.patientId },
    {
      text: 'Since the new tablets I feel a bit dizzy in the mornings.\nIs that normal?',
      topicId: topicIds.Prescriptions!,
    },
  );
  await messaging.sendMessage(
    nina,
    { conversationId: second.conversation.id },
    {
      text: 'Morning dizziness since the new prescription: usual in the first weeks at this dose. Doctors, please review at her next visit.',
      shareWithPatient: false,
      roleIds: [roleIds.Nurses!, roleIds.Doctors!],
    },
  );
  await messaging.sendMessage(
    nina,
    { conversationId: second.conversation.id },
    {
      text: 'Hello Alice, some dizziness can happen in the first weeks. Please stand up slowly, and call us if it gets worse or does not settle within a week.',
      shareWithPatient: true,
      roleIds: [roleIds.Nurses!, roleIds['Appointment Reminder Admin']!],
    },
  );

  await messaging.sendMessage(
    nina,
    { patientId: patientIds.Bob! },
    {
      subject: 'Annual blood pressure check',
      text: 'Bob is due for his annual blood pressure check.',
      shareWithPatient: false,
      roleIds: [roleIds.Nurses!, roleIds.Reception!],
    },
  );

  // A result shared with Alice, so the portal's Medical Data has something to show.
  await createMedicalItemService({ db, clock: at, config, signals: createSignals() }).create(
    nina,
    patientIds.Alice!,
    {
      kind: 'result',
      title: 'Full blood count',
      date: new Date(start.getTime() + 24 * 3_600_000).toISOString().slice(0, 10),
      text: 'All values are within the normal range. No action is needed.',
      shareWithPatient: true,
    },
  );

  await insertClient(db, {
    chamberId,
    id: randomUUID(),
    clientId: DEMO_INTEGRATION.clientId,
    name: DEMO_INTEGRATION.name,
    scopes: ALL_SCOPES.join(' '),
    secretHash: hashToken(DEMO_INTEGRATION.secret),
    createdByUserId: userIds['admin@riverside.example']!,
    createdAt: start,
  });
}
