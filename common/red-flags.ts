// Red flag phrases (SPEC rule 14): the same matcher runs in the portal, as the patient types,
// and on the server, on send. Plain TypeScript with no imports, because the web bundle uses it.

/** The built-in list of common emergency phrases, used while a chamber has not set its own. */
export const DEFAULT_RED_FLAG_PHRASES: readonly string[] = Object.freeze([
  'chest pain',
  'chest tightness',
  'crushing chest',
  'heart attack',
  "can't breathe",
  'cannot breathe',
  'difficulty breathing',
  'struggling to breathe',
  'short of breath',
  'choking',
  'blue lips',
  'suicidal thoughts',
  'suicidal',
  'want to die',
  'kill myself',
  'end my life',
  'self harm',
  'overdose',
  'overdosed',
  'stroke',
  'face drooping',
  'slurred speech',
  'arm weakness',
  'severe bleeding',
  'bleeding heavily',
  "bleeding won't stop",
  'unconscious',
  'collapsed',
  'unresponsive',
  'seizure',
  'fitting',
  'anaphylaxis',
  'throat swelling',
  'severe allergic reaction',
  'coughing up blood',
  'vomiting blood',
  'blood in vomit',
  'severe headache',
  'worst headache',
  'sudden confusion',
  'meningitis',
  'rash that does not fade',
  'stiff neck',
  'sepsis',
  'severe burn',
]);

const QUOTES = /[\u2018\u2019\u02BC]/gu;
const MARKS = /\p{M}/gu;
// The regular expression syntax characters (in 'u' mode only these may be escaped).
const SPECIALS = /[.*+?^${}()|[\]\\/]/g;

/** Case, accents and curly quotes folded away, so text and phrases compare alike. */
function fold(text: string): string {
  return text.toLowerCase().normalize('NFKD').replace(MARKS, '').replace(QUOTES, "'");
}

/** A matcher for `phrases`: it answers the phrases found in a text, as configured, in list order, each once. */
export function compileRedFlags(phrases: readonly string[]): (text: string) => string[] {
  const compiled: { phrase: string; needle: string; pattern: RegExp }[] = [];
  const seen = new Set<string>();
  for (const phrase of phrases) {
    if (seen.has(phrase)) continue;
    seen.add(phrase);
    const words = fold(phrase)
      .split(/\s+/u)
      .filter((w) => w.length > 0);
    if (words.length === 0) continue;
    const body = words.map((w) => w.replace(SPECIALS, '\\$&')).join('\\s+');
    // A match contains each word literally: a substring test of the longest skips most regexes.
    const needle = words.reduce((a, b) => (b.length > a.length ? b : a));
    compiled.push({
      phrase,
      needle,
      pattern: new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'u'),
    });
  }
  return (text: string) => {
    if (compiled.length === 0 || text.length === 0) return [];
    const folded = fold(text);
    const found: string[] = [];
    for (const { phrase, needle, pattern } of compiled) {
      if (folded.includes(needle) && pattern.test(folded)) found.push(phrase);
    }
    return found;
  };
}

/** The phrases of `phrases` found in `text`, as configured, in list order, each once. */
export function matchRedFlags(text: string, phrases: readonly string[]): string[] {
  return compileRedFlags(phrases)(text);
}
