import { PasswordInput, type PasswordInputProps } from '@mantine/core';

/** The accessible name of the eye button beside a password box (pressed: the password shows). */
export const SHOW_PASSWORD = 'Show password';

/**
 * A password box, required. Mantine marks only its wrapper as invalid: this also tells
 * assistive technology, and the cursor can be sent to it after a refused submit. Its
 * show-password button is a stop of the Tab key (Mantine leaves it out), named, and says
 * whether the password shows.
 */
export function PasswordField(props: PasswordInputProps) {
  return (
    <PasswordInput
      required
      visibilityToggleFocusable
      {...props}
      visibilityToggleButtonProps={{
        'aria-label': SHOW_PASSWORD,
        ...props.visibilityToggleButtonProps,
      }}
      aria-invalid={Boolean(props.error) || undefined}
    />
  );
}
