// What a person sees of a text, the same on the server and in both web apps (plain TypeScript
// with no imports: the web bundles use it). A text is empty when nothing of it would show.

/**
 * One character that shows: a letter, digit, punctuation mark or symbol (emoji included) that
 * is not default-ignorable (Hangul fillers are letters that draw nothing) and not the blank
 * Braille pattern (a symbol that draws nothing). Spaces, format and bidi controls, zero-width
 * characters, variation selectors, tag characters and combining marks on their own do not.
 * Written for a `u` regular expression, as JSON Schema `pattern` also is (ajv, TypeBox).
 */
export const VISIBLE_CHARACTER =
  '(?![\\p{Default_Ignorable_Code_Point}\\u2800])[\\p{L}\\p{N}\\p{P}\\p{S}]';

const visible = new RegExp(VISIBLE_CHARACTER, 'u');

/** True when the text has at least one character a person can see (see VISIBLE_CHARACTER). */
export function hasVisibleText(text: string): boolean {
  return visible.test(text);
}

/**
 * A JSON Schema `pattern` for a one-line name: no control characters, and at least one
 * visible character (a name of spaces or zero-width characters is no name). The look-ahead
 * keeps the match linear in the name's length.
 */
export const VISIBLE_NAME_PATTERN = `^(?=[^\\u0000-\\u001f\\u007f]*?${VISIBLE_CHARACTER})[^\\u0000-\\u001f\\u007f]*$`;

/** What a person is told for a message with nothing to see, by the server and the composers. */
export const TEXT_EMPTY_MESSAGE = 'Please write a message.';
