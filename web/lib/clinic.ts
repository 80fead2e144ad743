/**
 * The clinic code an app remembers between visits: from `?clinic=` or the one used last. It
 * names the clinic, nothing about a person, so it may live in the browser's storage.
 */
export function clinicMemory(storageKey: string) {
  return {
    remembered(): string {
      const fromUrl = new URLSearchParams(window.location.search).get('clinic');
      if (fromUrl) return fromUrl;
      try {
        return window.localStorage.getItem(storageKey) ?? '';
      } catch {
        return '';
      }
    },
    remember(key: string): void {
      try {
        window.localStorage.setItem(storageKey, key);
      } catch {
        // Storage may be off; the code is typed again next time.
      }
    },
  };
}
