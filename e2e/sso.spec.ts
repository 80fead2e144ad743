import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { startOidcProvider, type TestOidcProvider } from '../server/test/oidc-provider.js';
import { launchBrowser } from './support/browser.js';
import { DEMO_PASSWORD, expectAccessible, expectNoHorizontalOverflow } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { settle } from './support/tour.js';

// Single sign-on (issue 19, SPEC rule 19) in Chromium against a real OpenID Connect provider
// (oidc-provider on loopback): an admin configures it in Admin > Configuration > Security; staff
// sign in with "Sign in with <name>"; refusals come back to the sign-in page with a sentence.
// The provider's login screen is the one thing the test answers for the person: it names the
// account to sign in as (`?login=` on the provider's interaction page).

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let provider: TestOidcProvider;
const contexts: BrowserContext[] = [];
const accounts: Record<string, string> = {};

const SHOTS =
  process.env.TWO_STEP_SHOTS === '0'
    ? null
    : process.env.SCREENSHOTS === '1'
      ? 'docs/screenshots'
      : 'tmp/two-step';

async function shot(page: Page, name: string) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await settle(page);
  await page.screenshot({ path: path.join(SHOTS, `staff-${name}.png`), animations: 'disabled' });
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    reducedMotion: 'reduce',
  });
  contexts.push(context);
  return context.newPage();
}

/**
 * Presses "Sign in with Riverside ID" and, at the provider's login screen, signs in as
 * `account` (the test provider takes the account in the address, in place of a form).
 */
async function signInWithProvider(page: Page, account: string) {
  await page.getByRole('link', { name: 'Sign in with Riverside ID' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${provider.issuer}/interaction/`));
  const login = new URL(page.url());
  login.searchParams.set('login', account);
  await page.goto(login.href);
}

beforeAll(async () => {
  server = await startDemoServer({ localhost: true });
  provider = await startOidcProvider({ redirectUri: `${server.url}/api/v1/staff/sso/callback` });
  accounts.rita = provider.addAccount({
    email: 'reception@riverside.example',
    email_verified: true,
    name: 'Rita Reception',
    amr: ['pwd', 'otp'],
  });
  accounts.nina = provider.addAccount({
    email: 'nurse@riverside.example',
    email_verified: false,
  });
  accounts.stranger = provider.addAccount({
    email: 'someone.else@riverside.example',
    email_verified: true,
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.cleanup();
  await provider?.stop();
  await server?.close();
});

describe('single sign-on in the browser', () => {
  let admin: Page;

  it('an admin configures single sign-on in Admin > Configuration > Security', async () => {
    admin = await newPage();
    await admin.goto(`${server.url}/staff/?clinic=demo`);
    await admin.getByLabel('Email').fill('admin@riverside.example');
    await admin.locator('input[type=password]').fill(DEMO_PASSWORD);
    await admin.getByRole('button', { name: 'Sign in', exact: true }).click();
    await admin.getByRole('button', { name: 'Sign out' }).waitFor();
    await admin.goto(`${server.url}/staff/admin/configuration`);
    const security = admin.getByRole('region', { name: 'Security' });
    await security.waitFor();

    // An issuer that does not answer is named under the Issuer field; nothing is saved.
    await security.getByRole('textbox', { name: 'Issuer' }).fill('http://127.0.0.1:9/');
    await security.getByRole('textbox', { name: 'Client id' }).fill(provider.clientId);
    await security.getByLabel('Client secret').fill(provider.clientSecret);
    await security.getByRole('button', { name: 'Save' }).last().click();
    const issuer = security.getByRole('textbox', { name: 'Issuer' });
    await expect.poll(() => issuer.getAttribute('aria-invalid')).toBe('true');
    await security.getByText('was not found').waitFor();

    await issuer.fill(provider.issuer);
    await security.getByRole('textbox', { name: 'Button name (optional)' }).fill('Riverside ID');
    await security.getByRole('checkbox', { name: 'Allow password sign-in' }).uncheck();
    await security.getByRole('button', { name: 'Save' }).last().click();
    await security.getByText('Saved.').waitFor();
    // The secret is never shown again: the field is empty, saying it is kept.
    expect(await security.getByLabel('Client secret').inputValue()).toBe('');
    await security.getByText('Saved — leave empty to keep it.', { exact: false }).waitFor();
    await expectAccessible(admin, 'Security with single sign-on configured');
  });

  it('the sign-in page offers "Sign in with Riverside ID"; the password waits behind a toggle', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/staff/?clinic=demo`);
    await page.getByRole('link', { name: 'Sign in with Riverside ID' }).waitFor();
    expect(await page.getByLabel('Email').count()).toBe(0);
    await shot(page, 'sign-in-sso-desktop');
    await page.setViewportSize({ width: 375, height: 740 });
    await shot(page, 'sign-in-sso-phone');
    await expectNoHorizontalOverflow(page, 'sign-in with single sign-on on a phone');
    await expectAccessible(page, 'sign-in with single sign-on');
    await page.setViewportSize({ width: 1280, height: 900 });

    await signInWithProvider(page, accounts.rita!);
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('button', { name: 'Rita Reception' }).waitFor();
    expect(page.url()).toBe(`${server.url}/staff/`);
  });

  it('refusals come back to the sign-in page with a sentence, signed out', async () => {
    const stranger = await newPage();
    await stranger.goto(`${server.url}/staff/?clinic=demo`);
    await signInWithProvider(stranger, accounts.stranger!);
    await stranger
      .getByText(
        'No staff user of this clinic has the email address your identity provider gave.',
        {
          exact: false,
        },
      )
      .waitFor();
    // The reason is taken out of the address (a reload does not show it again).
    await expect.poll(() => stranger.url()).toBe(`${server.url}/staff/`);
    // The clinic code is remembered from the attempt: the button is there to try again.
    await stranger.getByRole('link', { name: 'Sign in with Riverside ID' }).waitFor();
    await shot(stranger, 'sign-in-sso-refused-desktop');
    await expectAccessible(stranger, 'single sign-on refused');

    const nina = await newPage();
    await nina.goto(`${server.url}/staff/?clinic=demo`);
    await signInWithProvider(nina, accounts.nina!);
    await nina
      .getByText('Your identity provider has not verified your email address', { exact: false })
      .waitFor();
    expect(await nina.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
  });

  it('staff without single sign-on are refused the password; an administrator keeps it', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/staff/?clinic=demo`);
    const toggle = page.getByRole('button', { name: 'Administrator sign-in with password' });
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.getByLabel('Email').fill('nurse@riverside.example');
    await page.locator('input[type=password]').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page
      .getByText('This clinic signs staff in through single sign-on', { exact: false })
      .waitFor();

    await page.getByLabel('Email').fill('admin@riverside.example');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  it('an admin removes single sign-on: the password form is back for everyone', async () => {
    const security = admin.getByRole('region', { name: 'Security' });
    await security.getByRole('button', { name: 'Remove single sign-on' }).click();
    const dialog = admin.getByRole('dialog', { name: 'Remove single sign-on?' });
    await dialog.getByRole('button', { name: 'Remove single sign-on' }).click();
    await dialog.waitFor({ state: 'detached' });
    await security.getByText('Single sign-on removed.').waitFor();

    const page = await newPage();
    await page.goto(`${server.url}/staff/?clinic=demo`);
    await page.getByLabel('Email').waitFor();
    expect(await page.getByRole('link', { name: /Sign in with/ }).count()).toBe(0);
  });
});
