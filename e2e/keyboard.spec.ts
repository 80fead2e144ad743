import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { focused, named, tabTo } from './support/keyboard.js';
import { DEMO_PASSWORD } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext } from './support/tour.js';

/**
 * Keyboard-only journeys: no mouse click anywhere, only Tab, typing, Enter and Space. Every
 * stop of the focus on the way must show a focus ring.
 */
let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

const PATIENT_TEXT = 'Typed with the keyboard only.\nCould I have a call back, please?';
const STAFF_TEXT = 'Answered with the keyboard only: we will call you this afternoon.';

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Signs in by tabbing to the fields of the sign-in form (the clinic code is prefilled). */
async function signInWithKeyboard(page: Page, email: string): Promise<void> {
  await tabTo(page, named('Email', 'input'), 'the Email field');
  await page.keyboard.type(email);
  await tabTo(page, named('Password', 'input'), 'the Password field');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
}

describe('keyboard only', () => {
  it('a patient signs in, reaches New message, writes and sends it', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/?clinic=demo`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signInWithKeyboard(page, 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();

    // The skip link comes first and takes the focus past the header.
    const skip = await tabTo(page, named('Skip to main content', 'a'), 'the skip link', {
      max: 1,
    });
    expect(skip.ringVisible).toBe(true);
    await page.keyboard.press('Enter');
    expect((await focused(page)).tag).toBe('main');

    await tabTo(page, named('New message', 'a'), 'New message');
    await page.keyboard.press('Enter');
    // The form has the cursor on arrival: its first field, what the message is about.
    await expect.poll(async () => (await focused(page)).name).toBe('Appointments');
    // The arrow keys choose: down to "Something else".
    for (let i = 0; i < 4 && (await focused(page)).name !== 'Something else'; i++)
      await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('radio', { name: 'Something else' }).isChecked()).toBe(true);
    await tabTo(page, named('Your message to Riverside Clinic', 'textarea'), 'the message box', {
      max: 2,
    });
    await page.keyboard.type(PATIENT_TEXT);
    await tabTo(page, named('Send', 'button'), 'Send');
    await page.keyboard.press('Enter');

    await expect.poll(() => page.url()).toMatch(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    const mine = page.getByRole('article', { name: 'Your message' });
    await expect.poll(() => mine.last().innerText()).toContain('Typed with the keyboard only.');
    expect(await mine.last().innerText()).toContain('Could I have a call back, please?');
    await context.close();
  });

  it('reception signs in, reaches the notification, opens its reply form and replies', async () => {
    const context = await newContext(browser, 'desktop');
    const page = await context.newPage();
    await page.goto(`${server.url}/staff/?clinic=demo`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signInWithKeyboard(page, 'reception@riverside.example');

    const card = page
      .getByRole('listitem')
      .filter({ hasText: 'Typed with the keyboard only.' })
      .filter({ hasText: 'New message from Alice Archer' });
    await card.waitFor();
    const inCard = () => card.evaluate((el) => el.contains(document.activeElement));

    // Tab from the top of the page to this notification's Reply button.
    let reply = false;
    for (let i = 0; i < 10 && !reply; i++) {
      await tabTo(page, named('Reply', 'button'), 'a Reply button');
      reply = await inCard();
    }
    expect(reply, 'the Reply button of the new notification has the focus').toBe(true);
    await page.keyboard.press('Enter');

    // The reply form opens with the cursor in the message box.
    await expect.poll(async () => (await focused(page)).name).toBe('Message');
    expect(await inCard()).toBe(true);
    await page.keyboard.type(STAFF_TEXT);

    // Next comes the audience control, which says who will see the message and opens a dialog.
    const audienceControl = named(/^(Who will see it|Internal note|Nobody yet)/, 'button');
    await tabTo(page, audienceControl, 'the audience control', { max: 1 });
    await page.keyboard.press('Enter');
    const audience = page.getByRole('dialog', { name: 'Who will see the message' });
    await audience.waitFor();
    // Replying to a patient's message: shared with the patient by default; make sure with Space.
    await tabTo(page, named('also share with the patient', 'input'), 'also share with the patient');
    const tick = audience.getByRole('checkbox', { name: 'also share with the patient' });
    if (!(await tick.isChecked())) await page.keyboard.press('Space');
    expect(await tick.isChecked()).toBe(true);
    await tabTo(page, named('Done', 'button'), 'Done');
    await page.keyboard.press('Enter');
    await audience.waitFor({ state: 'detached' });
    // The focus is back on the control, which now names the patient.
    await expect.poll(async () => audienceControl(await focused(page))).toBe(true);
    expect((await focused(page)).name).toContain('Alice Archer');

    // Send and close, then Send.
    await tabTo(page, named('Send', 'button'), 'Send', { max: 2 });
    expect(await inCard()).toBe(true);
    await page.keyboard.press('Enter');

    // The confirmation is announced and takes the focus (the card may leave the Unread list).
    const sent = page.getByRole('status').filter({ hasText: 'Reply sent to Alice Archer.' });
    await sent.waitFor();
    await expect
      .poll(() =>
        sent.evaluate((el) => el === document.activeElement || el.contains(document.activeElement)),
      )
      .toBe(true);
    await context.close();
  });

  it('the patient opens the conversation from the Inbox and reads the reply', async () => {
    const context = await newContext(browser, 'phone');
    const page = await context.newPage();
    await page.goto(`${server.url}/portal/?clinic=demo`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signInWithKeyboard(page, 'alice@patient.example');
    await page.getByRole('list', { name: 'Conversations' }).waitFor();
    await tabTo(page, named(/Answered with the keyboard only/, 'a'), 'the answered conversation');
    await page.keyboard.press('Enter');
    const reply = page.getByRole('article', { name: 'Message from Rita Reception' }).last();
    await expect.poll(() => reply.innerText()).toContain(STAFF_TEXT);
    await context.close();
  });
});
