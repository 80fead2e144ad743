import { MantineProvider } from '@mantine/core';
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { ConversationList } from '../web/ui/conversation-list';
import { Isolate, isolatePlain, WithNames } from '../web/ui/isolate';
import { MessageText } from '../web/ui/message-text';

/**
 * The shared components that show what people wrote isolate it (finding 6c of issue 17),
 * rendered to HTML without a server or a browser: the journey in bidi.spec.ts shows the
 * effect on the pages.
 */
const RLO = '\u202E';

function html(node: ReactNode): string {
  return renderToStaticMarkup(
    createElement(MantineProvider, null, createElement(MemoryRouter, null, node)),
  );
}

describe('isolation of text people wrote', () => {
  it('MessageText gives the text a direction of its own, line by line', () => {
    const out = html(createElement(MessageText, { text: `${RLO}evil\nnext line` }));
    expect(out).toMatch(/<div[^>]*dir="auto"[^>]*>/);
    expect(out).toMatch(/unicode-bidi:\s*plaintext/);
    expect(out).toContain(`${RLO}evil`);
  });

  it('Isolate and WithNames put each name in a <bdi>, and nothing else', () => {
    expect(renderToStaticMarkup(createElement(Isolate, null, `Ada ${RLO}Admin`))).toBe(
      `<bdi>Ada ${RLO}Admin</bdi>`,
    );
    expect(
      renderToStaticMarkup(
        createElement(WithNames, {
          text: `3 new messages from Alice ${RLO}Archer`,
          names: [`Alice ${RLO}Archer`],
        }),
      ),
    ).toBe(`<span>3 new messages from <bdi>Alice ${RLO}Archer</bdi></span>`);
    expect(
      renderToStaticMarkup(
        createElement(WithNames, {
          text: 'Patient, Nurses, Reception',
          names: ['Reception', 'Nurses'],
        }),
      ),
    ).toBe('<span>Patient, <bdi>Nurses</bdi>, <bdi>Reception</bdi></span>');
    expect(
      renderToStaticMarkup(createElement(WithNames, { text: 'Nobody', names: [null, ''] })),
    ).toBe('<span>Nobody</span>');
    expect(isolatePlain(`x${RLO}y`)).toBe(`\u2068x${RLO}y\u2069`);
  });

  it('ConversationList isolates the title, the author and the preview from its own words', () => {
    const out = html(
      createElement(ConversationList, {
        timeZone: 'Europe/London',
        items: [
          {
            id: '1',
            href: '/inbox/1',
            author: `Rita ${RLO}Reception`,
            preview: `${RLO}preview`,
            at: '2024-01-02T10:00:00Z',
            unread: true,
            subject: `${RLO}subject`,
          },
        ],
      }),
    );
    expect(out).toContain(`<bdi>${RLO}subject</bdi>`);
    expect(out).toContain(`<bdi>Rita ${RLO}Reception</bdi>: <bdi>${RLO}preview</bdi>`);
  });
});
