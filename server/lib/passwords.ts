import { hash, verify, type Options } from '@node-rs/argon2';
import { dictionary } from '@zxcvbn-ts/language-common';
import { invalid } from '../errors.js';

/** OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id (a const enum in the package's types).
const ARGON2: Options = {
  algorithm: 2 as Options['algorithm'],
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** Hashes a password as an argon2id PHC string. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2);
}

// Verifying against this hash when an account is unknown keeps the answer time the same.
let dummyHash: Promise<string> | undefined;

/** Checks a password; with no stored hash it still spends the same time and answers false. */
export async function verifyPassword(
  stored: string | null | undefined,
  password: string,
): Promise<boolean> {
  if (!stored) {
    dummyHash ??= hashPassword('timing-equaliser-not-a-password-0');
    await verify(await dummyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

const breached = new Set(
  ((dictionary as Record<string, string[]>)['passwords-common'] ?? []).map((p) => p.toLowerCase()),
);

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;

/**
 * Refuses a new password that breaks SPEC rule 8: at least 10 characters with a letter and a
 * digit, and not in the list of commonly breached passwords.
 */
export function assertAcceptablePassword(password: string, field = 'password'): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
    throw invalid(
      'password_too_short',
      `The password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
      field,
    );
  }
  if (!/\p{L}/u.test(password) || !/\p{Nd}/u.test(password)) {
    throw invalid(
      'password_too_weak',
      'The password must contain at least one letter and one digit.',
      field,
    );
  }
  if (breached.has(password.toLowerCase())) {
    throw invalid(
      'password_breached',
      'This password appears in lists of leaked passwords. Please choose another one.',
      field,
    );
  }
}
