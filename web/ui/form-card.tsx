import { Button, Card, Group, Stack } from '@mantine/core';
import type { ReactNode } from 'react';
import { FormAlert } from './form-alert';

/**
 * A form in a card, above the list it adds to: the fields, an error that names none of
 * `fields`, and the submit button.
 */
export function FormCard(props: {
  onSubmit: () => void;
  submitLabel: string;
  pending: boolean;
  disabled?: boolean;
  error: unknown;
  fields: string[];
  children: ReactNode;
}) {
  return (
    <Card withBorder>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props.onSubmit();
        }}
        noValidate
      >
        <Stack gap="sm">
          {props.children}
          <FormAlert error={props.error} fields={props.fields} />
          <Group>
            <Button type="submit" loading={props.pending} disabled={props.disabled}>
              {props.submitLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}
