import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { accessibilityProblems, clippedProblems, overflowProblems } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { tour } from './support/tour.js';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('every page of both apps, at 390×844 and 1440×900', () => {
  it('has no serious or critical axe violation, nothing wider than a phone, no cut-off button', async () => {
    const visited: string[] = [];
    const problems: string[] = [];
    await tour(browser, server.url, async (page, stop, size) => {
      visited.push(`${stop.app}-${stop.name}-${size}`);
      const what = `${stop.title} (${size})`;
      // Every page's findings are collected, so one run lists them all.
      for (const problem of await accessibilityProblems(page)) problems.push(`${what}: ${problem}`);
      for (const problem of await clippedProblems(page)) problems.push(`${what}: ${problem}`);
      if (size === 'phone')
        for (const problem of await overflowProblems(page)) problems.push(`${what}: ${problem}`);
    });
    expect(problems).toEqual([]);
    const pages = [...new Set(visited.map((v) => v.replace(/-(phone|desktop)$/, '')))];
    expect(pages).toEqual([
      'portal-sign-in',
      'portal-forgotten-password',
      'portal-set-password',
      'portal-set-password-no-token',
      'portal-inbox',
      'portal-new-message',
      'portal-new-message-red-flag',
      'portal-conversation',
      'portal-documents',
      'portal-medical-data',
      'portal-session-expired',
      'portal-messaging-not-available',
      'staff-sign-in',
      'staff-forgotten-password',
      'staff-set-password',
      'staff-start-page',
      'staff-start-page-reply',
      'staff-messages',
      'staff-messages-conversation',
      'staff-audience',
      'staff-assign',
      'staff-keyboard-shortcuts',
      'staff-find-patient',
      'staff-patient-record-feed',
      'staff-new-conversation',
      'staff-patient-record-activity',
      'staff-patient-record-documents',
      'staff-patient-record-medical-data',
      'staff-configuration',
      'staff-new-topic',
      'staff-billing-rules',
      'staff-allowing-patient-access',
      'staff-user-management',
      'staff-new-user',
      'staff-system-activity',
      'staff-message-reports',
    ]);
    expect(visited).toHaveLength(2 * pages.length);
  }, 180_000);
});
