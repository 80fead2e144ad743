import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { buildApp } from '../server/app.js';
import { seedDemo } from '../server/demo/demo-seed.js';
import { fileMailer } from '../server/jobs/mailer.js';
import { createWorker } from '../server/jobs/worker.js';
import { systemClock } from '../server/lib/clock.js';
import { createSignals } from '../server/lib/context.js';
import { openTestDatabase, testConfig } from '../server/test/test-app.js';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, expectAccessible, overflowProblems } from './support/pages.js';
import { newContext, settle, SIZES, type Size } from './support/tour.js';

/**
 * Self sign-up (SPEC rule 17, issue 16): a new patient signs up with the demo clinic's
 * Online sign-up invite code, follows the link of the email (read from the .eml file the
 * product writes without SMTP), confirms, signs in and sends a first message; staff see
 * "Signed up online" on the Patient Record.
 */
const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots16';
const NORA = { email: 'nora.newman@patient.example', password: 'orchid-tandem-velvet-58' };

let browser: Awaited<ReturnType<typeof launchBrowser>>;
let server: Awaited<ReturnType<typeof startServer>>;
let mailDir: string;
let worker: ReturnType<typeof createWorker>;

/** The demo server (as e2e/support/server.ts starts it), with its email worker in reach. */
async function startServer() {
  const database = await openTestDatabase();
  const config = testConfig();
  await seedDemo(database.db, config, systemClock);
  const signals = createSignals();
  const app = await buildApp({
    config,
    database,
    clock: systemClock,
    signals,
    checkResponses: true,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    database,
    config,
    signals,
    close: async () => {
      await app.close();
      await database.close();
    },
  };
}

beforeAll(async () => {
  server = await startServer();
  mailDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-signup-mail-'));
  worker = createWorker(
    { db: server.database.db, clock: systemClock, config: server.config, signals: server.signals },
    fileMailer(mailDir, server.config.mailFrom),
  );
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
  if (mailDir) fs.rmSync(mailDir, { recursive: true, force: true });
});

/** A screenshot at phone and at desktop size, each checked for sideways overflow. */
async function shoot(page: Page, name: string): Promise<void> {
  for (const size of ['phone', 'desktop'] as Size[]) {
    await page.setViewportSize(SIZES[size]);
    await settle(page);
    expect(await overflowProblems(page), `${name} at ${size}`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(SIZES.phone);
}

/** The emails written to the mailbox so far, parsed. */
async function mailbox() {
  const files = fs.readdirSync(mailDir).filter((f) => f.endsWith('.eml'));
  return Promise.all(
    files.map(async (f) => {
      const mail = await simpleParser(fs.readFileSync(path.join(mailDir, f)));
      const to = mail.to && !Array.isArray(mail.to) ? mail.to.text : '';
      return { to, subject: mail.subject ?? '', text: mail.text ?? '' };
    }),
  );
}

/** Runs the email worker until an email to this address is in the mailbox; answers it. */
async function emailTo(address: string) {
  let found: Awaited<ReturnType<typeof mailbox>>[number] | undefined;
  await expect
    .poll(
      async () => {
        await worker.runDue();
        found = (await mailbox()).find((m) => m.to === address);
        return Boolean(found);
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

describe('self sign-up', () => {
  let confirmLink = '';

  it('a new patient signs up with the demo code and is told to check their email', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    // The clinic's link: its code is filled in and its name shown.
    await page.goto(`${server.url}/portal/c/demo/sign-up`);
    await page.getByRole('heading', { name: 'Sign up', level: 1 }).waitFor();
    await expect.poll(() => page.getByText('Riverside Clinic').first().isVisible()).toBe(true);
    expect(await page.getByRole('textbox', { name: 'Clinic code' }).inputValue()).toBe('demo');
    await expectAccessible(page, 'sign-up form');
    await shoot(page, 'signup-form');

    await page
      .getByRole('textbox', { name: 'Online sign-up invite code' })
      .fill('riverside-online');
    await page.getByRole('textbox', { name: 'First name' }).fill('Nora');
    await page.getByRole('textbox', { name: 'Last name' }).fill('Newman');
    await page.getByRole('textbox', { name: 'Day' }).fill('14');
    await page.getByRole('textbox', { name: 'Month' }).fill('2');
    await page.getByRole('textbox', { name: 'Year' }).fill('1992');
    await page.getByRole('textbox', { name: 'Email' }).fill(NORA.email);
    // A password made of the name is refused, at its field, and the cursor goes there.
    const password = page.getByLabel(/^Password/);
    await password.fill('NoraNewman1992');
    await page.getByRole('checkbox', { name: /Email me when something new/ }).check();
    await page.getByRole('button', { name: 'Sign up' }).click();
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('type')))
      .toBe('password');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'sign-up form with a refused password');
    await shoot(page, 'signup-form-error');

    // The show-password button is the next stop of the Tab key after the password.
    await password.fill(NORA.password);
    await password.focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      'Show password',
    );
    await page.keyboard.press('Space');
    await expect.poll(() => password.getAttribute('type')).toBe('text');

    await page.getByRole('button', { name: 'Sign up' }).click();
    const heading = page.getByRole('heading', { name: 'Check your email', level: 1 });
    await heading.waitFor();
    // Focus moves to the new heading, so a screen reader reads the new page from its start.
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Check your email');
    expect(await page.getByRole('status').first().innerText()).toMatch(/^Check your email/);
    expect(await page.getByText(NORA.email).count()).toBeGreaterThan(0);
    await expectAccessible(page, 'check your email');
    await shoot(page, 'signup-check-email');

    const mail = await emailTo(NORA.email);
    expect(mail.subject).toContain('Confirm your email');
    // No clinical content, not even the patient's name.
    expect(mail.text).not.toContain('Nora');
    confirmLink = mail.text.match(/(\S+\/confirm-email#token=[A-Za-z0-9_-]+)/)?.[1] ?? '';
    expect(confirmLink, mail.text).toMatch(/^http/);
    await context.close();
  });

  it('the emailed link, with the password chosen, confirms the email and signs in; a first message is sent', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    // The link is followed on this device; the portal's address stands in for the public one.
    await page.goto(confirmLink.replace(server.config.publicUrl, server.url));
    await page.getByRole('heading', { name: 'Confirm your email', level: 1 }).waitFor();
    // The token is gone from the address bar.
    expect(new URL(page.url()).hash).toBe('');
    await expectAccessible(page, 'confirm email');
    await shoot(page, 'signup-confirm');
    // Only the one who chose the password can finish: another is refused at its field.
    const password = page.getByLabel(/^Password/);
    await password.fill('not-what-nora-chose-1');
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await expect
      .poll(() => page.getByText('This is not the password you chose').isVisible())
      .toBe(true);
    await expectAccessible(page, 'confirm email, wrong password');
    await shoot(page, 'signup-confirm-error');
    await password.fill(NORA.password);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('link', { name: 'Inbox' }).first().click();
    await page.getByRole('link', { name: 'New message' }).last().click();
    await page.getByRole('radio', { name: 'Something else' }).check();
    await page
      .getByRole('textbox', { name: /Your message/ })
      .fill('Hello, I have just joined. Could I book a first appointment?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    await expect
      .poll(() => page.getByText('Hello, I have just joined.', { exact: false }).count())
      .toBeGreaterThan(0);

    // The link works once: opened again, it says so and offers a way on.
    await page.goto(confirmLink.replace(server.config.publicUrl, server.url));
    await page.getByLabel(/^Password/).fill(NORA.password);
    await page.getByRole('button', { name: 'Confirm and sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not valid' }).waitFor();
    expect(await page.getByRole('link', { name: 'Forgotten password?' }).count()).toBe(1);
    await expectAccessible(page, 'confirm email, link used');
    await shoot(page, 'signup-confirm-used');
    await context.close();
  });

  it('staff see "Signed up online" on the new Patient Record', async () => {
    const rows = await server.database.db.execute<{ id: string }>(
      sql`select id from patients where email = ${NORA.email}`,
    );
    const id = rows.rows[0]!.id;
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await page.goto(`${server.url}/staff/?clinic=demo`);
    await page.getByLabel('Email').fill('reception@riverside.example');
    await page.locator('input[type=password]').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Start Page' }).waitFor();
    await page.goto(`${server.url}/staff/patients/${id}`);
    await page.getByRole('heading', { name: 'Nora Newman' }).waitFor();
    await expect.poll(() => page.getByText('Signed up online').first().isVisible()).toBe(true);
    await context.close();
  });
});
