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
import { useState } from 'react';
import { fieldError } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { FormAlert } from '../../../ui/form-alert';
import { Empty, QueryState } from '../../../ui/states';
import type {
  CreatedIntegrationClient,
  IntegrationScope,
} from '../../../../common/contract/integrations.js';
import { useCreateIntegration, useIntegrations, useRevokeIntegration } from './api';

/** Start Page > Admin > Configuration > Integrations: FHIR clients, their secret shown once, revoke. */
export function IntegrationsSection({ timeZone }: { timeZone: string }) {
  const list = useIntegrations();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<IntegrationScope[]>([]);
  const [created, setCreated] = useState<CreatedIntegrationClient | null>(null);
  const create = useCreateIntegration();
  const revoke = useRevokeIntegration();
  return (
    <Card withBorder component="section" aria-labelledby="integrations-title">
      <Title order={3} size="h5" mb="xs" id="integrations-title">
        Integrations
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        Other systems read messages and patients through the FHIR R4 API with a client id and
        secret.
      </Text>
      <QueryState query={list}>
        {(data) => (
          <Stack gap="sm">
            <Text size="xs">
              Token address <Code>{data.tokenUrl}</Code> · FHIR base <Code>{data.fhirBaseUrl}</Code>
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
            {data.integrations.length === 0 ? (
              <Empty>No integration clients yet.</Empty>
            ) : (
              data.integrations.map((i) => (
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
                create.mutate(
                  { name: name.trim(), scopes },
                  {
                    onSuccess: (result) => {
                      setCreated(result);
                      setName('');
                      setScopes([]);
                    },
                  },
                );
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
                    {data.scopes.map((s) => (
                      <Checkbox
                        key={s.scope}
                        value={s.scope}
                        label={`${s.scope}: ${s.description}`}
                      />
                    ))}
                  </Stack>
                </Checkbox.Group>
                <FormAlert error={create.error} fields={['name', 'scopes']} />
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
      </QueryState>
    </Card>
  );
}
