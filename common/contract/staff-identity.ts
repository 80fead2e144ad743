import { Type, type Static } from 'typebox';
import { ChamberKey } from './auth.js';
import { Id, Nullable, Timestamp } from './common.js';

/**
 * Rule 19, staff identity: second factors (passkeys, an authenticator app, recovery codes), the
 * second step of sign-in, and single sign-on through OpenID Connect.
 */

/** How a half-signed-in staff user can finish. */
export const SecondFactorMethod = Type.Union(
  [Type.Literal('passkey'), Type.Literal('totp'), Type.Literal('recovery_code')],
  {
    description:
      'passkey (WebAuthn), totp (a 6-digit code from an authenticator app), recovery_code (one of the ten single-use codes)',
  },
);
export type SecondFactorMethod = Static<typeof SecondFactorMethod>;

/**
 * The answer of `POST /staff/session` (and of `GET /staff/session/second-factor`) when the password
 * was right but sign-in is not finished: a second factor is due (`second_factor`), or the chamber
 * requires one and the user has none yet (`set_up_second_factor`: only the routes under
 * `/api/v1/me/second-factors` answer until one is added).
 */
export const SecondFactorDue = Type.Object(
  {
    next: Type.Union([Type.Literal('second_factor'), Type.Literal('set_up_second_factor')]),
    methods: Type.Array(SecondFactorMethod, {
      description: 'the methods this user can use now (to set up, for set_up_second_factor)',
    }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type SecondFactorDue = Static<typeof SecondFactorDue>;

/**
 * A WebAuthn answer from the browser (`@simplewebauthn/browser`'s `startAuthentication` or
 * `startRegistration` result), checked by the server; only its outline is declared here.
 */
export const WebAuthnResponse = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 1400 }),
    rawId: Type.String({ minLength: 1, maxLength: 1400 }),
    type: Type.Literal('public-key'),
    response: Type.Record(Type.String(), Type.Unknown()),
    clientExtensionResults: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 40 })),
  },
  { additionalProperties: false, description: "the browser's WebAuthn answer, as JSON" },
);
export type WebAuthnResponse = Static<typeof WebAuthnResponse>;

/** A credential the browser may use or must not create again (WebAuthn, as JSON). */
const CredentialDescriptor = Type.Object(
  {
    id: Type.String({ description: 'base64url' }),
    type: Type.Literal('public-key'),
    transports: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: false },
);
const Extensions = Type.Object(
  { credProps: Type.Optional(Type.Boolean()), appid: Type.Optional(Type.String()) },
  { additionalProperties: false },
);
const Hints = Type.Optional(Type.Array(Type.String()));

/** `PublicKeyCredentialRequestOptionsJSON`: for `navigator.credentials.get` (a sign-in). */
const RequestOptions = Type.Object(
  {
    challenge: Type.String({ description: 'base64url' }),
    timeout: Type.Optional(Type.Number()),
    rpId: Type.Optional(Type.String()),
    allowCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    userVerification: Type.Optional(Type.String()),
    hints: Hints,
    extensions: Type.Optional(Extensions),
  },
  { additionalProperties: false },
);

/** `PublicKeyCredentialCreationOptionsJSON`: for `navigator.credentials.create` (Add passkey). */
const CreationOptions = Type.Object(
  {
    rp: Type.Object(
      { name: Type.String(), id: Type.Optional(Type.String()) },
      { additionalProperties: false },
    ),
    user: Type.Object(
      { id: Type.String(), name: Type.String(), displayName: Type.String() },
      { additionalProperties: false },
    ),
    challenge: Type.String({ description: 'base64url' }),
    pubKeyCredParams: Type.Array(
      Type.Object(
        { alg: Type.Integer(), type: Type.Literal('public-key') },
        { additionalProperties: false },
      ),
    ),
    timeout: Type.Optional(Type.Number()),
    excludeCredentials: Type.Optional(Type.Array(CredentialDescriptor)),
    authenticatorSelection: Type.Optional(
      Type.Object(
        {
          authenticatorAttachment: Type.Optional(Type.String()),
          requireResidentKey: Type.Optional(Type.Boolean()),
          residentKey: Type.Optional(Type.String()),
          userVerification: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    hints: Hints,
    attestation: Type.Optional(Type.String()),
    attestationFormats: Type.Optional(Type.Array(Type.String())),
    extensions: Type.Optional(Extensions),
  },
  { additionalProperties: false },
);

/** Options for `navigator.credentials.get` (a passkey sign-in or second step), with the challenge's id. */
export const WebAuthnOptions = Type.Object(
  { challengeId: Id, options: RequestOptions },
  { additionalProperties: false },
);
export type WebAuthnOptions = Static<typeof WebAuthnOptions>;

/** Options for `navigator.credentials.create` (Add passkey), with the challenge's id. */
export const WebAuthnCreationOptions = Type.Object(
  { challengeId: Id, options: CreationOptions },
  { additionalProperties: false },
);
export type WebAuthnCreationOptions = Static<typeof WebAuthnCreationOptions>;

/** A 6-digit authenticator code, or a recovery code (`xxxx-xxxx-xxxx`). */
const Code = Type.String({ minLength: 1, maxLength: 40 });

/**
 * `POST /staff/session/second-factor`: a code (authenticator app or recovery code), or a passkey's
 * assertion for the challenge from `POST /staff/session/second-factor/passkey-options`.
 */
export const SecondFactorAnswer = Type.Union([
  Type.Object(
    {
      method: Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')]),
      code: Code,
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { method: Type.Literal('passkey'), challengeId: Id, response: WebAuthnResponse },
    { additionalProperties: false },
  ),
]);
export type SecondFactorAnswer = Static<typeof SecondFactorAnswer>;

/** `POST /staff/passkey-options`: a passkey sign-in (no password) starts with the clinic code. */
export const PasskeySignInStart = Type.Object(
  { chamber: ChamberKey },
  { additionalProperties: false },
);
export type PasskeySignInStart = Static<typeof PasskeySignInStart>;

/** `POST /staff/session/passkey`: a passkey in place of the password and the second factor. */
export const PasskeySignIn = Type.Object(
  { chamber: ChamberKey, challengeId: Id, response: WebAuthnResponse },
  { additionalProperties: false },
);
export type PasskeySignIn = Static<typeof PasskeySignIn>;

/** One of a staff user's second factors, as their Two-step verification page lists it. */
export const SecondFactor = Type.Object(
  {
    id: Id,
    kind: Type.Union([Type.Literal('passkey'), Type.Literal('totp')]),
    name: Type.String(),
    createdAt: Timestamp,
    lastUsedAt: Nullable(Timestamp),
  },
  { additionalProperties: false },
);
export type SecondFactor = Static<typeof SecondFactor>;

/** `GET /api/v1/me/second-factors`: the user's factors and what they can do. */
export const SecondFactors = Type.Object(
  {
    factors: Type.Array(SecondFactor),
    recoveryCodesLeft: Type.Integer({ description: 'unused recovery codes (0 to 10)' }),
    required: Type.Boolean({
      description: 'Require two-step verification for staff is on in this chamber',
    }),
    passkeys: Type.Object(
      {
        available: Type.Boolean({
          description:
            'false when the product is reached by an IP address (WebAuthn needs a domain name)',
        }),
        rpId: Type.String({ description: 'the domain passkeys are bound to' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type SecondFactors = Static<typeof SecondFactors>;

/** A factor's name as the user calls it ("Work laptop", "Phone"). */
const FactorName = Type.String({ minLength: 1, maxLength: 100 });

/** `POST /me/second-factors/passkeys`: the new credential, for the challenge from `.../passkeys/options`. */
export const NewPasskey = Type.Object(
  { name: FactorName, challengeId: Id, response: WebAuthnResponse },
  { additionalProperties: false },
);
export type NewPasskey = Static<typeof NewPasskey>;

/** `POST /me/second-factors/totp/set-up`: the secret to scan, kept unconfirmed for 10 minutes. */
export const TotpSetUp = Type.Object(
  {
    challengeId: Id,
    secret: Type.String({ description: 'base32, to type into the app by hand' }),
    uri: Type.String({ description: 'otpauth:// URI, for the QR code' }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);
export type TotpSetUp = Static<typeof TotpSetUp>;

/** `POST /me/second-factors/totp`: a code from the app confirms the secret. */
export const ConfirmTotp = Type.Object(
  { challengeId: Id, code: Code, name: Type.Optional(FactorName) },
  { additionalProperties: false },
);
export type ConfirmTotp = Static<typeof ConfirmTotp>;

/** Ten new single-use recovery codes: shown once, stored hashed; older ones stop working. */
export const RecoveryCodes = Type.Object(
  { codes: Type.Array(Type.String(), { minItems: 10, maxItems: 10 }) },
  { additionalProperties: false },
);
export type RecoveryCodes = Static<typeof RecoveryCodes>;

/**
 * The answer of adding a factor. The first factor comes with the ten recovery codes (shown once);
 * a session that had to set one up (`set_up_second_factor`) is now fully signed in.
 */
export const FactorAdded = Type.Object(
  {
    factor: SecondFactor,
    recoveryCodes: Nullable(Type.Array(Type.String())),
    signedIn: Type.Boolean({ description: 'the session was half signed in and now is fully' }),
  },
  { additionalProperties: false },
);
export type FactorAdded = Static<typeof FactorAdded>;

/** `GET /staff/sign-in-options?chamber=`: what the sign-in page offers for this clinic. */
export const SignInOptionsQuery = Type.Object(
  { chamber: ChamberKey },
  { additionalProperties: false },
);
export type SignInOptionsQuery = Static<typeof SignInOptionsQuery>;

export const SignInOptions = Type.Object(
  {
    singleSignOn: Nullable(
      Type.Object(
        {
          name: Type.String({ description: 'shown as "Sign in with <name>"' }),
          startUrl: Type.String({ description: '/api/v1/staff/sso/start?chamber=…' }),
        },
        { additionalProperties: false },
      ),
    ),
    passwordSignIn: Type.Boolean({
      description: 'false: staff sign in through single sign-on (administrators keep a password)',
    }),
    passkeys: Type.Boolean({ description: 'passkeys can be used at this address' }),
  },
  { additionalProperties: false },
);
export type SignInOptions = Static<typeof SignInOptions>;

/** `GET /staff/sso/start?chamber=`. */
export const SsoStartQuery = Type.Object({ chamber: ChamberKey }, { additionalProperties: false });
export type SsoStartQuery = Static<typeof SsoStartQuery>;

/** Admin > Configuration > Security > Single sign-on, as read (the client secret is never shown). */
export const SsoSettings = Type.Object(
  {
    configured: Type.Boolean(),
    issuer: Nullable(Type.String()),
    clientId: Nullable(Type.String()),
    clientSecretSet: Type.Boolean(),
    name: Nullable(Type.String({ description: 'the name on the sign-in button' })),
    allowPasswordSignIn: Type.Boolean(),
    redirectUri: Type.String({ description: 'to register at the provider' }),
  },
  { additionalProperties: false },
);
export type SsoSettings = Static<typeof SsoSettings>;

/** `PUT /admin/sso`: the provider is looked up (OpenID discovery) before anything is saved. */
export const SsoSettingsChanges = Type.Object(
  {
    issuer: Type.String({ minLength: 1, maxLength: 500, description: 'https URL of the issuer' }),
    clientId: Type.String({ minLength: 1, maxLength: 500 }),
    clientSecret: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'left out: the saved secret is kept',
      }),
    ),
    name: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 60 }))),
    allowPasswordSignIn: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type SsoSettingsChanges = Static<typeof SsoSettingsChanges>;
