import fs from 'node:fs';
import path from 'node:path';
import * as prettier from 'prettier';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './support/browser.js';
import { startDemoServer } from './support/server.js';
import { tour, type Stop } from './support/tour.js';

/**
 * Screenshots of every page of both apps, phone (390×844) and desktop (1440×900), written to
 * docs/screenshots/<app>-<page>-<phone|desktop>.png. Only with SCREENSHOTS=1:
 *   SCREENSHOTS=1 npx vitest run --project e2e e2e/screenshots.spec.ts
 */
const enabled = process.env.SCREENSHOTS === '1';
const OUT = path.resolve('docs/screenshots');
/** Tall pages are cut here, to keep the images small. */
const MAX_HEIGHT = 2400;

/** The index of the screenshots, written next to them. */
function readme(stops: Stop[]): string {
  const app = { portal: 'Patient Portal', staff: 'Staff app' } as const;
  const rows = stops.map((s) => {
    const file = (size: string) => `${s.app}-${s.name}-${size}.png`;
    const what = s.title.replace(/^(portal|staff) /, '');
    return `| ${app[s.app]} | ${what.charAt(0).toUpperCase()}${what.slice(1)} | [phone](${file('phone')}) | [desktop](${file('desktop')}) |`;
  });
  return [
    '# Screenshots',
    '',
    'Every page of both apps, on a phone (390×844) and a desktop (1440×900), with the demo',
    'chamber. Tall pages are cut at 2,400 px; dialogs show the window they open in. Made by',
    '`e2e/screenshots.spec.ts`, which visits the same pages as the accessibility checks',
    '(`e2e/accessibility.spec.ts`):',
    '',
    '```sh',
    'SCREENSHOTS=1 npx vitest run --project e2e e2e/screenshots.spec.ts',
    '```',
    '',
    'File names: `<app>-<page>-<phone|desktop>.png`.',
    '',
    '| App | Page | Phone | Desktop |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;

beforeAll(async () => {
  if (!enabled) return;
  server = await startDemoServer();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('screenshots', () => {
  (enabled ? it : it.skip)(
    'of every page, phone and desktop',
    async () => {
      fs.mkdirSync(OUT, { recursive: true });
      const written: string[] = [];
      const stops: Stop[] = [];
      await tour(browser, server.url, async (page, stop, size) => {
        if (!stops.some((s) => s.app === stop.app && s.name === stop.name)) stops.push(stop);
        const file = path.join(OUT, `${stop.app}-${stop.name}-${size}.png`);
        // No hover highlight left behind by the last click.
        await page.mouse.move(0, 0);
        const { width, height } = await page.evaluate(() => ({
          width: window.innerWidth,
          height: document.documentElement.scrollHeight,
        }));
        // A dialog covers the window only: show the window, not the whole page under it.
        const dialog = (await page.getByRole('dialog').count()) > 0;
        await page.screenshot({
          path: file,
          fullPage: !dialog,
          ...(dialog ? {} : { clip: { x: 0, y: 0, width, height: Math.min(height, MAX_HEIGHT) } }),
          animations: 'disabled',
          caret: 'hide',
        });
        written.push(path.basename(file));
      });
      expect(written.length).toBe(2 * stops.length);
      // Formatted as `npm run lint` expects (prettier --check .).
      const options = (await prettier.resolveConfig(path.join(OUT, 'README.md'))) ?? {};
      fs.writeFileSync(
        path.join(OUT, 'README.md'),
        await prettier.format(readme(stops), { ...options, parser: 'markdown' }),
      );
    },
    180_000,
  );
});
