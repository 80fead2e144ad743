import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { expectAccessible, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

const XSS =
  '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script> & see https://example.org/info';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let patientContext: BrowserContext;
let staffContext: BrowserContext;
let bob: Page;
let reception: Page;
const dialogs: string[] = [];

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  patientContext = await browser.newContext({ viewport: { width: 390, height: 844 } });
  staffContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  bob = await patientContext.newPage();
  reception = await staffContext.newPage();
  for (const page of [bob, reception])
    page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('the SPEC workflow in the browser', () => {
  it('a patient whose band does not allow messaging has no Inbox, and a direct visit explains why', async () => {
    await signIn(bob, server.url, 'portal', 'bob@patient.example');
    await expect
      .poll(() => bob.getByText('Online messaging is not available').first().isVisible())
      .toBe(true);
    expect(await bob.getByRole('link', { name: 'Inbox' }).count()).toBe(0);
    await bob.goto(`${server.url}/portal/inbox`);
    await expect
      .poll(() => bob.getByText('Online messaging is not available').first().isVisible())
      .toBe(true);
    await expect
      .poll(() =>
        bob
          .getByText(/contact the clinic/i)
          .first()
          .isVisible(),
      )
      .toBe(true);
    await expectAccessible(bob, 'portal, messaging not available');
  });

  it('an admin ticks Allow online messaging on the band in Billing Rules', async () => {
    const adminContext = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const admin = await adminContext.newPage();
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    await admin.getByRole('link', { name: 'Start Page' }).waitFor();
    await admin.goto(`${server.url}/staff/admin/billing-rules`);
    const band = admin.getByRole('region', { name: 'Charge band Online, no messaging' });
    await band.getByLabel('Allow online messaging').check();
    await band.getByRole('button', { name: 'Save Online Settings' }).click();
    await expect.poll(() => band.getByText('Saved.').isVisible()).toBe(true);
    await expectAccessible(admin, 'staff Billing Rules');
    await admin.getByRole('button', { name: 'Sign out' }).click();
    await admin.getByRole('button', { name: 'Sign in' }).waitFor();
    await adminContext.close();
  });

  it('the patient now has an Inbox and sends a new message', async () => {
    await bob.goto(`${server.url}/portal/`);
    await bob.getByRole('link', { name: 'Inbox' }).first().waitFor();
    await expect.poll(() => bob.url()).toContain('/portal/inbox');
    await expectAccessible(bob, 'portal Inbox');
    await bob.getByRole('link', { name: 'New message' }).last().click();
    await expect.poll(() => bob.getByText(/Not for emergencies/).isVisible()).toBe(true);
    // "Something else" goes to the Role for new messages (Appointment Reminder Admin).
    await bob.getByRole('radio', { name: 'Something else' }).check();
    await bob
      .getByLabel('Your message to Riverside Clinic')
      .fill(`Hello, I need a new appointment.\nSecond line.\n${XSS}`);
    await expectAccessible(bob, 'portal New message');
    await bob.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => bob.url()).toMatch(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    // HTML is shown as typed and never runs; the link is clickable.
    await expect
      .poll(() => bob.getByText('<script>window.__xss=1</script>', { exact: false }).count())
      .toBeGreaterThan(0);
    expect(await bob.getByRole('link', { name: 'https://example.org/info' }).count()).toBe(1);
    expect(
      await bob.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
  });

  it('reception (in the Role for new messages) sees the notification and replies from it, sharing with the patient', async () => {
    await signIn(reception, server.url, 'staff', 'reception@riverside.example');
    const card = reception.getByRole('listitem').filter({ hasText: 'New message from Bob Baker' });
    await card.waitFor();
    await expectAccessible(reception, 'staff Start Page');
    expect(
      await reception.evaluate(() => (window as unknown as { __xss?: number }).__xss),
    ).toBeUndefined();
    await card.getByRole('button', { name: 'Reply' }).click();
    await card
      .getByRole('textbox', { name: 'Message' })
      .fill('Thursday at 10:00 is free. See you then!');
    // Who will see the message is chosen in the audience control's dialog.
    await card.getByTestId('audience-control').getByRole('button').click();
    const audience = reception.getByRole('dialog', { name: 'Who will see the message' });
    await audience.getByLabel('also share with the patient').check();
    await audience.getByRole('button', { name: 'Done' }).click();
    await card.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => reception.getByText('Reply sent to Bob Baker.').isVisible()).toBe(true);
  });

  it('reception adds an internal note for the nurses that the patient never sees', async () => {
    await reception.getByRole('link', { name: 'Patient', exact: true }).click();
    await reception.getByRole('searchbox', { name: 'Search patients' }).fill('Baker');
    await reception.getByRole('link', { name: /Baker, Bob/ }).click();
    await reception.getByRole('tab', { name: 'Feed' }).waitFor();
    await expectAccessible(reception, 'staff Patient Record');
    await reception.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    await reception.getByRole('log', { name: 'Messages' }).waitFor();
    await expect
      .poll(() => reception.getByText('Shared with: Patient').first().isVisible())
      .toBe(true);
    await reception
      .getByRole('textbox', { name: 'Message' })
      .fill('Internal: please check his blood pressure history.');
    await reception.getByTestId('audience-control').getByRole('button').click();
    const audience = reception.getByRole('dialog', { name: 'Who will see the message' });
    await audience.getByRole('combobox', { name: 'Share' }).click();
    await reception.getByRole('option', { name: 'exclusively with roles' }).click();
    const roles = audience.getByRole('combobox', { name: 'Roles' });
    await roles.click();
    await reception.getByRole('option', { name: 'Nurses' }).click();
    // Escape closes the list of roles, not the dialog.
    await reception.keyboard.press('Escape');
    await audience.getByRole('button', { name: 'Done' }).click();
    await audience.waitFor({ state: 'detached' });
    expect(
      await reception.getByTestId('audience-control').getByRole('button').textContent(),
    ).toContain('Internal note: only');
    await reception.getByRole('button', { name: 'Send', exact: true }).click();
    await expect
      .poll(() =>
        reception.getByRole('article', { name: /Internal note from Rita Reception/ }).count(),
      )
      .toBe(1);
    await expectAccessible(reception, 'staff Patient Record with conversation');
  });

  it('the patient reads the reply with the author’s name and role, and not the note', async () => {
    await bob.reload();
    const reply = bob.getByRole('article', { name: 'Message from Rita Reception' });
    await reply.waitFor();
    expect(await reply.textContent()).toContain('Reception');
    expect(await reply.textContent()).toContain('Thursday at 10:00 is free.');
    expect(await bob.content()).not.toContain('blood pressure history');
    await expectAccessible(bob, 'portal conversation');
    expect(dialogs).toEqual([]);
  });
});
