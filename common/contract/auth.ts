import { Type, type Static } from 'typebox';
import { VISIBLE_NAME_PATTERN } from '../visible-text.js';
import { Id, Named, Nullable } from './common.js';
import { EligibilityCode } from './messaging.js';

/**
 * Sign-in, sign-out and password links, for staff (`/api/v1/staff/...`) and patients
 * (`/api/v1/portal/...`): the same requests for both kinds of account, different answers.
 */

/** An email address as a user name or a contact address. */
export const EmailAddress = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^[^\\s@<>()",;:\\\\]+@[^\\s@<>()",;:\\\\]+\\.[^\\s@<>()",;:\\\\]+$',
});

/**
 * A person's name: no control characters (so it can never break an email header), and at least
 * one character that shows (not only spaces or zero-width characters).
 */
export const PersonName = (max: number) =>
  Type.String({
    minLength: 1,
    maxLength: max,
    pattern: VISIBLE_NAME_PATTERN,
  });

/** The chamber key typed at sign-in (the clinic code, e.g. `demo`). */
export const ChamberKey = Type.String({
  minLength: 1,
  maxLength: 63,
  description: 'the clinic code (chamber key), e.g. "demo"',
});

/** `POST /staff/session` and `POST /portal/session`. */
export const SignIn = Type.Object(
  {
    chamber: ChamberKey,
    email: Type.String({ minLength: 1, maxLength: 254, description: 'the user name' }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type SignIn = Static<typeof SignIn>;

/** `POST /staff/password-reset` and `POST /portal/password-reset` ("Forgotten password"). */
export const PasswordResetRequest = Type.Object(
  { chamber: ChamberKey, email: EmailAddress },
  { additionalProperties: false },
);
export type PasswordResetRequest = Static<typeof PasswordResetRequest>;

/** The answer to a reset request: the same whether the email belongs to an account or not. */
export const PasswordResetAccepted = Type.Object(
  { message: Type.String({ description: 'what to tell the person, known email or not' }) },
  { additionalProperties: false },
);
export type PasswordResetAccepted = Static<typeof PasswordResetAccepted>;

/** `POST /staff/password` and `POST /portal/password`: a new password with an emailed link. */
export const SetPassword = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the token of the invitation or reset link',
    }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type SetPassword = Static<typeof SetPassword>;

/** Whether a patient may message now (rule 1); the portal shows the Inbox only when allowed. */
export const MessagingEligibility = Type.Object(
  {
    allowed: Type.Boolean(),
    reason: Type.Union([EligibilityCode, Type.Null()], {
      description:
        'the first missing condition: portal_disabled (the Patient Portal is off), account_not_active (the portal account is not Active), band_not_online (the charge band has no online access), messaging_not_allowed (Allow online messaging is not ticked)',
    }),
    message: Nullable(Type.String({ description: 'the reason, in a sentence for the patient' })),
  },
  { additionalProperties: false },
);
export type MessagingEligibility = Static<typeof MessagingEligibility>;

/** The clinic the session belongs to, as both apps show it. */
export const SessionChamber = Type.Object(
  {
    key: Type.String({ description: 'the clinic code typed at sign-in' }),
    name: Type.String(),
    timeZone: Type.String({ description: 'IANA time zone times are shown in (rule 7)' }),
  },
  { additionalProperties: false },
);
export type SessionChamber = Static<typeof SessionChamber>;

const SessionIdleMinutes = Type.Integer({
  description: 'minutes without activity after which the session ends (rule 8)',
});

/** The signed-in staff user: the answer of sign-in and of `GET /staff/session`. */
export const StaffSession = Type.Object(
  {
    user: Type.Object(
      {
        id: Id,
        name: Type.String(),
        email: Type.String(),
        isAdmin: Type.Boolean({ description: 'holds the admin permission' }),
        roles: Type.Array(Named, { description: 'the roles the user holds, by name' }),
      },
      { additionalProperties: false },
    ),
    chamber: SessionChamber,
    sessionIdleMinutes: SessionIdleMinutes,
  },
  { additionalProperties: false },
);
export type StaffSession = Static<typeof StaffSession>;

/** One patient the signed-in portal account may act for. */
export const ActingForPatient = Type.Object(
  {
    id: Id,
    name: Type.String(),
    /** null: the account's own patient record; else how the account's holder is related. */
    relationship: Nullable(Type.String()),
  },
  { additionalProperties: false },
);
export type ActingForPatient = Static<typeof ActingForPatient>;

/** The signed-in portal account and the patient it acts for: sign-in and `GET /portal/session`. */
export const PortalSession = Type.Object(
  {
    patient: Type.Object(
      { id: Id, name: Type.String() },
      { additionalProperties: false, description: 'the patient the session acts for (rule 18)' },
    ),
    account: Type.Object(
      { id: Id, name: Type.String(), email: Type.String() },
      { additionalProperties: false, description: 'the signed-in portal account' },
    ),
    actingFor: Type.Array(ActingForPatient, {
      description: 'every patient the account may act for: own record first, then by name',
    }),
    chamber: SessionChamber,
    messaging: MessagingEligibility,
    sessionIdleMinutes: SessionIdleMinutes,
  },
  { additionalProperties: false },
);
export type PortalSession = Static<typeof PortalSession>;
