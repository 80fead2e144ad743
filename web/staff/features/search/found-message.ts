import { useEffect, type RefObject } from 'react';
import { useConversation } from '../feed/api';

/** How the message a search led to stands out in its conversation. */
const OUTLINE = '2px solid var(--mantine-color-yellow-6)';

/**
 * Brings the message a search led to into view inside the conversation shown in `container`
 * (a ConversationPanel), outlines it and moves the cursor to it. Answers whether the message
 * is among those shown (null until the conversation has loaded): an old one may be further back.
 *
 * The panel scrolls to its newest message and focuses its heading when it loads; this runs
 * after it (a parent's effects run after its children's), so the message found wins.
 */
export function useFoundMessage(
  container: RefObject<HTMLElement | null>,
  conversationId: string | undefined,
  messageId: string | null,
): boolean | null {
  const conversation = useConversation(messageId ? conversationId : undefined);
  const messages = conversation.data?.messages;
  const index = messages && messageId ? messages.findIndex((m) => m.id === messageId) : -1;
  const createdAt = index >= 0 ? messages?.[index]?.createdAt : undefined;

  useEffect(() => {
    if (!createdAt) return;
    let card: HTMLElement | undefined;
    let frame = 0;
    // The panel's log holds one article per message, oldest first, each with its <time>.
    const hasTime = (el: HTMLElement | undefined) =>
      Boolean(el?.querySelector(`time[datetime="${CSS.escape(createdAt)}"]`));
    const mark = (tries: number) => {
      const cards = Array.from(
        container.current?.querySelectorAll<HTMLElement>('[role="log"] > article') ?? [],
      );
      card = hasTime(cards[index]) ? cards[index] : cards.find(hasTime);
      if (!card) {
        // Not drawn yet: look again at the next frames, for a moment.
        if (tries > 0) frame = requestAnimationFrame(() => mark(tries - 1));
        return;
      }
      card.style.outline = OUTLINE;
      card.style.outlineOffset = '0';
      card.setAttribute('tabindex', '-1');
      card.setAttribute('aria-current', 'true');
      card.scrollIntoView({ block: 'center' });
      card.focus({ preventScroll: true });
    };
    mark(30);
    return () => {
      cancelAnimationFrame(frame);
      if (!card) return;
      card.style.outline = '';
      card.style.outlineOffset = '';
      card.removeAttribute('tabindex');
      card.removeAttribute('aria-current');
    };
  }, [container, createdAt, index, messageId]);

  if (!messageId || !messages) return null;
  return index >= 0;
}
