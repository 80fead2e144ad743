import { Anchor, Stack, Tabs, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useOutletContext, useParams } from 'react-router';
import { Isolate } from '../../ui/isolate';
import { QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { FeedSection } from '../features/feed/feed-section';
import { ActivitySection } from '../features/patients/activity-section';
import { usePatient } from '../features/patients/api';
import { PatientDetails } from '../features/patients/patient-details';
import { ProxyAccessSection } from '../features/patients/proxy-access-section';
import { DocumentsSection, MedicalDataSection } from '../features/patients/shared-items';
import type { StaffSession } from '../../../common/contract/auth.js';

/**
 * Patient Record: details (Edit for admins), portal account actions, and the Feed, Documents,
 * Medical Data, Proxy Access and Activity tabs.
 */
export function PatientRecordPage() {
  const session = useOutletContext<StaffSession>();
  const { id = '', conversationId } = useParams();
  const patient = usePatient(id);
  const [tab, setTab] = useState<string | null>('feed');
  const timeZone = session.chamber.timeZone;
  return (
    <QueryState query={patient}>
      {(p) => (
        <Stack>
          <Anchor component={Link} to="/patients" size="sm">
            ← {LABELS.findAndSelectPatient}
          </Anchor>
          <Text size="sm" c="dimmed">
            {LABELS.patientRecord}
          </Text>
          <Title order={2} mt={-12}>
            <Isolate>{p.name}</Isolate>
          </Title>
          <PatientDetails
            patient={p}
            timeZone={timeZone}
            canEdit={session.user.isAdmin}
            onShowActivity={() => setTab('activity')}
          />
          <Tabs value={tab} onChange={setTab} keepMounted={false}>
            <Tabs.List>
              <Tabs.Tab value="feed">{LABELS.feed}</Tabs.Tab>
              <Tabs.Tab value="documents">{LABELS.documents}</Tabs.Tab>
              <Tabs.Tab value="medical-data">{LABELS.medicalData}</Tabs.Tab>
              <Tabs.Tab value="proxy-access">{LABELS.proxyAccess}</Tabs.Tab>
              <Tabs.Tab value="activity">{LABELS.activity}</Tabs.Tab>
            </Tabs.List>
            <Tabs.Panel value="feed" pt="md">
              <FeedSection patient={p} conversationId={conversationId} session={session} />
            </Tabs.Panel>
            <Tabs.Panel value="documents" pt="md">
              <DocumentsSection patientId={p.id} timeZone={timeZone} />
            </Tabs.Panel>
            <Tabs.Panel value="medical-data" pt="md">
              <MedicalDataSection patientId={p.id} />
            </Tabs.Panel>
            <Tabs.Panel value="proxy-access" pt="md">
              <ProxyAccessSection patient={p} timeZone={timeZone} />
            </Tabs.Panel>
            <Tabs.Panel value="activity" pt="md">
              <ActivitySection patientId={p.id} timeZone={timeZone} />
            </Tabs.Panel>
          </Tabs>
        </Stack>
      )}
    </QueryState>
  );
}
