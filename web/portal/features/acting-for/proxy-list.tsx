import { Button, Card, Group, Stack, Text } from '@mantine/core';
import { useId, useState } from 'react';
import { formatDate, formatDateTime } from '../../../lib/format';
import { announce } from '../../../ui/after-send';
import { CardList } from '../../../ui/card-list';
import { ConfirmDeleteModal } from '../../../ui/confirm-delete-modal';
import { Isolate } from '../../../ui/isolate';
import { QueryState } from '../../../ui/states';
import type { Proxy } from '../../../../common/contract/proxies.js';
import { LABELS } from '../../../../common/labels';
import { usePortalProxies, useRemoveProxy } from './api';

/**
 * The proxies who may act for the signed-in patient now (rule 18), each with **Remove Proxy**
 * and a confirmation. `onRemoved` hears each removal (the page then moves the focus).
 */
export function ProxyList({
  label,
  timeZone,
  onRemoved,
}: {
  label: string;
  timeZone: string;
  onRemoved: () => void;
}) {
  const proxies = usePortalProxies(true);
  const remove = useRemoveProxy();
  const [confirming, setConfirming] = useState<Proxy | null>(null);
  const close = () => {
    setConfirming(null);
    remove.reset();
  };
  return (
    <>
      <QueryState
        query={proxies}
        isEmpty={(d) => d.proxies.length === 0}
        empty="Nobody can act for you."
      >
        {(d) => (
          <CardList label={label} items={d.proxies}>
            {(p) => <ProxyCard proxy={p} timeZone={timeZone} onRemove={() => setConfirming(p)} />}
          </CardList>
        )}
      </QueryState>
      <ConfirmDeleteModal
        opened={confirming !== null}
        title={LABELS.removeProxy}
        confirmLabel={LABELS.removeProxy}
        error={remove.error}
        pending={remove.isPending}
        onCancel={close}
        onConfirm={() => {
          if (!confirming) return;
          remove.mutate(confirming.id, {
            onSuccess: () => {
              announce(`${confirming.account.name} can no longer act for you.`);
              close();
              onRemoved();
            },
          });
        }}
      >
        <Isolate>{confirming?.account.name}</Isolate> will no longer be able to act for you. Their
        access ends at once, also where they are signed in now.
      </ConfirmDeleteModal>
    </>
  );
}

/** One proxy: name, relationship, until when, who added them; Remove Proxy. */
function ProxyCard({
  proxy,
  timeZone,
  onRemove,
}: {
  proxy: Proxy;
  timeZone: string;
  onRemove: () => void;
}) {
  const nameId = useId();
  return (
    <Card withBorder padding="sm">
      <Group justify="space-between" align="flex-start" wrap="wrap" gap="xs">
        <Stack gap={2} style={{ minWidth: 0, flex: '1 1 14rem' }}>
          <Text fw={600} id={nameId} style={{ overflowWrap: 'anywhere' }}>
            <Isolate>{proxy.account.name}</Isolate>
          </Text>
          <Text size="sm">
            {LABELS.relationship}: <Isolate>{proxy.relationship}</Isolate>
          </Text>
          <Text size="sm">
            {proxy.endsOn ? `Until ${formatDate(proxy.endsOn)}` : 'No end date'}
          </Text>
          <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
            Added by <Isolate>{proxy.addedBy}</Isolate> on{' '}
            {formatDateTime(proxy.createdAt, timeZone)}
          </Text>
        </Stack>
        <Button
          size="xs"
          color="red"
          variant="light"
          onClick={onRemove}
          aria-describedby={nameId}
          style={{ flexShrink: 0 }}
        >
          {LABELS.removeProxy}
        </Button>
      </Group>
    </Card>
  );
}
