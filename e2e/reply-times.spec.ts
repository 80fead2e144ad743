import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, expectAccessible, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

// Reply times and red flags in the browser (issue 14, rules 12 to 14): the admin sets the
// Clinic phone; a patient who writes "I have chest pain" sees the Emergency advice and the
// phone above Send before sending, and can still send; staff see the conversation first in
// Messages with its Red flag, and clear it; with today closed in Reply Times the patient is
// told the clinic is closed and gets its automatic message; a patient who cannot message
// sees the phone and today's hours, and so does one whose account is blocked, at sign-in.

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: Page;
let alice: Page;

const PHONE = '020 7946 0999';
const SUBJECT = 'Since this morning';
const OUT_OF_HOURS = 'Thank you. The clinic is closed now; we will read your message when we open.';
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  const desk = { viewport: { width: 1280, height: 800 }, timezoneId: 'Europe/London' };
  admin = await (await browser.newContext(desk)).newPage();
  alice = await (
    await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'Europe/London' })
  ).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

/** Admin > Configuration, and one of its sections. */
async function configurationSection(name: string) {
  await admin.getByRole('link', { name: 'Configuration' }).click();
  const section = admin.getByRole('region', { name });
  await section.waitFor();
  return section;
}

/** The rows of the staff Messages list, their text in order. */
async function messageRows(page: Page): Promise<string[]> {
  return page.getByTestId('team-inbox-list').getByTestId('team-inbox-row').allTextContents();
}

describe('reply times, red flags and the clinic phone', () => {
  it('the admin sets the Clinic phone in Clinic Contact', async () => {
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    const section = await configurationSection('Clinic Contact');
    const phone = section.getByRole('textbox', { name: 'Clinic phone' });
    await phone.fill('call us');
    // Checked before sending: only digits and + - ( ) . are taken.
    await section.getByText('Only digits, spaces and + - ( ) . can be used.').waitFor();
    await phone.fill(PHONE);
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await admin.reload();
    await expect
      .poll(() =>
        admin
          .getByRole('region', { name: 'Clinic Contact' })
          .getByRole('textbox', { name: 'Clinic phone' })
          .inputValue(),
      )
      .toBe(PHONE);
    await expectAccessible(admin, 'Configuration with Reply Times, Patient Safety, Clinic Contact');
  });

  it('a patient typing "I have chest pain" sees the emergency advice and the phone above Send, and can send', async () => {
    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'New message' }).last().click();
    await alice.getByRole('radio', { name: 'Something else' }).check();
    await alice.getByRole('textbox', { name: 'Subject' }).fill(SUBJECT);
    const box = alice.getByRole('textbox', { name: /Your message/ });
    await box.fill('I have a question about my prescription.');
    const warning = alice.getByTestId('red-flag-warning');
    expect(await warning.count()).toBe(0);
    // Typed key by key, as a person does: the warning comes while writing, before sending.
    await box.fill('');
    await box.pressSequentially('I have chest pain', { delay: 20 });
    await warning.waitFor({ timeout: 2000 });
    const text = await warning.innerText();
    expect(text).toContain('If this is an emergency, call 999 now.');
    expect(text).toContain(PHONE);
    expect(await warning.getByRole('link', { name: PHONE }).getAttribute('href')).toBe(
      'tel:02079460999',
    );
    // Above Send, and Send stays enabled (rule 14: warn, never block).
    const send = alice.getByRole('button', { name: 'Send', exact: true });
    expect(await send.isEnabled()).toBe(true);
    const [warned, button] = [await warning.boundingBox(), await send.boundingBox()];
    expect(warned!.y + warned!.height).toBeLessThanOrEqual(button!.y);
    // When the clinic aims to reply, in words.
    await expect
      .poll(() => alice.getByTestId('reply-promise').innerText())
      .toMatch(/The clinic aims to reply by \w+day \d{1,2} \w+/);
    await expectAccessible(alice, 'portal New message with the red flag warning');

    await send.click();
    await alice.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    await alice.getByRole('heading', { name: SUBJECT }).waitFor();
    await alice.getByText('I have chest pain').waitFor();
  });

  it('staff see the conversation first in Messages with its Red flag, and clear it', async () => {
    await admin.getByRole('link', { name: 'Messages', exact: true }).first().click();
    await admin.getByRole('tab', { name: 'Open' }).waitFor();
    await expect.poll(async () => (await messageRows(admin)).length).toBeGreaterThan(0);
    const rows = await messageRows(admin);
    const ours = rows.findIndex((r) => r.includes(SUBJECT));
    expect(ours).toBeGreaterThanOrEqual(0);
    expect(rows[ours]).toContain('Red flag');
    // Red flags first: no conversation without one comes before it.
    expect(rows.slice(0, ours).every((r) => r.includes('Red flag'))).toBe(true);

    const row = admin
      .getByTestId('team-inbox-list')
      .getByTestId('team-inbox-row')
      .filter({ hasText: SUBJECT });
    await row.getByRole('link').first().click();
    const panel = admin.getByTestId('conversation-panel');
    await panel.getByRole('log', { name: 'Messages' }).waitFor();
    await panel.getByTestId('message-red-flag').first().waitFor();
    expect(await panel.getByTestId('conversation-state').textContent()).toContain('Red flag');
    await panel.getByRole('button', { name: 'Clear red flag' }).click();
    await expect
      .poll(() => panel.getByTestId('conversation-state').textContent())
      .not.toContain('Red flag');
    expect(await panel.getByRole('button', { name: 'Clear red flag' }).count()).toBe(0);
    // The message stays marked: it was a red flag when sent.
    expect(await panel.getByTestId('message-red-flag').count()).toBeGreaterThan(0);
  });

  it('with today closed in Reply Times, the patient is told so before sending and gets the automatic message', async () => {
    const today = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/London',
      weekday: 'long',
    }).format(new Date());
    // Open two days from today only: now is out of hours, and there is a time to promise.
    const open = DAYS[(DAYS.indexOf(today) + 2) % 7]!;
    const section = await configurationSection('Reply Times');
    for (const day of DAYS) {
      await section
        .getByRole('switch', { name: `${day}: open` })
        .setChecked(day === open, { force: true });
    }
    // The demo's text (SPEC "Demo chamber"), set here too so the step does not hang on it.
    await section.getByRole('textbox', { name: 'Out-of-hours message' }).fill(OUT_OF_HOURS);
    await section.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    // The portal keeps the promise it fetched for a minute: a patient arriving now sees the new one.
    await alice.reload();
    await alice.getByRole('link', { name: 'Inbox' }).first().click();
    await alice.getByRole('link', { name: 'New message' }).last().click();
    await alice.getByRole('radio', { name: 'Appointments' }).check();
    const promise = alice.getByTestId('reply-promise');
    await expect.poll(() => promise.innerText()).toContain(`The clinic aims to reply by ${open}`);
    expect(await promise.innerText()).toContain('The clinic is closed now.');
    await alice
      .getByRole('textbox', { name: /Your message/ })
      .fill('Could I move my appointment to next week?');
    await alice.getByRole('button', { name: 'Send', exact: true }).click();
    await alice.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    // The clinic's automatic message, from the clinic and not a person.
    const automatic = alice.getByRole('article', { name: /^Automatic message from / });
    await automatic.waitFor();
    expect(await automatic.innerText()).toContain('Automatic message');
    expect(await automatic.innerText()).toContain(OUT_OF_HOURS);
    // The promise stands: the automatic message does not answer the patient.
    await expect
      .poll(() => alice.getByTestId('conversation-reply-by').innerText())
      .toContain(`the clinic aims to reply by ${open}`);
    await expectAccessible(alice, 'portal conversation with the automatic message');
  });

  it("a patient who cannot message sees the clinic phone and today's hours", async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await signIn(alice, server.url, 'portal', 'bob@patient.example');
    const contact = alice.getByTestId('clinic-contact');
    await contact.waitFor();
    const text = await contact.innerText();
    expect(text).toContain(`Call Riverside Clinic on ${PHONE}`);
    // Today is closed since the step above.
    expect(text).toContain('Closed today');
    expect(await contact.getByRole('link', { name: PHONE }).getAttribute('href')).toBe(
      'tel:02079460999',
    );
    await expectAccessible(alice, 'portal messaging not available, with the clinic phone');
  });

  it('a blocked account is told whom to call on the sign-in page', async () => {
    await alice.getByRole('button', { name: 'Sign out' }).click();
    await alice.goto(`${server.url}/portal/?clinic=demo`);
    // Five wrong passwords block a portal account (rule 8); the right one then says so.
    for (const password of ['wrong-1', 'wrong-2', 'wrong-3', 'wrong-4', 'wrong-5', DEMO_PASSWORD]) {
      await alice.getByLabel('Email').fill('bob@patient.example');
      await alice.locator('input[type=password]').fill(password);
      await alice.getByRole('button', { name: 'Sign in' }).click();
      await alice
        .getByText(/not correct|blocked/)
        .first()
        .waitFor();
    }
    await alice
      .getByText(/blocked/)
      .first()
      .waitFor();
    const contact = alice.getByTestId('clinic-contact');
    await contact.waitFor();
    expect(await contact.innerText()).toContain(`Call Riverside Clinic on ${PHONE}`);
    await expectAccessible(alice, 'portal sign-in refused, with the clinic phone');
  });
});
