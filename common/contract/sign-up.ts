import { Type, type Static } from 'typebox';
import { ChamberKey, EmailAddress, PersonName } from './auth.js';
import { DateOfBirth } from './patients.js';

/**
 * Self sign-up (SPEC rule 17): `POST /api/v1/portal/sign-up` and the emailed link that confirms
 * it, `POST /api/v1/portal/sign-up/confirm`. A malformed sign-up is refused with 422 and its
 * field; every sign-up that is well formed gets the same 202 answer, whatever is stored.
 */

/** `POST /portal/sign-up`: the sign-up form. */
export const SignUp = Type.Object(
  {
    chamber: ChamberKey,
    inviteCode: Type.String({
      minLength: 1,
      maxLength: 64,
      description:
        'the Online sign-up invite code of a charge band with online access (letter case and spaces around it do not matter)',
    }),
    firstName: PersonName(100),
    lastName: PersonName(100),
    dateOfBirth: DateOfBirth,
    email: EmailAddress,
    password: Type.String({
      minLength: 1,
      maxLength: 200,
      description:
        'at least 10 characters with a letter and a digit, not a leaked password, and hard to guess',
    }),
    emailConsent: Type.Boolean({
      description:
        'the patient agrees to be emailed when something new waits in the portal (rule 5)',
    }),
  },
  { additionalProperties: false },
);
export type SignUp = Static<typeof SignUp>;

/** The answer to every well-formed sign-up: the same whatever the code, the email and the patient. */
export const SignUpAccepted = Type.Object(
  { message: Type.String({ description: 'what to tell the person: check your email' }) },
  { additionalProperties: false },
);
export type SignUpAccepted = Static<typeof SignUpAccepted>;

/**
 * `POST /portal/sign-up/confirm`: the token of the emailed link, and the password chosen on the
 * sign-up form. Both are needed, so the account becomes Active only for the person who both
 * chose its password and reads that email: someone who signed up with another person's email
 * (and date of birth, to link their record) cannot have it activated by a careless click.
 */
export const ConfirmSignUp = Type.Object(
  {
    token: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the token of the emailed sign-up link',
    }),
    password: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'the password chosen on the sign-up form',
    }),
  },
  { additionalProperties: false },
);
export type ConfirmSignUp = Static<typeof ConfirmSignUp>;

/** The answer to a confirmed sign-up: the account is Active; the clinic to sign in to. */
export const SignUpConfirmed = Type.Object(
  {
    chamber: Type.Object(
      {
        key: Type.String({ description: 'the clinic code to sign in with' }),
        name: Type.String(),
      },
      { additionalProperties: false },
    ),
    email: Type.String({ description: 'the email to sign in with' }),
  },
  { additionalProperties: false },
);
export type SignUpConfirmed = Static<typeof SignUpConfirmed>;
