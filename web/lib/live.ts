import { useEffect, useRef } from 'react';

/**
 * Live events from the server (Server-Sent Events at /api/v1/events): a new message the
 * signed-in person may see arrives at once, without reload. The browser reconnects by itself
 * and the server then sends what was missed (or "resync" when that is too much). Polling stays
 * on as a fallback, so a broken stream only makes updates slower.
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
    source.addEventListener('message', (e) => {
      try {
        handlers.current.onMessage(JSON.parse((e as MessageEvent<string>).data) as T);
      } catch {
        handlers.current.onResync();
      }
    });
    source.addEventListener('resync', () => handlers.current.onResync());
    return () => source.close();
  }, [enabled, as]);
}
