import { Button, Grid, Modal, Stack } from '@mantine/core';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { ConversationList } from '../../../ui/conversation-list';
import { Isolate } from '../../../ui/isolate';
import { Empty, LoadMore, QueryState } from '../../../ui/states';
import type { StaffSession } from '../../../../common/contract/auth.js';
import { useFeed, useStaffSend } from './api';
import { feedItem, ReplyForm } from './components';
import { ConversationPanel } from './conversation-panel';

/**
 * A patient's Feed: the conversations the user may see beside the open one, and New
 * conversation. The open conversation comes from the address, so it can be linked to.
 */
export function FeedSection({
  patient,
  conversationId,
  session,
}: {
  patient: { id: string; name: string };
  conversationId?: string;
  session: StaffSession;
}) {
  const feed = useFeed(patient.id);
  const navigate = useNavigate();
  const [composing, setComposing] = useState(false);
  const start = useStaffSend({ patientId: patient.id });
  const lines = feed.data?.pages.flatMap((p) => p.conversations) ?? [];
  const tz = session.chamber.timeZone;
  const myRoles = session.user.roles.map((r) => r.id);
  return (
    <Grid>
      <Grid.Col span={{ base: 12, md: 5 }}>
        <Stack gap="xs">
          <Button variant="light" onClick={() => setComposing(true)}>
            New conversation
          </Button>
          <QueryState
            query={feed}
            isEmpty={() => lines.length === 0}
            empty="No conversations you can see."
          >
            {() => (
              <ConversationList
                items={lines.map((c) => feedItem(patient.id, c))}
                timeZone={tz}
                selectedId={conversationId}
              />
            )}
          </QueryState>
          <LoadMore query={feed} size="xs" />
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 7 }}>
        {conversationId ? (
          <ConversationPanel id={conversationId} session={session} patientLink={false} />
        ) : (
          <Empty>Choose a conversation to read it and reply.</Empty>
        )}
      </Grid.Col>
      <Modal
        opened={composing}
        onClose={() => setComposing(false)}
        title={
          <>
            New conversation with <Isolate>{patient.name}</Isolate>
          </>
        }
        size="lg"
      >
        <ReplyForm
          patientName={patient.name}
          patientId={patient.id}
          withSubject
          defaultShareWithPatient
          defaultRoleIds={myRoles}
          pending={start.isPending}
          error={start.error}
          submitLabel="Start conversation"
          onSend={async (input) => {
            const result = await start.mutateAsync(input);
            setComposing(false);
            void navigate(`/patients/${patient.id}/conversations/${result.conversation.id}`);
          }}
        />
      </Modal>
    </Grid>
  );
}
