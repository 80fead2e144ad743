import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { expectAccessible, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

// The team inbox with two staff browsers and a patient's (issue 13): the patient writes with a
// topic; both staff see it in Open; one takes it; the other sees the assignee and "is
// replying…" live; Send and close; the patient replies and it is open again, live.

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let rita: Page;
let ada: Page;
let alice: Page;
/** Pages the staff browsers loaded after signing in: none, everything comes live. */
const loads: string[] = [];

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  const desk = { viewport: { width: 1280, height: 800 } };
  rita = await (await browser.newContext(desk)).newPage();
  ada = await (await browser.newContext(desk)).newPage();
  alice = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Polling is minutes apart while the stream is open: anything this fast came live. */
const LIVE = { timeout: 5000, interval: 100 };
const SUBJECT = 'Parking at the clinic';

/** The row of the test's conversation in a staff user's Messages list. */
const row = (page: Page) =>
  page.getByTestId('team-inbox-list').getByTestId('team-inbox-row').filter({ hasText: SUBJECT });

async function openMessages(page: Page, email: string) {
  await signIn(page, server.url, 'staff', email);
  await page.getByRole('link', { name: 'Messages' }).first().click();
  await page.getByRole('tab', { name: 'Open' }).waitFor();
}

describe('the team inbox, live across three browsers', () => {
  it('the patient writes with a topic and a subject; both staff see it in Open', async () => {
    await openMessages(rita, 'reception@riverside.example');
    await openMessages(ada, 'admin@riverside.example');
    for (const page of [rita, ada]) page.on('load', () => loads.push(page.url()));

    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'New message' }).last().click();
    await alice.getByRole('radio', { name: 'Something else' }).check();
    await alice.getByRole('textbox', { name: 'Subject' }).fill(SUBJECT);
    await alice
      .getByRole('textbox', { name: /Your message/ })
      .fill('Is there parking for a wheelchair user near the entrance?');
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    await alice.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    // The conversation is headed by its subject.
    await alice.getByRole('heading', { name: SUBJECT }).waitFor();

    // "Something else" goes to Appointment Reminder Admin: both staff hold it.
    await expect.poll(() => row(rita).count(), LIVE).toBe(1);
    await expect.poll(() => row(ada).count(), LIVE).toBe(1);
    expect(await row(ada).innerText()).toContain('Alice Archer');
    // textContent: badges are shown in capitals.
    expect(await row(ada).textContent()).toContain('Awaiting reply');
    expect(loads).toEqual([]);
    await expectAccessible(ada, 'Messages, Open view');
  });

  it('one takes it (Assign to me); the other sees the assignee and "is replying…" live', async () => {
    await row(rita).getByRole('button', { name: 'Assign to me' }).click();
    await expect
      .poll(
        () =>
          row(ada)
            .getByTestId('row-assignee')
            .innerText()
            .catch(() => ''),
        LIVE,
      )
      .toContain('Rita Reception');

    // Both open the conversation; Rita writes, Ada sees it within a second or two.
    await row(rita).getByRole('link').first().click();
    await row(ada).getByRole('link').first().click();
    const adaPanel = ada.getByTestId('conversation-panel');
    await adaPanel.getByRole('log', { name: 'Messages' }).waitFor();
    await rita
      .getByTestId('conversation-panel')
      .getByRole('textbox', { name: 'Message' })
      .fill('Yes: two blue-badge spaces by the main door. I have noted it for your visit.');
    await expect
      .poll(() => adaPanel.getByText('Rita Reception is replying…').count(), {
        timeout: 2000,
        interval: 50,
      })
      .toBe(1);

    // The draft survives the layout changing under it (a tablet turned round): the panel is
    // built again at phone width and back, and finds its text.
    const box = () =>
      rita.getByTestId('conversation-panel').getByRole('textbox', { name: 'Message' });
    await rita.setViewportSize({ width: 390, height: 844 });
    await expect.poll(() => box().inputValue(), LIVE).toContain('two blue-badge spaces');
    await rita.setViewportSize({ width: 1280, height: 800 });
    await expect.poll(() => box().inputValue(), LIVE).toContain('two blue-badge spaces');
  });

  it('Send and close: the conversation leaves Open for both, live', async () => {
    const ritaPanel = rita.getByTestId('conversation-panel');
    await ritaPanel.getByRole('button', { name: 'Send and close' }).click();
    await expect.poll(() => row(rita).count(), LIVE).toBe(0);
    await expect.poll(() => row(ada).count(), LIVE).toBe(0);
    // Ada's open panel says it is closed, and "is replying…" ended with the message.
    const adaPanel = ada.getByTestId('conversation-panel');
    await expect
      .poll(() => adaPanel.getByTestId('conversation-state').textContent(), LIVE)
      .toContain('Closed');
    expect(await adaPanel.getByText('is replying…').count()).toBe(0);
    await ada.getByRole('tab', { name: 'Closed' }).click();
    await expect.poll(() => row(ada).count(), LIVE).toBe(1);
  });

  it('the patient replies: open again for both, without reload', async () => {
    await alice.reload();
    await alice.getByText('two blue-badge spaces').waitFor();
    await alice.getByRole('textbox', { name: 'Your reply' }).fill('Thank you!');
    await alice.getByRole('button', { name: 'Send reply' }).click();
    await alice.getByText('Thank you!').waitFor();

    await ada.getByRole('tab', { name: 'Open' }).click();
    await expect.poll(() => row(ada).count(), LIVE).toBe(1);
    await expect.poll(() => row(rita).count(), LIVE).toBe(1);
    expect(await row(rita).textContent()).toContain('Awaiting reply');
    expect(loads).toEqual([]);
  });
});
