import {
  Alert,
  Badge,
  Button,
  Card,
  Group,
  Modal,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useRef, useState } from 'react';
import { fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { QueryState } from '../../../ui/states';
import type { Role } from '../../../../common/contract/roles.js';
import { TOPIC_NAME_MAX } from '../../../../common/limits.js';
import type { Topic, TopicChange } from '../../../../common/contract/topics.js';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import { createTopic, deleteTopic, updateTopic, useTopicMutation, useTopics } from './api';
import { ConfirmDeleteModal, EditDeleteButtons } from './row-actions.js';

const TOPIC_FIELDS = ['name', 'roleId', 'active'];

/** The warning of a role nobody would be notified in, or null. */
export function noActiveMembersWarning(role: Pick<Role, 'name' | 'activeMemberCount'> | undefined) {
  return role && role.activeMemberCount === 0
    ? `The role "${role.name}" has no Active members: nobody will be notified of these messages.`
    : null;
}

/**
 * Admin > Configuration > Online Portal > Message Topics: New Topic, and each topic with its
 * role, Active switch, Edit and Delete.
 */
export function TopicsSection() {
  const topics = useTopics();
  const roles = useRoles();
  const [editing, setEditing] = useState<Topic | 'new' | null>(null);
  const [deleting, setDeleting] = useState<Topic | null>(null);
  const toggle = useTopicMutation((t: { id: string; active: boolean }) =>
    updateTopic(t.id, { active: t.active }),
  );
  const remove = useTopicMutation((id: string) => deleteTopic(id));
  const roleById = new Map((roles.data?.roles ?? []).map((r) => [r.id, r]));
  return (
    <Card withBorder component="section" aria-labelledby="message-topics-title">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <div>
          <Text size="xs" c="dimmed">
            Online Portal
          </Text>
          <Title order={3} size="h5" id="message-topics-title">
            {LABELS.messageTopics}
          </Title>
        </div>
        <Button size="xs" onClick={() => setEditing('new')}>
          {LABELS.newTopic}
        </Button>
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        With active topics, the portal&apos;s {LABELS.newMessage} asks “
        {LABELS.whatIsYourMessageAbout}” and sends the conversation to the topic&apos;s role.
        Without any, patients are not asked and the {LABELS.roleForNewMessages} is used.
      </Text>
      <FormAlert error={toggle.error ?? remove.error} mb="sm" />
      <QueryState
        query={topics}
        isEmpty={(d) => d.topics.length === 0}
        empty="No topics yet: patients are not asked what their message is about."
      >
        {(d) => (
          <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {d.topics.map((t) => {
              const noMembers = t.roleDeleted
                ? null
                : noActiveMembersWarning(roleById.get(t.role.id));
              return (
                <Card key={t.id} withBorder padding="xs" component="li" aria-label={t.name}>
                  <Group justify="space-between" wrap="wrap" gap="xs" align="flex-start">
                    <div style={{ minWidth: 0, flex: '1 1 12rem' }}>
                      <Text fw={600} size="sm">
                        {t.name}{' '}
                        {!t.active && (
                          <Badge size="xs" color="gray" variant="light">
                            Inactive
                          </Badge>
                        )}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {LABELS.routeToRole}:{' '}
                        {t.roleDeleted ? `${t.role.name} (deleted)` : t.role.name}
                      </Text>
                    </div>
                    <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
                      <Switch
                        label="Active"
                        aria-label={`Active: ${t.name}`}
                        checked={
                          toggle.isPending && toggle.variables?.id === t.id
                            ? toggle.variables.active
                            : t.active
                        }
                        disabled={toggle.isPending && toggle.variables?.id === t.id}
                        onChange={(e) =>
                          toggle.mutate({ id: t.id, active: e.currentTarget.checked })
                        }
                      />
                      <EditDeleteButtons
                        name={t.name}
                        onEdit={() => setEditing(t)}
                        onDelete={() => {
                          remove.reset();
                          setDeleting(t);
                        }}
                      />
                    </Group>
                  </Group>
                  {t.roleDeleted && (
                    <Alert color="orange" variant="light" p="xs" mt="xs">
                      <Text size="xs">
                        Its role “{t.role.name}” was deleted: these conversations go to the{' '}
                        {LABELS.roleForNewMessages}. Edit the topic to choose another role.
                      </Text>
                    </Alert>
                  )}
                  {noMembers && (
                    <Alert color="orange" variant="light" p="xs" mt="xs">
                      <Text size="xs">{noMembers}</Text>
                    </Alert>
                  )}
                </Card>
              );
            })}
          </Stack>
        )}
      </QueryState>
      {editing && (
        <TopicDialog topic={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />
      )}
      <ConfirmDeleteModal
        opened={Boolean(deleting)}
        title="Delete topic"
        confirmLabel="Delete topic"
        error={remove.error}
        pending={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() =>
          deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })
        }
      >
        Delete the topic “{deleting?.name}”? Patients are no longer offered it; its conversations
        keep it.
      </ConfirmDeleteModal>
    </Card>
  );
}

/** New Topic, or Edit: Topic name, Route to role, Active. Only changed fields are sent. */
function TopicDialog({ topic, onClose }: { topic: Topic | null; onClose: () => void }) {
  const roles = useRoles();
  const [name, setName] = useState(topic?.name ?? '');
  // A deleted role is no longer on the list: the admin chooses another one.
  const [roleId, setRoleId] = useState<string | null>(
    topic && !topic.roleDeleted ? topic.role.id : null,
  );
  const [active, setActive] = useState(topic?.active ?? true);
  const save = useTopicMutation(() => {
    if (!topic) return createTopic({ name: name.trim(), roleId: roleId ?? '', active });
    const changes: TopicChange = {};
    if (name.trim() !== topic.name) changes.name = name.trim();
    if (roleId && (roleId !== topic.role.id || topic.roleDeleted)) changes.roleId = roleId;
    if (active !== topic.active) changes.active = active;
    return Object.keys(changes).length > 0 ? updateTopic(topic.id, changes) : Promise.resolve();
  });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, save.error);
  const roleList = roles.data?.roles ?? [];
  const chosen = roleList.find((r) => r.id === roleId);
  const warning = noActiveMembersWarning(chosen);
  return (
    <Modal opened onClose={onClose} title={topic ? `Edit ${topic.name}` : LABELS.newTopic}>
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined, { onSuccess: onClose });
        }}
      >
        <Stack gap="sm">
          <FormAlert error={save.error} fields={TOPIC_FIELDS} />
          <TextInput
            label={LABELS.topicName}
            required
            data-autofocus
            maxLength={TOPIC_NAME_MAX}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(save.error, 'name')}
            description="What patients choose, e.g. “Prescriptions”."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
          />
          <Select
            label={LABELS.routeToRole}
            required
            placeholder="Choose a role"
            description="Every Active member of this role is notified of these messages."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            data={roleList.map((r) => ({
              value: r.id,
              label: `${r.name} (${r.activeMemberCount} active)`,
            }))}
            value={roleId}
            onChange={setRoleId}
            allowDeselect={false}
            error={
              fieldError(save.error, 'roleId') ??
              (topic?.roleDeleted && !roleId
                ? `Its role “${topic.role.name}” was deleted: choose another.`
                : undefined)
            }
          />
          {warning && (
            <Alert color="orange" variant="light" p="xs" role="status">
              <Text size="xs">{warning}</Text>
            </Alert>
          )}
          <Switch
            label="Active"
            // The description sits inside the label: the name stays the label alone.
            aria-label="Active"
            description="Offered to patients under “What is your message about?”."
            checked={active}
            onChange={(e) => setActive(e.currentTarget.checked)}
            error={fieldError(save.error, 'active')}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending} disabled={!name.trim() || !roleId}>
              {topic ? 'Save' : 'Create topic'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
