import {
  startAuthentication,
  startRegistration,
  WebAuthnError,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/browser';
import { ApiError } from '../../../lib/api';
import type {
  WebAuthnOptions,
  WebAuthnResponse,
} from '../../../../common/contract/staff-identity.js';

const NOT_USED = 'No passkey was used: the request was cancelled or timed out. Please try again.';

/**
 * A passkey ceremony's failure in words, as an ApiError so forms show it like a refusal: the
 * browser's refusals (cancelled, timed out, already registered) say what to do.
 */
function passkeyRefusal(error: unknown): unknown {
  const refusal = (message: string) => new ApiError(0, 'passkey_not_used', message);
  if (error instanceof WebAuthnError) {
    if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED')
      return refusal('This passkey is already registered for your account.');
    if (error.code === 'ERROR_INVALID_DOMAIN' || error.code === 'ERROR_INVALID_RP_ID')
      return refusal('Passkeys cannot be used at this address.');
    if (error.name === 'NotAllowedError' || error.code === 'ERROR_CEREMONY_ABORTED')
      return refusal(NOT_USED);
    return refusal(`The passkey could not be used: ${error.message}`);
  }
  if (error instanceof Error && error.name === 'NotAllowedError') return refusal(NOT_USED);
  if (error instanceof Error && !(error instanceof ApiError))
    return refusal(`The passkey could not be used: ${error.message}`);
  return error;
}

/** Asks the browser for a passkey for the server's challenge: the assertion, as JSON. */
export async function assertPasskey(options: WebAuthnOptions): Promise<WebAuthnResponse> {
  try {
    const response = await startAuthentication({
      optionsJSON: options.options as unknown as PublicKeyCredentialRequestOptionsJSON,
    });
    return response as unknown as WebAuthnResponse;
  } catch (error) {
    throw passkeyRefusal(error);
  }
}

/** Asks the browser to make a passkey for the server's challenge: the new credential, as JSON. */
export async function createPasskey(options: WebAuthnOptions): Promise<WebAuthnResponse> {
  try {
    const response = await startRegistration({
      optionsJSON: options.options as unknown as PublicKeyCredentialCreationOptionsJSON,
    });
    return response as unknown as WebAuthnResponse;
  } catch (error) {
    throw passkeyRefusal(error);
  }
}

/** Whether the page is open at an IP address (where browsers refuse passkeys). */
export function openedAtIpAddress(): boolean {
  const host = window.location.hostname;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':') || host.startsWith('[');
}
