/** The WebAuthn relying party lives in lib/ (sign-in and enrolment both need it). */
export { relyingParty, type RelyingParty } from '../../lib/relying-party.js';
