import { Stack, Text, Title } from '@mantine/core';
import { useRef } from 'react';
import { useOutletContext } from 'react-router';
import type { PortalSession } from '../../../common/contract/auth.js';
import { LABELS } from '../../../common/labels';
import { Isolate } from '../../ui/isolate';
import { actingForOther, ownRecord, WHO_CAN_ACT_FOR_YOU } from '../features/acting-for/components';
import { ProxyList } from '../features/acting-for/proxy-list';

/**
 * Who can act for you (rule 18): a patient acting for their own record sees their proxies and
 * can remove them. Not while acting for someone else, nor for an account with no record.
 */
export function ProxiesPage() {
  const session = useOutletContext<PortalSession>();
  const heading = useRef<HTMLHeadingElement>(null);
  const own = ownRecord(session);
  const other = actingForOther(session);
  return (
    <Stack>
      <Title order={2} ref={heading} tabIndex={-1} style={{ outline: 'none' }}>
        {WHO_CAN_ACT_FOR_YOU}
      </Title>
      {!own ? (
        <Text size="sm">
          Your account has no patient record of its own at <Isolate>{session.chamber.name}</Isolate>
          , so nobody acts for you.
        </Text>
      ) : other ? (
        <Text size="sm">
          You are acting for <Isolate>{other.name}</Isolate> now. To see who can act for you, choose{' '}
          <Isolate>{own.name}</Isolate> under “{LABELS.actingFor}” at the top of the page.
        </Text>
      ) : (
        <>
          <Text size="sm">
            A proxy, such as a parent or a carer, can read and write your messages and see your
            documents and medical data for you. <Isolate>{session.chamber.name}</Isolate> adds
            proxies; you can remove them here at any time.
          </Text>
          <ProxyList
            label={WHO_CAN_ACT_FOR_YOU}
            timeZone={session.chamber.timeZone}
            onRemoved={() => heading.current?.focus()}
          />
        </>
      )}
    </Stack>
  );
}
