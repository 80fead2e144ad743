import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, expectAccessible, expectNoHorizontalOverflow } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { settle } from './support/tour.js';

// Staff identity (issue 19, SPEC rule 19) in Chromium: passkeys through Chromium's virtual
// authenticator (WebAuthn over a CDP session), an authenticator app whose codes the test
// computes from the secret shown on the page, recovery codes, Require two-step verification
// for staff, and Reset two-step verification. WebAuthn refuses IP addresses, so the product is
// reached (and its public URL is) http://localhost:<port>.

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
const contexts: BrowserContext[] = [];

/**
 * Screenshots for people to look at: tmp/two-step (ignored by git), or docs/screenshots with
 * SCREENSHOTS=1 (as e2e/screenshots.spec.ts); TWO_STEP_SHOTS=0 skips them.
 */
const SHOTS =
  process.env.TWO_STEP_SHOTS === '0'
    ? null
    : process.env.SCREENSHOTS === '1'
      ? 'docs/screenshots'
      : 'tmp/two-step';
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 740 };

/**
 * The page as it is now at desktop width, then at phone width (checked to fit), then back; with
 * `part`, only that part of the page (scrolled to).
 */
async function shots(page: Page, name: string, what: string, part?: Locator) {
  for (const [size, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    await page.setViewportSize(viewport);
    await settle(page);
    if (size === 'phone') await expectNoHorizontalOverflow(page, `${what} on a phone`);
    if (SHOTS) {
      fs.mkdirSync(SHOTS, { recursive: true });
      await page.mouse.move(0, 0);
      const file = path.join(SHOTS, `staff-${name}-${size}.png`);
      const options = { path: file, animations: 'disabled', caret: 'hide' } as const;
      // A part of a page scrolled under the fixed header: the header is left out of its picture.
      if (part)
        await part.screenshot({
          ...options,
          style: '.mantine-AppShell-header, a[href="#main"] { visibility: hidden !important; }',
        });
      else
        await page.screenshot({
          ...options,
          fullPage: (await page.getByRole('dialog').count()) === 0,
        });
    }
  }
  await page.setViewportSize(DESKTOP);
  await settle(page);
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({
    viewport: DESKTOP,
    reducedMotion: 'reduce',
    locale: 'en-GB',
    timezoneId: 'Europe/London',
  });
  contexts.push(context);
  return context.newPage();
}

/** Chromium's virtual authenticator on this page: a platform authenticator that verifies the user. */
async function addVirtualAuthenticator(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () =>
      (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials,
  };
}

/**
 * Signs in with the password through the form. "Sign in" is matched exactly: the page also
 * offers "Sign in with a passkey" here.
 */
async function signIn(
  page: Page,
  base: string,
  app: 'staff',
  email: string,
  password = DEMO_PASSWORD,
) {
  await page.goto(`${base}/${app}/?clinic=demo`);
  await page.getByLabel('Email').fill(email);
  await page.locator('input[type=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

async function inTheApp(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.getByRole('link', { name: 'Start Page' }).first().waitFor();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
}

async function openTwoStepPage(page: Page, userName: string) {
  await page.getByRole('button', { name: userName }).click();
  await page.getByRole('menuitem', { name: 'Two-step verification' }).click();
  await page.getByRole('heading', { name: 'Two-step verification', level: 2 }).waitFor();
  await settle(page);
}

/** The ten codes of the "shown once" list, then "I have saved them". */
async function saveRecoveryCodes(scope: Page | ReturnType<Page['getByRole']>): Promise<string[]> {
  const list = scope.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const codes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);
  await scope.getByRole('button', { name: 'I have saved them' }).click();
  return codes;
}

/** The code the authenticator app shows for the next 30-second step (this one may be used). */
const nextCode = (secret: string) =>
  generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });

/** A GET of the API from the page, with its cookie: the status and error code. */
async function apiStatus(page: Page, url: string) {
  return page.evaluate(async (u) => {
    const res = await fetch(u);
    const body = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
    return { status: res.status, code: body?.error?.code ?? null };
  }, url);
}

beforeAll(async () => {
  server = await startDemoServer({ localhost: true });
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.cleanup();
  await server?.close();
});

describe('two-step verification in the browser', () => {
  let rita: Page;
  let authenticator: Awaited<ReturnType<typeof addVirtualAuthenticator>>;

  it('a staff user adds a passkey on Two-step verification, then signs in with password and passkey', async () => {
    rita = await newPage();
    authenticator = await addVirtualAuthenticator(rita);
    await signIn(rita, server.url, 'staff', 'reception@riverside.example');
    await inTheApp(rita);
    await openTwoStepPage(rita, 'Rita Reception');
    await rita.getByText('Two-step verification is').waitFor();
    expect(await rita.getByRole('button', { name: 'Add passkey' }).isEnabled()).toBe(true);
    await expectAccessible(rita, 'Two-step verification, nothing set up');

    await rita.getByRole('textbox', { name: 'Passkey name' }).fill('Work laptop');
    await rita.getByRole('button', { name: 'Add passkey' }).click();
    // The first factor comes with the ten recovery codes, shown once.
    const dialog = rita.getByRole('dialog', { name: 'Save your recovery codes' });
    await dialog.waitFor();
    await expectAccessible(rita, 'the recovery codes shown once');
    await shots(rita, 'recovery-codes', 'the recovery codes shown once');
    await saveRecoveryCodes(dialog);
    await dialog.waitFor({ state: 'detached' });
    const passkeys = rita.getByRole('list', { name: 'Passkeys' });
    await passkeys.getByRole('listitem', { name: 'Work laptop' }).waitFor();
    expect(await authenticator.credentials()).toHaveLength(1);
    await rita.getByText('10 of 10 left.').waitFor();
    await shots(rita, 'two-step', 'Two-step verification with a passkey');
    await expectAccessible(rita, 'Two-step verification with a passkey');

    // Password first: the second step asks for the passkey.
    await signOut(rita);
    await signIn(rita, server.url, 'staff', 'reception@riverside.example');
    await rita.getByRole('button', { name: 'Use your passkey' }).waitFor();
    // A reload keeps the half-finished sign-in: the step is shown again, the app is not.
    await rita.reload();
    await rita.getByRole('button', { name: 'Use your passkey' }).waitFor();
    expect(await rita.getByRole('link', { name: 'Start Page' }).count()).toBe(0);
    expect(await apiStatus(rita, '/api/v1/notifications/unread-count')).toEqual({
      status: 401,
      code: 'second_factor_required',
    });
    await shots(rita, 'second-step', 'the second step of sign-in');
    await expectAccessible(rita, 'the second step of sign-in');
    await rita.getByRole('button', { name: 'Use your passkey' }).click();
    await inTheApp(rita);
  });

  it('signs in with "Sign in with a passkey" alone', async () => {
    await signOut(rita);
    await rita.goto(`${server.url}/staff/?clinic=demo`);
    const button = rita.getByRole('button', { name: 'Sign in with a passkey' });
    await button.waitFor();
    await shots(rita, 'sign-in-passkey', 'sign-in with a passkey offered');
    await expectAccessible(rita, 'sign-in with a passkey offered');
    await button.click();
    await inTheApp(rita);
    await openTwoStepPage(rita, 'Rita Reception');
    // "last used" is now filled in.
    const row = rita.getByRole('list', { name: 'Passkeys' }).getByRole('listitem', {
      name: 'Work laptop',
    });
    await expect.poll(() => row.textContent()).not.toContain('Last used never');

    // The session ends while signed in: signing in again over the page takes the second step
    // in the dialog too, and the page stays as it was.
    await rita.context().clearCookies();
    await rita.getByRole('link', { name: 'Messages', exact: true }).first().click();
    const again = rita.getByRole('dialog', { name: 'Please sign in again' });
    await again.waitFor();
    await again.locator('input[type=password]').fill(DEMO_PASSWORD);
    await again.getByRole('button', { name: 'Sign in', exact: true }).click();
    await again.getByRole('button', { name: 'Use your passkey' }).click();
    await again.waitFor({ state: 'detached' });
    await rita.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  it('at an IP address, the sign-in page says where passkeys work', async () => {
    const page = await newPage();
    const ipUrl = server.url.replace('localhost', '127.0.0.1');
    await page.goto(`${ipUrl}/staff/?clinic=demo`);
    // The passkey button takes the person to the same page at localhost, where passkeys work.
    const button = page.getByRole('link', { name: 'Sign in with a passkey' });
    await button.waitFor();
    expect(await button.getAttribute('href')).toBe(`${server.url}/staff/?clinic=demo`);
    await page.getByRole('link', { name: `${server.url}/staff/?clinic=demo` }).waitFor();
    await shots(page, 'sign-in-ip-address', 'sign-in at an IP address');
    await expectAccessible(page, 'sign-in at an IP address');
    await page.context().close();
  });

  let nina: Page;
  let ninaSecret = '';
  let ninaCodes: string[] = [];

  it('sets up the authenticator app; the recovery codes are shown; signs in with a code', async () => {
    nina = await newPage();
    await signIn(nina, server.url, 'staff', 'nurse@riverside.example');
    await inTheApp(nina);
    await openTwoStepPage(nina, 'Nina Nurse');
    await nina.getByRole('button', { name: 'Set up authenticator app' }).click();
    const setUp = nina.getByTestId('totp-set-up');
    await setUp.waitFor();
    await nina.getByRole('img', { name: /QR code for your authenticator app/ }).waitFor();
    ninaSecret = ((await nina.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    expect(ninaSecret).toMatch(/^[A-Z2-7]{16,}$/);
    await shots(nina, 'totp-set-up', 'Set up authenticator app');
    await expectAccessible(nina, 'Set up authenticator app');

    const field = nina.getByRole('textbox', { name: 'Code from your authenticator app' });
    expect(await field.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await field.getAttribute('inputmode')).toBe('numeric');
    await field.fill(await generate({ secret: ninaSecret }));
    await nina.getByRole('button', { name: 'Confirm' }).click();
    const dialog = nina.getByRole('dialog', { name: 'Save your recovery codes' });
    await dialog.waitFor();
    ninaCodes = await saveRecoveryCodes(dialog);
    await nina
      .getByRole('list', { name: 'Authenticator app' })
      .getByRole('listitem')
      .first()
      .waitFor();

    await signOut(nina);
    await signIn(nina, server.url, 'staff', 'nurse@riverside.example');
    const code = nina.getByRole('textbox', { name: 'Code from your authenticator app' });
    await code.waitFor();
    // She has no passkey: none is offered.
    expect(await nina.getByRole('button', { name: 'Use your passkey' }).count()).toBe(0);
    // A wrong code is refused in the form, and the cursor goes back to the box.
    await code.fill('000000');
    await nina.getByRole('button', { name: 'Verify code' }).click();
    await expect.poll(() => code.getAttribute('aria-invalid')).toBe('true');
    expect(await nina.getByRole('link', { name: 'Start Page' }).count()).toBe(0);
    await code.fill(await nextCode(ninaSecret));
    await nina.getByRole('button', { name: 'Verify code' }).click();
    await inTheApp(nina);
  });

  it('signs in with a recovery code, used once', async () => {
    await signOut(nina);
    await signIn(nina, server.url, 'staff', 'nurse@riverside.example');
    await nina.getByRole('button', { name: 'Use a recovery code' }).click();
    const box = nina.getByRole('textbox', { name: 'Recovery code' });
    await box.fill(ninaCodes[0]!);
    await nina.getByRole('button', { name: 'Use recovery code' }).click();
    await inTheApp(nina);
    await openTwoStepPage(nina, 'Nina Nurse');
    await nina.getByText('9 of 10 left.').waitFor();
  });

  let admin: Page;
  let tom: Page;
  const TOM = { name: 'Tom Temp', email: 'tom.temp@riverside.example' };
  const TOM_PASSWORD = 'Quartz-violet-8412-lantern';

  it('an admin ticks Require two-step verification; another user is led to set one up before anything else', async () => {
    admin = await newPage();
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    await inTheApp(admin);
    await admin.goto(`${server.url}/staff/admin/configuration`);
    const security = admin.getByRole('region', { name: 'Security' });
    await security.waitFor();
    const tick = security.getByRole('checkbox', {
      name: 'Require two-step verification for staff',
    });
    expect(await tick.isChecked()).toBe(false);
    await tick.check();
    await security.getByRole('button', { name: 'Save' }).first().click();
    await security.getByText('Saved.').waitFor();
    await shots(admin, 'security', 'Admin > Configuration > Security', security);
    await expectAccessible(admin, 'Admin > Configuration > Security');
    // The redirect URI to register at the provider is shown, read-only.
    const redirect = security.getByRole('textbox', { name: 'Redirect URI' });
    expect(await redirect.inputValue()).toBe(`${server.url}/api/v1/staff/sso/callback`);
    expect(await redirect.getAttribute('readonly')).not.toBeNull();

    // A user without a second factor (made here through the API, with a password).
    const created = await admin.evaluate(
      async (body) =>
        (
          await fetch('/api/v1/admin/users', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).status,
      { name: TOM.name, email: TOM.email, password: TOM_PASSWORD },
    );
    expect(created).toBe(201);

    tom = await newPage();
    await signIn(tom, server.url, 'staff', TOM.email, TOM_PASSWORD);
    await tom.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    // Nothing else first: not the Start Page, and the API refuses too.
    await tom.goto(`${server.url}/staff/`);
    await tom.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(await tom.getByRole('link', { name: 'Start Page' }).count()).toBe(0);
    expect(await apiStatus(tom, '/api/v1/notifications/unread-count')).toEqual({
      status: 401,
      code: 'second_factor_required',
    });
    await shots(tom, 'set-up-step', 'set up two-step verification at sign-in');
    await expectAccessible(tom, 'set up two-step verification at sign-in');

    await tom.getByRole('button', { name: 'Set up authenticator app' }).click();
    const secret = ((await tom.getByTestId('totp-secret').textContent()) ?? '').replace(/\s/g, '');
    await tom
      .getByRole('textbox', { name: 'Code from your authenticator app' })
      .fill(await generate({ secret }));
    await tom.getByRole('button', { name: 'Confirm' }).click();
    await tom.getByRole('heading', { name: 'Recovery codes' }).waitFor();
    await saveRecoveryCodes(tom);
    await inTheApp(tom);
  });

  it('an admin resets two-step verification on a user, who must set it up again', async () => {
    await admin.getByRole('link', { name: 'User Management' }).click();
    const resetButton = admin
      .getByRole('button', { name: `Reset two-step verification for ${TOM.name}` })
      .first();
    await resetButton.waitFor();
    await shots(admin, 'user-management-two-step', 'User Management with two-step verification');
    await expectAccessible(admin, 'User Management with two-step verification');
    await resetButton.click();
    const dialog = admin.getByRole('dialog', { name: 'Reset two-step verification?' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('set up two-step verification again');
    await expectAccessible(admin, 'Reset two-step verification confirmation');
    await dialog.getByRole('button', { name: 'Reset two-step verification' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        admin.getByRole('button', { name: `Reset two-step verification for ${TOM.name}` }).count(),
      )
      .toBe(0);

    // Tom's sessions ended; signing in again leads to setting a factor up again.
    await tom.reload();
    await tom.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
    await signIn(tom, server.url, 'staff', TOM.email, TOM_PASSWORD);
    await tom.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    await tom.getByRole('button', { name: 'Cancel' }).click();
    await tom.getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  });

  it('the demo password still signs in users who have no second factor when none is required', async () => {
    // Require is turned off again: the admin (no factor) signs in with the password alone.
    await admin.goto(`${server.url}/staff/admin/configuration`);
    const security = admin.getByRole('region', { name: 'Security' });
    await security
      .getByRole('checkbox', { name: 'Require two-step verification for staff' })
      .uncheck();
    await security.getByRole('button', { name: 'Save' }).first().click();
    await security.getByText('Saved.').waitFor();
    await signOut(admin);
    await admin.getByLabel('Email').fill('admin@riverside.example');
    await admin.locator('input[type=password]').fill(DEMO_PASSWORD);
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await inTheApp(admin);
  });
});
