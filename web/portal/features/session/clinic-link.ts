/**
 * Clinic links: `/portal/c/<clinic code>/` opens that clinic's sign-in with its name shown. The
 * portal remembers the clinic a person came from by such a link, so signing out (or arriving
 * signed out on any portal page) leads back to that clinic's sign-in. It names a clinic,
 * nothing about a person, so it may live in the browser's storage.
 */
const STORAGE_KEY = 'portal.clinicLink';

/** The clinic code as the address gives it, as the server compares it. */
export function clinicKeyOf(param: string | undefined): string {
  return (param ?? '').trim().toLowerCase();
}

/** The path of a clinic link's page, under the portal's base (e.g. `/c/demo/set-password`). */
export function clinicLinkPath(key: string, page = ''): string {
  return `/c/${encodeURIComponent(key)}/${page}`;
}

/** The clinic code of the last clinic link followed here, or null. */
export function rememberedClinicLink(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY) || null;
  } catch {
    return null;
  }
}

/** Remembers the clinic of a clinic link that was followed (its clinic exists). */
export function rememberClinicLink(key: string): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage may be off: the plain sign-in asks for the clinic code instead.
  }
}

/** "Not your clinic?": the plain sign-in, asking for the clinic code, from now on. */
export function forgetClinicLink(): void {
  try {
    window.localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing was stored.
  }
}
