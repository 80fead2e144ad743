import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let admin: Page;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  admin = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});
afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('Admin > Configuration > Integrations', () => {
  it('lists the demo client, creates one whose secret is shown once and works, and revokes it', async () => {
    await signIn(admin, server.url, 'staff', 'admin@riverside.example');
    await admin.getByRole('link', { name: 'Configuration' }).click();
    const section = admin.getByRole('region', { name: 'Integrations' });
    await section.getByText('demo-integration').waitFor();

    await section.getByRole('textbox', { name: 'Client name' }).fill('Archive');
    await section.getByRole('checkbox', { name: /system\/Communication\.read:/ }).check();
    await section.getByRole('button', { name: 'Create client' }).click();
    const shown = section.getByRole('status');
    await shown.waitFor();
    const text = await shown.innerText();
    const clientId = text.match(/Client id\s+(\S+)/)?.[1];
    const secret = text.match(/Secret\s+(\S+)/)?.[1];
    expect(clientId).toBe('demo-archive');
    const token = await admin.request.post(`${server.url}/oauth2/token`, {
      form: { grant_type: 'client_credentials', client_id: clientId!, client_secret: secret! },
    });
    expect(token.status()).toBe(200);

    await section.getByRole('button', { name: 'Revoke Archive' }).click();
    await section.getByText('Revoked').waitFor();
    const refused = await admin.request.post(`${server.url}/oauth2/token`, {
      form: { grant_type: 'client_credentials', client_id: clientId!, client_secret: secret! },
    });
    expect(refused.status()).toBe(401);
  });
});
