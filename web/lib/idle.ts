import { useEffect, useState } from 'react';

let lastActivity = Date.now();

/** Every successful request counts as activity (the server's idle clock moves with it). */
export function noteActivity(): void {
  lastActivity = Date.now();
}

/**
 * Seconds left before the server ends an idle session, once fewer than two minutes remain;
 * null otherwise. Ticks while the app is open.
 */
export function useIdleCountdown(idleMinutes: number | undefined): number | null {
  const [left, setLeft] = useState<number | null>(null);
  useEffect(() => {
    if (!idleMinutes) return undefined;
    const tick = () => {
      const remaining = Math.round((lastActivity + idleMinutes * 60_000 - Date.now()) / 1000);
      setLeft(remaining <= 120 ? Math.max(0, remaining) : null);
    };
    tick();
    const id = window.setInterval(tick, 1000);
    return () => window.clearInterval(id);
  }, [idleMinutes]);
  return left;
}
