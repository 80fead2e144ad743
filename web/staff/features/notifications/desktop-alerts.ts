import { useEffect, useSyncExternalStore } from 'react';
import type { EventNotification } from '../../../../common/contract/events.js';
import { isolatePlain } from '../../../ui/isolate';

/**
 * Staff alerts while the app is in a background tab: the unread count in the tab title, and,
 * once the user allowed it, the browser's Notification API. A screen others may see shows only
 * "New message in <clinic>": no patient name and no text, unless the user turned names on.
 * Both choices belong to this browser, so they live in its storage.
 */
const ENABLED_KEY = 'staff.desktopNotifications';
const NAMES_KEY = 'staff.desktopNotificationNames';

const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  // Another tab of the app changed a choice.
  window.addEventListener('storage', listener);
  document.addEventListener('visibilitychange', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', listener);
    document.removeEventListener('visibilitychange', listener);
  };
}

function readFlag(key: string): boolean {
  try {
    return window.localStorage.getItem(key) === 'on';
  } catch {
    return false;
  }
}

function writeFlag(key: string, on: boolean): void {
  try {
    if (on) window.localStorage.setItem(key, 'on');
    else window.localStorage.removeItem(key);
  } catch {
    // Storage may be off: the choice lasts until the page is reloaded.
  }
  changed();
}

const supported = () => typeof window !== 'undefined' && 'Notification' in window;
const permission = (): NotificationPermission | 'unsupported' =>
  supported() ? Notification.permission : 'unsupported';

/** The desktop notification choices of this browser, and the browser's permission. */
export function useDesktopAlertSettings() {
  const enabled = useSyncExternalStore(subscribe, () => readFlag(ENABLED_KEY));
  const names = useSyncExternalStore(subscribe, () => readFlag(NAMES_KEY));
  const allowed = useSyncExternalStore(subscribe, permission);
  return {
    permission: allowed,
    /** On only while the browser allows it too. */
    enabled: enabled && allowed === 'granted',
    names,
    /** Turns them on, asking the browser's permission first (it asks the user once). */
    async enable(): Promise<void> {
      if (!supported()) return;
      const answer =
        Notification.permission === 'default'
          ? await Notification.requestPermission()
          : Notification.permission;
      writeFlag(ENABLED_KEY, answer === 'granted');
    },
    disable: () => writeFlag(ENABLED_KEY, false),
    setNames: (on: boolean) => writeFlag(NAMES_KEY, on),
  };
}

/**
 * Tells of a new notification with the browser's Notification API when the app is hidden
 * and the user turned desktop notifications on: "New message in <clinic>", or with names on,
 * the notification's title ("3 new messages from Alice Archer"). Never the message text.
 */
export function showDesktopAlert(n: EventNotification, clinicName: string): void {
  if (document.visibilityState !== 'hidden') return;
  if (!supported() || Notification.permission !== 'granted' || !readFlag(ENABLED_KEY)) return;
  const names = readFlag(NAMES_KEY);
  try {
    // The names in plain text, isolated: a bidi control in one cannot turn the rest around.
    const title = names
      ? n.title.replace(n.patientName, isolatePlain(n.patientName))
      : `New message in ${isolatePlain(clinicName)}`;
    const alert = new Notification(title, {
      ...(names ? { body: clinicName } : {}),
      // One alert at a time: a newer one replaces the last.
      tag: 'staff-new-message',
    });
    alert.onclick = () => {
      window.focus();
      alert.close();
    };
  } catch {
    // Some browsers (Android) only show notifications from a service worker: the tab title says it.
  }
}

const isHidden = () => document.visibilityState === 'hidden';

/** The tab title: "<clinic> – Staff", and "(3) <clinic> – Staff" while hidden with 3 unread. */
export function useTabTitle(unreadCount: number, clinicName: string): void {
  const hidden = useSyncExternalStore(subscribe, isHidden);
  // Signed out, the page's own title comes back.
  useEffect(() => {
    const own = document.title;
    return () => {
      document.title = own;
    };
  }, []);
  useEffect(() => {
    const base = `${clinicName} – Staff`;
    document.title = hidden && unreadCount > 0 ? `(${unreadCount}) ${base}` : base;
  }, [hidden, unreadCount, clinicName]);
}
