import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { fieldError, formError, get, post } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { Empty, ErrorState, Loading } from '../../../ui/states';

interface Integration {
  id: string;
  clientId: string;
  name: string;
  scopes: string[];
  createdAt: string;
  createdBy: string | null;
  lastTokenAt: string | null;
  revokedAt: string | null;
}

interface Listing {
  integrations: Integration[];
  scopes: { scope: string; description: string }[];
  tokenUrl: string;
  fhirBaseUrl: string;
}

/** Start Page > Admin > Configuration > Integrations: FHIR clients, their secret shown once, revoke. */
export function IntegrationsSection({ timeZone }: { timeZone: string }) {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['admin', 'integrations'],
    queryFn: () => get<Listing>('/admin/integrations'),
  });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const [created, setCreated] = useState<(Integration & { clientSecret: string }) | null>(null);
  const create = useMutation({
    mutationFn: () =>
      post<Integration & { clientSecret: string }>('/admin/integrations', {
        name: name.trim(),
        scopes,
      }),
    onSuccess: (result) => {
      setCreated(result);
      setName('');
      setScopes([]);
      void client.invalidateQueries({ queryKey: ['admin', 'integrations'] });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => post(`/admin/integrations/${id}/revoke`),
    onSuccess: () => client.invalidateQueries({ queryKey: ['admin', 'integrations'] }),
  });
  return (
    <Card withBorder component="section" aria-labelledby="integrations-title">
      <Title order={3} size="h5" mb="xs" id="integrations-title">
        Integrations
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Other systems read messages and patients through the FHIR R4 API with a client id and
        secret.
      </Text>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <Stack gap="sm">
          <Text size="xs">
            Token address <Code>{list.data.tokenUrl}</Code> · FHIR base{' '}
            <Code>{list.data.fhirBaseUrl}</Code>
          </Text>
          {created && (
            <Alert
              color="teal"
              role="status"
              title={`Client "${created.name}" created`}
              withCloseButton
              onClose={() => setCreated(null)}
              closeButtonLabel="Dismiss"
            >
              <Text size="sm">
                Client id <Code>{created.clientId}</Code>
              </Text>
              <Text size="sm">
                Secret <Code style={{ overflowWrap: 'anywhere' }}>{created.clientSecret}</Code>
              </Text>
              <Text size="xs" mt={4}>
                Copy the secret now: it is not shown again.
              </Text>
            </Alert>
          )}
          {list.data.integrations.length === 0 ? (
            <Empty>No integration clients yet.</Empty>
          ) : (
            list.data.integrations.map((i) => (
              <Card key={i.id} withBorder padding="xs">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <div style={{ minWidth: 0 }}>
                    <Text fw={600} size="sm">
                      {i.name} <Code>{i.clientId}</Code>{' '}
                      {i.revokedAt && <Badge color="gray">Revoked</Badge>}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {i.scopes.join(', ')} · last token{' '}
                      {i.lastTokenAt ? formatDateTime(i.lastTokenAt, timeZone) : 'never'}
                    </Text>
                  </div>
                  {!i.revokedAt && (
                    <Button
                      size="compact-xs"
                      color="red"
                      variant="light"
                      loading={revoke.isPending && revoke.variables === i.id}
                      onClick={() => revoke.mutate(i.id)}
                      aria-label={`Revoke ${i.name}`}
                    >
                      Revoke
                    </Button>
                  )}
                </Group>
              </Card>
            ))
          )}
          <form
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <Stack gap="xs">
              <TextInput
                label="Client name"
                value={name}
                onChange={(e) => setName(e.currentTarget.value)}
                error={fieldError(create.error, 'name')}
                maw={360}
              />
              <Checkbox.Group
                label="Scopes"
                value={scopes}
                onChange={setScopes}
                error={fieldError(create.error, 'scopes')}
              >
                <Stack gap={4} mt={4}>
                  {list.data.scopes.map((s) => (
                    <Checkbox
                      key={s.scope}
                      value={s.scope}
                      label={`${s.scope}: ${s.description}`}
                    />
                  ))}
                </Stack>
              </Checkbox.Group>
              {formError(create.error, ['name', 'scopes']) && (
                <Alert color="red" role="alert">
                  {formError(create.error, ['name', 'scopes'])}
                </Alert>
              )}
              <Group>
                <Button
                  type="submit"
                  size="xs"
                  loading={create.isPending}
                  disabled={!name.trim() || scopes.length === 0}
                >
                  Create client
                </Button>
              </Group>
            </Stack>
          </form>
        </Stack>
      )}
    </Card>
  );
}
