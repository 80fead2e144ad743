import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium, headless, with no background traffic and a fresh profile. */
export async function launchBrowser(): Promise<Browser & { cleanup: () => Promise<void> }> {
  // Playwright gives every launch a fresh, empty profile of its own (its --user-data-dir).
  const downloads = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-chromium-'));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    downloadsPath: downloads,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return Object.assign(browser, {
    cleanup: async () => {
      await browser.close();
      fs.rmSync(downloads, { recursive: true, force: true });
    },
  });
}
