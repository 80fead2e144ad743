import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import {
  DEMO_PASSWORD,
  expectAccessible,
  expectNoHorizontalOverflow,
  signIn,
} from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { SIZES, newContext } from './support/tour.js';

/**
 * Patient Record edits (issue 16): an admin moves Alice to a band without online access (the
 * dialog warns what she loses first), back again, toggles her email consent, and disables and
 * enables her portal login; each change reaches Alice's portal at once and is in the Activity.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let staffContext: BrowserContext;
let patientContext: BrowserContext;
let admin: Page;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  staffContext = await newContext(browser, 'desktop');
  patientContext = await newContext(browser, 'phone');
  admin = await staffContext.newPage();
  await signIn(admin, server.url, 'staff', 'admin@riverside.example');
  await admin.getByRole('list', { name: 'Notifications' }).waitFor();
  const alice = await patientContext.newPage();
  await signIn(alice, server.url, 'portal', 'alice@patient.example');
  await alice.getByRole('list', { name: 'Conversations' }).waitFor();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Alice writes through her portal session's API, as the portal's composer would. */
const aliceWrites = (text: string) =>
  patientContext.request.post(`${server.url}/api/v1/portal/conversations`, {
    data: { text },
    headers: { origin: server.url },
  });

const details = () => admin.getByRole('region', { name: 'Details' });
const account = () => admin.getByRole('region', { name: 'Portal account' });
const status = (text: string) => admin.getByRole('status').filter({ hasText: text });

async function openEdit(): Promise<void> {
  await details().getByRole('button', { name: 'Edit details' }).click();
  await admin.getByRole('dialog', { name: 'Edit details of Alice Archer' }).waitFor();
}

async function chooseBand(name: string): Promise<void> {
  await admin.getByRole('dialog').getByRole('combobox', { name: 'Charge band' }).click();
  await admin.getByRole('option', { name, exact: true }).click();
}

describe('Patient Record edits', () => {
  it('opens Alice’s record; the details and the portal account are shown', async () => {
    await admin.getByRole('link', { name: 'Patient', exact: true }).click();
    await admin.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await admin.getByRole('link', { name: /Archer, Alice/ }).click();
    await details().waitFor();
    expect(await details().innerText()).toContain('Online');
    expect(await account().textContent()).toContain('Active');
    expect(await account().innerText()).toContain('Can message the clinic online.');
    expect((await aliceWrites('Before the move')).status()).toBe(201);
  });

  it('moving Alice to a band without online access warns first, then takes effect at once', async () => {
    await openEdit();
    const dialog = admin.getByRole('dialog');
    await expectAccessible(admin, 'Edit details dialog');
    await chooseBand('Standard');
    // The warning is beside the field before saving, too.
    expect(await dialog.innerText()).toContain(
      'Alice Archer will no longer be able to use the Patient Portal or send messages.',
    );
    await dialog.getByRole('button', { name: 'Save' }).click();

    const confirm = admin.getByRole('dialog', { name: 'Change charge band?' });
    await confirm.waitFor();
    expect(await confirm.getByRole('alert').innerText()).toContain(
      'Alice Archer will no longer be able to use the Patient Portal or send messages.',
    );
    await expectAccessible(admin, 'the band move warning');
    // Back keeps the form as it was; nothing is saved yet.
    await confirm.getByRole('button', { name: 'Back' }).click();
    await admin.getByRole('dialog', { name: 'Edit details of Alice Archer' }).waitFor();
    expect((await aliceWrites('Still allowed')).status()).toBe(201);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await confirm.getByRole('button', { name: 'Move and save' }).click();

    await status('Saved: charge band.').waitFor();
    await admin.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await details().innerText()).toContain('Standard');
    expect(await account().innerText()).toContain(
      'Cannot use the Patient Portal: The charge band “Standard” has no online access.',
    );
    const refused = await aliceWrites('After the move');
    expect(refused.status()).toBe(403);
    expect((await refused.json()).error.code).toBe('band_not_online');
  });

  it('moving her back needs no warning, and she may message again', async () => {
    await openEdit();
    await chooseBand('Online');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await status('Saved: charge band.').waitFor();
    expect(await account().innerText()).toContain('Can message the clinic online.');
    expect((await aliceWrites('Back online')).status()).toBe(201);
  });

  it('email consent is switched off and on again', async () => {
    expect(await details().innerText()).toMatch(/Email consent\s+Yes/);
    await openEdit();
    await admin.getByRole('dialog').getByRole('checkbox', { name: 'Email consent' }).uncheck();
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await status('Saved: email consent.').waitFor();
    expect(await details().innerText()).toMatch(/Email consent\s+No/);

    await openEdit();
    await admin.getByRole('dialog').getByRole('checkbox', { name: 'Email consent' }).check();
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => details().innerText()).toMatch(/Email consent\s+Yes/);
  });

  it('a refused change is shown next to its field and saves nothing', async () => {
    await openEdit();
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('textbox', { name: 'Mobile' }).fill('call me maybe');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const mobile = dialog.getByRole('textbox', { name: 'Mobile' });
    await expect.poll(() => mobile.getAttribute('aria-invalid')).toBe('true');
    // The cursor is put on the field to correct.
    expect(await mobile.evaluate((e) => e === document.activeElement)).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await details().innerText()).not.toContain('call me maybe');
  });

  it('Disable Portal Login asks first, signs Alice out everywhere; Enable Portal Login restores her', async () => {
    await account().getByRole('button', { name: 'Disable Portal Login' }).click();
    const confirm = admin.getByRole('dialog', { name: 'Disable Portal Login?' });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain('Alice Archer will be signed out');
    await confirm.getByRole('button', { name: 'Disable Portal Login' }).click();
    await status('Portal login disabled').waitFor();
    expect(await account().textContent()).toContain('Disabled');
    // Only the actions that apply to a disabled account are offered.
    expect(await account().getByRole('button', { name: 'Disable Portal Login' }).count()).toBe(0);
    expect(await account().getByRole('button', { name: 'Reset Portal Login' }).count()).toBe(0);
    const session = await patientContext.request.get(`${server.url}/api/v1/portal/session`);
    expect(session.status()).toBe(401);

    await account().getByRole('button', { name: 'Enable Portal Login' }).click();
    await status('Portal login enabled.').waitFor();
    expect(await account().textContent()).toContain('Active');
    expect(await account().getByRole('button', { name: 'Enable Portal Login' }).count()).toBe(0);
    const again = await patientContext.request.post(`${server.url}/api/v1/portal/session`, {
      data: { chamber: 'demo', email: 'alice@patient.example', password: DEMO_PASSWORD },
      headers: { origin: server.url },
    });
    expect(again.status()).toBe(200);
  });

  it('every change is in the patient’s Activity', async () => {
    await admin.getByRole('tab', { name: 'Activity' }).click();
    const activity = admin.getByRole('tabpanel', { name: 'Activity' });
    await expect
      .poll(() => activity.getByText('Portal account enabled').count())
      .toBeGreaterThan(0);
    for (const what of ['Patient changed', 'Portal account disabled']) {
      expect(await activity.getByText(what).count(), what).toBeGreaterThan(0);
    }
  });

  it('the Proxy Access tab lists Charlie’s proxy and its form, accessible and fitting a phone', async () => {
    await admin.getByRole('link', { name: 'Patient', exact: true }).click();
    await admin.getByRole('searchbox', { name: 'Search patients' }).fill('Carter');
    await admin.getByRole('link', { name: /Carter, Charlie/ }).click();
    await admin.getByRole('tab', { name: 'Proxy Access' }).click();
    const carol = admin
      .getByRole('list', { name: 'Proxies' })
      .getByRole('listitem')
      .filter({ hasText: 'Carol Carter' });
    await carol.waitFor();
    expect(await carol.textContent()).toContain('Parent');
    expect(await carol.getByRole('button', { name: 'Remove Proxy' }).count()).toBe(1);
    const form = admin.getByRole('region', { name: 'Add Proxy' });
    for (const field of ['Email', 'Relationship', 'End date', 'Name'])
      expect(await form.getByLabel(field).count(), field).toBe(1);
    await expectAccessible(admin, 'Proxy Access tab');
    await admin.setViewportSize(SIZES.phone);
    await expectNoHorizontalOverflow(admin, 'Proxy Access tab on a phone');
    await admin.setViewportSize(SIZES.desktop);
    // Back to Alice for the next step.
    await admin.getByRole('link', { name: 'Patient', exact: true }).click();
    await admin.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await admin.getByRole('link', { name: /Archer, Alice/ }).click();
    await details().waitFor();
  });

  it('the dialog and its warning fit a phone', async () => {
    await admin.setViewportSize(SIZES.phone);
    await admin.getByRole('tab', { name: 'Feed' }).click();
    await openEdit();
    await expectNoHorizontalOverflow(admin, 'Edit details dialog on a phone');
    await chooseBand('Standard');
    await admin.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    await admin.getByRole('dialog', { name: 'Change charge band?' }).waitFor();
    await expectNoHorizontalOverflow(admin, 'band move warning on a phone');
    await admin.keyboard.press('Escape');
    await admin.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await details().innerText()).toContain('Online');
    await admin.setViewportSize(SIZES.desktop);
  });
});
