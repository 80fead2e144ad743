import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileRedFlags,
  DEFAULT_RED_FLAG_PHRASES,
  matchRedFlags,
} from '../../../common/red-flags.js';

// Red flag phrases (SPEC rule 14): case- and accent-insensitive, whole words, the same function
// in the portal and on the server. The module lives in common/; its tests run with the server's.

describe('matchRedFlags', () => {
  const phrases = ['chest pain', "can't breathe", 'overdose', 'stroke'];

  it('ignores case and accents', () => {
    expect(matchRedFlags('I have CHEST PAIN', phrases)).toEqual(['chest pain']);
    expect(matchRedFlags('chést päin since last night', phrases)).toEqual(['chest pain']);
    expect(matchRedFlags('Chest Pain', ['CHÉST pain'])).toEqual(['CHÉST pain']);
    // Fully-composed and decomposed accents alike.
    expect(matchRedFlags('che\u0301st pain', ['chést pain'])).toEqual(['chést pain']);
    expect(matchRedFlags('İ feel a STROKE coming', ['i feel'])).toEqual(['i feel']);
  });

  it('lets any whitespace, line breaks included, stand for a space', () => {
    expect(matchRedFlags('my chest\n  pain is bad', phrases)).toEqual(['chest pain']);
    expect(matchRedFlags('chest\t\u00a0pain', phrases)).toEqual(['chest pain']);
    expect(matchRedFlags('chest pain', ['  chest    pain  '])).toEqual(['  chest    pain  ']);
  });

  it('matches whole words only', () => {
    expect(matchRedFlags('chestpain', phrases)).toEqual([]);
    expect(matchRedFlags('my chest painful', phrases)).toEqual([]);
    expect(matchRedFlags('heartstroke', phrases)).toEqual([]);
    expect(matchRedFlags('overdosed', phrases)).toEqual([]);
    expect(matchRedFlags('stroke2', phrases)).toEqual([]);
    expect(matchRedFlags('a stroke.', phrases)).toEqual(['stroke']);
    expect(matchRedFlags('(stroke)', phrases)).toEqual(['stroke']);
    expect(matchRedFlags('stroke', phrases)).toEqual(['stroke']);
    expect(matchRedFlags('Ästroke', phrases)).toEqual([]);
  });

  it('folds curly quotes and keeps the apostrophe literal', () => {
    expect(matchRedFlags('I can’t breathe', phrases)).toEqual(["can't breathe"]);
    expect(matchRedFlags('I can‘t breathe', phrases)).toEqual(["can't breathe"]);
    expect(matchRedFlags('I canʼt breathe', phrases)).toEqual(["can't breathe"]);
    expect(matchRedFlags("I can't breathe", ['can’t breathe'])).toEqual(['can’t breathe']);
    expect(matchRedFlags('I cant breathe', phrases)).toEqual([]);
  });

  it('answers the phrases as configured, in list order, each once', () => {
    const text = 'Stroke? overdose! chest pain, chest pain and another STROKE';
    expect(matchRedFlags(text, phrases)).toEqual(['chest pain', 'overdose', 'stroke']);
    expect(matchRedFlags(text, ['stroke', 'STROKE', 'stroke'])).toEqual(['stroke', 'STROKE']);
    // Overlapping phrases are each found.
    expect(matchRedFlags('severe chest pain', ['chest pain', 'severe chest', 'pain'])).toEqual([
      'chest pain',
      'severe chest',
      'pain',
    ]);
  });

  it('treats regular-expression characters in a phrase literally', () => {
    expect(matchRedFlags('I use c++ daily', ['c++'])).toEqual(['c++']);
    expect(matchRedFlags('I use cc daily', ['c+'])).toEqual([]);
    expect(matchRedFlags('please (help) me', ['(help)'])).toEqual(['(help)']);
    expect(matchRedFlags('please help me', ['(help)'])).toEqual([]);
    expect(matchRedFlags('anything at all', ['.*', '[a-z]+', 'a|b', '\\', '^$', '/x/'])).toEqual(
      [],
    );
    expect(matchRedFlags('a.* b', ['.*'])).toEqual([]); // "a" is a letter right before it
    expect(matchRedFlags('x .* y', ['.*', 'a-b'])).toEqual(['.*']);
    expect(matchRedFlags('a-b', ['a-b'])).toEqual(['a-b']);
  });

  it('copes with lone surrogates and odd characters', () => {
    expect(matchRedFlags('\uD800chest pain\uDFFF', phrases)).toEqual(['chest pain']);
    expect(matchRedFlags('x', ['\uD800', '\u0000', '\u2028'])).toEqual([]);
    expect(matchRedFlags('a \uD800 b', ['\uD800'])).toEqual(['\uD800']);
  });

  it('ignores phrases that fold to nothing', () => {
    expect(matchRedFlags('anything', ['', '   ', '\u0301', '\n'])).toEqual([]);
    expect(matchRedFlags('', phrases)).toEqual([]);
    expect(compileRedFlags([])('chest pain')).toEqual([]);
  });
});

describe('DEFAULT_RED_FLAG_PHRASES', () => {
  it('is about forty distinct phrases of 1–100 characters', () => {
    expect(DEFAULT_RED_FLAG_PHRASES.length).toBeGreaterThanOrEqual(35);
    expect(DEFAULT_RED_FLAG_PHRASES.length).toBeLessThanOrEqual(200);
    expect(new Set(DEFAULT_RED_FLAG_PHRASES).size).toBe(DEFAULT_RED_FLAG_PHRASES.length);
    for (const p of DEFAULT_RED_FLAG_PHRASES) {
      expect(p.length).toBeGreaterThanOrEqual(1);
      expect(p.length).toBeLessThanOrEqual(100);
      expect(p).toBe(p.trim());
    }
    for (const must of ['chest pain', "can't breathe", 'suicidal thoughts', 'overdose', 'stroke']) {
      expect(DEFAULT_RED_FLAG_PHRASES).toContain(must);
    }
  });

  it('each default phrase finds itself in a sentence, and nothing flags ordinary text', () => {
    const match = compileRedFlags(DEFAULT_RED_FLAG_PHRASES);
    for (const p of DEFAULT_RED_FLAG_PHRASES) {
      expect(match(`Since Tuesday: ${p.toUpperCase()}, please call.`)).toContain(p);
    }
    expect(match('Could I renew my prescription for hay fever tablets, please?')).toEqual([]);
    expect(match("I can't make Tuesday's appointment; can we move it?")).toEqual([]);
  });
});

describe('properties', () => {
  const word = fc.stringMatching(/^[a-z0-9'+.()-]{1,12}$/);
  const phrase = fc
    .array(word, { minLength: 1, maxLength: 4 })
    .map((ws) => ws.join(' '))
    .filter((p) => /[a-z0-9]/.test(p));
  const space = fc.constantFrom(' ', '  ', '\n', '\t', ' \r\n ', '\u00a0');

  it('a phrase set between spaces in random text is always found (500 runs)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 100 }),
        phrase,
        fc.string({ unit: 'binary', maxLength: 100 }),
        space,
        space,
        fc.boolean(),
        (before, p, after, s1, s2, upper) => {
          const text = `${before}${s2}${p.split(' ').join(s1)}${s1}${after}`;
          expect(matchRedFlags(upper ? text.toUpperCase() : text, [p])).toEqual([p]);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("random text without the phrase's letters never matches (500 runs)", () => {
    fc.assert(
      fc.property(phrase, fc.string({ unit: 'binary', maxLength: 200 }), (p, raw) => {
        const letters = [...new Set(p.replace(/[^a-z0-9]/g, ''))];
        // Folding may turn a character into a letter of the phrase (K to k, ﬁ to fi): drop those.
        const folds = (t: string) => t.toLowerCase().normalize('NFKD');
        const text = [...raw].filter((ch) => !letters.some((l) => folds(ch).includes(l))).join('');
        fc.pre(!letters.some((l) => folds(text).includes(l)));
        expect(matchRedFlags(text, [p])).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on any unicode text or phrase (500 runs)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.array(fc.string({ unit: 'binary', maxLength: 100 }), { maxLength: 10 }),
        (text, phrases) => {
          const found = matchRedFlags(text, phrases);
          for (const f of found) expect(phrases).toContain(f);
          expect(new Set(found).size).toBe(found.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('compiles 200 phrases and matches a 5,000-character text quickly', () => {
    const phrases = Array.from(
      { length: 200 },
      (_, i) => `${DEFAULT_RED_FLAG_PHRASES[i % DEFAULT_RED_FLAG_PHRASES.length]} ${i}`,
    );
    let text = '';
    while (text.length < 5_000)
      text += 'Dear doctor, my chest pain is worse and I feel a stroke 7. ';
    text = text.slice(0, 5_000);
    compileRedFlags(phrases)(text); // warm up
    const rounds = 50;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) compileRedFlags(phrases)(text);
    const ms = (performance.now() - started) / rounds;
    console.log(`red flags: compile 200 phrases + match 5,000 characters: ${ms.toFixed(2)} ms`);
    // A generous bound, far above the measured time, so a busy machine does not fail it.
    expect(ms).toBeLessThan(50);
  });
});
