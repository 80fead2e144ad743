import { expect } from 'vitest';
import type { Page } from 'playwright-core';

/** The element that has the keyboard focus, as a person (and a screen reader) meets it. */
export interface Focused {
  tag: string;
  role: string | null;
  type: string | null;
  /** Accessible name, roughly: aria-label, aria-labelledby, its label, or its text. */
  name: string;
  /** A focus ring (outline or shadow) on it, or an outline on a close ancestor (:focus-within). */
  ringVisible: boolean;
}

export async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    if (!el || el === document.body)
      return { tag: 'body', role: null, type: null, name: '', ringVisible: false };
    const text = (e: Element | null) => (e?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const labelledBy = el.getAttribute('aria-labelledby');
    const labels = (el as HTMLInputElement).labels;
    const name =
      el.getAttribute('aria-label') ??
      (labelledBy
        ? labelledBy
            .split(' ')
            .map((id) => text(document.getElementById(id)))
            .join(' ')
        : labels && labels.length > 0
          ? text(labels[0]!)
          : text(el));
    const ring = (e: Element, withShadow: boolean) => {
      const cs = getComputedStyle(e);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
      return outline || (withShadow && cs.boxShadow !== 'none' && cs.boxShadow !== '');
    };
    let ringVisible = ring(el, true);
    for (let up = el.parentElement, i = 0; up && i < 3 && !ringVisible; up = up.parentElement, i++)
      ringVisible = ring(up, false);
    return {
      tag: el.tagName.toLowerCase(),
      role: el.getAttribute('role'),
      type: el.getAttribute('type'),
      name: name.replace(/\s*\*$/, '').slice(0, 120),
      ringVisible,
    };
  });
}

/**
 * Presses Tab (or Shift+Tab) until the focused element matches, checking on the way that every
 * element the focus lands on shows a focus ring. Fails after `max` presses.
 */
export async function tabTo(
  page: Page,
  match: (f: Focused) => boolean,
  what: string,
  options: { max?: number; backwards?: boolean } = {},
): Promise<Focused> {
  const seen: string[] = [];
  for (let i = 0; i < (options.max ?? 40); i++) {
    await page.keyboard.press(options.backwards ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    seen.push(`${f.tag}${f.role ? `[${f.role}]` : ''} “${f.name}”`);
    if (f.tag !== 'body')
      expect(f.ringVisible, `a visible focus ring on ${seen.at(-1)} (going to ${what})`).toBe(true);
    if (match(f)) return f;
  }
  throw new Error(`Tab never reached ${what}; the focus went through: ${seen.join(', ')}`);
}

/** Matches a focused element by accessible name (exact, or a pattern) and optionally tag. */
export function named(name: string | RegExp, tag?: string): (f: Focused) => boolean {
  return (f) =>
    (typeof name === 'string' ? f.name === name : name.test(f.name)) && (!tag || f.tag === tag);
}
