import { Alert, Button, Card, Checkbox, Group, Select, Stack, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { fieldError } from '../../lib/api';
import { FormAlert } from '../../ui/form-alert';
import { ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { useSaveSettings, useSettings } from '../features/admin/api';
import { useRoles } from '../features/session/api';
import { IntegrationsSection } from '../features/admin/integrations-section';
import { noActiveMembersWarning, TopicsSection } from '../features/admin/topics-section';
import { ReplyTimesSection } from '../features/admin/reply-times-section';
import { PatientSafetySection } from '../features/admin/patient-safety-section';
import { ClinicContactSection } from '../features/admin/clinic-contact-section';
import { QuickRepliesSection } from '../features/admin/quick-replies-section';
import { SecuritySection } from '../features/admin/security-section';
import { PatientAttachmentsSetting } from '../features/admin/patient-attachments-setting';

/** Start Page > Admin > Configuration. */
export function AdminConfigurationPage() {
  const settings = useSettings();
  const roles = useRoles();
  const save = useSaveSettings();
  const [portal, setPortal] = useState(false);
  const [roleId, setRoleId] = useState<string | null>(null);
  const [email, setEmail] = useState(false);
  const [attachments, setAttachments] = useState(false);
  const [timeZone, setTimeZone] = useState<string | null>('Europe/London');
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), []);
  // Only a change of these values (this form saved) resets the form: another section saving
  // leaves what is being edited here alone.
  const saved = settings.data;
  const savedPortal = saved?.patientPortalEnabled;
  const savedRoleId = saved ? (saved.roleForNewMessages?.id ?? null) : undefined;
  const savedEmail = saved?.sharedItemsEmailEnabled;
  const savedZone = saved?.timeZone;
  const savedAttachments = saved?.patientAttachmentsEnabled;
  useEffect(() => {
    if (savedPortal === undefined) return;
    setPortal(savedPortal);
    setRoleId(savedRoleId ?? null);
    setEmail(savedEmail ?? false);
    setTimeZone(savedZone ?? null);
    setAttachments(savedAttachments ?? false);
  }, [savedPortal, savedRoleId, savedEmail, savedZone, savedAttachments]);

  const chosenRole = roles.data?.roles.find((r) => r.id === roleId);
  // The saved role's warning comes from the server; a newly chosen one warns at once.
  const roleWarning =
    roleId === (settings.data?.roleForNewMessages?.id ?? null)
      ? settings.data?.roleForNewMessagesWarning
      : noActiveMembersWarning(chosenRole);

  if (settings.isPending) return <Loading />;
  if (settings.isError)
    return <ErrorState error={settings.error} onRetry={() => void settings.refetch()} />;
  return (
    <Stack maw={720}>
      <Title order={2}>{LABELS.configuration}</Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate({
            patientPortalEnabled: portal,
            sharedItemsEmailEnabled: email,
            patientAttachmentsEnabled: attachments,
            ...(roleId ? { roleForNewMessagesId: roleId } : {}),
            ...(timeZone ? { timeZone } : {}),
          });
        }}
      >
        <Stack>
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Chargeable features
            </Title>
            <Checkbox
              label={LABELS.patientPortal}
              description="Off: no patient of this clinic can use the Patient Portal."
              checked={portal}
              onChange={(e) => setPortal(e.currentTarget.checked)}
            />
          </Card>
          <Card withBorder>
            <Title order={3} size="h5" mb="xs">
              Online Portal
            </Title>
            <Text fw={600} size="sm" mb={4}>
              General Settings
            </Text>
            <Select
              label={LABELS.roleForNewMessages}
              description="Every Active member of this role is notified when a patient writes."
              data={(roles.data?.roles ?? []).map((r) => ({
                value: r.id,
                label: `${r.name} (${r.activeMemberCount} active)`,
              }))}
              value={roleId}
              onChange={setRoleId}
              allowDeselect={false}
              error={fieldError(save.error, 'roleForNewMessagesId')}
            />
            {roleWarning && (
              <Alert color="orange" mt="xs" role="alert">
                {roleWarning}
              </Alert>
            )}
            <Stack mt="md">
              <PatientAttachmentsSetting
                chamberKey={settings.data.chamber.key}
                checked={attachments}
                onChange={setAttachments}
              />
            </Stack>
            <Text fw={600} size="sm" mt="md" mb={4}>
              New Shared Items Notification
            </Text>
            <Checkbox
              label={LABELS.enableSharedItemsEmail}
              description="Patients are emailed (without any clinical content) when something new is shared with them."
              checked={email}
              onChange={(e) => setEmail(e.currentTarget.checked)}
            />
          </Card>
          <Card withBorder>
            <Select
              label="Time zone"
              description="Times are shown in this time zone."
              data={zones}
              value={timeZone}
              onChange={setTimeZone}
              searchable
              allowDeselect={false}
              error={fieldError(save.error, 'timeZone')}
            />
          </Card>
          <FormAlert error={save.error} fields={['roleForNewMessagesId', 'timeZone']} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
            {save.isSuccess && !save.isPending && (
              <Text size="sm" c="teal.9" role="status">
                Saved.
              </Text>
            )}
          </Group>
        </Stack>
      </form>
      {/* Outside the settings form: the topics have their own forms and dialogs. */}
      <TopicsSection />
      {/* Each with its own form and Save: saving one keeps what is being edited in another. */}
      <ReplyTimesSection settings={settings.data} />
      <PatientSafetySection settings={settings.data} />
      <ClinicContactSection settings={settings.data} />
      <QuickRepliesSection />
      <IntegrationsSection timeZone={settings.data.timeZone} />
      <SecuritySection settings={settings.data} />
    </Stack>
  );
}
