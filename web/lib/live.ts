import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { LiveEventName } from '../../common/contract/events.js';

/** How often lists poll while the live stream is open: a safety net, not the way updates come. */
export const POLL_WHILE_LIVE = 5 * 60_000;
/** How often lists poll while the live stream is down (connecting, broken or not supported). */
export const POLL_WHILE_DOWN = 30_000;
/**
 * How often the unread badge polls whatever the stream: reading in another tab or device sends
 * no live event, and the count is one small query.
 */
export const POLL_UNREAD_COUNT = 30_000;

let streamOpen = false;
const statusListeners = new Set<() => void>();

function setStreamOpen(open: boolean): void {
  if (open === streamOpen) return;
  streamOpen = open;
  statusListeners.forEach((l) => l());
}

function subscribeStatus(listener: () => void): () => void {
  statusListeners.add(listener);
  return () => statusListeners.delete(listener);
}

/**
 * The polling interval of a list that live events keep fresh: slow while the stream is open,
 * faster while it is down, so a broken stream only makes updates slower.
 */
export function usePollInterval(): number {
  const open = useSyncExternalStore(subscribeStatus, () => streamOpen);
  return open ? POLL_WHILE_LIVE : POLL_WHILE_DOWN;
}

/** The events the stream passes on by name (`closed` is the stream's own business). */
type HeardEvent = Exclude<LiveEventName, 'closed'>;
const HEARD: HeardEvent[] = [
  'message',
  'conversation.updated',
  'notification',
  'conversation.typing',
  'resync',
];

const eventListeners = new Map<HeardEvent, Set<(data: unknown) => void>>();

function dispatch(name: HeardEvent, data: unknown): void {
  eventListeners.get(name)?.forEach((l) => l(data));
}

/**
 * Live events from the server (Server-Sent Events at /api/v1/events): a new message the
 * signed-in person may see arrives at once, without reload. The browser reconnects by itself
 * and the server then sends what was missed (or "resync" when that is too much). The app opens
 * one stream; any part of the page hears its events with `useLiveEvent`.
 */
export function useLiveEvents<T>(options: {
  enabled: boolean;
  as: 'staff' | 'patient';
  onMessage: (data: T) => void;
  onResync: () => void;
}): void {
  const handlers = useRef(options);
  useEffect(() => {
    handlers.current = options;
  });
  const { enabled, as } = options;
  useEffect(() => {
    if (!enabled || typeof EventSource === 'undefined') return undefined;
    const source = new EventSource(`/api/v1/events?as=${as}`);
    source.addEventListener('open', () => setStreamOpen(true));
    source.addEventListener('error', () => setStreamOpen(false));
    for (const name of HEARD) {
      source.addEventListener(name, (e) => {
        let data: unknown;
        try {
          data = JSON.parse((e as MessageEvent<string>).data);
        } catch {
          handlers.current.onResync();
          dispatch('resync', {});
          return;
        }
        if (name === 'message') handlers.current.onMessage(data as T);
        if (name === 'resync') handlers.current.onResync();
        dispatch(name, data);
      });
    }
    return () => {
      source.close();
      setStreamOpen(false);
    };
  }, [enabled, as]);
}

/**
 * Hears one kind of live event of the stream the app opened with `useLiveEvents` (e.g.
 * `conversation.typing`), while the calling component is on screen.
 */
export function useLiveEvent<T>(name: HeardEvent, handler: (data: T) => void): void {
  const current = useRef(handler);
  useEffect(() => {
    current.current = handler;
  });
  useEffect(() => {
    const listener = (data: unknown) => current.current(data as T);
    let set = eventListeners.get(name);
    if (!set) eventListeners.set(name, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }, [name]);
}
