import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let reception: Page;
let alice: Page;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  reception = await (
    await browser.newContext({ viewport: { width: 1440, height: 900 } })
  ).newPage();
  alice = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Polling runs every 15 s; anything faster than this came over the live events stream. */
const LIVE = { timeout: 5000, interval: 100 };

const unreadCount = async (page: Page) => {
  const label = await page
    .getByRole('link', { name: /unread notifications/ })
    .first()
    .getAttribute('aria-label');
  return Number(label?.match(/\d+/)?.[0] ?? NaN);
};

describe('live notifications across two browsers', () => {
  it('staff page open; the patient sends from the portal; the notification and unread count appear without reload', async () => {
    await signIn(reception, server.url, 'staff', 'reception@riverside.example');
    await reception.getByRole('list', { name: 'Notifications' }).waitFor();
    const before = await unreadCount(reception);
    expect(before).toBeGreaterThanOrEqual(0);
    const loads: string[] = [];
    reception.on('load', () => loads.push(reception.url()));

    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'New message' }).last().click();
    // Appointments go to Reception.
    await alice.getByRole('radio', { name: 'Appointments' }).check();
    await alice
      .getByRole('textbox', { name: /Your message/ })
      .fill('Live from the portal: can I bring my son to the appointment?');
    await alice.getByRole('button', { name: 'Send' }).click();
    await alice.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);

    const card = reception.getByRole('listitem').filter({ hasText: 'can I bring my son' });
    await expect.poll(() => card.count(), LIVE).toBe(1);
    expect(await card.innerText()).toContain('New message from Alice Archer');
    await expect.poll(() => unreadCount(reception), LIVE).toBe(before + 1);
    expect(loads).toEqual([]);
  });
});
