import { Type, type Static } from 'typebox';
import { EmailAddress, MessagingEligibility, PersonName } from './auth.js';
import { Id, Named, Nullable, Timestamp } from './common.js';

/**
 * Start Page > Patient > Find and Select patient > Patient Record, and the portal account
 * actions on it (Invite, Reset Portal Login, Unblock Portal User, disable, enable).
 */

/** A date of birth: `YYYY-MM-DD`. */
export const DateOfBirth = Type.String({
  pattern: '^\\d{4}-\\d{2}-\\d{2}$',
  description: 'YYYY-MM-DD',
});

const Mobile = Nullable(Type.String({ maxLength: 30, pattern: '^[+0-9 ()-]*$' }));

/** `GET /patients?query=`: a name (each word the start of a name), a date of birth or an email. */
export const PatientSearchQuery = Type.Object(
  {
    query: Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'name words, a date of birth (1980-04-30 or 30/04/1980) or an email',
    }),
  },
  { additionalProperties: false },
);
export type PatientSearchQuery = Static<typeof PatientSearchQuery>;

/** One patient found by Find and Select patient. */
export const PatientHit = Type.Object(
  {
    id: Id,
    name: Type.String({ description: 'given and family name' }),
    givenName: Type.String(),
    familyName: Type.String(),
    dateOfBirth: DateOfBirth,
    email: Nullable(Type.String()),
    chargeBandName: Type.String(),
  },
  { additionalProperties: false },
);
export type PatientHit = Static<typeof PatientHit>;

export const PatientSearchResult = Type.Object(
  { patients: Type.Array(PatientHit, { description: 'at most 20, by family and given name' }) },
  { additionalProperties: false },
);
export type PatientSearchResult = Static<typeof PatientSearchResult>;

/** States of a portal account (SPEC: Invited, Active, Blocked, Disabled). */
export const PortalAccountState = Type.Union(
  [
    Type.Literal('invited'),
    Type.Literal('active'),
    Type.Literal('blocked'),
    Type.Literal('disabled'),
  ],
  { description: 'Invited, Active, Blocked (after 5 failed sign-ins) or Disabled' },
);
export type PortalAccountState = Static<typeof PortalAccountState>;

/** The patient's portal account as the Patient Record shows it. */
export const PortalAccount = Type.Object(
  {
    email: Type.String({ description: 'the user name' }),
    state: PortalAccountState,
    failedSignIns: Type.Integer({ description: 'failed sign-ins in a row' }),
    invitedAt: Nullable(Timestamp),
    activatedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);
export type PortalAccount = Static<typeof PortalAccount>;

/**
 * "Signed up online" (rule 17): when the patient signed up in the portal, and whether the
 * sign-up linked this existing record (same email and date of birth) or made it.
 */
export const SignedUpOnline = Type.Object(
  {
    at: Timestamp,
    linked: Type.Boolean({
      description:
        'true: linked to this existing record by email and date of birth; false: the record was made by the sign-up',
    }),
  },
  {
    additionalProperties: false,
    description: 'null when the patient did not sign up online',
  },
);
export type SignedUpOnline = Static<typeof SignedUpOnline>;

/** The Patient Record, with the portal account and whether the patient may message (rule 1). */
export const PatientRecord = Type.Object(
  {
    id: Id,
    givenName: Type.String(),
    familyName: Type.String(),
    name: Type.String({ description: 'given and family name' }),
    dateOfBirth: DateOfBirth,
    email: Nullable(Type.String()),
    mobile: Nullable(Type.String()),
    emailConsent: Type.Boolean({ description: 'the patient agrees to be emailed (rule 5)' }),
    chargeBand: Named,
    portalAccount: Nullable(PortalAccount),
    messaging: MessagingEligibility,
    signedUpOnline: Type.Optional(Nullable(SignedUpOnline)),
  },
  { additionalProperties: false },
);
export type PatientRecord = Static<typeof PatientRecord>;

/** `POST /patients`: a new patient; on an Allow And Notify band with an email, invited at once. */
export const NewPatient = Type.Object(
  {
    givenName: PersonName(100),
    familyName: PersonName(100),
    dateOfBirth: DateOfBirth,
    email: Type.Optional(Nullable(EmailAddress)),
    mobile: Type.Optional(Mobile),
    chargeBandId: Id,
    emailConsent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type NewPatient = Static<typeof NewPatient>;

/** `PATCH /patients/:id`: the fields to change; a new charge band applies to messaging at once. */
export const PatientChanges = Type.Object(
  {
    givenName: Type.Optional(PersonName(100)),
    familyName: Type.Optional(PersonName(100)),
    dateOfBirth: Type.Optional(DateOfBirth),
    email: Type.Optional(Nullable(EmailAddress)),
    mobile: Type.Optional(Mobile),
    chargeBandId: Type.Optional(Id),
    emailConsent: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type PatientChanges = Static<typeof PatientChanges>;

/** The actions on a patient's portal account: `POST /api/v1/patients/:id/portal-account/<action>`. */
export const PORTAL_ACCOUNT_ACTIONS = ['invite', 'reset', 'unblock', 'disable', 'enable'] as const;
export type PortalAccountAction = (typeof PORTAL_ACCOUNT_ACTIONS)[number];
