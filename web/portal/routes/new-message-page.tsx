import { Anchor, Stack, Title } from '@mantine/core';
import { Link, useNavigate, useOutletContext } from 'react-router';
import { LABELS } from '../../../common/labels';
import { useSend } from '../features/inbox/api';
import { ComposeForm } from '../features/inbox/components';
import type { PortalSession } from '../../../common/contract/auth.js';
import { MessagingUnavailable } from './home-page';

/** New message: starts a conversation with the clinic. */
export function NewMessagePage() {
  const session = useOutletContext<PortalSession>();
  const navigate = useNavigate();
  const send = useSend();
  if (!session.messaging.allowed) return <MessagingUnavailable session={session} />;
  return (
    <Stack>
      <Anchor component={Link} to="/inbox" size="sm">
        ← {LABELS.inbox}
      </Anchor>
      <Title order={2}>{LABELS.newMessage}</Title>
      <ComposeForm
        label={`Your message to ${session.chamber.name}`}
        submitLabel="Send"
        pending={send.isPending}
        error={send.error}
        autoFocus
        onSend={async (text) => {
          const result = await send.mutateAsync(text);
          void navigate(`/inbox/${result.conversation.id}`);
        }}
      />
    </Stack>
  );
}
