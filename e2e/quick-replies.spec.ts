import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { focused, named, tabTo } from './support/keyboard.js';
import { expectAccessible, expectNoHorizontalOverflow, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

// Quick replies (issue 15, SPEC rule 15): an admin adds one on Admin > Configuration > Quick
// Replies; reception opens a patient's Feed, inserts it with the keyboard only (type to
// filter, Enter), edits the filled text and sends it; the patient reads it in the portal.

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: Page;
let rita: Page;
let alice: Page;

/** Screenshots for people to look at (tmp/ is ignored by git); QUICK_REPLY_SHOTS=0 skips them. */
const SHOTS = process.env.QUICK_REPLY_SHOTS === '0' ? null : 'tmp/quick-replies';
async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });
}

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  rita = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  alice = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

const NAME = 'Parking information';
const TEXT =
  'Dear {patient.firstName}, there are two disabled bays at the entrance. Call {clinic.phone} if they are taken.\n{user.name}';

describe('quick replies', () => {
  it('an admin adds a quick reply; an unknown variable is named at the field first', async () => {
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    await admin.getByRole('link', { name: 'Patient', exact: true }).first().waitFor();
    await admin.goto(`${server.url}/staff/admin/configuration`);
    const section = admin.getByRole('region', { name: 'Quick Replies' });
    // The demo's two quick replies are listed.
    await section.getByRole('listitem', { name: 'Appointment confirmed' }).waitFor();
    expect(await section.getByRole('listitem', { name: 'Results normal' }).count()).toBe(1);
    await section.scrollIntoViewIfNeeded();
    await shot(admin, 'admin-desktop');
    await section.getByRole('button', { name: 'New Quick Reply' }).click();
    const dialog = admin.getByRole('dialog', { name: 'New Quick Reply' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill(NAME);
    const text = dialog.getByRole('textbox', { name: 'Text' });
    await text.fill('Dear {patient.first}, see you.');
    // Checked as it is typed, in the server's words.
    await dialog
      .getByText('{patient.first} is not a variable. Use {patient.firstName},', { exact: false })
      .waitFor();
    expect(await dialog.getByRole('button', { name: 'Create quick reply' }).isDisabled()).toBe(
      true,
    );
    await text.fill('');
    await text.fill(TEXT.replace('\n{user.name}', '\n'));
    // The variables are listed and insertable at the cursor.
    await dialog.getByRole('button', { name: /^Insert \{user\.name\}/ }).click();
    expect(await text.inputValue()).toBe(TEXT);
    await shot(admin, 'admin-new-desktop');
    await expectAccessible(admin, 'New Quick Reply');
    await dialog.getByRole('button', { name: 'Create quick reply' }).click();
    await dialog.waitFor({ state: 'detached' });
    await section.getByRole('listitem', { name: NAME }).waitFor();
    expect(await section.getByRole('listitem', { name: NAME }).textContent()).toContain(
      'Used by: Everyone',
    );
    await expectAccessible(admin, 'Admin > Configuration with Quick Replies');
  });

  it('reception inserts it in a new conversation with the keyboard only, edits it and sends it', async () => {
    await signIn(rita, server.url, 'staff', 'reception@riverside.example');
    await rita.getByRole('link', { name: 'Patient', exact: true }).first().click();
    await rita.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await rita.getByRole('link', { name: /Archer, Alice/ }).click();
    await rita.getByRole('tab', { name: 'Feed' }).waitFor();
    await rita.getByRole('button', { name: 'New conversation' }).click();
    const dialog = rita.getByRole('dialog', { name: /New conversation with/ });
    const box = dialog.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await dialog.getByRole('textbox', { name: 'Subject' }).fill('Parking');
    await box.focus();
    await rita.keyboard.type('Hello. ');
    // The button sits above the box: Tab after the box goes on to who will see the message.
    await tabTo(rita, named('Insert quick reply', 'button'), 'Insert quick reply', {
      backwards: true,
      max: 1,
    });
    await rita.keyboard.press('Enter');
    const search = rita.getByRole('textbox', { name: 'Search quick replies by name' });
    await search.waitFor();
    expect((await focused(rita)).name).toBe('Search quick replies by name');
    await rita.getByRole('option', { name: 'Appointment confirmed' }).waitFor();
    await shot(rita, 'composer-menu-desktop');
    await expectAccessible(rita, 'Insert quick reply menu');
    await rita.keyboard.type('park');
    await expect.poll(() => rita.getByRole('option').count()).toBe(1);
    await rita.keyboard.press('Enter');
    await search.waitFor({ state: 'detached' });
    const filled =
      'Dear Alice, there are two disabled bays at the entrance. Call 020 7946 0000 if they are taken.\nRita Reception';
    expect(await box.inputValue()).toBe(`Hello. ${filled}`);
    // The cursor is back in the message box, after the inserted text: editing goes on there.
    expect((await focused(rita)).name).toBe('Message');
    await rita.keyboard.type(' Thanks!');
    expect(await box.inputValue()).toBe(`Hello. ${filled} Thanks!`);
    await tabTo(rita, named('Start conversation', 'button'), 'Start conversation');
    await rita.keyboard.press('Enter');
    await rita.waitForURL(/\/conversations\/[0-9a-f-]{36}$/);
  });

  it('the patient reads it in the portal', async () => {
    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice
      .getByRole('link', { name: /Parking/ })
      .first()
      .click();
    const message = alice.getByRole('article', { name: 'Message from Rita Reception' });
    await message.last().waitFor();
    const text = await message.last().textContent();
    expect(text).toContain('Hello. Dear Alice, there are two disabled bays at the entrance.');
    expect(text).toContain('Rita Reception Thanks!');
  });

  it('on a phone: the admin list and the composer menu fit the screen', async () => {
    const phone = { viewport: { width: 390, height: 844 } };
    const adminPhone = await (await browser.newContext(phone)).newPage();
    await signIn(adminPhone, server.url, 'staff', 'admin@riverside.example');
    await adminPhone.getByRole('link', { name: 'Patient', exact: true }).first().waitFor();
    await adminPhone.goto(`${server.url}/staff/admin/configuration`);
    const section = adminPhone.getByRole('region', { name: 'Quick Replies' });
    await section.getByRole('listitem', { name: NAME }).waitFor();
    await section.scrollIntoViewIfNeeded();
    await shot(adminPhone, 'admin-phone');
    await expectNoHorizontalOverflow(adminPhone, 'Quick Replies on a phone');
    await section.getByRole('button', { name: `Edit ${NAME}` }).click();
    await adminPhone.getByRole('dialog', { name: `Edit ${NAME}` }).waitFor();
    await shot(adminPhone, 'admin-edit-phone');

    const ritaPhone = await (await browser.newContext(phone)).newPage();
    await signIn(ritaPhone, server.url, 'staff', 'reception@riverside.example');
    await ritaPhone.getByRole('button', { name: 'Sign out' }).waitFor();
    await ritaPhone.goto(`${server.url}/staff/patients`);
    await ritaPhone.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await ritaPhone.getByRole('link', { name: /Archer, Alice/ }).click();
    await ritaPhone.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    const box = ritaPhone.getByRole('textbox', { name: 'Message' });
    await box.waitFor();
    await ritaPhone.getByRole('button', { name: 'Insert quick reply' }).click();
    await ritaPhone.getByRole('option', { name: NAME }).waitFor();
    await shot(ritaPhone, 'composer-menu-phone');
    await expectNoHorizontalOverflow(ritaPhone, 'Insert quick reply on a phone');
    await ritaPhone.keyboard.press('Escape');
    await expect.poll(async () => (await focused(ritaPhone)).name).toBe('Message');
  });
});
