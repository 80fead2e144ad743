import { PasswordInput, type PasswordInputProps } from '@mantine/core';

/**
 * A password box, required. Mantine marks only its wrapper as invalid: this also tells
 * assistive technology, and the cursor can be sent to it after a refused submit.
 */
export function PasswordField(props: PasswordInputProps) {
  return <PasswordInput required {...props} aria-invalid={Boolean(props.error) || undefined} />;
}
