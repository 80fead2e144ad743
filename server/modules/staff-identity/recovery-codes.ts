import { createHash, randomInt } from 'node:crypto';

/** Crockford's base32 letters: no I, L, O or U to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
export const RECOVERY_CODE_COUNT = 10;

/** Ten new recovery codes, `xxxx-xxxx-xxxx` (60 random bits each). */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () => {
    const chars = Array.from({ length: 12 }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
    return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
  });
}

/**
 * The stored form of a recovery code: its SHA-256, after the forgiving reading people type it
 * with (any case, with or without dashes and spaces, O for 0, I or L for 1).
 */
export function hashRecoveryCode(code: string): string {
  const plain = code
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1');
  return createHash('sha256').update(`recovery:${plain}`).digest('base64url');
}
