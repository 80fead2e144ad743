import { Button, Group, Modal, Text } from '@mantine/core';
import { useIdleCountdown } from '../lib/idle';

/** Warns two minutes before an idle session ends, with a way to stay signed in. */
export function IdleWarning(props: {
  idleMinutes: number | undefined;
  onStay: () => void;
  onSignOut: () => void;
}) {
  const left = useIdleCountdown(props.idleMinutes);
  const open = left !== null && left > 0;
  const minutes = left === null ? 0 : Math.floor(left / 60);
  const seconds = left === null ? 0 : left % 60;
  return (
    <Modal opened={open} onClose={props.onStay} title="Are you still there?" centered>
      <Text size="sm" mb="md" aria-live="polite">
        For your security you will be signed out in {minutes > 0 ? `${minutes} min ` : ''}
        {seconds} s unless you continue.
      </Text>
      <Group justify="flex-end">
        <Button variant="default" onClick={props.onSignOut}>
          Sign out
        </Button>
        <Button onClick={props.onStay}>Stay signed in</Button>
      </Group>
    </Modal>
  );
}
