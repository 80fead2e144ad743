import { createHash, randomBytes } from 'node:crypto';

/** A new unguessable token (256 bits) for a session cookie or an emailed link. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Only this hash of a token is stored, so a read of the database cannot replay a session. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Hash of a request body, to tell a true retry from a reused Idempotency-Key. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}
