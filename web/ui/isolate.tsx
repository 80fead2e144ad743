import type { ReactNode } from 'react';

/*
 * Names, subjects, previews and message text come from people, and may hold bidirectional
 * controls (a U+202E right-to-left override turns "Alice" into "ecilA" and, unisolated, every
 * word after it on the line too). Each is shown in a bidi isolate of its own: `<bdi>` among
 * the app's words, `dir="auto"` on a block (see MessageText), FSI…PDI in plain text.
 */

/** Text a person wrote (a name, subject, preview), isolated from the words around it. */
export function Isolate({ children }: { children: ReactNode }) {
  return <bdi>{children}</bdi>;
}

/**
 * A sentence written around names ("3 new messages from Alice Archer"), each of `names` in it
 * isolated; the rest as it is. One `<span>`, so that a flex container (a button's label) lays
 * it out as one piece of text.
 */
export function WithNames({ text, names }: { text: string; names: (string | null | undefined)[] }) {
  const wanted = [...new Set(names.filter((n): n is string => Boolean(n)))];
  const parts: ReactNode[] = [];
  let rest = text;
  for (let key = 0; rest; key += 1) {
    let at = -1;
    let found = '';
    for (const name of wanted) {
      const i = rest.indexOf(name);
      if (i >= 0 && (at < 0 || i < at || (i === at && name.length > found.length))) {
        at = i;
        found = name;
      }
    }
    if (at < 0) {
      parts.push(rest);
      break;
    }
    if (at > 0) parts.push(rest.slice(0, at));
    parts.push(<bdi key={key}>{found}</bdi>);
    rest = rest.slice(at + found.length);
  }
  return <span>{parts}</span>;
}

/**
 * Plain text (a desktop notification, a window title) that cannot hold `<bdi>`: the text
 * between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, which do the same.
 */
export function isolatePlain(text: string): string {
  return `\u2068${text}\u2069`;
}
