import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { focused, named, tabTo } from './support/keyboard.js';
import { signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext } from './support/tour.js';

/**
 * Where the keyboard focus goes (issue 16): the show-password button is a stop of Tab, Send
 * leaves the cursor in the message box and says so, and a new portal page takes the focus to
 * its heading.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** What the page's live region has said last (announced to screen readers). */
const announced = (page: Page) =>
  page.evaluate(() => document.querySelector('[data-testid=announcer]')?.textContent ?? '');

/** Tabs from the password box to its show-password button and shows the password with Space. */
async function showPasswordWithKeyboard(page: Page, passwordLabel: string): Promise<void> {
  // The label ends with the asterisk of a required field.
  const box = page.getByLabel(new RegExp(`^${passwordLabel}`));
  await box.focus();
  await page.keyboard.type('secret-typed-1');
  const toggle = await tabTo(page, named('Show password', 'button'), 'the show-password button', {
    max: 1,
  });
  expect(toggle.ringVisible).toBe(true);
  expect(await box.getAttribute('type')).toBe('password');
  await page.keyboard.press('Space');
  expect(await box.getAttribute('type')).toBe('text');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-pressed'))).toBe(
    'true',
  );
  await page.keyboard.press('Enter');
  expect(await box.getAttribute('type')).toBe('password');
}

describe('keyboard focus', () => {
  it('Tab reaches the show-password button of every password box, in both apps', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/c/demo/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await showPasswordWithKeyboard(page, 'Password');

    await page.goto(`${server.url}/staff/?clinic=demo`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await showPasswordWithKeyboard(page, 'Password');

    for (const app of ['portal', 'staff']) {
      await page.goto(`${server.url}/${app}/set-password#token=not-a-real-token`);
      await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
      await showPasswordWithKeyboard(page, 'New password');
      await showPasswordWithKeyboard(page, 'Repeat the new password');
    }
    await context.close();
  });

  it('after Send reply in the portal the cursor stays in the reply box and the send is announced', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await signIn(page, server.url, 'portal', 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    const box = page.getByRole('textbox', { name: 'Your reply' });
    await box.fill('Thank you, that helps.');
    await tabTo(page, named('Send reply', 'button'), 'Send reply', { max: 6 });
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('article', { name: 'Your message' }).last().innerText())
      .toContain('Thank you, that helps.');
    await expect.poll(async () => (await focused(page)).name).toBe('Your reply');
    expect((await focused(page)).tag).toBe('textarea');
    await expect.poll(() => announced(page)).toBe('Message sent');
    // The box is empty and ready for the next message.
    expect(await box.inputValue()).toBe('');
    await context.close();
  });

  it('after Send in the staff Feed the cursor stays in the message box and the send is announced', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await signIn(page, server.url, 'staff', 'reception@riverside.example');
    await page.getByRole('link', { name: 'Patient', exact: true }).click();
    await page.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await page.getByRole('link', { name: /Archer, Alice/ }).click();
    await page.getByRole('tab', { name: 'Feed' }).waitFor();
    await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    await page.getByRole('log', { name: 'Messages' }).waitFor();
    await page.getByRole('textbox', { name: 'Message' }).fill('We have booked you in for Monday.');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await expect
      .poll(() => page.getByRole('log', { name: 'Messages' }).innerText())
      .toContain('We have booked you in for Monday.');
    await expect.poll(async () => (await focused(page)).name).toBe('Message');
    expect((await focused(page)).tag).toBe('textarea');
    await expect.poll(() => announced(page)).toBe('Message sent');
    await context.close();
  });

  it('moving between portal pages takes the focus to the new page’s heading, not on first load', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await signIn(page, server.url, 'portal', 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    // First load: the focus is left where the browser puts it.
    expect((await focused(page)).tag).not.toMatch(/^h[12]$/);

    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Documents', 'Medical Data', 'Inbox']) {
      await nav.getByRole('link', { name }).click();
      // The link clicked has the same name: the heading is told by its tag.
      await expect
        .poll(async () => {
          const f = await focused(page);
          return `${f.tag} ${f.name}`;
        })
        .toBe(`h2 ${name}`);
      const f = await focused(page);
      // Focused to be read, not typed in: no ring jumps onto the title.
      expect(f.ringVisible).toBe(false);
    }

    // With the keyboard: Enter on a link, then Tab goes on from the new page's heading.
    await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().focus();
    await page.keyboard.press('Enter');
    await expect.poll(async () => (await focused(page)).tag).toBe('h2');

    // A page that puts the cursor in its form keeps it there.
    await page.goto(`${server.url}/portal/inbox`);
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    await page.getByRole('link', { name: 'New message' }).first().click();
    await expect.poll(async () => (await focused(page)).tag).toBe('input');

    // Reloading a page is a first load: nothing is moved.
    await page.goto(`${server.url}/portal/documents`);
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    expect((await focused(page)).tag).toBe('body');
    await context.close();
  });
});
