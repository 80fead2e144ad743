import { Alert, Modal, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import type { SignIn } from '../../common/contract/auth.js';
import { SignInForm } from './sign-in-form';

/** After the session ended: sign in again over the page, so a draft being written is kept. */
export function SessionExpired(props: {
  opened: boolean;
  chamber: string;
  /** The email of the person who was signed in, when the app knows it. */
  email?: string;
  signIn: (values: SignIn) => Promise<unknown>;
  /** A step still to take after the password (a second factor), shown in place of the form. */
  step?: ReactNode;
  /** Why the form is shown again (the step ran out of time). */
  notice?: string | null;
}) {
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
      {props.step ?? (
        <Stack>
          <Text size="sm">
            Your session ended. Sign in to carry on where you were; what you were writing is kept.
          </Text>
          {props.notice && (
            <Alert color="orange" role="alert">
              {props.notice}
            </Alert>
          )}
          <SignInForm
            defaultChamber={props.chamber}
            defaultEmail={props.email}
            signIn={props.signIn}
          />
        </Stack>
      )}
    </Modal>
  );
}
