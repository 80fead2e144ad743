import { createRequire } from 'node:module';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Options } from '@node-rs/argon2';
import type { OptionsType, ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import { invalid } from '../errors.js';

/** OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane. */
// algorithm 2 is Argon2id (a const enum in the package's types).
const ARGON2: Options = {
  algorithm: 2 as Options['algorithm'],
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * Password hashing runs in a few threads of its own at a lower CPU priority (Linux: nice 10), so
 * that a storm of sign-ins cannot starve the event loop and PostgreSQL: argon2 is meant to eat
 * CPU, and on a busy machine it must take only what requests do not need. (In libuv's pool, at
 * normal priority, four hashes on two cores made every other request wait behind them, and
 * also held up every file operation of the process.)
 */
export const HASH_THREAD_NICE = 10;
/**
 * Hashes computed at once: one per core but one (1 to 4); the rest wait their turn. One core
 * stays free of argon2 for requests and PostgreSQL: on two cores, hashing on both made the
 * Inbox's p99 during a sign-in storm 3 to 4 times its quiet value (1.5 times on one), for about
 * 10 % more sign-ins per second, since a sign-in's own queries need most of a core anyway.
 */
export const HASH_THREADS = Math.max(1, Math.min(4, os.availableParallelism() - 1));
/** Threads left idle this long are ended (a web process that signs nobody in keeps none). */
const HASH_THREAD_IDLE_MS = 30_000;

// Plain CommonJS evaluated in the thread, so it runs the same under tsx, vitest and node.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
} catch {
  // Not Linux (no per-thread priority): the thread keeps the process's priority.
}
const argon2 = require(workerData.argon2);
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash'
      ? argon2.hashSync(job.password, workerData.options)
      : argon2.verifySync(job.stored, job.password);
    parentPort.postMessage({ value });
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
});
`;

type HashJob = {
  op: 'hash' | 'verify';
  password: string;
  stored?: string;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
};
type Slot = { worker: Worker; job?: HashJob };

const queue: HashJob[] = [];
const slots = new Set<Slot>();
let idleTimer: NodeJS.Timeout | undefined;

function startSlot(): Slot {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      argon2: createRequire(import.meta.url).resolve('@node-rs/argon2'),
      options: ARGON2,
      nice: HASH_THREAD_NICE,
    },
  });
  // Hashing never keeps the process alive by itself.
  worker.unref();
  const slot: Slot = { worker };
  slots.add(slot);
  worker.on('message', (answer: { value?: string | boolean; error?: string }) => {
    const job = slot.job;
    slot.job = undefined;
    if (answer.error !== undefined) job?.reject(new Error(answer.error));
    else job?.resolve(answer.value!);
    dispatch();
  });
  const lost = (error: Error) => {
    if (!slots.delete(slot)) return;
    slot.job?.reject(error);
    slot.job = undefined;
    dispatch();
  };
  worker.on('error', lost);
  worker.on('exit', (code) => lost(new Error(`password hashing thread ended (code ${code})`)));
  return slot;
}

function dispatch(): void {
  clearTimeout(idleTimer);
  while (queue.length > 0) {
    let free: Slot | undefined;
    for (const slot of slots) if (!slot.job) free = slot;
    if (!free && slots.size < HASH_THREADS) free = startSlot();
    if (!free) return;
    const job = queue.shift()!;
    free.job = job;
    free.worker.postMessage({ op: job.op, password: job.password, stored: job.stored });
  }
  if ([...slots].every((s) => !s.job)) {
    idleTimer = setTimeout(() => {
      for (const slot of slots) {
        slots.delete(slot);
        void slot.worker.terminate();
      }
    }, HASH_THREAD_IDLE_MS);
    idleTimer.unref();
  }
}

function inHashThread(job: Omit<HashJob, 'resolve' | 'reject'>): Promise<string | boolean> {
  return new Promise((resolve, reject) => {
    queue.push({ ...job, resolve, reject });
    dispatch();
  });
}

/** Hashes a password as an argon2id PHC string. */
export async function hashPassword(password: string): Promise<string> {
  return (await inHashThread({ op: 'hash', password })) as string;
}

/** Verifies a password against an argon2 PHC string (which carries its own parameters). */
async function verify(stored: string, password: string): Promise<boolean> {
  return (await inHashThread({ op: 'verify', password, stored })) === true;
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

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
/** zxcvbn's scores run 0 (guessed at once) to 4; below this a new password is refused. */
export const PASSWORD_MIN_SCORE = 3;
/** How much of a password zxcvbn scores. */
const SCORED_LENGTH = 100;

/**
 * zxcvbn's advice in plain words (its own are keys without a language package). A refusal
 * says what makes the password guessable, then what to do.
 */
const ADVICE: NonNullable<OptionsType['translations']> = {
  warnings: {
    straightRow: 'Straight rows of keys, like "qwerty", are easy to guess.',
    keyPattern: 'Short keyboard patterns are easy to guess.',
    simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
    extendedRepeat: 'Repeated patterns like "abcabcabc" are easy to guess.',
    sequences: 'Sequences like "abc" or "6543" are easy to guess.',
    recentYears: 'Recent years are easy to guess.',
    dates: 'Dates are easy to guess.',
    topTen: 'This is one of the most used passwords.',
    topHundred: 'This is a very commonly used password.',
    common: 'This is a commonly used password.',
    similarToCommon: 'This is similar to a commonly used password.',
    wordByItself: 'A single word is easy to guess.',
    namesByThemselves: 'Names on their own are easy to guess.',
    commonNames: 'Common names are easy to guess.',
    userInputs: 'Your own name, email address or clinic is easy to guess.',
    pwned: 'This password appears in lists of leaked passwords.',
  },
  suggestions: {
    l33t: 'Swapping letters for look-alikes, like "@" for "a", does not help much.',
    reverseWords: 'A common word spelt backwards is still easy to guess.',
    allUppercase: 'Capitals help only for some letters, not all of them.',
    capitalization: 'A capital first letter does not help much.',
    dates: 'Avoid dates and years that have to do with you.',
    recentYears: 'Avoid recent years.',
    associatedYears: 'Avoid years that have to do with you.',
    sequences: 'Avoid sequences.',
    repeated: 'Avoid repeated words and characters.',
    longerKeyboardPattern: 'Avoid keyboard patterns.',
    anotherWord: 'Add another word or two.',
    useWords: 'Use a few words together, but not a well-known phrase.',
    noNeed: 'A strong password needs no symbols or capitals: a few unusual words will do.',
    pwned: 'If you use this password anywhere else, change it there too.',
  },
  timeEstimation: {
    ltSecond: 'less than a second',
    second: 'a second',
    seconds: 'seconds',
    minute: 'a minute',
    minutes: 'minutes',
    hour: 'an hour',
    hours: 'hours',
    day: 'a day',
    days: 'days',
    month: 'a month',
    months: 'months',
    year: 'a year',
    years: 'years',
    centuries: 'centuries',
  },
};

// The dictionaries (some 57,000 words) cost about 18 MB of memory once decompressed and
// ranked: loaded on the first password set, never at start-up (most processes set none).
let scorer: Promise<ZxcvbnFactory> | undefined;

function loadScorer(): Promise<ZxcvbnFactory> {
  scorer ??= (async () => {
    const [{ ZxcvbnFactory }, { dictionary, adjacencyGraphs }] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
    ]);
    // Scoring time grows with length (about 300 ms for 200 characters of "p@ssw0rd" here):
    // the first 100 characters are scored, some 120 ms at worst, enough to judge a password.
    return new ZxcvbnFactory({
      dictionary,
      graphs: adjacencyGraphs,
      translations: ADVICE,
      maxLength: SCORED_LENGTH,
    });
  })();
  scorer.catch(() => {
    scorer = undefined;
  });
  return scorer;
}

/**
 * The words of what the system knows about the person (email, name, clinic name and code),
 * for zxcvbn's user inputs: a password built from them is easy to guess for anyone who knows
 * who the person is.
 */
export function passwordUserInputs(...known: (string | null | undefined)[]): string[] {
  const words = new Set<string>();
  for (const value of known) {
    if (!value?.trim()) continue;
    const whole = value.trim().toLowerCase();
    words.add(whole);
    words.add(whole.replace(/\s+/g, ''));
    for (const word of whole.split(/[\s@._+,-]+/u)) if (word.length >= 3) words.add(word);
  }
  return [...words];
}

/** The whole password is one entry of the list of leaked passwords (letter case aside). */
function isListedPassword(result: ZxcvbnResult): boolean {
  const [only, ...more] = result.sequence;
  return (
    more.length === 0 &&
    only?.pattern === 'dictionary' &&
    only.dictionaryName === 'passwords-common' &&
    !only.l33t &&
    !only.reversed
  );
}

/** What a refusal of a guessable password says: zxcvbn's warning, then its suggestions. */
function adviceOf(result: ZxcvbnResult): string {
  const { warning, suggestions } = result.feedback;
  return [warning ?? 'This password is easy to guess.', ...suggestions].join(' ');
}

/**
 * Refuses a new password that breaks SPEC rule 8 (at least 10 characters with a letter and a
 * digit, not in the list of leaked passwords) or that zxcvbn finds easy to guess (a score
 * below 3), counting what is known about its owner (`userInputs`: `passwordUserInputs`).
 */
export async function assertAcceptablePassword(
  password: string,
  userInputs: string[] = [],
  field = 'password',
): Promise<void> {
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
  const result = (await loadScorer()).check(password, userInputs);
  if (isListedPassword(result)) {
    throw invalid(
      'password_breached',
      'This password appears in lists of leaked passwords. Please choose another one.',
      field,
    );
  }
  if (result.score < PASSWORD_MIN_SCORE)
    throw invalid('password_too_weak', adviceOf(result), field);
}
