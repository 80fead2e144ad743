import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type WebAuthnCredential,
} from '@simplewebauthn/server';
import { describe, expect, it } from 'vitest';
import { createSoftAuthenticator, type AuthenticateOptions } from './soft-authenticator.js';

const rpID = 'localhost';
const origin = 'http://localhost:3000';

/** Enrols one passkey through the real library and answers what a server would store. */
async function enrol(userVerified = true) {
  const authenticator = createSoftAuthenticator({ origin });
  const options = await generateRegistrationOptions({
    rpName: 'Portal',
    rpID,
    userName: 'nurse@example.test',
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  });
  const response = authenticator.register(options, { userVerified });
  const result = await verifyRegistrationResponse({
    response,
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    requireUserVerification: false,
  });
  if (!result.verified) throw new Error('registration did not verify');
  return {
    authenticator,
    options,
    response,
    result,
    credential: result.registrationInfo.credential,
  };
}

async function signIn(
  credential: WebAuthnCredential,
  answer: (challenge: string) => AuthenticationResponseJSON,
  requireUserVerification = true,
) {
  const options = await generateAuthenticationOptions({ rpID, userVerification: 'required' });
  return verifyAuthenticationResponse({
    response: answer(options.challenge),
    expectedChallenge: options.challenge,
    expectedOrigin: origin,
    expectedRPID: rpID,
    credential,
    requireUserVerification,
  });
}

describe('soft authenticator', () => {
  it('enrols a passkey that @simplewebauthn/server verifies', async () => {
    const { authenticator, options, response, result } = await enrol();
    expect(result.registrationInfo).toMatchObject({
      fmt: 'none',
      aaguid: '00000000-0000-0000-0000-000000000000',
      userVerified: true,
      origin,
      rpID,
      credential: { id: response.id, counter: 0, transports: ['internal'] },
    });
    expect(authenticator.credentials).toEqual([
      { id: response.id, userHandle: options.user.id, rpId: rpID, counter: 0 },
    ]);
  });

  it('refuses to enrol a second passkey for an excluded credential', async () => {
    const { authenticator, response } = await enrol();
    const options = await generateRegistrationOptions({
      rpName: 'Portal',
      rpID,
      userName: 'nurse@example.test',
      excludeCredentials: [{ id: response.id }],
    });
    expect(() => authenticator.register(options)).toThrow(/InvalidStateError/);
  });

  it('signs in with the stored public key, counting up, discoverable or allowed', async () => {
    const { authenticator, options: registration, credential } = await enrol();
    const options = await generateAuthenticationOptions({ rpID });
    const response = authenticator.authenticate(options);
    expect(response.response.userHandle).toBe(registration.user.id);
    const first = await verifyAuthenticationResponse({
      response,
      expectedChallenge: options.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential,
    });
    expect(first.verified).toBe(true);
    expect(first.authenticationInfo).toMatchObject({ newCounter: 1, userVerified: true });

    const allowed = await generateAuthenticationOptions({
      rpID,
      allowCredentials: [{ id: credential.id, transports: ['internal'] }],
    });
    const second = await verifyAuthenticationResponse({
      response: authenticator.authenticate(allowed),
      expectedChallenge: allowed.challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { ...credential, counter: first.authenticationInfo.newCounter },
    });
    expect(second).toMatchObject({ verified: true, authenticationInfo: { newCounter: 2 } });
  });

  it('has no credential to offer for a list that names none of its own', async () => {
    const { authenticator } = await enrol();
    const options = await generateAuthenticationOptions({
      rpID,
      allowCredentials: [{ id: 'AAAAAAAAAAAAAAAAAAAAAA' }],
    });
    expect(() => authenticator.authenticate(options)).toThrow(/NotAllowedError/);
  });

  it('honours user verification', async () => {
    await expect(enrol(false)).resolves.toMatchObject({
      result: { registrationInfo: { userVerified: false } },
    });
    const { authenticator, credential } = await enrol();
    const unverified = (challenge: string) =>
      authenticator.authenticate({ challenge, rpId: rpID }, { userVerified: false });
    await expect(signIn(credential, unverified)).rejects.toThrow(/User verification required/);
    await expect(signIn(credential, unverified, false)).resolves.toMatchObject({
      verified: true,
      authenticationInfo: { userVerified: false },
    });
  });

  it.each<[string, AuthenticateOptions, RegExp | null]>([
    ['a tampered signature', { tamper: 'signature' }, null],
    ['a wrong challenge', { tamper: 'challenge' }, /Unexpected authentication response challenge/],
    ['a wrong origin', { wrongOrigin: true }, /Unexpected authentication response origin/],
    ['a wrong rpId', { tamper: 'rpId' }, /Unexpected RP ID hash/],
  ])('fails verification for %s', async (_name, opts, error) => {
    const { authenticator, credential } = await enrol();
    const answer = (challenge: string) =>
      authenticator.authenticate({ challenge, rpId: rpID }, opts);
    if (error) {
      await expect(signIn(credential, answer)).rejects.toThrow(error);
    } else {
      await expect(signIn(credential, answer)).resolves.toMatchObject({ verified: false });
    }
  });

  it('gets a replayed or cloned counter refused by the library', async () => {
    const { authenticator, credential } = await enrol();
    const stored = { ...credential, counter: 5 };
    const replayed = (counter: number) => (challenge: string) =>
      authenticator.authenticate({ challenge, rpId: rpID }, { counter });
    // Not greater than the stored counter: refused, equal as well as lower.
    await expect(signIn(stored, replayed(5))).rejects.toThrow(
      'Response counter value 5 was lower than expected 5',
    );
    await expect(signIn(stored, replayed(3))).rejects.toThrow(/counter value 3 was lower/);
    // An authenticator without a counter (always 0) is accepted while the stored one is 0 too.
    await expect(signIn(credential, replayed(0))).resolves.toMatchObject({ verified: true });
    await expect(signIn(stored, replayed(6))).resolves.toMatchObject({
      verified: true,
      authenticationInfo: { newCounter: 6 },
    });
    // A one-off counter leaves the held counter alone.
    expect(authenticator.credentials[0]?.counter).toBe(0);
  });
});
