/**
 * The database schema. Every table leads with `chamber_id`, and every reference between rows
 * is a composite foreign key that includes it, so a row of one chamber can never point at a
 * row of another.
 */
import { sql } from 'drizzle-orm';
import { FOLD_FROM, FOLD_TO, SEARCH_CONFIG } from '../../common/search-text.js';
import {
  bigint,
  boolean,
  check,
  customType,
  date,
  foreignKey,
  index,
  inet,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** A PostgreSQL `tsvector` (full-text search), only ever written by the database. */
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/**
 * A PostgreSQL transaction id (`xid8`), as text: the default `pg_current_xact_id()` records
 * which transaction wrote a row, so a reader can tell rows no open transaction can still add
 * to (below `pg_snapshot_xmin`) from the rest.
 */
const xid8 = customType<{ data: string }>({ dataType: () => 'xid8' });

/** Raw bytes; node-postgres answers a Buffer, PGlite a Uint8Array: both read as a Buffer. */
const bytea = customType<{ data: Buffer; driverData: Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => Buffer.from(v),
});

export const chambers = pgTable(
  'chambers',
  {
    id: uuid('id').primaryKey(),
    key: text('key').notNull(),
    name: text('name').notNull(),
    patientPortalEnabled: boolean('patient_portal_enabled').notNull().default(false),
    /** Null means the built-in Appointment Reminder Admin. */
    roleForNewMessagesId: uuid('role_for_new_messages_id'),
    sharedItemsEmailEnabled: boolean('shared_items_email_enabled').notNull().default(false),
    /** Whether patients may attach a file (a document) to their messages. */
    patientAttachmentsEnabled: boolean('patient_attachments_enabled').notNull().default(false),
    timeZone: text('time_zone').notNull().default('Europe/London'),
    /**
     * Reply Times (rule 12): the office hours per weekday (1 Monday … 7 Sunday, "HH:MM"; a
     * weekday not listed is closed), the clinic's holidays, and the working hours within which
     * the clinic promises a first reply.
     */
    officeHours: jsonb('office_hours')
      .$type<{ weekday: number; opens: string; closes: string }[]>()
      .notNull()
      .default(
        sql`'[{"weekday":1,"opens":"08:00","closes":"18:30"},{"weekday":2,"opens":"08:00","closes":"18:30"},{"weekday":3,"opens":"08:00","closes":"18:30"},{"weekday":4,"opens":"08:00","closes":"18:30"},{"weekday":5,"opens":"08:00","closes":"18:30"}]'::jsonb`,
      ),
    clinicHolidays: text('clinic_holidays')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    replyWithinWorkingHours: integer('reply_within_working_hours').notNull().default(16),
    /** Rule 13: the automatic answer outside office hours; empty means none. */
    outOfHoursMessage: text('out_of_hours_message').notNull().default(''),
    /** Rule 12: who is told of an overdue conversation; null means nobody. */
    escalationRoleId: uuid('escalation_role_id'),
    /** Rule 14: null means the built-in list (`DEFAULT_RED_FLAG_PHRASES`). */
    redFlagPhrases: text('red_flag_phrases').array(),
    emergencyAdvice: text('emergency_advice')
      .notNull()
      .default('If this is an emergency, call 999 now.'),
    clinicPhone: text('clinic_phone').notNull().default(''),
    /** Rule 19: staff must finish sign-in with a second factor (and set one up first). */
    requireStaffTwoStep: boolean('require_staff_two_step').notNull().default(false),
    /**
     * Rule 19: single sign-on through an OpenID Connect provider. The issuer and client id are
     * null when it is not configured; the client secret is encrypted (`lib/secret-box.ts`).
     */
    ssoIssuer: text('sso_issuer'),
    ssoClientId: text('sso_client_id'),
    ssoClientSecret: text('sso_client_secret'),
    /** The name on the "Sign in with …" button; null: the issuer's host name. */
    ssoName: text('sso_name'),
    /** Off: staff sign in through the provider only (administrators keep their password). */
    ssoAllowPasswordSignIn: boolean('sso_allow_password_sign_in').notNull().default(true),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('chambers_key_unique').on(t.key),
    foreignKey({
      name: 'chambers_role_for_new_messages_fk',
      columns: [t.id, t.roleForNewMessagesId],
      foreignColumns: [roles.chamberId as AnyPgColumn, roles.id as AnyPgColumn],
    }),
    foreignKey({
      name: 'chambers_escalation_role_fk',
      columns: [t.id, t.escalationRoleId],
      foreignColumns: [roles.chamberId as AnyPgColumn, roles.id as AnyPgColumn],
    }),
    check('chambers_reply_within', sql`${t.replyWithinWorkingHours} between 1 and 200`),
    check('chambers_key_format', sql`${t.key} ~ '^[a-z0-9][a-z0-9-]{0,62}$'`),
    check('chambers_name_length', sql`char_length(${t.name}) between 1 and 200`),
  ],
);

export const roles = pgTable(
  'roles',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references((): AnyPgColumn => chambers.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    isBuiltIn: boolean('is_built_in').notNull().default(false),
    deletedAt: ts('deleted_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'roles_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('roles_name_unique')
      .on(t.chamberId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    check('roles_name_length', sql`char_length(${t.name}) between 1 and 100`),
  ],
);

export const users = pgTable(
  'users',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    passwordHash: text('password_hash'),
    isAdmin: boolean('is_admin').notNull().default(false),
    active: boolean('active').notNull().default(true),
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lockedUntil: ts('locked_until'),
    passwordChangedAt: ts('password_changed_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'users_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('users_email_unique').on(t.chamberId, sql`lower(${t.email})`),
    check('users_name_length', sql`char_length(${t.name}) between 1 and 200`),
  ],
);

export const roleMembers = pgTable(
  'role_members',
  {
    chamberId: uuid('chamber_id').notNull(),
    roleId: uuid('role_id').notNull(),
    userId: uuid('user_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'role_members_pk', columns: [t.chamberId, t.roleId, t.userId] }),
    foreignKey({
      name: 'role_members_role_fk',
      columns: [t.chamberId, t.roleId],
      foreignColumns: [roles.chamberId, roles.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'role_members_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }).onDelete('cascade'),
    index('role_members_user_idx').on(t.chamberId, t.userId),
  ],
);

export const chargeBands = pgTable(
  'charge_bands',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    onlineAccess: text('online_access', {
      enum: ['none', 'allow_and_notify', 'allow_no_notifications'],
    })
      .notNull()
      .default('none'),
    allowOnlineMessaging: boolean('allow_online_messaging').notNull().default(false),
    onlineSignUpInviteCode: text('online_sign_up_invite_code'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'charge_bands_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('charge_bands_name_unique').on(t.chamberId, sql`lower(${t.name})`),
    check('charge_bands_name_length', sql`char_length(${t.name}) between 1 and 100`),
    check(
      'charge_bands_online_access_values',
      sql`${t.onlineAccess} in ('none', 'allow_and_notify', 'allow_no_notifications')`,
    ),
  ],
);

export const patients = pgTable(
  'patients',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    givenName: text('given_name').notNull(),
    familyName: text('family_name').notNull(),
    dateOfBirth: date('date_of_birth', { mode: 'string' }).notNull(),
    email: text('email'),
    mobile: text('mobile'),
    chargeBandId: uuid('charge_band_id').notNull(),
    emailConsent: boolean('email_consent').notNull().default(false),
    /** Rule 17: when the patient signed up online, and whether that made or linked the record. */
    signedUpOnlineAt: ts('signed_up_online_at'),
    signUpLinked: boolean('sign_up_linked'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'patients_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'patients_charge_band_fk',
      columns: [t.chamberId, t.chargeBandId],
      foreignColumns: [chargeBands.chamberId, chargeBands.id],
    }),
    index('patients_band_idx').on(t.chamberId, t.chargeBandId),
    index('patients_family_name_idx').on(t.chamberId, sql`lower(${t.familyName})`),
    index('patients_given_name_idx').on(t.chamberId, sql`lower(${t.givenName})`),
    index('patients_email_idx').on(t.chamberId, sql`lower(${t.email})`),
    index('patients_dob_idx').on(t.chamberId, t.dateOfBirth),
    check('patients_given_name_length', sql`char_length(${t.givenName}) between 1 and 100`),
    check('patients_family_name_length', sql`char_length(${t.familyName}) between 1 and 100`),
  ],
);

/**
 * A portal sign-in. It may belong to a patient (`patient_id`), act for others as their proxy
 * (rule 18, `patient_proxies`), or both; an account that is not a patient's has a name of its own.
 */
export const portalAccounts = pgTable(
  'portal_accounts',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    /** The account's own patient record; null for a proxy who is not a patient here. */
    patientId: uuid('patient_id'),
    /** The holder's name when the account is not a patient's (a patient's comes from the record). */
    name: text('name'),
    /** Rule 5 for an account that is not a patient's: whether it may be emailed. */
    emailConsent: boolean('email_consent').notNull().default(false),
    email: text('email').notNull(),
    passwordHash: text('password_hash'),
    state: text('state', { enum: ['invited', 'active', 'blocked', 'disabled'] }).notNull(),
    failedSignIns: integer('failed_sign_ins').notNull().default(0),
    lastResetRequestedAt: ts('last_reset_requested_at'),
    invitedAt: ts('invited_at'),
    activatedAt: ts('activated_at'),
    passwordChangedAt: ts('password_changed_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'portal_accounts_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'portal_accounts_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    uniqueIndex('portal_accounts_patient_unique').on(t.chamberId, t.patientId),
    uniqueIndex('portal_accounts_email_unique').on(t.chamberId, sql`lower(${t.email})`),
    check(
      'portal_accounts_holder',
      sql`${t.patientId} is not null or coalesce(char_length(${t.name}), 0) between 1 and 200`,
    ),
    check(
      'portal_accounts_state_values',
      sql`${t.state} in ('invited', 'active', 'blocked', 'disabled')`,
    ),
  ],
);

/**
 * Proxy access (rule 18): a portal account that may act for a patient. In force while not ended
 * and, with an end date, until the end of that day in the clinic's time zone.
 */
export const patientProxies = pgTable(
  'patient_proxies',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    accountId: uuid('account_id').notNull(),
    relationship: text('relationship').notNull(),
    endsOn: date('ends_on', { mode: 'string' }),
    createdAt: ts('created_at').notNull(),
    createdByUserId: uuid('created_by_user_id').notNull(),
    /** Removed by staff (`ended_by_user_id`) or by the patient (`ended_by_account_id`). */
    endedAt: ts('ended_at'),
    endedByUserId: uuid('ended_by_user_id'),
    endedByAccountId: uuid('ended_by_account_id'),
  },
  (t) => [
    primaryKey({ name: 'patient_proxies_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'patient_proxies_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'patient_proxies_account_fk',
      columns: [t.chamberId, t.accountId],
      foreignColumns: [portalAccounts.chamberId, portalAccounts.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'patient_proxies_created_by_fk',
      columns: [t.chamberId, t.createdByUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    // One proxy in force per account and patient; ended ones stay for the record.
    uniqueIndex('patient_proxies_live_unique')
      .on(t.chamberId, t.patientId, t.accountId)
      .where(sql`${t.endedAt} is null`),
    index('patient_proxies_account_idx').on(t.chamberId, t.accountId),
    check(
      'patient_proxies_relationship_length',
      sql`char_length(${t.relationship}) between 1 and 60`,
    ),
  ],
);

/** Single-use invitation and password-reset links; only a hash of the token is stored. */
export const accountTokens = pgTable(
  'account_tokens',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    accountKind: text('account_kind', { enum: ['patient', 'staff'] }).notNull(),
    /** Before portal accounts had ids of their own: the patient. New links name `account_id`. */
    patientId: uuid('patient_id'),
    accountId: uuid('account_id'),
    userId: uuid('user_id'),
    /** `sign_up`: the link of rule 17 that makes a self-signed-up account Active. */
    purpose: text('purpose', { enum: ['invitation', 'reset', 'sign_up'] }).notNull(),
    tokenHash: text('token_hash').notNull(),
    expiresAt: ts('expires_at').notNull(),
    usedAt: ts('used_at'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'account_tokens_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('account_tokens_hash_unique').on(t.tokenHash),
    foreignKey({
      name: 'account_tokens_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'account_tokens_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }),
    foreignKey({
      name: 'account_tokens_account_fk',
      columns: [t.chamberId, t.accountId],
      foreignColumns: [portalAccounts.chamberId, portalAccounts.id],
    }).onDelete('cascade'),
    check(
      'account_tokens_subject',
      sql`(${t.accountKind} = 'patient' and ${t.accountId} is not null and ${t.userId} is null) or (${t.accountKind} = 'staff' and ${t.userId} is not null and ${t.accountId} is null and ${t.patientId} is null)`,
    ),
  ],
);

export const sessions = pgTable(
  'sessions',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    tokenHash: text('token_hash').notNull(),
    kind: text('kind', { enum: ['patient', 'staff'] }).notNull(),
    userId: uuid('user_id'),
    /** A portal session: the patient it acts for now (the account's own, or one it is proxy for). */
    patientId: uuid('patient_id'),
    /** A portal session: the signed-in portal account. */
    accountId: uuid('account_id'),
    createdAt: ts('created_at').notNull(),
    lastSeenAt: ts('last_seen_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    ip: text('ip'),
    /**
     * Rule 19: `full`, or a staff session half signed in: the password is right but a second
     * factor is still due (`second_factor`) or must be set up first (`set_up`). A half session
     * reaches only the routes of its step and lives minutes, not hours.
     */
    stage: text('stage', { enum: ['full', 'second_factor', 'set_up'] })
      .notNull()
      .default('full'),
    /** How the session was signed in: password, passkey or single sign-on (null: before rule 19). */
    method: text('method', { enum: ['password', 'passkey', 'sso'] }),
  },
  (t) => [
    primaryKey({ name: 'sessions_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('sessions_token_hash_unique').on(t.tokenHash),
    foreignKey({
      name: 'sessions_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'sessions_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }).onDelete('cascade'),
    foreignKey({
      name: 'sessions_account_fk',
      columns: [t.chamberId, t.accountId],
      foreignColumns: [portalAccounts.chamberId, portalAccounts.id],
    }).onDelete('cascade'),
    index('sessions_user_idx').on(t.chamberId, t.userId),
    index('sessions_patient_idx').on(t.chamberId, t.patientId),
    index('sessions_account_idx').on(t.chamberId, t.accountId),
    check(
      'sessions_subject',
      sql`(${t.kind} = 'patient' and ${t.patientId} is not null and ${t.userId} is null) or (${t.kind} = 'staff' and ${t.userId} is not null and ${t.patientId} is null)`,
    ),
  ],
);

/** What a conversation is about (SPEC rule 9): each topic routes to one role. */
export const topics = pgTable(
  'topics',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    /** The role a conversation of this topic goes to; if it was deleted, rule 2's role. */
    roleId: uuid('role_id').notNull(),
    /** An inactive topic is no longer offered; its conversations keep it. */
    active: boolean('active').notNull().default(true),
    /** A deleted topic stays for the conversations that have it, never offered again. */
    deletedAt: ts('deleted_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'topics_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'topics_role_fk',
      columns: [t.chamberId, t.roleId],
      foreignColumns: [roles.chamberId, roles.id],
    }),
    uniqueIndex('topics_name_unique')
      .on(t.chamberId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
    check('topics_name_length', sql`char_length(${t.name}) between 1 and 100`),
  ],
);

/**
 * Quick replies (rule 15): a named answer staff insert in the composer, its variables filled for
 * the patient and the user; `role_ids` empty means every staff user may use it.
 */
export const quickReplies = pgTable(
  'quick_replies',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    name: text('name').notNull(),
    text: text('text').notNull(),
    roleIds: uuid('role_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'quick_replies_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('quick_replies_name_unique').on(t.chamberId, sql`lower(${t.name})`),
    check('quick_replies_name_length', sql`char_length(${t.name}) between 1 and 100`),
    check('quick_replies_text_length', sql`char_length(${t.text}) between 1 and 5000`),
  ],
);

/**
 * Rule 19: a staff user's second factors: passkeys (WebAuthn credentials, their public key and
 * signature counter) and at most one authenticator app (its TOTP secret encrypted, and the last
 * time step accepted, so each code is accepted once).
 */
export const staffSecondFactors = pgTable(
  'staff_second_factors',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    userId: uuid('user_id').notNull(),
    kind: text('kind', { enum: ['passkey', 'totp'] }).notNull(),
    name: text('name').notNull(),
    /** Passkey: the credential id, base64url. */
    credentialId: text('credential_id'),
    /** Passkey: the COSE public key, base64url. */
    publicKey: text('public_key'),
    signCount: bigint('sign_count', { mode: 'number' }).notNull().default(0),
    transports: text('transports').array(),
    /** Authenticator app: the secret, encrypted. */
    totpSecret: text('totp_secret'),
    /** Authenticator app: the last 30-second step whose code was accepted. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    createdAt: ts('created_at').notNull(),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    primaryKey({ name: 'staff_second_factors_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'staff_second_factors_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }).onDelete('cascade'),
    index('staff_second_factors_user_idx').on(t.chamberId, t.userId),
    uniqueIndex('staff_second_factors_credential_unique')
      .on(t.credentialId)
      .where(sql`${t.credentialId} is not null`),
    uniqueIndex('staff_second_factors_one_totp')
      .on(t.chamberId, t.userId)
      .where(sql`${t.kind} = 'totp'`),
    check('staff_second_factors_name_length', sql`char_length(${t.name}) between 1 and 100`),
    check(
      'staff_second_factors_kind_fields',
      sql`(${t.kind} = 'passkey' and ${t.credentialId} is not null and ${t.publicKey} is not null) or (${t.kind} = 'totp' and ${t.totpSecret} is not null)`,
    ),
  ],
);

/** Rule 19: a staff user's ten single-use recovery codes, hashed; a used one keeps its row. */
export const staffRecoveryCodes = pgTable(
  'staff_recovery_codes',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    userId: uuid('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    usedAt: ts('used_at'),
  },
  (t) => [
    primaryKey({ name: 'staff_recovery_codes_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'staff_recovery_codes_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }).onDelete('cascade'),
    index('staff_recovery_codes_user_idx').on(t.chamberId, t.userId),
  ],
);

/**
 * Rule 19: a step of sign-in or enrolment waiting for the browser's answer, for a few minutes:
 * a WebAuthn challenge, an authenticator app secret not yet confirmed, or a single sign-on
 * request (its state, nonce and PKCE verifier). Each is used once.
 */
export const authChallenges = pgTable(
  'auth_challenges',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    purpose: text('purpose', {
      enum: ['passkey_register', 'passkey_second_factor', 'passkey_sign_in', 'totp_set_up', 'sso'],
    }).notNull(),
    userId: uuid('user_id'),
    sessionId: uuid('session_id'),
    /** The WebAuthn challenge, or the hash of the single sign-on state. */
    challenge: text('challenge').notNull(),
    /** The TOTP secret (encrypted) or the PKCE code verifier (encrypted). */
    secret: text('secret'),
    nonce: text('nonce'),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'auth_challenges_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('auth_challenges_challenge_unique').on(t.challenge),
    foreignKey({
      name: 'auth_challenges_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }).onDelete('cascade'),
    index('auth_challenges_expires_idx').on(t.expiresAt),
  ],
);

export const conversations = pgTable(
  'conversations',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    startedByKind: text('started_by_kind', { enum: ['patient', 'staff'] }).notNull(),
    /** Any message, whoever may see it. */
    lastMessageAt: ts('last_message_at').notNull(),
    /** The seq of the newest message shared with the patient: the patient's Inbox order. */
    lastPatientVisibleSeq: bigint('last_patient_visible_seq', { mode: 'number' }),
    /** A patient's message waits for a staff message shared with the patient. */
    awaitingReply: boolean('awaiting_reply').notNull().default(false),
    createdAt: ts('created_at').notNull(),
    /** The seq of the newest message, whoever may see it: the team inbox's "newest". */
    lastSeq: bigint('last_seq', { mode: 'number' }).notNull().default(0),
    topicId: uuid('topic_id'),
    /** Optional short title (1–120 characters), seen by everyone who sees the conversation. */
    subject: text('subject'),
    status: text('status', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    assigneeUserId: uuid('assignee_user_id'),
    /** A message of the conversation matched a red flag phrase (rule 14) and was not cleared. */
    redFlag: boolean('red_flag').notNull().default(false),
    /** When the clinic promised a first reply (rule 12); null when not awaiting reply. */
    replyBy: ts('reply_by'),
    /** A patient-started conversation's first staff message shared with the patient (reports). */
    firstReplyAt: ts('first_reply_at'),
    /** The reply-by whose passing was escalated (rule 12: the Escalation role is told once). */
    escalatedReplyBy: ts('escalated_reply_by'),
    /**
     * Rule 13: the end of the closed period (the next opening) an automatic out-of-hours
     * message was sent for, so it is sent once per conversation per closed period.
     */
    outOfHoursAnsweredUntil: ts('out_of_hours_answered_until'),
    /**
     * Who can see the conversation (rule 4 at conversation level), kept by every send in the
     * same statement: the roles any of its messages is shared with, and its staff authors.
     */
    staffRoleIds: uuid('staff_role_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    staffAuthorIds: uuid('staff_author_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** The newest staff message shared with the patient: "Answered by <name>". */
    answeredByUserId: uuid('answered_by_user_id'),
    answeredSeq: bigint('answered_seq', { mode: 'number' }),
    updatedAt: ts('updated_at'),
  },
  (t) => [
    primaryKey({ name: 'conversations_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'conversations_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'conversations_topic_fk',
      columns: [t.chamberId, t.topicId],
      foreignColumns: [topics.chamberId, topics.id],
    }),
    foreignKey({
      name: 'conversations_assignee_fk',
      columns: [t.chamberId, t.assigneeUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    check('conversations_subject_length', sql`char_length(${t.subject}) between 1 and 120`),
    check('conversations_status_values', sql`${t.status} in ('open', 'closed')`),
    // The team inbox's order (rule 10): red flags first, then reply-by soonest (overdue ones
    // are the soonest), then newest. One key in one direction, so a cursor is a row compare.
    index('conversations_team_inbox_idx').on(
      t.chamberId,
      t.status,
      sql`(not ${t.redFlag})`,
      sql`coalesce(${t.replyBy}, 'infinity'::timestamptz)`,
      sql`(-${t.lastSeq})`,
    ),
    index('conversations_assignee_idx')
      .on(t.chamberId, t.assigneeUserId)
      .where(sql`${t.assigneeUserId} is not null`),
    index('conversations_staff_roles_idx').using('gin', t.staffRoleIds),
    index('conversations_patient_idx').on(t.chamberId, t.patientId, t.lastMessageAt),
    // Message Reports: the conversations patients started in a date range.
    index('conversations_reports_idx')
      .on(t.chamberId, t.createdAt)
      .where(sql`${t.startedByKind} = 'patient'`),
    index('conversations_inbox_idx')
      .on(t.chamberId, t.patientId, t.lastPatientVisibleSeq)
      .where(sql`${t.lastPatientVisibleSeq} is not null`),
  ],
);

export const messages = pgTable(
  'messages',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    /** Global order of messages; also the cursor for paging and read state. */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    conversationId: uuid('conversation_id').notNull(),
    patientId: uuid('patient_id').notNull(),
    /** `clinic`: the automatic out-of-hours message (rule 13), written by no person. */
    authorKind: text('author_kind', { enum: ['patient', 'staff', 'clinic'] }).notNull(),
    authorUserId: uuid('author_user_id'),
    /** Rule 18: a patient's message written by their proxy, this portal account. */
    proxyAccountId: uuid('proxy_account_id'),
    /** The author's role as shown to readers, fixed when the message was written. */
    authorRoleName: text('author_role_name'),
    text: text('text').notNull(),
    sharedWithPatient: boolean('shared_with_patient').notNull(),
    /** The text matched a red flag phrase when it was sent (rule 14). */
    redFlag: boolean('red_flag').notNull().default(false),
    /**
     * The staff roles the message is shared with (rule 4). Roles are never removed, only
     * marked deleted, and the service checks each is the chamber's before it writes.
     */
    roleIds: uuid('role_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    createdAt: ts('created_at').notNull(),
    /**
     * Search (rule 16): the text's words, accents folded as `common/search-text.ts` does, made by
     * the database from the text and indexed with GIN.
     */
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      sql.raw(
        `to_tsvector('${SEARCH_CONFIG}'::regconfig, translate("text", '${FOLD_FROM}', '${FOLD_TO}'))`,
      ),
    ),
  },
  (t) => [
    primaryKey({ name: 'messages_pk', columns: [t.chamberId, t.id] }),
    index('messages_search_idx').using('gin', t.searchVector),
    // Search within dates (rule 16): messages are written in time order, so a BRIN index of a
    // few pages finds a day among millions without a B-tree's size.
    index('messages_created_brin').using('brin', t.createdAt),
    uniqueIndex('messages_seq_unique').on(t.seq),
    foreignKey({
      name: 'messages_conversation_fk',
      columns: [t.chamberId, t.conversationId],
      foreignColumns: [conversations.chamberId, conversations.id],
    }),
    foreignKey({
      name: 'messages_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'messages_author_user_fk',
      columns: [t.chamberId, t.authorUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    foreignKey({
      name: 'messages_proxy_account_fk',
      columns: [t.chamberId, t.proxyAccountId],
      foreignColumns: [portalAccounts.chamberId, portalAccounts.id],
    }),
    index('messages_conversation_idx').on(t.chamberId, t.conversationId, t.seq),
    // Live events read a chamber's messages in seq order from a cursor.
    index('messages_chamber_seq_idx').on(t.chamberId, t.seq),
    // Message Reports: patients' messages in a date range, with what rule 4 and the count need
    // (read by an index-only scan).
    index('messages_patient_time_idx')
      .on(t.chamberId, t.createdAt, t.conversationId, t.roleIds)
      .where(sql`${t.authorKind} = 'patient'`),
    check(
      'messages_text_length',
      sql`char_length(${t.text}) between 1 and 5000 and ${t.text} ~ '[^[:space:]]'`,
    ),
    check(
      'messages_author',
      sql`(${t.authorKind} in ('patient', 'clinic') and ${t.authorUserId} is null and ${t.sharedWithPatient}) or (${t.authorKind} = 'staff' and ${t.authorUserId} is not null)`,
    ),
  ],
);

/** Per-reader read state: the newest message seq the reader has seen in a conversation. */
export const conversationReads = pgTable(
  'conversation_reads',
  {
    chamberId: uuid('chamber_id').notNull(),
    conversationId: uuid('conversation_id').notNull(),
    readerKind: text('reader_kind', { enum: ['patient', 'staff'] }).notNull(),
    readerId: uuid('reader_id').notNull(),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    primaryKey({
      name: 'conversation_reads_pk',
      columns: [t.chamberId, t.conversationId, t.readerKind, t.readerId],
    }),
    foreignKey({
      name: 'conversation_reads_conversation_fk',
      columns: [t.chamberId, t.conversationId],
      foreignColumns: [conversations.chamberId, conversations.id],
    }),
  ],
);

export const notifications = pgTable(
  'notifications',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    userId: uuid('user_id').notNull(),
    /**
     * `patient_message`/`staff_message`: one item per conversation while unread, counting its
     * new messages (`message_id` is the newest; `staff_message` once a colleague's is among them).
     * `overdue`: the conversation's reply-by passed (rule 12), one per escalation.
     * `access_change`: an admin act that opened a role's notes to someone new ("Ada Admin
     * joined Nurses"); the sentence, as it read then, is in `detail`.
     */
    kind: text('kind', {
      enum: ['patient_message', 'staff_message', 'overdue', 'access_change'],
    }).notNull(),
    patientId: uuid('patient_id'),
    conversationId: uuid('conversation_id'),
    messageId: uuid('message_id'),
    messageCount: integer('message_count').notNull().default(1),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at'),
    readAt: ts('read_at'),
    /** `access_change` only: what happened, in words (no clinical content). */
    detail: text('detail'),
  },
  (t) => [
    primaryKey({ name: 'notifications_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('notifications_seq_unique').on(t.seq),
    // One unread item per conversation and user.
    uniqueIndex('notifications_unread_conversation_unique')
      .on(t.chamberId, t.userId, t.conversationId)
      .where(sql`${t.readAt} is null and ${t.kind} in ('patient_message', 'staff_message')`),
    foreignKey({
      name: 'notifications_user_fk',
      columns: [t.chamberId, t.userId],
      foreignColumns: [users.chamberId, users.id],
    }),
    foreignKey({
      name: 'notifications_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'notifications_conversation_fk',
      columns: [t.chamberId, t.conversationId],
      foreignColumns: [conversations.chamberId, conversations.id],
    }),
    foreignKey({
      name: 'notifications_message_fk',
      columns: [t.chamberId, t.messageId],
      foreignColumns: [messages.chamberId, messages.id],
    }),
    index('notifications_user_idx').on(t.chamberId, t.userId, t.seq),
    // Live events read a new message's notifications by message (one per role member).
    index('notifications_message_idx').on(t.chamberId, t.messageId),
    index('notifications_unread_idx')
      .on(t.chamberId, t.userId)
      .where(sql`${t.readAt} is null`),
  ],
);

/**
 * The live-event log: what `/api/v1/events` streams, in (xid, seq) order, with the audience that
 * may hear each event (rule 4): the patient (`to_patient`), the members of `role_ids`, and the
 * staff users of `user_ids`. Written in the transaction of its cause; read only below the
 * oldest open transaction, so a stream that has passed an event has seen every earlier one
 * (docs/decisions/0006-no-chamber-wide-lock.md). `data` of a `message` is
 * `{"notify":"later"}` when its role is large: its notifications follow as a `notification`.
 */
export const liveEvents = pgTable(
  'live_events',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    // 'access.changed': written by triggers (migration 0021), heard by no one.
    kind: text('kind', {
      enum: ['message', 'conversation.updated', 'notification', 'access.changed'],
    }).notNull(),
    patientId: uuid('patient_id'),
    conversationId: uuid('conversation_id'),
    messageId: uuid('message_id'),
    toPatient: boolean('to_patient').notNull().default(false),
    roleIds: uuid('role_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    userIds: uuid('user_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    data: jsonb('data'),
    createdAt: ts('created_at').notNull(),
    /** The transaction that wrote the event: events are read in (xid, seq) order (0019). */
    xid: xid8('xid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (t) => [
    primaryKey({ name: 'live_events_pk', columns: [t.seq] }),
    index('live_events_chamber_seq_idx').on(t.chamberId, t.seq),
    index('live_events_chamber_xid_idx').on(t.chamberId, t.xid, t.seq),
  ],
);

/** Durable background work (email), written in the same transaction as its cause. */
export const jobs = pgTable(
  'jobs',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    state: text('state', { enum: ['pending', 'running', 'done', 'failed'] }).notNull(),
    /** While pending, a second job with the same key is absorbed by the first. */
    dedupeKey: text('dedupe_key'),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull(),
    runAt: ts('run_at').notNull(),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    primaryKey({ name: 'jobs_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('jobs_pending_dedupe_unique')
      .on(t.chamberId, t.dedupeKey)
      .where(sql`${t.state} = 'pending' and ${t.dedupeKey} is not null`),
    index('jobs_due_idx')
      .on(t.runAt)
      .where(sql`${t.state} in ('pending', 'running')`),
    check('jobs_state_values', sql`${t.state} in ('pending', 'running', 'done', 'failed')`),
  ],
);

/** First result of a send, kept so a retry with the same Idempotency-Key returns it. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    actorKey: text('actor_key').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: jsonb('response_body').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ name: 'idempotency_keys_pk', columns: [t.chamberId, t.actorKey, t.key] })],
);

/** Append-only record of sign-ins, reads and writes (SPEC rule 6). */
export const auditEvents = pgTable(
  'audit_events',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    at: ts('at').notNull(),
    action: text('action').notNull(),
    actorKind: text('actor_kind', {
      enum: ['staff', 'patient', 'system', 'anonymous', 'integration'],
    }).notNull(),
    actorUserId: uuid('actor_user_id'),
    actorPatientId: uuid('actor_patient_id'),
    /** Who acted, as shown in System Activity (a name or a sign-in email). */
    actorLabel: text('actor_label'),
    patientId: uuid('patient_id'),
    subjectType: text('subject_type'),
    subjectId: text('subject_id'),
    ip: inet('ip'),
    details: jsonb('details'),
    /**
     * The transaction that wrote the row: the sealer chains rows onto their chamber's chain
     * (audit_seals) once no open transaction can still write below them (migration 0019).
     */
    xid: xid8('xid')
      .notNull()
      .default(sql`pg_current_xact_id()`),
  },
  (t) => [
    primaryKey({ name: 'audit_events_pk', columns: [t.chamberId, t.id] }),
    index('audit_events_xid_idx').on(t.xid),
    index('audit_events_at_idx').on(t.chamberId, t.at),
    index('audit_events_patient_idx').on(t.chamberId, t.patientId, t.at),
    index('audit_events_user_idx').on(t.chamberId, t.actorUserId, t.at),
  ],
);

/**
 * The audit log's hash chain, one per chamber, written by the sealer (the worker) after the
 * rows' commits, never by a request: link number chain_seq is audit row audit_event_id, with
 * hash = sha256(prev_hash || audit_event_canonical(row, chain_seq)) and prev_hash the previous
 * link's hash (migration 0019; 0007 wrote the same hashes into audit_events). Insert-only.
 */
export const auditSeals = pgTable(
  'audit_seals',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    chainSeq: bigint('chain_seq', { mode: 'number' }).notNull(),
    auditEventId: bigint('audit_event_id', { mode: 'number' }).notNull(),
    prevHash: bytea('prev_hash').notNull(),
    hash: bytea('hash').notNull(),
    sealedAt: ts('sealed_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'audit_seals_pk', columns: [t.chamberId, t.chainSeq] }),
    uniqueIndex('audit_seals_event_unique').on(t.chamberId, t.auditEventId),
  ],
);

/**
 * The sealer's runs: every audit row written by a transaction below `horizon` is sealed (the
 * newest run's horizon is the sealer's progress). Insert-only.
 */
export const auditSealRuns = pgTable(
  'audit_seal_runs',
  {
    id: bigint('id', { mode: 'number' }).generatedAlwaysAsIdentity().primaryKey(),
    horizon: xid8('horizon').notNull(),
    rows: integer('rows').notNull(),
    sealedAt: ts('sealed_at').notNull(),
  },
  (t) => [index('audit_seal_runs_horizon_idx').on(t.horizon)],
);

export type Chamber = typeof chambers.$inferSelect;
export type Role = typeof roles.$inferSelect;
export type User = typeof users.$inferSelect;
export type ChargeBand = typeof chargeBands.$inferSelect;
export type Patient = typeof patients.$inferSelect;
export type PortalAccount = typeof portalAccounts.$inferSelect;
export type PatientProxy = typeof patientProxies.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type Conversation = typeof conversations.$inferSelect;
export type Topic = typeof topics.$inferSelect;
export type Job = typeof jobs.$inferSelect;

/** Files of a patient (letters, results, photos), stored outside the database; rule 5 applies when shared. */
export const documents = pgTable(
  'documents',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    title: text('title').notNull(),
    /** The type read from the file's content, never from its name. */
    contentType: text('content_type').notNull(),
    extension: text('extension').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    sha256: text('sha256').notNull(),
    sharedWithPatient: boolean('shared_with_patient').notNull(),
    uploadedByKind: text('uploaded_by_kind', { enum: ['patient', 'staff'] }).notNull(),
    uploadedByUserId: uuid('uploaded_by_user_id'),
    createdAt: ts('created_at').notNull(),
    sharedAt: ts('shared_at'),
  },
  (t) => [
    primaryKey({ name: 'documents_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'documents_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'documents_uploaded_by_fk',
      columns: [t.chamberId, t.uploadedByUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    index('documents_patient_idx').on(t.chamberId, t.patientId, t.createdAt),
    check('documents_title_length', sql`char_length(${t.title}) between 1 and 200`),
    check('documents_size', sql`${t.sizeBytes} > 0`),
  ],
);

/** Medical data shared with a patient: a result or a letter, as text or with a document. */
export const medicalItems = pgTable(
  'medical_items',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    patientId: uuid('patient_id').notNull(),
    kind: text('kind', { enum: ['result', 'letter'] }).notNull(),
    title: text('title').notNull(),
    itemDate: date('item_date', { mode: 'string' }).notNull(),
    body: text('body'),
    documentId: uuid('document_id'),
    sharedWithPatient: boolean('shared_with_patient').notNull(),
    createdByUserId: uuid('created_by_user_id').notNull(),
    createdAt: ts('created_at').notNull(),
    sharedAt: ts('shared_at'),
  },
  (t) => [
    primaryKey({ name: 'medical_items_pk', columns: [t.chamberId, t.id] }),
    foreignKey({
      name: 'medical_items_patient_fk',
      columns: [t.chamberId, t.patientId],
      foreignColumns: [patients.chamberId, patients.id],
    }),
    foreignKey({
      name: 'medical_items_document_fk',
      columns: [t.chamberId, t.documentId],
      foreignColumns: [documents.chamberId, documents.id],
    }),
    foreignKey({
      name: 'medical_items_created_by_fk',
      columns: [t.chamberId, t.createdByUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    index('medical_items_patient_idx').on(t.chamberId, t.patientId, t.itemDate),
    check('medical_items_kind_values', sql`${t.kind} in ('result', 'letter')`),
    check('medical_items_title_length', sql`char_length(${t.title}) between 1 and 200`),
    check('medical_items_body_length', sql`${t.body} is null or char_length(${t.body}) <= 20000`),
    check('medical_items_content', sql`${t.body} is not null or ${t.documentId} is not null`),
  ],
);

/** Documents attached to a message; a document is attached to at most one message. */
export const messageAttachments = pgTable(
  'message_attachments',
  {
    chamberId: uuid('chamber_id').notNull(),
    messageId: uuid('message_id').notNull(),
    documentId: uuid('document_id').notNull(),
  },
  (t) => [
    primaryKey({
      name: 'message_attachments_pk',
      columns: [t.chamberId, t.messageId, t.documentId],
    }),
    uniqueIndex('message_attachments_document_unique').on(t.chamberId, t.documentId),
    foreignKey({
      name: 'message_attachments_message_fk',
      columns: [t.chamberId, t.messageId],
      foreignColumns: [messages.chamberId, messages.id],
    }),
    foreignKey({
      name: 'message_attachments_document_fk',
      columns: [t.chamberId, t.documentId],
      foreignColumns: [documents.chamberId, documents.id],
    }),
  ],
);

/**
 * Integration clients of a chamber (FHIR R4 read API): OAuth 2.0 client-credentials clients.
 * `client_id` is unique across the deployment (chamber key + name); only a SHA-256 hash of the
 * random 256-bit secret is stored. Revoked clients stay for the audit log.
 */
export const integrationClients = pgTable(
  'integration_clients',
  {
    chamberId: uuid('chamber_id')
      .notNull()
      .references(() => chambers.id),
    id: uuid('id').notNull(),
    clientId: text('client_id').notNull(),
    name: text('name').notNull(),
    /** Granted SMART scopes, space-separated as on the wire. */
    scopes: text('scopes').notNull(),
    secretHash: text('secret_hash').notNull(),
    createdByUserId: uuid('created_by_user_id'),
    createdAt: ts('created_at').notNull(),
    lastTokenAt: ts('last_token_at'),
    revokedAt: ts('revoked_at'),
    revokedByUserId: uuid('revoked_by_user_id'),
  },
  (t) => [
    primaryKey({ name: 'integration_clients_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('integration_clients_client_id_unique').on(t.clientId),
    uniqueIndex('integration_clients_name_unique')
      .on(t.chamberId, sql`lower(${t.name})`)
      .where(sql`${t.revokedAt} is null`),
    foreignKey({
      name: 'integration_clients_created_by_fk',
      columns: [t.chamberId, t.createdByUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    foreignKey({
      name: 'integration_clients_revoked_by_fk',
      columns: [t.chamberId, t.revokedByUserId],
      foreignColumns: [users.chamberId, users.id],
    }),
    check(
      'integration_clients_client_id_format',
      sql`${t.clientId} ~ '^[a-z0-9][a-z0-9-]{0,127}$'`,
    ),
    check('integration_clients_name_length', sql`char_length(${t.name}) between 1 and 100`),
    check('integration_clients_scopes_length', sql`char_length(${t.scopes}) between 1 and 1000`),
  ],
);

/** Short-lived opaque bearer tokens for the FHIR API; only a SHA-256 hash is stored. */
export const integrationTokens = pgTable(
  'integration_tokens',
  {
    chamberId: uuid('chamber_id').notNull(),
    id: uuid('id').notNull(),
    integrationClientId: uuid('integration_client_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    scopes: text('scopes').notNull(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [
    primaryKey({ name: 'integration_tokens_pk', columns: [t.chamberId, t.id] }),
    uniqueIndex('integration_tokens_hash_unique').on(t.tokenHash),
    foreignKey({
      name: 'integration_tokens_client_fk',
      columns: [t.chamberId, t.integrationClientId],
      foreignColumns: [integrationClients.chamberId, integrationClients.id],
    }).onDelete('cascade'),
    index('integration_tokens_client_idx').on(t.chamberId, t.integrationClientId, t.expiresAt),
  ],
);

export type IntegrationClient = typeof integrationClients.$inferSelect;

/**
 * Request counters of the rate limits that must hold across every web process (sign-in, reset):
 * one row per key and fixed window, counted with an upsert; the worker deletes ended windows.
 */
export const rateLimitCounters = pgTable(
  'rate_limit_counters',
  {
    key: text('key').notNull(),
    windowEndsAt: ts('window_ends_at').notNull(),
    hits: integer('hits').notNull(),
  },
  (t) => [
    primaryKey({ name: 'rate_limit_counters_pk', columns: [t.key, t.windowEndsAt] }),
    index('rate_limit_counters_window_idx').on(t.windowEndsAt),
  ],
);
