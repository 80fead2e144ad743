/**
 * Drafts of messages being written, kept in memory only (never in the browser's storage: they
 * may hold health data), so that a composer built again (a window turned from phone to
 * desktop width, a panel reopened) finds its text. Gone on reload and on sign-out.
 */
const drafts = new Map<string, string>();

export const draftOf = (key: string): string => drafts.get(key) ?? '';

export function keepDraft(key: string, text: string): void {
  if (text) drafts.set(key, text);
  else drafts.delete(key);
}

export function forgetDrafts(): void {
  drafts.clear();
}
