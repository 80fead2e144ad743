import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
// The library's own CBOR helper (tiny-cbor underneath), so no transitive dependency is imported.
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** A passkey held by a soft authenticator, as tests may inspect it. */
export interface SoftCredentialInfo {
  id: string;
  userHandle: string;
  rpId: string;
  counter: number;
}

/** How an assertion is made; the defaults give a valid, user-verified one. */
export interface AuthenticateOptions {
  userVerified?: boolean;
  credentialId?: string;
  /** Signs this counter value once instead of the next one; the held counter is left as is. */
  counter?: number;
  wrongOrigin?: boolean;
  tamper?: 'signature' | 'challenge' | 'rpId';
}

interface SoftCredential extends SoftCredentialInfo {
  privateKey: KeyObject;
  cosePublicKey: Uint8Array;
  spkiPublicKey: Buffer;
}

/** A WebAuthn authenticator in software, so tests can enrol and use passkeys with no browser. */
export interface SoftAuthenticator {
  readonly credentials: SoftCredentialInfo[];
  register(
    options: PublicKeyCredentialCreationOptionsJSON,
    opts?: { userVerified?: boolean },
  ): RegistrationResponseJSON;
  authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    opts?: AuthenticateOptions,
  ): AuthenticationResponseJSON;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;
const WRONG_ORIGIN = 'https://attacker.example';
const WRONG_RP_ID = 'attacker.example';

const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const b64url = (data: Uint8Array) => Buffer.from(data).toString('base64url');

/** Authenticator data: rpIdHash, flags, big-endian counter, then any attested credential data. */
function authenticatorData(rpId: string, flags: number, counter: number, attested?: Uint8Array) {
  const head = Buffer.alloc(37);
  sha256(rpId).copy(head, 0);
  head.writeUInt8(flags, 32);
  head.writeUInt32BE(counter, 33);
  return attested ? Buffer.concat([head, attested]) : head;
}

function clientDataJSON(type: string, challenge: string, origin: string) {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/** Whether a browser would let `origin` use `rpId` (its host, or a parent domain of it). */
function rpIdFits(rpId: string, origin: string) {
  const host = new URL(origin).hostname;
  return host === rpId || host.endsWith(`.${rpId}`);
}

/** Creates a software passkey authenticator for one origin (rpId defaults to the origin's host). */
export function createSoftAuthenticator(config: {
  origin: string;
  rpId?: string;
}): SoftAuthenticator {
  const held: SoftCredential[] = [];
  const defaultRpId = config.rpId ?? new URL(config.origin).hostname;

  function register(
    options: PublicKeyCredentialCreationOptionsJSON,
    opts: { userVerified?: boolean } = {},
  ): RegistrationResponseJSON {
    const rpId = options.rp.id ?? defaultRpId;
    if (!rpIdFits(rpId, config.origin)) {
      throw new Error(`SecurityError: rp.id ${rpId} does not fit origin ${config.origin}`);
    }
    if (!options.pubKeyCredParams.some((p) => p.alg === -7)) {
      throw new Error('NotSupportedError: ES256 (-7) is not among pubKeyCredParams');
    }
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (held.some((c) => c.rpId === rpId && excluded.has(c.id))) {
      throw new Error('InvalidStateError: this authenticator already holds an excluded credential');
    }

    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x!, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y!, 'base64url'))],
      ]),
    );
    const credentialId = randomBytes(16);
    const credential: SoftCredential = {
      id: b64url(credentialId),
      userHandle: options.user.id,
      rpId,
      counter: 0,
      privateKey,
      cosePublicKey,
      spkiPublicKey: publicKey.export({ format: 'der', type: 'spki' }),
    };

    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, credentialId, cosePublicKey]);
    const flags = FLAG_UP | FLAG_AT | (opts.userVerified === false ? 0 : FLAG_UV);
    const authData = authenticatorData(rpId, flags, credential.counter, attested);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    held.push(credential);

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientDataJSON('webauthn.create', options.challenge, config.origin)),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports: ['internal'],
        publicKeyAlgorithm: -7,
        publicKey: b64url(credential.spkiPublicKey),
      },
    };
  }

  function pick(rpId: string, allowed: string[], credentialId?: string) {
    const candidates = held.filter(
      (c) =>
        c.rpId === rpId &&
        (credentialId === undefined || c.id === credentialId) &&
        (allowed.length === 0 || allowed.includes(c.id)),
    );
    const credential = candidates[0];
    if (!credential) throw new Error(`NotAllowedError: no credential for ${rpId}`);
    return credential;
  }

  function authenticate(
    options: PublicKeyCredentialRequestOptionsJSON,
    opts: AuthenticateOptions = {},
  ): AuthenticationResponseJSON {
    const rpId = options.rpId ?? defaultRpId;
    if (!rpIdFits(rpId, config.origin)) {
      throw new Error(`SecurityError: rpId ${rpId} does not fit origin ${config.origin}`);
    }
    const allowed = (options.allowCredentials ?? []).map((c) => c.id);
    const credential = pick(rpId, allowed, opts.credentialId);

    let counter = opts.counter;
    if (counter === undefined) counter = ++credential.counter;
    const flags = FLAG_UP | (opts.userVerified === false ? 0 : FLAG_UV);
    const authData = authenticatorData(opts.tamper === 'rpId' ? WRONG_RP_ID : rpId, flags, counter);
    const challenge = opts.tamper === 'challenge' ? b64url(randomBytes(32)) : options.challenge;
    const origin = opts.wrongOrigin ? WRONG_ORIGIN : config.origin;
    const clientData = clientDataJSON('webauthn.get', challenge, origin);
    // ECDSA with SHA-256 over authenticatorData || sha256(clientDataJSON); Node answers DER.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), {
      key: credential.privateKey,
    });
    // The last byte belongs to the integer s, so the DER stays well formed but no longer verifies.
    if (opts.tamper === 'signature') signature[signature.length - 1]! ^= 0x01;

    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: credential.userHandle,
      },
    };
  }

  return {
    get credentials() {
      return held.map(({ id, userHandle, rpId, counter }) => ({ id, userHandle, rpId, counter }));
    },
    register,
    authenticate,
  };
}
