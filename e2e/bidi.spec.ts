import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { launchBrowser } from './support/browser.js';
import { signIn } from './support/pages.js';
import { startDemoServer } from './support/server.js';
import { newContext, settle } from './support/tour.js';

/**
 * Bidirectional override characters (finding 6c of issue 17): a U+202E (right-to-left
 * override) in a patient's or a user's name, a subject or a message may turn its own text
 * around, but never the words the page puts around it ("· Reception", ": the preview", "New
 * message from …"). Every name, subject and text is shown isolated (`<bdi>` or `dir="auto"`).
 */
const RLO = '\u202E';
/** What the hostile values look like; the letters after the override may read backwards. */
const HOSTILE = [`${RLO}Archer`, `${RLO}Admin`, `${RLO}Flipped subject`, `${RLO}Flipped text`];
const PLAIN_SUBJECT = 'Parking question';

let server: Awaited<ReturnType<typeof startDemoServer>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let alice: Page;
let ada: Page;
let rita: Page;

/** A JSON call from the signed-in page (its cookie, its origin), as the app itself makes one. */
async function api<T = any>(page: Page, method: string, url: string, body?: unknown): Promise<T> {
  const answer = await page.evaluate(
    async ({ method, url, body }) => {
      const res = await fetch(url, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    { method, url, body },
  );
  expect(answer.status, `${method} ${url}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body as T;
}

/**
 * Every pair of neighbouring Latin letters on the page, outside the hostile values, that a
 * right-to-left override turned around: the second letter is drawn left of the first.
 */
async function reversedText(page: Page): Promise<string[]> {
  await settle(page);
  return page.evaluate((hostile) => {
    const found = new Set<string>();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    const box = (node: Text, i: number) => {
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      return range.getBoundingClientRect();
    };
    for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text) {
      const data = node.data;
      const skip = new Array<boolean>(data.length).fill(false);
      for (const h of hostile) {
        for (let at = data.indexOf(h); at >= 0; at = data.indexOf(h, at + 1)) {
          skip.fill(true, at, at + h.length);
        }
      }
      for (let i = 0; i + 1 < data.length; i += 1) {
        if (skip[i] || skip[i + 1] || !/[A-Za-z]/.test(data[i]!) || !/[A-Za-z]/.test(data[i + 1]!))
          continue;
        const a = box(node, i);
        const b = box(node, i + 1);
        if (a.width === 0 || b.width === 0 || Math.abs(a.top - b.top) > 2) continue;
        if (b.left < a.left) found.add(data.trim().slice(0, 60));
      }
    }
    return [...found];
  }, HOSTILE);
}

beforeAll(async () => {
  server = await startDemoServer();
  browser = await launchBrowser();
  alice = await (await newContext(browser, 'phone')).newPage();
  ada = await (await newContext(browser, 'desktop')).newPage();
  rita = await (await newContext(browser, 'desktop')).newPage();
});

afterAll(async () => {
  await browser?.cleanup();
  await server?.close();
});

describe('right-to-left overrides stay inside the name, subject or text that holds them', () => {
  let plain = '';
  let flipped = '';

  it('a name, a subject and a message carry a U+202E', async () => {
    await signIn(ada, server.url, 'staff', 'admin@riverside.example');
    await ada.getByRole('link', { name: 'Messages' }).first().waitFor();
    const found = await api(ada, 'GET', '/api/v1/patients?query=alice');
    const aliceId = found.patients[0].id as string;
    await api(ada, 'PATCH', `/api/v1/patients/${aliceId}`, { familyName: `${RLO}Archer` });
    const users = await api(ada, 'GET', '/api/v1/admin/users');
    const adaId = users.users.find((u: any) => u.email === 'admin@riverside.example').id;
    await api(ada, 'PATCH', `/api/v1/admin/users/${adaId}`, { name: `Ada ${RLO}Admin` });

    await signIn(alice, server.url, 'portal', 'alice@patient.example');
    await alice.getByRole('link', { name: 'New message' }).last().waitFor();
    const topics = await api(alice, 'GET', '/api/v1/portal/topics');
    const topicId = topics.topics.find((x: any) => x.name === 'Something else').id;
    plain = (
      await api(alice, 'POST', '/api/v1/portal/conversations', {
        text: 'Is there parking near the entrance?',
        subject: PLAIN_SUBJECT,
        topicId,
      })
    ).conversation.id;
    flipped = (
      await api(alice, 'POST', '/api/v1/portal/conversations', {
        text: `${RLO}Flipped text`,
        subject: `${RLO}Flipped subject`,
        topicId,
      })
    ).conversation.id;
    await api(ada, 'POST', `/api/v1/conversations/${plain}/messages`, {
      text: 'Yes, behind the building.',
      shareWithPatient: true,
      roleIds: [],
    });
  });

  it('the Patient Portal: Inbox and both conversations', async () => {
    await alice.goto(`${server.url}/portal/inbox`);
    await alice.getByRole('list', { name: 'Conversations' }).getByText(PLAIN_SUBJECT).waitFor();
    expect.soft(await reversedText(alice), 'portal Inbox').toEqual([]);
    await alice.goto(`${server.url}/portal/inbox/${plain}`);
    await alice.getByText('Yes, behind the building.').waitFor();
    expect.soft(await reversedText(alice), 'portal conversation with a reply').toEqual([]);
    await alice.goto(`${server.url}/portal/inbox/${flipped}`);
    await alice.getByRole('article').first().waitFor();
    expect
      .soft(await reversedText(alice), 'portal conversation with a flipped subject')
      .toEqual([]);
  });

  it('the composer counts what a person sees: invisible characters alone cannot be sent', async () => {
    await alice.goto(`${server.url}/portal/inbox/${plain}`);
    const box = alice.getByLabel('Your reply');
    await box.fill('\u200B\u2060\u200D');
    await expect
      .poll(() => alice.getByRole('button', { name: 'Send reply' }).isDisabled())
      .toBe(true);
    await alice.getByText('Please write a message.').waitFor();
    await box.fill('\u200BOK');
    await expect
      .poll(() => alice.getByRole('button', { name: 'Send reply' }).isEnabled())
      .toBe(true);
    expect(await alice.getByText('Please write a message.').count()).toBe(0);
  });

  it('the staff app: Start Page, Messages, the Patient Record, patient search, users', async () => {
    await signIn(rita, server.url, 'staff', 'reception@riverside.example');
    const notifications = rita.getByRole('list', { name: 'Notifications' });
    await notifications.getByText('Flipped', { exact: false }).first().waitFor();
    expect.soft(await reversedText(rita), 'Start Page notifications').toEqual([]);

    await rita.goto(`${server.url}/staff/messages`);
    await rita.getByTestId('team-inbox-row').filter({ hasText: PLAIN_SUBJECT }).waitFor();
    expect.soft(await reversedText(rita), 'Messages').toEqual([]);
    await rita.goto(`${server.url}/staff/messages/${plain}`);
    await rita
      .getByTestId('conversation-panel')
      .getByText('Is there parking near the entrance?')
      .waitFor();
    expect.soft(await reversedText(rita), 'Messages with a conversation open').toEqual([]);

    const found = await api(rita, 'GET', '/api/v1/patients?query=alice');
    const aliceId = found.patients[0].id as string;
    await rita.goto(`${server.url}/staff/patients/${aliceId}/conversations/${flipped}`);
    await rita.getByRole('log', { name: 'Messages' }).getByRole('article').first().waitFor();
    expect.soft(await reversedText(rita), 'Patient Record with a conversation open').toEqual([]);

    await rita.goto(`${server.url}/staff/patients`);
    await rita.getByRole('searchbox').or(rita.getByRole('textbox')).first().fill('alice');
    await rita.getByRole('link', { name: /Alice/ }).first().waitFor();
    expect.soft(await reversedText(rita), 'patient search').toEqual([]);

    await ada.goto(`${server.url}/staff/admin/user-management`);
    await ada.getByText('Rita Reception').first().waitFor();
    expect.soft(await reversedText(ada), 'User Management').toEqual([]);
  });
});
