import { Modal, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { SignInForm, type SignInValues } from './sign-in-form';

/** After the session ended: sign in again over the page, so a draft being written is kept. */
export function SessionExpired(props: {
  opened: boolean;
  chamber: string;
  /** The email of the person who was signed in, when the app knows it. */
  email?: string;
  signIn: (values: SignInValues) => Promise<unknown>;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <Modal
      opened={props.opened}
      onClose={() => undefined}
      withCloseButton={false}
      closeOnEscape={false}
      closeOnClickOutside={false}
      title="Please sign in again"
      centered
    >
      <Stack>
        <Text size="sm">
          Your session ended. Sign in to carry on where you were; what you were writing is kept.
        </Text>
        <SignInForm
          defaultChamber={props.chamber}
          defaultEmail={props.email}
          pending={pending}
          error={error}
          onSubmit={async (values) => {
            setPending(true);
            setError(null);
            try {
              await props.signIn(values);
            } catch (e) {
              setError(e);
            } finally {
              setPending(false);
            }
          }}
        />
      </Stack>
    </Modal>
  );
}
