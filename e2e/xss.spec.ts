import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { overflowProblems, signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext } from './support/tour.js';

/**
 * Hostile message text, sent by a patient and by staff and read in both apps at phone width:
 * nothing runs, everything is shown exactly as typed, only http(s) text becomes a link, and
 * a very long word wraps instead of widening the page.
 */
const CORPUS = [
  '<script>window.__xss = "script"</script>',
  `<img src=x onerror="window.__xss = 'img'">`,
  `<svg onload="window.__xss = 'svg'"><circle r="1"/></svg>`,
  `"><iframe src="javascript:window.__xss = 'iframe'"></iframe>`,
  `'><body onload=alert('body')>`,
  'javascript:alert("plain")',
  '[Click here](javascript:alert("markdown"))',
  `<a href="javascript:alert('anchor')">anchor</a>`,
  'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  `{{constructor.constructor("window.__xss = 'template'")()}}`,
  '${alert("template literal")}',
  '&lt;b&gt;entities&lt;/b&gt; & <b>tags</b> stay as typed',
  `https://example.org/"onmouseover="alert('attribute')`,
  'A real link: https://example.org/safe?x=1&y=2.',
];
const PATIENT_TEXT = `Patient corpus:\n${CORPUS.join('\n')}`;
const STAFF_TEXT = `Staff corpus:\n${CORPUS.join('\n')}`;
const LONG_WORD = 'Pneumonoultramicroscopicsilicovolcanoconiosis'.repeat(8);
const LONG_LINK = `https://example.org/${'very-long-path-'.repeat(20)}end`;
const LONG_TEXT = `${LONG_WORD}\n${LONG_LINK}`;

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let patientContext: BrowserContext;
let staffContext: BrowserContext;
let alice: Page;
let reception: Page;
const dialogs: string[] = [];

/** Any script that runs and assigns window.__xss is recorded; alert() shows up as a dialog. */
async function trap(context: BrowserContext): Promise<Page> {
  await context.addInitScript(() => {
    const hits: string[] = [];
    Object.defineProperty(window, '__xssHits', { value: hits });
    Object.defineProperty(window, '__xss', {
      get: () => undefined,
      set: (v: unknown) => void hits.push(String(v)),
    });
  });
  const page = await context.newPage();
  page.on('dialog', (d) => void d.dismiss().then(() => dialogs.push(d.message())));
  return page;
}

/** Nothing ran, no active element was made from the text, and nothing is wider than the window. */
async function expectSafe(page: Page, what: string): Promise<void> {
  const found = await page.evaluate(() => ({
    hits: (window as unknown as { __xssHits: string[] }).__xssHits,
    // Links anywhere on the page go to http(s) addresses or within the app.
    badLinks: Array.from(document.querySelectorAll('a[href]'))
      .map((a) => (a as HTMLAnchorElement).href)
      .filter((href) => !/^https?:/i.test(href)),
    // Inside messages: no element made from the text other than http(s) links.
    injected: Array.from(
      document.querySelectorAll(
        'article script, article img, article svg, article iframe, article object, article embed, article b, article body',
      ),
    ).map((e) => e.outerHTML.slice(0, 80)),
    onHandlers: Array.from(document.querySelectorAll('article *'))
      .filter((e) => Array.from(e.attributes).some((a) => /^on/i.test(a.name)))
      .map((e) => e.outerHTML.slice(0, 80)),
    // The text inside each message fits its box: long words wrap.
    clipped: Array.from(document.querySelectorAll('article'))
      .filter((a) => a.scrollWidth > a.clientWidth + 1)
      .map((a) => a.getAttribute('aria-label')),
  }));
  expect(found, what).toEqual({
    hits: [],
    badLinks: [],
    injected: [],
    onHandlers: [],
    clipped: [],
  });
  expect(await overflowProblems(page), `${what}: horizontal overflow`).toEqual([]);
  expect(dialogs, `${what}: dialogs opened by scripts`).toEqual([]);
}

/** The message's text, as the page shows it, contains every line exactly as typed. */
async function expectShownAsTyped(page: Page, article: string, lines: string[]): Promise<void> {
  const shown = await page.getByRole('article').filter({ hasText: article }).last().innerText();
  for (const line of lines) expect(shown, `“${line}” shown as typed`).toContain(line);
}

/** The http(s) links in messages, by their text. */
async function messageLinks(page: Page): Promise<{ text: string; href: string }[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('article a')).map((a) => ({
      text: a.textContent ?? '',
      href: (a as HTMLAnchorElement).href,
    })),
  );
}

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  patientContext = await newContext(browser, 'phone');
  staffContext = await newContext(browser, 'phone');
  alice = await trap(patientContext);
  reception = await trap(staffContext);
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('hostile message text is shown as text, in both apps', () => {
  it('a patient sends the corpus and a very long word; the portal shows them as typed', async () => {
    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('list', { name: 'Conversations' }).waitFor();
    await alice.goto(`${server.url}/portal/inbox/new`);
    await alice.getByRole('radio', { name: 'Something else' }).check();
    // The long word first, the corpus last: staff's notification previews the newest message.
    await alice.getByLabel('Your message to Riverside Clinic').fill(LONG_TEXT);
    await alice.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => alice.url()).toMatch(/\/portal\/inbox\/[0-9a-f-]{36}$/);
    await alice.getByRole('article').filter({ hasText: LONG_WORD }).waitFor();
    await alice.getByLabel('Your reply').fill(PATIENT_TEXT);
    await alice.getByRole('button', { name: 'Send reply' }).click();
    await alice.getByRole('article').filter({ hasText: 'Patient corpus:' }).waitFor();

    await expectShownAsTyped(alice, 'Patient corpus:', CORPUS);
    await expectShownAsTyped(alice, LONG_WORD, [LONG_WORD, LONG_LINK]);
    expect(await messageLinks(alice)).toEqual([
      { text: LONG_LINK, href: LONG_LINK },
      { text: 'https://example.org/', href: 'https://example.org/' },
      { text: 'https://example.org/safe?x=1&y=2', href: 'https://example.org/safe?x=1&y=2' },
    ]);
    await expectSafe(alice, 'portal conversation');

    await alice.getByRole('link', { name: 'Inbox' }).first().click();
    await alice.getByRole('list', { name: 'Conversations' }).waitFor();
    await expectSafe(alice, 'portal Inbox');
  });

  it('staff read it on the Start Page and in the Patient Record, as typed', async () => {
    await signIn(reception, server.url, 'staff', 'reception@riverside.example');
    const list = reception.getByRole('list', { name: 'Notifications' });
    await list.getByText('Patient corpus:', { exact: false }).first().waitFor();
    // The previews are plain text too.
    expect(await list.innerText()).toContain('<script>window.__xss = "script"</script>');
    await expectSafe(reception, 'staff Start Page');

    await list
      .getByRole('listitem')
      .filter({ hasText: 'Patient corpus:' })
      .getByRole('link', { name: '2 new messages from Alice Archer' })
      .click();
    await reception.getByRole('log', { name: 'Messages' }).waitFor();
    await reception.getByRole('article').filter({ hasText: LONG_WORD }).waitFor();
    await expectShownAsTyped(reception, 'Patient corpus:', CORPUS);
    await expectShownAsTyped(reception, LONG_WORD, [LONG_WORD, LONG_LINK]);
    await expectSafe(reception, 'staff Patient Record, conversation');
  });

  it('staff reply with the corpus and a long word, shared with the patient', async () => {
    const log = reception.getByRole('log', { name: 'Messages' });
    for (const text of [STAFF_TEXT, LONG_TEXT]) {
      const before = await log.getByRole('article').count();
      await reception.getByRole('textbox', { name: 'Message' }).fill(text);
      await reception.getByRole('button', { name: 'Send', exact: true }).click();
      await expect.poll(() => log.getByRole('article').count()).toBe(before + 1);
    }
    await expectShownAsTyped(reception, 'Staff corpus:', CORPUS);
    await expectSafe(reception, 'staff Patient Record after the replies');

    // The same at desktop size.
    await reception.setViewportSize({ width: 1440, height: 900 });
    await expectSafe(reception, 'staff Patient Record at desktop size');
    await reception.setViewportSize({ width: 390, height: 844 });
  });

  it('the patient reads the staff replies as typed', async () => {
    await alice.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    const reply = alice.getByRole('article', { name: 'Message from Rita Reception' });
    await reply.filter({ hasText: 'Staff corpus:' }).waitFor();
    await expectShownAsTyped(alice, 'Staff corpus:', CORPUS);
    await expectSafe(alice, 'portal conversation with the staff replies');
    await alice.getByRole('link', { name: 'Inbox' }).first().click();
    await alice.getByRole('list', { name: 'Conversations' }).waitFor();
    await expectSafe(alice, 'portal Inbox with the staff replies');
  });
});
