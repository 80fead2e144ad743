import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import { useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import type { Settings, SettingsChanges } from '../../../../common/contract/settings.js';
import type { useSaveSettings } from './api';

/**
 * A refusal naming `field` or a part of it (`officeHours.2.closes`): its message, and the
 * path after the field (`['2', 'closes']`).
 */
export function fieldErrorUnder(
  error: unknown,
  field: string,
): { message: string; path: string[] } | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  if (error.field !== field && !error.field.startsWith(`${field}.`)) return undefined;
  return { message: error.message, path: error.field.split('.').slice(1) };
}

/**
 * A section's form values, starting from what is saved: while the saved values stay the same
 * the admin's edits are kept (another section saving does not undo them); when they change
 * (this section saved), the form starts again from them.
 */
export function useSettingsDraft<T>(saved: T) {
  const key = JSON.stringify(saved);
  const [state, setState] = useState({ key, draft: saved });
  if (state.key !== key) setState({ key, draft: saved });
  const draft = state.key === key ? state.draft : saved;
  return [draft, (next: T) => setState({ key, draft: next })] as const;
}

/** The save of one section (`useSaveSettings`): each section has its own, with its own refusal. */
export type SectionSave = ReturnType<typeof useSaveSettings>;

/**
 * One section of Admin > Configuration > Online Portal (Reply Times, Patient Safety, Clinic
 * Contact): its own form, sending only what changed (`changes`, null while a value cannot be
 * sent, `check` saying why), a Save button and "Saved." once done.
 */
export function SettingsSection(props: {
  title: string;
  description: ReactNode;
  save: SectionSave;
  /** What changed, as the API takes it; empty when nothing did. */
  changes: SettingsChanges;
  /** The fields of this section: a refusal naming one is shown under it, not on top. */
  fields: string[];
  /** A value that cannot be sent, found before sending: true stops the save. */
  invalid?: boolean;
  /** Told when Save is pressed on an invalid form, to show the errors. */
  onInvalid?: () => void;
  onSaved?: (settings: Settings) => void;
  children: ReactNode;
  testId?: string;
}) {
  const titleId = useId();
  const form = useRef<HTMLFormElement>(null);
  const { save } = props;
  useFocusOnError(form, save.error);
  const changed = Object.keys(props.changes).length > 0;
  return (
    <Card withBorder component="section" aria-labelledby={titleId} data-testid={props.testId}>
      <Text size="xs" c="dimmed">
        Online Portal
      </Text>
      <Title order={3} size="h5" id={titleId} mb={4}>
        {props.title}
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {props.description}
      </Text>
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          if (props.invalid) {
            props.onInvalid?.();
            // The first field marked invalid takes the cursor, so its error is read out.
            setTimeout(() =>
              form.current
                ?.querySelector<HTMLElement>('[aria-invalid="true"], [data-invalid="true"]')
                ?.focus(),
            );
            return;
          }
          if (!changed) return;
          save.mutate(props.changes, { onSuccess: props.onSaved });
        }}
      >
        <Stack gap="md">
          {props.children}
          <FormAlert error={save.error} fields={props.fields.flatMap((f) => fieldsOf(f, save))} />
          <SaveRow save={save} changed={changed} enabled={changed || Boolean(props.invalid)} />
        </Stack>
      </form>
    </Card>
  );
}

/** `field`, and the field the last refusal named when it is a part of `field`. */
function fieldsOf(field: string, save: SectionSave): string[] {
  const named = save.error instanceof ApiError ? save.error.field : undefined;
  return named && named.startsWith(`${field}.`) ? [field, named] : [field];
}

/** A settings form's Save button, with "Saved." once saved and "Not saved yet" while changed. */
export function SaveRow({
  save,
  changed,
  enabled = changed,
}: {
  save: { isPending: boolean; isSuccess: boolean };
  changed: boolean;
  enabled?: boolean;
}) {
  return (
    <Group gap="sm">
      <Button type="submit" loading={save.isPending} disabled={!enabled}>
        Save
      </Button>
      {save.isSuccess && !save.isPending && !changed && (
        <Text size="sm" c="teal.9" role="status">
          Saved.
        </Text>
      )}
      {changed && !save.isPending && (
        <Text size="sm" c="dimmed">
          Not saved yet
        </Text>
      )}
    </Group>
  );
}
