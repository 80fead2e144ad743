import AxeBuilder from '@axe-core/playwright';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';

export const DEMO_PASSWORD = 'demo-password-1';

/** Signs in through the sign-in form, as a person would. */
export async function signIn(
  page: Page,
  base: string,
  app: 'portal' | 'staff',
  email: string,
): Promise<void> {
  await page.goto(`${base}/${app}/?clinic=demo`);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** axe-core's serious and critical violations on the page as it is now, one line each. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id}: ${v.help} (${v.nodes
          .map((n) => `${n.target.join(' ')} ${n.failureSummary ?? ''}`)
          .slice(0, 3)
          .join('; ')})`,
    );
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await accessibilityProblems(page), `accessibility of ${what}`).toEqual([]);
}

/** The elements that stick out of the window sideways; empty when the page fits. */
export async function overflowProblems(page: Page): Promise<string[]> {
  const result = await page.evaluate(() => {
    const width = window.innerWidth;
    const wide = Array.from(document.querySelectorAll('body *'))
      .filter((e) => {
        const r = e.getBoundingClientRect();
        return r.width > 0 && r.right > width + 0.5;
      })
      .slice(0, 5)
      .map((e) => {
        const cls = typeof e.className === 'string' ? e.className.split(' ')[0] : '';
        return `${e.tagName.toLowerCase()}${cls ? `.${cls}` : ''} (right edge ${Math.round(e.getBoundingClientRect().right)} px)`;
      });
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });
  return result.scrollWidth <= result.width
    ? []
    : [
        `page is ${result.scrollWidth} px wide in a ${result.width} px window: ${result.wide.join(', ')}`,
      ];
}

/** Buttons and badges whose words do not fit them (cut off or spilling out). */
export async function clippedProblems(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(
      document.querySelectorAll(
        '.mantine-Button-root, .mantine-Button-label, .mantine-Badge-root, .mantine-Badge-label',
      ),
    )
      .filter((e) => {
        const box = e as HTMLElement;
        return (
          box.offsetParent !== null && box.clientWidth > 0 && box.scrollWidth > box.clientWidth + 1
        );
      })
      .map((e) => {
        const box = e as HTMLElement;
        return `“${(box.textContent ?? '').trim()}” does not fit its ${box.clientWidth} px (needs ${box.scrollWidth} px)`;
      }),
  );
}

/**
 * Nothing wider than the window: no sideways scrolling. Checked until it holds for up to 5 s:
 * just after the window is made narrower, a page may still be laying itself out for its new
 * width (an open dialog measured for the old one); an overflow that stays fails.
 */
export async function expectNoHorizontalOverflow(page: Page, what: string): Promise<void> {
  await expect
    .poll(() => overflowProblems(page), {
      message: `horizontal overflow of ${what}`,
      timeout: 5000,
      intervals: [100, 250, 500],
    })
    .toEqual([]);
}
