import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Grid,
  Group,
  Modal,
  Stack,
  Tabs,
  Text,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { Link, useNavigate, useOutletContext, useParams } from 'react-router';
import { formatDate, formatShort } from '../../lib/format';
import { Empty, ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { AuditEvents } from '../features/audit/components';
import { useFeed, useStaffSend } from '../features/feed/api';
import { ReplyForm } from '../features/feed/components';
import { DocumentsSection, MedicalDataSection } from '../features/patients/shared-items';
import { ConversationPanel } from '../features/feed/conversation-panel';
import {
  usePatient,
  usePatientActivity,
  usePortalAccountAction,
  type PatientRecord,
} from '../features/patients/api';
import type { StaffSession } from '../features/session/api';

const STATE_LABEL: Record<string, { label: string; color: string }> = {
  invited: { label: 'Invited', color: 'blue' },
  active: { label: 'Active', color: 'teal' },
  blocked: { label: 'Blocked', color: 'red' },
  disabled: { label: 'Disabled', color: 'gray' },
};

/** Patient Record: details, portal account actions, and the Feed and Activity sections. */
export function PatientRecordPage() {
  const session = useOutletContext<StaffSession>();
  const { id = '', conversationId } = useParams();
  const patient = usePatient(id);
  const [tab, setTab] = useState<string | null>('feed');
  if (patient.isPending) return <Loading />;
  if (patient.isError)
    return <ErrorState error={patient.error} onRetry={() => void patient.refetch()} />;
  const p = patient.data;
  return (
    <Stack>
      <Anchor component={Link} to="/patients" size="sm">
        ← {LABELS.findAndSelectPatient}
      </Anchor>
      <Text size="sm" c="dimmed">
        {LABELS.patientRecord}
      </Text>
      <Title order={2} mt={-12}>
        {p.name}
      </Title>
      <PatientDetails patient={p} />
      <Tabs value={tab} onChange={setTab} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="feed">{LABELS.feed}</Tabs.Tab>
          <Tabs.Tab value="documents">{LABELS.documents}</Tabs.Tab>
          <Tabs.Tab value="medical-data">{LABELS.medicalData}</Tabs.Tab>
          <Tabs.Tab value="activity">{LABELS.activity}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="feed" pt="md">
          <Feed patient={p} conversationId={conversationId} session={session} />
        </Tabs.Panel>
        <Tabs.Panel value="documents" pt="md">
          <DocumentsSection patientId={p.id} timeZone={session.chamber.timeZone} />
        </Tabs.Panel>
        <Tabs.Panel value="medical-data" pt="md">
          <MedicalDataSection patientId={p.id} />
        </Tabs.Panel>
        <Tabs.Panel value="activity" pt="md">
          <Activity patientId={p.id} timeZone={session.chamber.timeZone} />
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function PatientDetails({ patient: p }: { patient: PatientRecord }) {
  const action = usePortalAccountAction(p.id);
  const state = p.portalAccount ? STATE_LABEL[p.portalAccount.state] : undefined;
  return (
    <Card withBorder padding="md">
      <Grid>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap={4}>
            <Text size="sm">Born {formatDate(p.dateOfBirth)}</Text>
            <Text size="sm">Email: {p.email ?? '—'}</Text>
            <Text size="sm">Mobile: {p.mobile ?? '—'}</Text>
            <Text size="sm">Charge band: {p.chargeBand.name}</Text>
            <Text size="sm">Email consent: {p.emailConsent ? 'yes' : 'no'}</Text>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, sm: 6 }}>
          <Stack gap="xs">
            <Group gap="xs">
              <Text size="sm" fw={600}>
                Portal account
              </Text>
              {state ? (
                <Badge color={state.color}>{state.label}</Badge>
              ) : (
                <Badge color="gray">None</Badge>
              )}
            </Group>
            <Text size="sm" c="dimmed">
              {p.messaging.allowed
                ? 'Can message the clinic online.'
                : `Cannot message online: ${p.messaging.message ?? ''}`}
            </Text>
            {action.error && (
              <Alert color="red" role="alert">
                {action.error.message}
              </Alert>
            )}
            {action.isSuccess && (
              <Text size="xs" c="teal.9" role="status">
                Done.
              </Text>
            )}
            <Group gap="xs">
              {(!p.portalAccount || p.portalAccount.state === 'invited') && p.email && (
                <Button
                  size="xs"
                  variant="light"
                  loading={action.isPending}
                  onClick={() => action.mutate('invite')}
                >
                  {p.portalAccount ? 'Send invitation again' : 'Invite to Patient Portal'}
                </Button>
              )}
              {p.portalAccount && p.portalAccount.state !== 'disabled' && (
                <Button
                  size="xs"
                  variant="light"
                  loading={action.isPending}
                  onClick={() => action.mutate('reset')}
                >
                  {LABELS.resetPortalLogin}
                </Button>
              )}
              {p.portalAccount?.state === 'blocked' && (
                <Button
                  size="xs"
                  color="red"
                  variant="light"
                  loading={action.isPending}
                  onClick={() => action.mutate('unblock')}
                >
                  {LABELS.unblockPortalUser}
                </Button>
              )}
            </Group>
          </Stack>
        </Grid.Col>
      </Grid>
    </Card>
  );
}

function Feed({
  patient,
  conversationId,
  session,
}: {
  patient: PatientRecord;
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
          {feed.isPending ? (
            <Loading />
          ) : feed.isError ? (
            <ErrorState error={feed.error} onRetry={() => void feed.refetch()} />
          ) : lines.length === 0 ? (
            <Empty>No conversations you can see.</Empty>
          ) : (
            <Stack
              gap="xs"
              component="ul"
              style={{ listStyle: 'none', padding: 0, margin: 0 }}
              aria-label="Conversations"
            >
              {lines.map((c) => (
                <li key={c.id}>
                  <Card
                    component={Link}
                    to={`/patients/${patient.id}/conversations/${c.id}`}
                    withBorder
                    padding="xs"
                    aria-current={c.id === conversationId ? 'true' : undefined}
                    style={{
                      textDecoration: 'none',
                      color: 'inherit',
                      outline:
                        c.id === conversationId
                          ? '2px solid var(--mantine-color-teal-7)'
                          : undefined,
                    }}
                  >
                    <Group justify="space-between" wrap="nowrap" gap="xs">
                      <Text size="sm" fw={c.unreadCount > 0 ? 700 : 500} lineClamp={1}>
                        {c.lastMessage.author.name}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {formatShort(c.lastMessage.createdAt, tz)}
                      </Text>
                    </Group>
                    <Text size="sm" c="dimmed" lineClamp={2}>
                      {c.lastMessage.preview}
                    </Text>
                    <Group gap={4} mt={4}>
                      {c.awaitingReply && (
                        <Badge size="xs" color="orange" variant="light">
                          Awaiting reply
                        </Badge>
                      )}
                      {c.unreadCount > 0 && (
                        <Badge size="xs" color="teal">
                          {c.unreadCount} unread
                        </Badge>
                      )}
                      {c.lastMessage.internalNote && (
                        <Badge size="xs" color="yellow" variant="light">
                          Internal note
                        </Badge>
                      )}
                    </Group>
                  </Card>
                </li>
              ))}
            </Stack>
          )}
          {feed.hasNextPage && (
            <Button
              variant="default"
              size="xs"
              onClick={() => void feed.fetchNextPage()}
              loading={feed.isFetchingNextPage}
            >
              Load more
            </Button>
          )}
        </Stack>
      </Grid.Col>
      <Grid.Col span={{ base: 12, md: 7 }}>
        {conversationId ? (
          <ConversationPanel id={conversationId} timeZone={tz} defaultRoleIds={myRoles} />
        ) : (
          <Empty>Choose a conversation to read it and reply.</Empty>
        )}
      </Grid.Col>
      <Modal
        opened={composing}
        onClose={() => setComposing(false)}
        title={`New conversation with ${patient.name}`}
        size="lg"
      >
        <ReplyForm
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

function Activity({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const activity = usePatientActivity(patientId, true);
  const events = activity.data?.pages.flatMap((p) => p.events) ?? [];
  if (activity.isPending) return <Loading />;
  if (activity.isError)
    return <ErrorState error={activity.error} onRetry={() => void activity.refetch()} />;
  if (events.length === 0) return <Empty>No activity recorded.</Empty>;
  return (
    <Stack>
      <AuditEvents events={events} timeZone={timeZone} label="Activity events" />
      {activity.hasNextPage && (
        <Button
          variant="default"
          size="xs"
          onClick={() => void activity.fetchNextPage()}
          loading={activity.isFetchingNextPage}
        >
          Load more
        </Button>
      )}
    </Stack>
  );
}
