import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { EligibilityCode } from '../common/contract/messaging.js';
import { ELIGIBILITY_CODES } from '../common/labels.js';
import { ERROR_CODES, type ErrorCode } from '../common/errors.js';

// The error codes are a contract: common/errors.ts lists every code the API answers, so the
// web apps and integrators can rely on it. This reads the server's source for the codes it
// passes to AppError and its factories, and fails on one the list lacks (or a listed one no
// longer answered).

const root = import.meta.dirname;

const sources = fs
  .readdirSync(root, { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
  .map((file) => ({ file, text: fs.readFileSync(path.join(root, file), 'utf8') }));

/** Where a code is written: `new AppError(status, code`, `forbidden(code`, `[status, code,`. */
const CALL =
  /(?:new\s+AppError\(\s*[^,()]+,|\b(?:forbidden|invalid|conflict|badRequest)\()\s*([^,)]+)/g;
const TUPLE = /\[\s*\d{3},\s*'([a-z_]+)',/g;
const BODY = /error:\s*\{[^}]*\bcode:\s*'([a-z_]+)'/g;

/**
 * Arguments that pass on a code made elsewhere: the factories' own parameter, rule 1's refusal
 * (its codes come from the contract, below) and the error handler's table (read by TUPLE).
 */
const FORWARDED = new Set(['code', 'refusal.code', 'mapped[1]']);

function scan() {
  const codes = new Set<string>();
  const unknown: string[] = [];
  for (const { file, text } of sources) {
    for (const [, arg] of text.matchAll(CALL)) {
      const literal = /^'([a-z_]+)'$/.exec(arg!.trim());
      if (literal) codes.add(literal[1]!);
      else if (!FORWARDED.has(arg!.trim())) unknown.push(`${file}: ${arg!.trim()}`);
    }
    for (const [, code] of text.matchAll(TUPLE)) codes.add(code!);
    for (const [, code] of text.matchAll(BODY)) codes.add(code!);
  }
  return { codes, unknown };
}

/** SPEC rule 1's refusal codes (the messaging contract's EligibilityCode is built from them). */
const rule1 = new Set<string>(ELIGIBILITY_CODES);

describe('error codes (common/errors.ts)', () => {
  const listed = new Set<string>(ERROR_CODES);
  const { codes, unknown } = scan();

  it('lists each code once, in snake_case', () => {
    expect(ERROR_CODES.length).toBe(listed.size);
    for (const code of ERROR_CODES) expect(code).toMatch(/^[a-z]+(?:_[a-z]+)*$/);
  });

  it('finds the codes where the server writes them', () => {
    // A sanity check of the scan itself: these come through each kind of call it reads.
    for (const code of ['not_found', 'unauthenticated', 'validation_failed', 'malformed_json'])
      expect(codes).toContain(code);
    expect(rule1).toContain('messaging_not_allowed');
  });

  it('passes every code as a literal, or through a known forwarding call', () => {
    expect(unknown, 'write the code as a string literal where the error is made').toEqual([]);
  });

  it('lists every code the server answers', () => {
    expectTypeOf<EligibilityCode>().toExtend<ErrorCode>();
    const missing = [...codes, ...rule1].filter((code) => !listed.has(code));
    expect(missing, 'add these to ERROR_CODES in common/errors.ts').toEqual([]);
  });

  it('lists no code the server no longer answers', () => {
    const stale = ERROR_CODES.filter((code) => !codes.has(code) && !rule1.has(code));
    expect(stale, 'remove these from ERROR_CODES in common/errors.ts').toEqual([]);
  });
});
