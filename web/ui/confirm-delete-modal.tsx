import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { FormAlert } from './form-alert.js';

/** The confirmation of a removal or delete: what it means in words, the server's refusal, Cancel or do it. */
export function ConfirmDeleteModal({
  opened,
  title,
  confirmLabel,
  error,
  pending,
  onCancel,
  onConfirm,
  children,
}: {
  opened: boolean;
  title: string;
  confirmLabel: string;
  error: unknown;
  pending: boolean;
  onCancel: () => void;
  onConfirm: () => void;
  children: ReactNode;
}) {
  return (
    <Modal opened={opened} onClose={onCancel} title={title}>
      {opened && (
        <Stack>
          <Text size="sm">{children}</Text>
          <FormAlert error={error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
            <Button color="red" loading={pending} onClick={onConfirm}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
