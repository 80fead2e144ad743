import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext } from './support/tour.js';

/**
 * What a person sees besides the happy path: updates arriving live, loading, errors (with
 * their message, next to the field they concern, and a way to try again) and empty lists.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let patientContext: BrowserContext;
let staffContext: BrowserContext;
let alice: Page;
let admin: Page;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  patientContext = await newContext(browser, 'phone');
  staffContext = await newContext(browser, 'desktop');
  alice = await patientContext.newPage();
  admin = await staffContext.newPage();
  await signIn(alice, server.url, 'portal', 'alice@patient.example');
  await alice.getByRole('list', { name: 'Conversations' }).waitFor();
  await signIn(admin, server.url, 'staff', 'admin@riverside.example');
  await admin.getByRole('list', { name: 'Notifications' }).waitFor();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** The text of what a field is described by: its description and its error. */
async function describedBy(field: Locator): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  return field.evaluate(
    (_, list) => list.map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    ids,
  );
}

/** Well under the polling intervals (15 s staff, 30 s portal): only the live stream is this fast. */
const LIVE = { timeout: 6_000 };

describe('live updates, without reload', () => {
  it('a patient’s new message appears on the open Start Page at once', async () => {
    const sent = await patientContext.request.post(`${server.url}/api/v1/portal/conversations`, {
      // With a subject, so that the portal's list names it whatever its last message is (out of
      // office hours the clinic's automatic answer comes last).
      data: { text: 'Live: is the clinic open on Saturday?', subject: 'Live: Saturday opening' },
      headers: { origin: server.url },
    });
    expect(sent.status()).toBe(201);
    const card = admin
      .getByRole('listitem')
      .filter({ hasText: 'Live: is the clinic open on Saturday?' });
    await expect.poll(() => card.count(), LIVE).toBe(1);
    expect(await card.innerText()).toContain('New message from Alice Archer');
    // Screen readers hear of it too.
    expect(
      await admin.getByRole('status').filter({ hasText: 'New message from Alice Archer' }).count(),
    ).toBe(1);
  });

  it('the staff reply appears in the patient’s open conversation at once', async () => {
    await alice.reload();
    await alice
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link')
      .filter({ hasText: 'Live: Saturday opening' })
      .click();
    await alice.getByRole('log', { name: 'Messages' }).waitFor();

    const card = admin
      .getByRole('listitem')
      .filter({ hasText: 'Live: is the clinic open on Saturday?' });
    await card.getByRole('button', { name: 'Reply' }).click();
    await card.getByRole('textbox', { name: 'Message' }).fill('Live: yes, 9 to 12.');
    await card.getByRole('button', { name: 'Send', exact: true }).click();

    const reply = alice.getByRole('article', { name: 'Message from Ada Admin' });
    await expect.poll(() => reply.count(), LIVE).toBe(1);
    expect(await reply.innerText()).toContain('Live: yes, 9 to 12.');
  });
});

describe('loading and error states', () => {
  it('a list shows it is loading, then the error with its message and Try again', async () => {
    let fail = true;
    const inbox = (url: URL) => url.pathname === '/api/v1/portal/conversations';
    await alice.route(inbox, async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      await new Promise((r) => setTimeout(r, 400));
      if (!fail) return route.continue();
      return route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({
          error: { status: 503, code: 'unavailable', message: 'The service is busy; try again.' },
        }),
      });
    });
    await alice.goto(`${server.url}/portal/inbox`);
    await alice.getByRole('status').filter({ hasText: 'Loading…' }).waitFor();
    const error = alice.getByRole('alert').filter({ hasText: 'This could not be loaded' });
    await error.waitFor({ timeout: 15_000 });
    expect(await error.innerText()).toContain('The service is busy; try again.');
    fail = false;
    await error.getByRole('button', { name: 'Try again' }).click();
    await alice.getByRole('list', { name: 'Conversations' }).waitFor();
    await alice.unrouteAll();
  });

  it('a refused send keeps the draft and shows the server’s message', async () => {
    await alice.goto(`${server.url}/portal/inbox/new`);
    await alice.getByRole('radio', { name: 'Something else' }).check();
    const box = alice.getByLabel('Your message to Riverside Clinic');
    await box.fill('This draft must survive a refusal.');
    await alice.route(
      (url) => url.pathname === '/api/v1/portal/conversations',
      (route) =>
        route.fulfill({
          status: 403,
          contentType: 'application/json',
          body: JSON.stringify({
            error: {
              status: 403,
              code: 'messaging_not_allowed',
              message: 'Online messaging is not available for your account.',
            },
          }),
        }),
    );
    await alice.getByRole('button', { name: 'Send' }).click();
    await alice
      .getByRole('alert')
      .filter({ hasText: 'Online messaging is not available for your account.' })
      .waitFor();
    expect(await box.inputValue()).toBe('This draft must survive a refusal.');
    await alice.unrouteAll();
  });
});

describe('errors next to the field they concern', () => {
  it('a message over 5,000 characters is refused before sending, under the box', async () => {
    await alice.goto(`${server.url}/portal/inbox/new`);
    const box = alice.getByLabel('Your message to Riverside Clinic');
    await box.fill('x'.repeat(5001));
    expect(await describedBy(box)).toContain('A message can be at most 5,000 characters long.');
    expect(await box.getAttribute('aria-invalid')).toBe('true');
    expect(await alice.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
  });

  it('New User with an email already in use: the server’s message under Email', async () => {
    await admin.goto(`${server.url}/staff/admin/user-management`);
    await admin.getByRole('button', { name: 'New User' }).click();
    const dialog = admin.getByRole('dialog', { name: 'New User' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Second Admin');
    const email = dialog.getByRole('textbox', { name: 'Email' });
    await email.fill('admin@riverside.example');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(email)).toContain('A user with this email exists already.');
    expect(await email.evaluate((el) => el === document.activeElement)).toBe(true);
    // Not also repeated as a general alert.
    expect(await dialog.getByRole('alert').count()).toBe(0);
    await admin.keyboard.press('Escape');
  });

  it('a wrong password: the message under Password, which gets the cursor', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/?clinic=demo`);
    await page.getByLabel('Email').fill('alice@patient.example');
    const password = page.locator('input[type=password]');
    await password.fill(`${DEMO_PASSWORD}-wrong`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => password.getAttribute('aria-invalid')).toBe('true');
    expect(await describedBy(password)).toContain('The email or password is not correct.');
    expect(await password.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.getByLabel('Email').inputValue()).toBe('alice@patient.example');
    await context.close();
  });
});

describe('empty states', () => {
  it('say so in words', async () => {
    await admin.goto(`${server.url}/staff/patients`);
    await admin.getByRole('searchbox', { name: 'Search patients' }).fill('Zzyzx');
    await admin.getByText('No patient matches “Zzyzx”.').waitFor();

    await admin.goto(`${server.url}/staff/admin/system-activity`);
    await admin.getByLabel('From').fill('2999-01-01');
    await admin.getByText('Nothing recorded for these filters.').waitFor();

    await admin.goto(`${server.url}/staff/`);
    await admin.getByRole('button', { name: 'Mark all read' }).click();
    await admin.getByText('No unread notifications.').waitFor();
  });
});
