import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { focused } from './support/keyboard.js';
import {
  clippedProblems,
  expectAccessible,
  expectNoHorizontalOverflow,
  signIn,
} from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext, settle } from './support/tour.js';

/**
 * Proxy access in the portal (rule 18, issue 16): Carol, a patient and her son Charlie's proxy,
 * switches Acting for to Charlie and writes for him; staff see "Carol Carter for Charlie Carter"
 * in Charlie's Feed; a reply typed in a tab still acting for Charlie is refused once another
 * tab acts for Carol (nothing stored, the text kept); Carol's own proxies (none, then one that
 * she removes); and the switcher on a phone, by keyboard.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let carolContext: BrowserContext;
let carol: Page;
let staff: Page;

const SHOTS = process.env.SHOTS_DIR ?? '/tmp/shots16';
const FIRST = 'Charlie has had a cough for a week. Could he be seen this Thursday after school?';
const REPLY = 'Thursday after 4 pm would suit us best, thank you.';

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  fs.mkdirSync(SHOTS, { recursive: true });
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

const actingFor = (page: Page) => page.getByRole('combobox', { name: 'Acting for' });
const banner = (page: Page) => page.getByTestId('acting-for-banner');
/** Text as read, bidi isolates (FSI, PDI) and no-break spaces left out. */
const plain = (text: string) => text.replace(/[\u2068\u2069]/g, '').replace(/\u00a0/g, ' ');
const said = async (page: Page, testId: string) =>
  plain(await page.getByTestId(testId).innerText());

/** Chooses whom to act for in the header's Acting for list, with the mouse. */
async function chooseActingFor(page: Page, option: RegExp): Promise<void> {
  await actingFor(page).click();
  await page.getByRole('option', { name: option }).click();
}

/** Messages whose text is `text`, as stored. */
async function storedMessages(text: string): Promise<number> {
  const rows = await server.database.db.execute<{ n: number }>(
    sql`select count(*)::int as n from messages where text = ${text}`,
  );
  return Number(rows.rows[0]!.n);
}

async function shoot(page: Page, name: string): Promise<void> {
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, `portal-${name}.png`) });
}

describe('Acting for in the portal', () => {
  it('Carol signs in: her name in the header, acting for her own record, no banner', async () => {
    carolContext = await newContext(browser, 'desktop');
    carol = await carolContext.newPage();
    await signIn(carol, server.url, 'portal', 'carol@patient.example');
    await actingFor(carol).waitFor();
    expect(plain(await actingFor(carol).inputValue())).toBe('Carol Carter (you)');
    await carol.getByRole('button', { name: 'Carol Carter' }).waitFor();
    expect(await banner(carol).count()).toBe(0);
    await expectAccessible(carol, 'portal with Acting for');
  });

  it('Carol, acting for herself, sees who can act for her: nobody', async () => {
    await carol.getByRole('button', { name: 'Carol Carter' }).click();
    await carol.getByRole('menuitem', { name: 'Who can act for you' }).click();
    await carol.getByRole('heading', { name: 'Who can act for you' }).waitFor();
    await carol.getByText('Nobody can act for you.').waitFor();
    await expectAccessible(carol, 'Who can act for you, empty');
  });

  it('switches to Charlie: announced, every page refetched for him, the banner on each', async () => {
    await carol.getByRole('link', { name: 'Inbox' }).click();
    await carol.getByRole('heading', { name: 'Inbox' }).waitFor();
    await actingFor(carol).click();
    const options = carol.getByRole('option');
    await options.first().waitFor();
    expect((await options.allInnerTexts()).map(plain)).toEqual([
      'Carol Carter (you)',
      'Charlie Carter (Parent)',
    ]);
    await shoot(carol, 'proxy-switcher-open-desktop');
    await carol.getByRole('option', { name: /Charlie Carter/ }).click();

    await banner(carol).waitFor();
    expect(await said(carol, 'acting-for-banner')).toContain(
      'You are acting for Charlie Carter (Parent)',
    );
    await expect
      .poll(() => carol.getByTestId('announcer').textContent())
      .toBe('You are now acting for Charlie Carter.');
    expect(plain(await actingFor(carol).inputValue())).toBe('Charlie Carter (Parent)');
    // Charlie's Inbox, not Carol's: he has written nothing yet.
    await carol.getByText(/No messages yet/).waitFor();
    await expectAccessible(carol, 'portal acting for Charlie');
    await shoot(carol, 'proxy-banner-desktop');

    for (const page of ['Documents', 'Medical Data']) {
      await carol.getByRole('link', { name: page }).click();
      await carol.getByRole('heading', { name: page }).waitFor();
      expect(await banner(carol).isVisible()).toBe(true);
    }
    // Whose proxies: not while acting for someone else.
    await carol.getByRole('button', { name: 'Carol Carter' }).click();
    await carol.getByRole('menu').waitFor();
    expect(await carol.getByRole('menuitem', { name: 'Who can act for you' }).count()).toBe(0);
    await carol.keyboard.press('Escape');
  });

  it('writes a new message for Charlie, shown as hers for him; each write names Charlie', async () => {
    const choices = await (
      await carol.request.get(`${server.url}/api/v1/portal/acting-for`)
    ).json();
    const charlie = choices.patients.find((p: { name: string }) => p.name === 'Charlie Carter').id;
    expect(choices.patientId).toBe(charlie);
    const writes: { path: string; body: any; actingFor: string | undefined }[] = [];
    const listen = (request: Request) => {
      if (request.method() !== 'POST' || !request.url().includes('/api/v1/portal/')) return;
      writes.push({
        path: new URL(request.url()).pathname,
        body: request.postDataJSON(),
        actingFor: request.headers()['x-acting-for'],
      });
    };
    carol.on('request', listen);
    await carol.getByRole('link', { name: 'Inbox' }).click();
    await carol.getByRole('link', { name: 'New message' }).first().click();
    expect(await said(carol, 'writing-for')).toBe('You are writing for Charlie Carter.');
    await carol.getByRole('radio', { name: 'Appointments' }).check();
    await carol.getByRole('textbox', { name: /Your message/ }).fill(FIRST);
    await carol.getByRole('button', { name: 'Send', exact: true }).click();
    const sent = carol.getByRole('article', {
      name: 'Message from Carol Carter for Charlie Carter',
    });
    await sent.waitFor();
    expect(await sent.textContent()).toContain(FIRST);
    expect(await storedMessages(FIRST)).toBe(1);
    await shoot(carol, 'proxy-conversation-desktop');
    // The new conversation says whom it is for in its body, the read mark in X-Acting-For.
    await expect.poll(() => writes.some((w) => w.path.endsWith('/read'))).toBe(true);
    carol.off('request', listen);
    const started = writes.find((w) => w.path === '/api/v1/portal/conversations');
    expect(started?.body).toMatchObject({ text: FIRST, patientId: charlie });
    const read = writes.find((w) => w.path.endsWith('/read'));
    expect(read?.actingFor).toBe(charlie);
  });

  it('staff see "Carol Carter for Charlie Carter" in Charlie Carter’s Feed', async () => {
    staff = await (await newContext(browser, 'desktop')).newPage();
    await signIn(staff, server.url, 'staff', 'reception@riverside.example');
    await staff.getByRole('link', { name: 'Patient', exact: true }).click();
    await staff.getByRole('searchbox', { name: 'Search patients' }).fill('Charlie');
    await staff.getByRole('link', { name: /Carter, Charlie/ }).click();
    await staff.getByRole('tab', { name: 'Feed' }).waitFor();
    await staff.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    const log = staff.getByRole('log', { name: 'Messages' });
    await log.waitFor();
    await log.getByText(FIRST).waitFor();
    expect(plain(await log.innerText())).toContain('Carol Carter for Charlie Carter');
  });

  it('two tabs: a reply typed for Charlie is refused once the other tab acts for Carol, and kept', async () => {
    // Tab A: Charlie's conversation, a reply typed. Tab B: the same session, switched to Carol.
    const tabA = carol;
    const conversationUrl = tabA.url();
    await tabA.getByRole('textbox', { name: 'Your reply' }).fill(REPLY);
    const tabB = await carolContext.newPage();
    await tabB.goto(`${server.url}/portal/inbox`);
    await banner(tabB).waitFor();
    await chooseActingFor(tabB, /Carol Carter/);
    await banner(tabB).waitFor({ state: 'detached' });
    await tabB.getByRole('heading', { name: 'Inbox' }).waitFor();

    const refused = tabA.waitForResponse(
      (r) => r.request().method() === 'POST' && r.url().endsWith('/messages'),
    );
    await tabA.getByRole('button', { name: 'Send reply' }).click();
    const answer = await refused;
    expect(answer.status()).toBe(409);
    expect((await answer.json()).error.code).toBe('acting_for_changed');
    expect(answer.request().postDataJSON()).toMatchObject({ text: REPLY });
    expect(answer.request().postDataJSON().patientId).toBeTruthy();
    const notice = tabA.getByTestId('acting-for-change');
    await notice.waitFor();
    expect(plain(await notice.innerText())).toContain(
      'This page was for Charlie Carter; you are now acting for Carol Carter in another tab. Nothing was sent.',
    );
    expect(await notice.getAttribute('role')).toBe('alert');
    // The page shows whom the session acts for now: Carol, her Inbox, no banner.
    await expect
      .poll(async () => plain(await actingFor(tabA).inputValue()))
      .toBe('Carol Carter (you)');
    expect(await banner(tabA).count()).toBe(0);
    await expect.poll(() => new URL(tabA.url()).pathname).toBe('/portal/inbox');
    expect(await storedMessages(REPLY)).toBe(0);
    await expectAccessible(tabA, 'portal after a write refused as for another patient');
    await shoot(tabA, 'proxy-refused-desktop');

    // The typed reply is kept: acting for Charlie again brings it back, and it can be sent.
    await notice.getByRole('button', { name: /Act for Charlie Carter again/ }).click();
    await banner(tabA).waitFor();
    await expect.poll(() => tabA.url()).toBe(conversationUrl);
    const box = tabA.getByRole('textbox', { name: 'Your reply' });
    await box.waitFor();
    expect(await box.inputValue()).toBe(REPLY);
    expect(await tabA.getByTestId('acting-for-change').count()).toBe(0);
    await tabA.getByRole('button', { name: 'Send reply' }).click();
    await tabA.getByRole('log', { name: 'Messages' }).getByText(REPLY).waitFor();
    expect(await storedMessages(REPLY)).toBe(1);
    expect(await box.inputValue()).toBe('');
    await tabB.close();
  });

  it('Carol sees a proxy of her own with its details, and removes it after confirming', async () => {
    // Staff make Bob her carer (the Proxy Access tab's API), until the end of 2030.
    await chooseActingFor(carol, /Carol Carter/);
    await banner(carol).waitFor({ state: 'detached' });
    const me = await (await carol.request.get(`${server.url}/api/v1/portal/session`)).json();
    const added = await staff.request.post(
      `${server.url}/api/v1/patients/${me.patient.id}/proxies`,
      { data: { email: 'bob@patient.example', relationship: 'Carer', endsOn: '2030-12-31' } },
    );
    expect(added.status()).toBe(201);

    await carol.getByRole('button', { name: 'Carol Carter' }).click();
    await carol.getByRole('menuitem', { name: 'Who can act for you' }).click();
    const list = carol.getByRole('list', { name: 'Who can act for you' });
    await list.waitFor();
    const card = list.getByRole('listitem');
    expect(await card.count()).toBe(1);
    const text = plain(await card.innerText());
    expect(text).toContain('Bob Baker');
    expect(text).toContain('Relationship: Carer');
    expect(text).toContain('Until 31 Dec 2030');
    await expectAccessible(carol, 'Who can act for you, one proxy');
    await shoot(carol, 'proxy-list-desktop');
    await carol.setViewportSize({ width: 390, height: 844 });
    await expectNoHorizontalOverflow(carol, 'Who can act for you on a phone');
    await shoot(carol, 'proxy-list-phone');
    await carol.setViewportSize({ width: 1440, height: 900 });

    await card.getByRole('button', { name: 'Remove Proxy' }).click();
    const dialog = carol.getByRole('dialog', { name: 'Remove Proxy' });
    await dialog.waitFor();
    expect(plain(await dialog.innerText())).toContain('Bob Baker will no longer be able to act');
    await shoot(carol, 'proxy-remove-confirm-desktop');
    await dialog.getByRole('button', { name: 'Remove Proxy' }).click();
    await dialog.waitFor({ state: 'detached' });
    await carol.getByText('Nobody can act for you.').waitFor();
    await expect
      .poll(() => carol.getByTestId('announcer').textContent())
      .toBe('Bob Baker can no longer act for you.');
    const left = await staff.request.get(`${server.url}/api/v1/patients/${me.patient.id}/proxies`);
    expect((await left.json()).proxies).toEqual([]);
  });
});

describe('Acting for on a phone', () => {
  it('fits, is reached and used by keyboard, and has its name', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await signIn(page, server.url, 'portal', 'carol@patient.example');
    await actingFor(page).waitFor();
    await settle(page);
    await expectNoHorizontalOverflow(page, 'portal header on a phone');
    expect(await clippedProblems(page)).toEqual([]);
    // The account's menu is an icon on a phone, named by the account.
    await page.getByRole('button', { name: 'Carol Carter' }).waitFor();

    // From the top of the page, Tab reaches Acting for; the arrows open it and choose.
    await page.reload();
    await actingFor(page).waitFor();
    const stops: string[] = [];
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      const now = await focused(page);
      stops.push(`${now.role ?? now.tag} ${now.name}`);
      if (now.role === 'combobox' && now.name === 'Acting for') break;
    }
    expect(stops.at(-1), stops.join(' > ')).toBe('combobox Acting for');
    expect((await focused(page)).ringVisible).toBe(true);
    await page.keyboard.press('ArrowDown');
    await page.getByRole('listbox').waitFor();
    await expectNoHorizontalOverflow(page, 'Acting for open on a phone');
    await shoot(page, 'proxy-switcher-open-phone');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await banner(page).waitFor();
    expect(plain(await actingFor(page).inputValue())).toBe('Charlie Carter (Parent)');
    await settle(page);
    await expectNoHorizontalOverflow(page, 'banner on a phone');
    expect(await clippedProblems(page)).toEqual([]);
    await expectAccessible(page, 'portal acting for Charlie on a phone');
    await shoot(page, 'proxy-banner-phone');
    await context.close();
  });
});
