import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createWorker } from '../server/jobs/worker.js';
import { systemClock } from '../server/lib/clock.js';
import { createSignals } from '../server/lib/context.js';
import { memoryMailer } from '../server/test/test-app.js';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, expectAccessible, overflowProblems } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext, settle, SIZES, type Size } from './support/tour.js';

/**
 * Clinic links (issue 16): `/portal/c/<clinic code>/` opens the clinic's own sign-in, its name
 * shown and its code filled in; signing out comes back to it; the plain sign-in says where the
 * code comes from; a reset email links there and its page works.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots16';
const HINT = /invitation email your clinic sent you/;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** A screenshot of the page at phone and at desktop size, each checked for sideways overflow. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const size of ['phone', 'desktop'] as Size[]) {
    await page.setViewportSize(SIZES[size]);
    await settle(page);
    expect(await overflowProblems(page), `${name} at ${size}`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.phone);
}

const heading = (page: Page) => page.getByRole('heading', { level: 1 });
const codeBox = (page: Page) => page.getByRole('textbox', { name: 'Clinic code' });

async function signInWith(page: Page, email: string, password = DEMO_PASSWORD): Promise<void> {
  await page.getByRole('textbox', { name: 'Email' }).fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('clinic links', () => {
  it("opens the clinic's sign-in with its name and code, signs in, and signing out comes back to it", async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/c/demo/`);
    await expect.poll(() => heading(page).textContent()).toBe('Riverside Clinic');
    expect(await codeBox(page).inputValue()).toBe('demo');
    expect(await codeBox(page).getAttribute('readonly')).not.toBeNull();
    await page.getByRole('button', { name: 'Not your clinic?' }).waitFor();
    // The code is given: no need to say where to find it.
    expect(await page.getByText(HINT).count()).toBe(0);
    await expectAccessible(page, 'clinic link sign-in');
    await shoot(page, 'portal-clinic-link-sign-in');

    await signInWith(page, 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    // Signed in, the portal is as it always is, at its own address.
    expect(new URL(page.url()).pathname).toMatch(/^\/portal\/(inbox)?$/);
    expect(await page.getByRole('heading', { name: 'Riverside Clinic' }).count()).toBe(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Riverside Clinic');
    expect(await codeBox(page).inputValue()).toBe('demo');

    // Any portal page visited signed out leads to the same clinic's sign-in.
    await page.goto(`${server.url}/portal/documents`);
    await expect.poll(() => heading(page).textContent()).toBe('Riverside Clinic');
    expect(await codeBox(page).inputValue()).toBe('demo');
    // ...and signs in to that page.
    await signInWith(page, 'alice@patient.example');
    await page.getByRole('heading', { name: 'Documents' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/portal/documents');

    // Already signed in, the clinic link is the portal.
    await page.goto(`${server.url}/portal/c/demo/`);
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/portal\/(inbox)?$/);
    await context.close();
  });

  it('“Not your clinic?” asks for the code, saying where to find it', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/c/demo/`);
    await page.getByRole('button', { name: 'Not your clinic?' }).click();
    await expect.poll(() => heading(page).textContent()).toBe('Patient Portal');
    const box = codeBox(page);
    expect(await box.inputValue()).toBe('');
    expect(await box.getAttribute('readonly')).toBeNull();
    expect(await box.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByText(HINT).isVisible()).toBe(true);

    // It is remembered: the portal asks for the code from now on.
    await page.goto(`${server.url}/portal/`);
    await expect.poll(() => heading(page).textContent()).toBe('Patient Portal');
    await box.fill('demo');
    await signInWith(page, 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    await context.close();
  });

  it('the plain sign-in says where the clinic code comes from', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/`);
    await expect.poll(() => heading(page).textContent()).toBe('Patient Portal');
    const hint = page.getByText(HINT);
    expect(await hint.isVisible()).toBe(true);
    // The hint is the box's description: read out with it.
    const hintId = await hint.getAttribute('id');
    expect(await codeBox(page).getAttribute('aria-describedby')).toContain(hintId);
    await expectAccessible(page, 'plain sign-in');
    await shoot(page, 'portal-plain-sign-in');
    await context.close();
  });

  it('a link to no clinic says so and asks for the code', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/c/no-such-clinic/`);
    await page.getByRole('alert').filter({ hasText: 'does not match any clinic' }).waitFor();
    expect(await heading(page).textContent()).toBe('Patient Portal');
    expect(await codeBox(page).getAttribute('readonly')).toBeNull();
    await shoot(page, 'portal-clinic-link-unknown');
    // Not remembered: the portal's own address asks for the code.
    await page.goto(`${server.url}/portal/`);
    await expect.poll(() => heading(page).textContent()).toBe('Patient Portal');
    await context.close();
  });

  it('a reset email links to the set-password page under the clinic link, which works', async () => {
    const mailer = memoryMailer();
    const worker = createWorker(
      {
        db: server.database.db,
        clock: systemClock,
        config: server.config,
        signals: createSignals(),
      },
      mailer,
    );
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/c/demo/`);
    await page.getByRole('link', { name: 'Forgotten password?' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/portal/c/demo/forgotten-password');
    expect(await codeBox(page).inputValue()).toBe('demo');
    await page.getByRole('textbox', { name: 'Email' }).fill('bob@patient.example');
    // The request's answer is awaited by itself: when it is not 202, the failure says what it was.
    const [answer] = await Promise.all([
      page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/portal/password-reset'),
      ),
      page.getByRole('button', { name: 'Email me a link' }).click(),
    ]);
    expect(answer.status(), await answer.text()).toBe(202);
    await page.getByRole('status').filter({ hasText: 'If this email belongs' }).waitFor();

    await expect
      .poll(async () => {
        await worker.runDue();
        return mailer.outbox.filter((m) => m.to === 'bob@patient.example').length;
      })
      .toBe(1);
    const mail = mailer.outbox.find((m) => m.to === 'bob@patient.example')!;
    const link = mail.text.match(/(\S+\/set-password#token=[A-Za-z0-9_-]+)/)?.[1];
    expect(link, mail.text).toMatch(new RegExp(`^${server.config.publicUrl}/portal/c/demo/`));

    // The link is followed on this device; the portal's address stands in for the public one.
    await page.goto(link!.replace(server.config.publicUrl, server.url));
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    await expectAccessible(page, 'set password under a clinic link');
    const fresh = 'a-brand-new-password-57';
    await page.getByLabel(/^New password/).fill(fresh);
    await page.getByLabel(/^Repeat the new password/).fill(fresh);
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('status').filter({ hasText: 'Your password is set' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    // Back to the clinic's own sign-in.
    await expect.poll(() => heading(page).textContent()).toBe('Riverside Clinic');
    await signInWith(page, 'bob@patient.example', fresh);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await context.close();
  });

  it('keeps the old set-password address of emails already sent', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/set-password#token=an-old-link-token`);
    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    expect(await page.getByLabel(/^New password/).count()).toBe(1);
    await context.close();
  });
});
