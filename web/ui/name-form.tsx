import { Button, Group, TextInput, type GroupProps } from '@mantine/core';
import { useState } from 'react';
import { fieldError, formError } from '../lib/api';

/**
 * One name and a button (New charge band, New Role): the error shows under the box, which
 * empties once the name is added.
 */
export function NameForm({
  label,
  submitLabel,
  add,
  ...group
}: {
  label: string;
  submitLabel: string;
  /** A mutation taking the name. */
  add: {
    mutate: (name: string, options: { onSuccess: () => void }) => void;
    isPending: boolean;
    error: unknown;
  };
} & Omit<GroupProps, 'children'>) {
  const [name, setName] = useState('');
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate(name.trim(), { onSuccess: () => setName('') });
      }}
    >
      <Group align="flex-end" {...group}>
        <TextInput
          label={label}
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          error={fieldError(add.error, 'name') ?? formError(add.error, ['name'])}
          style={{ flex: 1 }}
        />
        <Button type="submit" loading={add.isPending} disabled={!name.trim()}>
          {submitLabel}
        </Button>
      </Group>
    </form>
  );
}
