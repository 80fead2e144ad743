import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let nurse: Page;
let alice: Page;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  nurse = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  alice = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('documents and medical data in the browser', () => {
  it('a nurse shares a letter file and a result; the patient finds them under Documents and Medical Data', async () => {
    await signIn(nurse, server.url, 'staff', 'nurse@riverside.example');
    await nurse.getByRole('link', { name: 'Patient', exact: true }).click();
    await nurse.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await nurse.getByRole('link', { name: /Archer, Alice/ }).click();

    await nurse.getByRole('tab', { name: 'Documents' }).click();
    await nurse.locator('input[type=file]').setInputFiles({
      name: 'clinic-letter.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4\n%%EOF\n'),
    });
    await nurse.getByRole('textbox', { name: 'Title' }).fill('Letter from the clinic');
    // Not shared unless ticked.
    await nurse.getByRole('checkbox', { name: 'Share with the patient' }).check();
    await nurse.getByRole('button', { name: 'Upload document' }).click();
    await nurse.getByRole('link', { name: 'Letter from the clinic' }).waitFor();

    await nurse.getByRole('tab', { name: 'Medical Data' }).click();
    await nurse.getByRole('textbox', { name: 'Title' }).fill('Vitamin D');
    await nurse.getByRole('textbox', { name: 'Text' }).fill('75 nmol/L: normal.');
    await nurse.getByRole('button', { name: 'Add medical data' }).click();
    await nurse.getByRole('article', { name: 'Vitamin D' }).waitFor();

    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'Documents' }).click();
    await alice.getByRole('link', { name: 'Letter from the clinic' }).waitFor();
    const href = await alice
      .getByRole('link', { name: 'Letter from the clinic' })
      .getAttribute('href');
    const res = await alice.request.get(`${server.url}${href}`);
    expect(res.headers()['content-disposition']).toMatch(/^attachment;/);
    await alice.getByRole('link', { name: 'Medical Data' }).click();
    const item = alice.getByRole('article', { name: 'Vitamin D' });
    await item.waitFor();
    expect(await item.textContent()).toContain('75 nmol/L: normal.');
  });
});
