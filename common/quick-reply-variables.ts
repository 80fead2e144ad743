// Quick reply variables (SPEC rule 15): the list, the check made when a quick reply is saved,
// and the fill made for a patient and a staff user. Plain TypeScript with no imports: the web
// editor checks as the admin types, with the same words as the server's 422.

/** The most characters of a quick reply's name (its text is a message: 1 to 5,000). */
export const QUICK_REPLY_NAME_MAX = 100;
/** The most roles one quick reply is for. */
export const QUICK_REPLY_ROLES_MAX = 50;

/** The variables a quick reply may hold, in the order the editor lists them. */
export const QUICK_REPLY_VARIABLES = [
  { name: '{patient.firstName}', meaning: "the patient's first name" },
  { name: '{patient.lastName}', meaning: "the patient's last name" },
  { name: '{clinic.name}', meaning: "the clinic's name" },
  { name: '{clinic.phone}', meaning: 'the Clinic phone (empty when not set)' },
  { name: '{user.name}', meaning: 'your name (the staff user inserting it)' },
] as const;

export type QuickReplyVariable = (typeof QUICK_REPLY_VARIABLES)[number]['name'];

/** What a quick reply's variables are filled with. */
export type QuickReplyValues = Record<QuickReplyVariable, string>;

const KNOWN = new Set<string>(QUICK_REPLY_VARIABLES.map((v) => v.name));
const LONGEST_SHOWN = 40;

function shown(fragment: string): string {
  const chars = [...fragment];
  return chars.length > LONGEST_SHOWN ? `${chars.slice(0, LONGEST_SHOWN).join('')}…` : fragment;
}

/** The variables as a sentence: "{patient.firstName}, {patient.lastName}, … or {user.name}". */
export const QUICK_REPLY_VARIABLE_LIST = `${QUICK_REPLY_VARIABLES.slice(0, -1)
  .map((v) => v.name)
  .join(', ')} or ${QUICK_REPLY_VARIABLES[QUICK_REPLY_VARIABLES.length - 1]!.name}`;

/**
 * The first thing in the text that looks like a variable but is not one: an unknown or
 * misspelt name (`{patient.first}`), a brace left open (`{user.name`) or a closing brace with
 * no opening one (`user.name}`); null when every brace is a known variable.
 */
export function findUnknownVariable(text: string): string | null {
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{', i);
    const close = text.indexOf('}', i);
    if (open === -1 && close === -1) return null;
    if (open === -1 || (close !== -1 && close < open)) {
      // A closing brace with no opening one: show the word it closes.
      const start = text.slice(0, close).search(/\S*$/);
      return shown(text.slice(start, close + 1));
    }
    const nextOpen = text.indexOf('{', open + 1);
    if (close === -1 || (nextOpen !== -1 && nextOpen < close)) {
      const rest = text.slice(open);
      const end = rest.slice(1).search(/[\s{]/);
      return shown(end === -1 ? rest : rest.slice(0, end + 1));
    }
    const token = text.slice(open, close + 1);
    if (!KNOWN.has(token)) return shown(token);
    i = close + 1;
  }
  return null;
}

/** The sentence shown for an unknown variable, by the server (422, field `text`) and the editor. */
export function unknownVariableMessage(fragment: string): string {
  return `${fragment} is not a variable. Use ${QUICK_REPLY_VARIABLE_LIST}.`;
}

/** The quick reply's text with each variable replaced by its value (the text was checked when saved). */
export function fillQuickReply(text: string, values: QuickReplyValues): string {
  return text.replace(/\{[^{}]*\}/g, (token) =>
    KNOWN.has(token) ? values[token as QuickReplyVariable] : token,
  );
}
