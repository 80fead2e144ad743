import { useEffect, type RefObject } from 'react';

/**
 * After a refused submit, the cursor goes to the first field marked invalid, so its error
 * (linked to it by aria-describedby) is read out and the person can correct it at once.
 * Errors that name no field are shown in an alert, which is announced by itself.
 */
export function useFocusOnError(form: RefObject<HTMLFormElement | null>, error: unknown): void {
  useEffect(() => {
    if (!error) return;
    const field = form.current?.querySelector<HTMLElement>(
      '[aria-invalid="true"], [data-invalid="true"]',
    );
    field?.focus();
  }, [form, error]);
}
