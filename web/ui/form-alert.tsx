import { Alert, type AlertProps } from '@mantine/core';
import { formError } from '../lib/api';

/**
 * The error of a refused action, as an alert: only when it names no field in `fields` (those
 * show under their field). Nothing when there is no error.
 */
export function FormAlert({
  error,
  fields = [],
  ...props
}: { error: unknown; fields?: string[] } & Omit<AlertProps, 'children'>) {
  const message = formError(error, fields);
  if (!message) return null;
  return (
    <Alert color="red" role="alert" {...props}>
      {message}
    </Alert>
  );
}
