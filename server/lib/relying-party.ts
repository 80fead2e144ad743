import { isIP } from 'node:net';
import type { Config } from '../config.js';

/**
 * The WebAuthn relying party: passkeys are bound to the domain of PORTAL_PUBLIC_URL and answered
 * only from its origin. WebAuthn refuses IP addresses, so a product reached at a loopback address
 * (the demo's http://127.0.0.1:3000) binds passkeys to `localhost` on the same port, which the
 * browser also treats as a secure context; any other IP address has no passkeys.
 */
export interface RelyingParty {
  available: boolean;
  rpId: string;
  rpName: string;
  origins: string[];
}

export function relyingParty(config: Pick<Config, 'publicUrl'>): RelyingParty {
  const url = new URL(config.publicUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) {
    return { available: true, rpId: host, rpName: 'Patient Portal', origins: [url.origin] };
  }
  const loopback = host === '::1' || host.startsWith('127.');
  const origin = `${url.protocol}//localhost${url.port ? `:${url.port}` : ''}`;
  return { available: loopback, rpId: 'localhost', rpName: 'Patient Portal', origins: [origin] };
}
