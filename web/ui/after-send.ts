import { useMergedRef } from '@mantine/hooks';
import { useCallback, useRef, type Ref } from 'react';

/** What a screen reader says once a message is sent. */
export const MESSAGE_SENT = 'Message sent';

let region: HTMLElement | null = null;
let timers: number[] = [];

/**
 * Says `text` politely to screen readers through one visually hidden live region of the page,
 * made on first use. The region is emptied first, so the same words said twice are said twice.
 */
export function announce(text: string): void {
  if (!region || !region.isConnected) {
    region = document.createElement('div');
    region.setAttribute('role', 'status');
    region.setAttribute('aria-live', 'polite');
    region.setAttribute('data-testid', 'announcer');
    Object.assign(region.style, {
      position: 'absolute',
      width: '1px',
      height: '1px',
      margin: '-1px',
      padding: '0',
      overflow: 'hidden',
      clipPath: 'inset(50%)',
      whiteSpace: 'nowrap',
      border: '0',
    });
    document.body.append(region);
  }
  const live = region;
  for (const t of timers) window.clearTimeout(t);
  live.textContent = '';
  // A region just made, or just emptied, is heard changing only a moment later.
  timers = [
    window.setTimeout(() => (live.textContent = text), 100),
    window.setTimeout(() => (live.textContent = ''), 5000),
  ];
}

/**
 * A composer's Send disables itself while sending, which drops the keyboard focus to the page:
 * `after(send)` gives the message box the cursor back once a send succeeds and announces
 * "Message sent". Pass `ref` to the form as its `messageRef` (merged with the caller's own).
 */
export function useAfterSend(messageRef?: Ref<HTMLTextAreaElement>) {
  const box = useRef<HTMLTextAreaElement>(null);
  const ref = useMergedRef(box, messageRef);
  const after = useCallback(
    <A extends unknown[], R>(send: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const result = await send(...args);
        // Still on the page (a send may lead elsewhere, which places the focus itself).
        if (box.current?.isConnected) {
          box.current.focus();
          announce(MESSAGE_SENT);
        }
        return result;
      },
    [],
  );
  return { ref, after };
}
