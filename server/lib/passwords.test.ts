import fs from 'node:fs';
import { hash as hashInProcess } from '@node-rs/argon2';
import { describe, expect, it } from 'vitest';
import {
  assertAcceptablePassword,
  HASH_THREAD_NICE,
  HASH_THREADS,
  hashPassword,
  passwordUserInputs,
  verifyPassword,
} from './passwords.js';

/** The nice value of each thread of this process, by thread id (Linux). */
function threadNice(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

describe('password hashing', () => {
  it('hashes with argon2id at the OWASP parameters and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse 42');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(stored, 'correct horse 42')).toBe(true);
    expect(await verifyPassword(stored, 'correct horse 43')).toBe(false);
    // Two hashes of one password differ (a salt of their own).
    expect(await hashPassword('correct horse 42')).not.toBe(stored);
  });

  it('verifies hashes stored before (made in process by the same library)', async () => {
    const stored = await hashInProcess('stored long ago 7', {
      algorithm: 2,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(await verifyPassword(stored, 'stored long ago 7')).toBe(true);
    expect(await verifyPassword(stored, 'stored long ago 8')).toBe(false);
  });

  it('answers false, never throws, for a missing or malformed stored hash', async () => {
    expect(await verifyPassword(null, 'anything 1')).toBe(false);
    expect(await verifyPassword(undefined, 'anything 1')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'anything 1')).toBe(false);
    expect(await verifyPassword('$argon2id$v=19$m=19456,t=2,p=1$broken', 'anything 1')).toBe(false);
    // The hashing threads still work after those failures.
    const stored = await hashPassword('after failures 3');
    expect(await verifyPassword(stored, 'after failures 3')).toBe(true);
  });

  it('gives each of many verifications running at once its own answer', async () => {
    const passwords = ['first one 1', 'second one 2', 'third one 3'];
    const stored = await Promise.all(passwords.map((p) => hashPassword(p)));
    const checks = Array.from({ length: 15 }, (_, i) => ({
      stored: stored[i % 3]!,
      password: passwords[(i * 2) % 3]!,
      expected: i % 3 === (i * 2) % 3,
    }));
    const answers = await Promise.all(checks.map((c) => verifyPassword(c.stored, c.password)));
    expect(answers).toEqual(checks.map((c) => c.expected));
  });

  it('hashes off the event loop, in threads of lower priority than the rest of the process', async () => {
    const before = threadNice();
    let ticks = 0;
    let done = false;
    const spin = () => {
      ticks += 1;
      if (!done) setImmediate(spin);
    };
    setImmediate(spin);
    const stored = await hashPassword('priority check 5');
    await Promise.all(Array.from({ length: 6 }, () => verifyPassword(stored, 'priority check 5')));
    done = true;
    // Seven argon2 runs of tens of milliseconds: the event loop kept turning meanwhile.
    expect(ticks).toBeGreaterThan(20);
    const main = before.get(process.pid) ?? 0;
    if (process.platform !== 'linux' || main >= HASH_THREAD_NICE) return;
    const after = threadNice();
    // This (main) thread keeps its priority; the hashing threads run at HASH_THREAD_NICE.
    expect(after.get(process.pid)).toBe(main);
    const lowered = [...after].filter(([, nice]) => nice === HASH_THREAD_NICE);
    expect(lowered.length).toBeGreaterThanOrEqual(1);
    expect(lowered.length).toBeLessThanOrEqual(HASH_THREADS);
  });
});

/** The refusal of a password, or null when it is accepted. */
async function refusal(password: string, userInputs: string[] = []) {
  try {
    await assertAcceptablePassword(password, userInputs);
    return null;
  } catch (error) {
    const { code, message, field } = error as { code: string; message: string; field: string };
    return { code, message, field };
  }
}

describe('password strength (SPEC rule 8, issue 17 finding 7)', () => {
  it('refuses guessable passwords that pass the length, letter-and-digit and list rules', async () => {
    expect(await refusal('aaaaaaaaa1')).toEqual({
      code: 'password_too_weak',
      field: 'password',
      message:
        'Repeated characters like "aaa" are easy to guess. Add another word or two. Avoid repeated words and characters.',
    });
    for (const password of [
      'abcdefghij1',
      'qwertyuiop1',
      'Password2024',
      '1111111111a',
      'monkey123456',
    ])
      expect((await refusal(password))?.code, password).toBe('password_too_weak');
  });

  it('keeps the earlier refusals and their codes', async () => {
    expect((await refusal('short1'))?.code).toBe('password_too_short');
    expect((await refusal('x1'.repeat(101)))?.code).toBe('password_too_short');
    expect((await refusal('onlyletterspassword'))?.code).toBe('password_too_weak');
    for (const listed of ['password123', 'PASSWORD123', 'q1w2e3r4t5'])
      expect((await refusal(listed))?.code, listed).toBe('password_breached');
  });

  it('refuses a password built from what is known about its owner, and only for them', async () => {
    const known = passwordUserInputs(
      'Philippa Quarrington',
      'pq@patients.example',
      'Riverside Clinic',
      'riverside',
    );
    expect(known).toEqual(
      expect.arrayContaining(['philippa', 'quarrington', 'pq@patients.example', 'riverside']),
    );
    for (const password of [
      'Quarrington1',
      'Philippa2021',
      'pq@patients.example1',
      'Riverside2024!',
    ])
      expect((await refusal(password, known))?.code, password).toBe('password_too_weak');
    expect(await refusal('Quarrington1')).toBeNull();
    expect((await refusal('Quarrington1', known))?.message).toMatch(
      /Your own name, email address or clinic is easy to guess/,
    );
  });

  it('accepts the passwords of the demo, the tests and the benchmarks, and passphrases', async () => {
    for (const password of [
      'demo-password-1',
      'test-password-1',
      'bench-password-not-secret-1',
      'correct horse 42',
      'lantern orchard 71',
    ])
      expect(
        await refusal(
          password,
          passwordUserInputs('Alice Archer', 'alice@patient.example', 'Riverside Clinic', 'demo'),
        ),
        password,
      ).toBeNull();
  });
});
