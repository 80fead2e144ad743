import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DEMO_PASSWORD, signIn } from './pages.js';

export const SIZES = {
  phone: { width: 390, height: 844 },
  desktop: { width: 1440, height: 900 },
} as const;
export type Size = keyof typeof SIZES;

export interface Stop {
  app: 'portal' | 'staff';
  /** Short kebab-case name, used in screenshot file names. */
  name: string;
  /** What a person sees, for messages. */
  title: string;
}

/** A browser context as a person has it: phone-sized first, asking for reduced motion. */
export function newContext(browser: Browser, size: Size = 'phone'): Promise<BrowserContext> {
  return browser.newContext({
    viewport: SIZES[size],
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
}

/** Waits until nothing is loading and the layout has had two frames to settle. */
export async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      !document.querySelector('.mantine-Loader') &&
      !Array.from(document.querySelectorAll('[role=status]')).some((e) =>
        /Loading…|Searching…/.test(e.textContent ?? ''),
      ),
  );
  await page.evaluate(
    () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null)))),
  );
}

/**
 * Visits every page of both apps (and the dialogs opened from them), in the states the SPEC
 * workflow passes through. At each stop `at` runs once at phone size and once at desktop size,
 * on the same page, resized (phone first). Nothing is changed on the server: dialogs are opened, not submitted.
 */
export async function tour(
  browser: Browser,
  base: string,
  at: (page: Page, stop: Stop, size: Size) => Promise<void>,
): Promise<void> {
  // `open` opens the stop's dialog at each size (and Escape closes it after): for a dialog of a
  // part of the page that is laid out anew when the window crosses the phone/desktop width.
  const visit = async (page: Page, stop: Stop, open?: () => Promise<void>) => {
    for (const size of ['phone', 'desktop'] as const) {
      await page.setViewportSize(SIZES[size]);
      await settle(page);
      if (open) await open();
      await at(page, stop, size);
      if (open) {
        // The first Escape may close a list open in the dialog (the Assign picker opens on focus).
        for (let i = 0; i < 2 && (await page.getByRole('dialog').count()) > 0; i++) {
          await page.keyboard.press('Escape');
          await page.waitForTimeout(200);
        }
        await page.getByRole('dialog').waitFor({ state: 'detached' });
      }
    }
    // Left at desktop size, where every navigation link is on screen for the next step.
  };
  const portal = (name: string, title: string): Stop => ({ app: 'portal', name, title });
  const staff = (name: string, title: string): Stop => ({ app: 'staff', name, title });

  // Patient Portal, signed out, then Alice (may message), then Bob (may not).
  const context = await newContext(browser);
  const page = await context.newPage();
  await page.goto(`${base}/portal/?clinic=demo`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await visit(page, portal('sign-in', 'portal sign-in'));

  await page.getByRole('link', { name: 'Forgotten password?' }).click();
  await page.getByRole('button', { name: 'Email me a link' }).waitFor();
  await visit(page, portal('forgotten-password', 'portal forgotten password'));

  await page.goto(`${base}/portal/set-password#token=not-a-real-token`);
  await page.getByRole('button', { name: 'Set password' }).waitFor();
  await visit(page, portal('set-password', 'portal set password (link with token)'));

  await page.goto(`${base}/portal/set-password`);
  await page.getByText('This link is incomplete').waitFor();
  await visit(page, portal('set-password-no-token', 'portal set password (no token)'));

  await signIn(page, base, 'portal', 'alice@patient.example');
  await page.getByRole('list', { name: 'Conversations' }).waitFor();
  await visit(page, portal('inbox', 'portal Inbox'));

  await page.getByRole('link', { name: 'New message' }).first().click();
  await page.getByLabel('Your message to Riverside Clinic').waitFor();
  await visit(page, portal('new-message', 'portal New message'));

  // A red flag phrase typed: the Emergency advice and the Clinic phone above Send (rule 14).
  await page
    .getByLabel('Your message to Riverside Clinic')
    .fill('Since this morning I have chest pain');
  await page.getByText('If this is an emergency, call 999 now.').first().waitFor();
  await visit(page, portal('new-message-red-flag', 'portal New message, a red flag typed'));
  await page.getByLabel('Your message to Riverside Clinic').fill('');

  await page.getByRole('link', { name: 'Inbox' }).first().click();
  await page.getByRole('list', { name: 'Conversations' }).getByRole('link').last().click();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
  await visit(page, portal('conversation', 'portal conversation'));

  await page.getByRole('link', { name: 'Documents' }).first().click();
  await page.getByRole('heading', { name: 'Documents' }).waitFor();
  await visit(page, portal('documents', 'portal Documents'));
  await page.getByRole('link', { name: 'Medical Data' }).first().click();
  await page.getByRole('heading', { name: 'Medical Data' }).waitFor();
  await visit(page, portal('medical-data', 'portal Medical Data'));

  // The session ends while a message is being written: sign in again over the page, draft kept.
  const draft = 'A draft written while the session ended.';
  await page.getByRole('link', { name: 'Inbox' }).first().click();
  await page.getByRole('link', { name: 'New message' }).first().click();
  await page.getByRole('radio', { name: 'Something else' }).check();
  await page.getByLabel('Your message to Riverside Clinic').fill(draft);
  await context.clearCookies();
  await page.getByRole('button', { name: 'Send' }).click();
  const again = page.getByRole('dialog', { name: 'Please sign in again' });
  await again.waitFor();
  await visit(page, portal('session-expired', 'portal session expired while writing'));
  await again.getByLabel('Email').fill('alice@patient.example');
  await again.locator('input[type=password]').fill(DEMO_PASSWORD);
  await again.getByRole('button', { name: 'Sign in' }).click();
  await again.waitFor({ state: 'detached' });
  if ((await page.getByLabel('Your message to Riverside Clinic').inputValue()) !== draft)
    throw new Error('The draft was lost when signing in again');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await signIn(page, base, 'portal', 'bob@patient.example');
  await page.getByText('Online messaging is not available').first().waitFor();
  await visit(page, portal('messaging-not-available', 'portal messaging not available'));
  await context.close();

  // Staff app, signed out, then the administrator (who is also in Appointment Reminder Admin).
  const staffContext = await newContext(browser);
  const s = await staffContext.newPage();
  await s.goto(`${base}/staff/?clinic=demo`);
  await s.getByRole('button', { name: 'Sign in' }).waitFor();
  await visit(s, staff('sign-in', 'staff sign-in'));

  await s.getByRole('link', { name: 'Forgotten password?' }).click();
  await s.getByRole('button', { name: 'Email me a link' }).waitFor();
  await visit(s, staff('forgotten-password', 'staff forgotten password'));

  await s.goto(`${base}/staff/set-password#token=not-a-real-token`);
  await s.getByRole('button', { name: 'Set password' }).waitFor();
  await visit(s, staff('set-password', 'staff set password'));

  await signIn(s, base, 'staff', 'admin@riverside.example');
  const notifications = s.getByRole('list', { name: 'Notifications' });
  await notifications.waitFor();
  await visit(s, staff('start-page', 'staff Start Page with notifications'));

  await notifications.getByRole('button', { name: 'Reply' }).first().click();
  await notifications.getByRole('textbox', { name: 'Message' }).first().waitFor();
  await visit(s, staff('start-page-reply', 'staff Start Page with a reply form open'));

  // Start Page > Messages: the team inbox, a conversation, Assign and the shortcuts.
  await s.getByRole('link', { name: 'Messages', exact: true }).first().click();
  await s.getByTestId('team-inbox-list').waitFor();
  await visit(s, staff('messages', 'staff Messages, Open view'));

  await s.getByTestId('team-inbox-row').first().getByRole('link').first().click();
  await s.getByTestId('conversation-panel').getByRole('log', { name: 'Messages' }).waitFor();
  await visit(s, staff('messages-conversation', 'staff Messages with a conversation open'));

  // On a phone the conversation is shown alone, on a desktop beside the list: the dialogs of
  // the conversation are opened at each size.
  await visit(
    s,
    staff('audience', 'staff Who will see the message (a reply’s audience)'),
    async () => {
      await s
        .getByTestId('conversation-panel')
        .getByTestId('audience-control')
        .getByRole('button')
        .click();
      await s.getByRole('dialog', { name: 'Who will see the message' }).waitFor();
    },
  );

  await visit(s, staff('assign', 'staff Assign dialog'), async () => {
    await s
      .getByTestId('conversation-actions')
      .getByRole('button', { name: 'Assign', exact: true })
      .click();
    await s.getByRole('dialog', { name: 'Assign' }).waitFor();
  });

  await s.getByRole('link', { name: 'Messages', exact: true }).first().click();
  await s.getByTestId('team-inbox-list').waitFor();
  await s.locator('body').click({ position: { x: 5, y: 5 } });
  await s.keyboard.press('?');
  await s.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await visit(s, staff('keyboard-shortcuts', 'staff Messages keyboard shortcuts'));
  await s.keyboard.press('Escape');
  await s.getByRole('dialog').waitFor({ state: 'detached' });

  await s.getByRole('link', { name: 'Patient', exact: true }).click();
  await s.getByRole('searchbox', { name: 'Search patients' }).fill('Archer');
  await s.getByRole('link', { name: /Archer, Alice/ }).waitFor();
  await visit(s, staff('find-patient', 'staff Find and Select patient with results'));

  await s.getByRole('link', { name: /Archer, Alice/ }).click();
  await s.getByRole('list', { name: 'Conversations' }).getByRole('link').last().click();
  await s.getByRole('log', { name: 'Messages' }).waitFor();
  await visit(s, staff('patient-record-feed', 'staff Patient Record, Feed, conversation open'));

  await s.getByRole('button', { name: 'New conversation' }).click();
  await s.getByRole('dialog', { name: 'New conversation with Alice Archer' }).waitFor();
  await visit(s, staff('new-conversation', 'staff New conversation dialog'));
  await s.keyboard.press('Escape');
  await s.getByRole('dialog').waitFor({ state: 'detached' });

  await s.getByRole('tab', { name: 'Activity' }).click();
  await s.getByRole('table').waitFor();
  await visit(s, staff('patient-record-activity', 'staff Patient Record, Activity'));

  await s.getByRole('tab', { name: 'Documents' }).click();
  await s.getByRole('button', { name: 'Upload document' }).waitFor();
  await visit(s, staff('patient-record-documents', 'staff Patient Record, Documents'));
  await s.getByRole('tab', { name: 'Medical Data' }).click();
  await s.getByRole('button', { name: 'Add medical data' }).waitFor();
  await visit(s, staff('patient-record-medical-data', 'staff Patient Record, Medical Data'));

  await s.getByRole('link', { name: 'Configuration' }).click();
  await s.getByRole('combobox', { name: 'Role for new messages' }).waitFor();
  await visit(s, staff('configuration', 'staff Configuration'));

  await s.getByRole('button', { name: 'New Topic' }).click();
  await s.getByRole('dialog', { name: 'New Topic' }).waitFor();
  await visit(s, staff('new-topic', 'staff New Topic dialog'));
  await s.keyboard.press('Escape');
  await s.getByRole('dialog').waitFor({ state: 'detached' });

  await s.getByRole('link', { name: 'Billing Rules' }).click();
  const standard = s.getByRole('region', { name: 'Charge band Standard' });
  await standard.waitFor();
  await visit(s, staff('billing-rules', 'staff Billing Rules'));

  await standard.getByRole('button', { name: 'Enable Online Booking' }).click();
  await s.getByRole('dialog', { name: 'Allowing Patient Access' }).waitFor();
  await visit(s, staff('allowing-patient-access', 'staff Allowing Patient Access dialog'));
  await s.keyboard.press('Escape');
  await s.getByRole('dialog').waitFor({ state: 'detached' });

  await s.getByRole('link', { name: 'User Management' }).click();
  await s.getByRole('table').waitFor();
  await visit(s, staff('user-management', 'staff User Management'));

  await s.getByRole('button', { name: 'New User' }).click();
  await s.getByRole('dialog', { name: 'New User' }).waitFor();
  await visit(s, staff('new-user', 'staff New User dialog'));
  await s.keyboard.press('Escape');
  await s.getByRole('dialog').waitFor({ state: 'detached' });

  await s.getByRole('link', { name: 'System Activity' }).click();
  await s.getByRole('table').waitFor();
  await visit(s, staff('system-activity', 'staff System Activity'));

  await s.getByRole('link', { name: 'Message Reports' }).click();
  await s.getByRole('heading', { name: 'Message Reports' }).waitFor();
  await visit(s, staff('message-reports', 'staff Message Reports'));
  await staffContext.close();
}
