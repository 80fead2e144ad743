import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CDPSession, Locator, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { expectAccessible, expectNoHorizontalOverflow, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

// Attachments in the portal (issue 16): the admin ticks Allow patient attachments (its limits
// shown beside it); a patient on a phone sees the limits before choosing, has a wrong type and
// a file too large refused in the browser and a file that only looks like a photo refused by
// the server, attaches a photo and sends it with its upload progress shown; staff find it in
// the Feed and the team inbox and download it; switched off meanwhile, the patient is told
// and sends without the file.

const MB = 1024 * 1024;
const SHOTS = '/tmp/shots16';
const SUBJECT = 'Photo of the rash';

/** A PNG as the server reads it (its signature), padded to `size` bytes. */
function png(size: number): Buffer {
  const head = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
  return Buffer.concat([head, Buffer.alloc(size - head.length, 7)]);
}

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: Page;
let alice: Page;
let rita: Page;

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // 1 MB: a file too large stays small enough for a test.
  server = await startDemoServer({ config: { maxUploadBytes: MB } });
  browser = await launchBrowser();
  const desk = { viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/London' };
  admin = await (await browser.newContext(desk)).newPage();
  rita = await (await browser.newContext({ ...desk, acceptDownloads: true })).newPage();
  alice = await (
    await browser.newContext({
      viewport: { width: 390, height: 844 },
      timezoneId: 'Europe/London',
      acceptDownloads: true,
    })
  ).newPage();
  // File choosers are caught from the start (not only once waited for), so none is missed.
  alice.on('filechooser', () => undefined);
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Admin > Configuration's first form (Chargeable features, General Settings), and its tick. */
async function attachmentsTick() {
  await admin.getByRole('link', { name: 'Configuration' }).click();
  const tick = admin.getByRole('checkbox', { name: 'Allow patient attachments' });
  await tick.waitFor();
  return { tick, form: admin.locator('form').filter({ has: tick }) };
}

/** A locator's text as read, a no-break space (between a number and its unit) as a space. */
async function said(locator: Locator): Promise<string> {
  return (await locator.innerText()).replace(/\u00a0/g, ' ');
}

/** Slows the page's uploads to about `bytesPerSecond`, so their progress can be seen. */
async function slowUploads(page: Page, bytesPerSecond: number): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: bytesPerSecond,
  });
  return cdp;
}

/** The values a progress bar showed while it was there. */
async function progressSeen(bar: Locator): Promise<number[]> {
  const seen: number[] = [];
  await bar.waitFor({ timeout: 10_000 });
  for (;;) {
    const now = await bar.getAttribute('aria-valuenow', { timeout: 200 }).catch(() => null);
    if (now === null) return seen;
    seen.push(Number(now));
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('attachments in the portal', () => {
  it('the admin ticks Allow patient attachments, the published limits beside it', async () => {
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    const { tick, form } = await attachmentsTick();
    expect(await tick.isChecked()).toBe(false);
    const description = await said(form.getByText('Patients may attach photos and documents'));
    expect(description).toContain('PDF, PNG, JPEG, WebP or HEIC files, up to 1 MB each');
    await expectAccessible(admin, 'Configuration with Allow patient attachments');
    await tick.check();
    await tick.scrollIntoViewIfNeeded();
    await admin.screenshot({ path: `${SHOTS}/attach-admin-setting-desktop.png` });
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await admin.reload();
    expect(
      await admin.getByRole('checkbox', { name: 'Allow patient attachments' }).isChecked(),
    ).toBe(true);
  });

  it('on a phone the patient sees the limits first, and refused files are said to be refused', async () => {
    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'New message' }).last().click();
    await alice.getByRole('radio', { name: 'Something else' }).check();
    await alice.getByRole('textbox', { name: 'Subject' }).fill(SUBJECT);
    await alice
      .getByRole('textbox', { name: /Your message/ })
      .fill('The rash on my arm has spread since Monday. Photo attached.');

    // Before any file is chosen: the button, described by the published limits.
    const button = alice.getByRole('button', { name: 'Attach files' });
    await button.waitFor();
    const limits = 'PDF, PNG, JPEG, WebP or HEIC files, up to 1 MB each, at most 5 a message.';
    expect(await said(alice.getByTestId('attach-files'))).toContain(limits);
    const describedBy = await button.getAttribute('aria-describedby');
    expect(await said(alice.locator(`[id="${describedBy}"]`))).toContain(limits);
    // Camera and files both: the types are offered, no camera is forced.
    const input = alice.getByTestId('attach-input');
    expect(await input.getAttribute('accept')).toContain('image/jpeg');
    expect(await input.getAttribute('capture')).toBeNull();
    expect(await input.getAttribute('multiple')).not.toBeNull();

    // By keyboard: Tab from the message box reaches the button, Enter opens the file chooser.
    await alice.getByRole('textbox', { name: /Your message/ }).focus();
    await alice.keyboard.press('Tab');
    expect(await alice.evaluate(() => document.activeElement?.textContent)).toBe('Attach files');
    const [chooser] = await Promise.all([
      alice.waitForEvent('filechooser'),
      alice.keyboard.press('Enter'),
    ]);
    expect(chooser.isMultiple()).toBe(true);
    // Refused in the browser: a type not published, and a file over the size.
    await chooser.setFiles([
      { name: 'screenshot.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') },
      { name: 'scan.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(1.5 * MB, 0x25) },
    ]);
    const refused = alice.getByRole('alert').filter({ hasText: 'Not attached' });
    await refused.waitFor();
    expect(await said(refused)).toContain(
      '“screenshot.gif” was not attached: it is not a PDF, PNG, JPEG, WebP or HEIC file.',
    );
    expect(await said(refused)).toContain(
      '“scan.pdf” was not attached: it is 1.5 MB, more than the 1 MB allowed.',
    );
    expect(await alice.getByRole('list', { name: 'Files to send' }).count()).toBe(0);
    await refused.scrollIntoViewIfNeeded();
    await alice.screenshot({ path: `${SHOTS}/attach-refused-phone.png` });

    // Refused by the server: named .png, but not a picture inside.
    await input.setInputFiles({
      name: 'not-a-photo.png',
      mimeType: 'image/png',
      buffer: Buffer.from('just some text'),
    });
    await alice.getByRole('list', { name: 'Files to send' }).getByText('not-a-photo.png').waitFor();
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    const problem = alice.getByRole('alert').filter({ hasText: 'could not be uploaded' });
    await problem.waitFor();
    expect(await said(problem)).toContain(
      '“not-a-photo.png” could not be uploaded: This kind of file is not accepted. Upload a PDF, PNG, JPEG, WebP or HEIC file. Your message was not sent.',
    );
    expect(alice.url()).toMatch(/\/portal\/inbox\/new$/);
    // The draft is kept; the file is removed before sending.
    expect(await alice.getByRole('textbox', { name: /Your message/ }).inputValue()).toContain(
      'Photo attached.',
    );
    await alice.getByRole('button', { name: 'Remove not-a-photo.png' }).click();
    expect(await alice.getByRole('list', { name: 'Files to send' }).count()).toBe(0);
  });

  it('the patient attaches a photo and sends it, its upload progress shown', async () => {
    const input = alice.getByTestId('attach-input');
    await input.setInputFiles({ name: 'rash.png', mimeType: 'image/png', buffer: png(600 * 1024) });
    const list = alice.getByRole('list', { name: 'Files to send' });
    await list.getByText('rash.png').waitFor();
    expect(await said(list)).toContain('600 KB');
    await expectAccessible(alice, 'portal New message with a file attached');
    await expectNoHorizontalOverflow(alice, 'portal New message with a file attached (phone)');
    await alice.screenshot({ path: `${SHOTS}/attach-composer-phone.png`, fullPage: true });
    await alice.setViewportSize({ width: 1280, height: 900 });
    await alice.screenshot({ path: `${SHOTS}/attach-composer-desktop.png`, fullPage: true });
    await alice.setViewportSize({ width: 390, height: 844 });

    // About 3 seconds of upload: the bar is seen filling.
    const cdp = await slowUploads(alice, 200 * 1024);
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    const bar = alice.getByRole('progressbar', { name: 'Uploading rash.png' });
    await bar.waitFor();
    await alice.screenshot({ path: `${SHOTS}/attach-uploading-phone.png` });
    const seen = await progressSeen(bar);
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    expect(
      seen.some((v) => v > 0 && v < 100),
      `progress seen: ${seen.join(', ')}`,
    ).toBe(true);

    await alice.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    const mine = alice.getByRole('article', { name: 'Your message' });
    const link = mine.getByRole('link', { name: 'rash' });
    await link.waitFor();
    expect(await said(mine)).toContain('(PNG, 600 KB)');
    const res = await alice.request.get(`${server.url}${await link.getAttribute('href')}`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toBe('image/png');
    expect(res.headers()['content-disposition']).toMatch(/^attachment; filename="rash.png"/);
  });

  it('staff see the attachment in the Feed and download it', async () => {
    await signIn(rita, server.url, 'staff', 'reception@riverside.example');
    await rita.getByRole('link', { name: 'Patient', exact: true }).click();
    await rita.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
    await rita.getByRole('link', { name: /Archer, Alice/ }).click();
    await rita.getByRole('tab', { name: 'Feed' }).waitFor();
    await rita
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link')
      .filter({ hasText: SUBJECT })
      .click();
    const message = rita.getByRole('article', { name: /^Message from Alice Archer/ });
    const files = message.getByRole('list', { name: 'Attached file' });
    await files.waitFor();
    expect(await said(files)).toContain('rash');
    expect(await said(files)).toContain('(PNG, 600 KB)');
    const [download] = await Promise.all([
      rita.waitForEvent('download'),
      files.getByRole('link', { name: 'rash' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('rash.png');
    expect(fs.statSync(await download.path()).size).toBe(600 * 1024);
    await expectAccessible(rita, 'staff Feed with an attachment');
    await rita.screenshot({ path: `${SHOTS}/attach-feed-desktop.png`, fullPage: true });
    await rita.setViewportSize({ width: 390, height: 844 });
    await files.scrollIntoViewIfNeeded();
    await expectNoHorizontalOverflow(rita, 'staff Feed with an attachment (phone)');
    await rita.screenshot({ path: `${SHOTS}/attach-feed-phone.png` });
    await rita.setViewportSize({ width: 1280, height: 800 });
  });

  it('staff see it in the team inbox conversation, and download it there', async () => {
    await rita.getByRole('link', { name: 'Messages' }).first().click();
    await rita.getByRole('tab', { name: 'Open' }).waitFor();
    const row = rita
      .getByTestId('team-inbox-list')
      .getByTestId('team-inbox-row')
      .filter({ hasText: SUBJECT });
    await row.getByRole('link').first().click();
    const panel = rita.getByTestId('conversation-panel');
    const files = panel.getByRole('list', { name: 'Attached file' });
    await files.waitFor();
    const [download] = await Promise.all([
      rita.waitForEvent('download'),
      files.getByRole('link', { name: 'rash' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('rash.png');
    await rita.screenshot({ path: `${SHOTS}/attach-team-inbox-desktop.png` });
  });

  it('switched off meanwhile: the patient is told, removes the file and sends without it', async () => {
    await alice
      .getByTestId('attach-input')
      .setInputFiles({ name: 'second.png', mimeType: 'image/png', buffer: png(2000) });
    await alice.getByRole('list', { name: 'Files to send' }).getByText('second.png').waitFor();
    await alice.getByRole('textbox', { name: 'Your reply' }).fill('And one more photo.');

    const { tick, form } = await attachmentsTick();
    await tick.uncheck();
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await alice.getByRole('button', { name: 'Send reply' }).click();
    // The clinic's answer is read again: no more attach button, the file can still be removed.
    await alice
      .getByRole('alert')
      .filter({
        hasText: 'Riverside Clinic no longer accepts attachments: your message was not sent.',
      })
      .waitFor();
    expect(await said(alice.getByRole('list', { name: 'Files to send' }))).toContain(
      'This clinic does not accept attachments to messages.',
    );
    expect(
      await alice.getByRole('article').filter({ hasText: 'And one more photo.' }).count(),
    ).toBe(0);
    expect(await alice.getByRole('button', { name: 'Attach files' }).count()).toBe(0);
    await alice.screenshot({ path: `${SHOTS}/attach-switched-off-phone.png`, fullPage: true });
    await alice.getByRole('button', { name: 'Remove second.png' }).click();
    await alice.getByTestId('attach-files').waitFor({ state: 'detached' });
    await alice.getByRole('button', { name: 'Send reply' }).click();
    await alice
      .getByRole('article', { name: 'Your message' })
      .filter({ hasText: 'And one more photo.' })
      .waitFor();
    expect(await alice.getByRole('link', { name: 'second' }).count()).toBe(0);
  });
});
