import {
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Group,
  Stack,
  Table,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { useState } from 'react';
import { CardList } from '../../../ui/card-list';
import { Isolate } from '../../../ui/isolate';
import { ScrollTable } from '../../../ui/scroll-table';
import { QueryState } from '../../../ui/states';
import type { User, UserList } from '../../../../common/contract/users.js';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import { resetTwoStep, useAdminMutation } from './api';
import { ConfirmDeleteModal } from './row-actions';

/** A badge keeps its words whatever room the table gives its column. */
const NO_SHRINK = { flexShrink: 0, minWidth: 'max-content' } as const;

/**
 * The chamber's users: a table on a wide screen, cards on a phone; New User, Edit, whether
 * two-step verification is on, and Reset two-step verification (rule 19).
 */
export function UsersSection({
  users,
  onEdit,
}: {
  users: UseQueryResult<UserList>;
  onEdit: (user: User | 'new') => void;
}) {
  const roles = useRoles();
  const [resetting, setResetting] = useState<User | null>(null);
  const reset = useAdminMutation((id: string) => resetTwoStep(id));
  const onReset = (u: User) => {
    reset.reset();
    setResetting(u);
  };
  const roleName = new Map((roles.data?.roles ?? []).map((r) => [r.id, r.name]));
  const rolesOf = (u: User) =>
    u.roleIds
      .map((id) => roleName.get(id))
      .filter(Boolean)
      .join(', ') || '—';
  return (
    <Card withBorder component="section" aria-label="Users">
      <Group justify="space-between" mb="sm">
        <Title order={3} size="h4">
          Users
        </Title>
        <Button size="xs" onClick={() => onEdit('new')}>
          {LABELS.newUser}
        </Button>
      </Group>
      <QueryState query={users}>
        {({ users: list }) => (
          <>
            <Box visibleFrom="sm">
              <ScrollTable label="Users" minWidth={720}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Email</Table.Th>
                      <Table.Th>Roles</Table.Th>
                      <Table.Th>State</Table.Th>
                      <Table.Th>{LABELS.twoStepVerification}</Table.Th>
                      <Table.Th>
                        <VisuallyHidden>Actions</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {list.map((u) => (
                      <Table.Tr key={u.id}>
                        <Table.Td>
                          <Isolate>{u.name}</Isolate> <UserBadges user={u} />
                        </Table.Td>
                        <Table.Td>{u.email}</Table.Td>
                        <Table.Td>{rolesOf(u)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <UserState user={u} />
                        </Table.Td>
                        <Table.Td>
                          <Stack gap={4} align="flex-start">
                            <TwoStepState user={u} />
                            {u.twoStep && <ResetButton user={u} onReset={onReset} compact />}
                          </Stack>
                        </Table.Td>
                        <Table.Td>
                          <EditButton user={u} onEdit={onEdit} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            </Box>
            {/* On a phone: one card per user instead of a table that scrolls sideways. */}
            <CardList label="Users" items={list} hiddenFrom="sm">
              {(u) => (
                <Card withBorder padding="xs">
                  <Group justify="space-between" wrap="nowrap" align="flex-start">
                    <div style={{ minWidth: 0, flex: 1 }}>
                      <Text size="sm" fw={600}>
                        <Isolate>{u.name}</Isolate> <UserBadges user={u} />
                      </Text>
                      <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                        {u.email}
                      </Text>
                      <Text size="xs">Roles: {rolesOf(u)}</Text>
                      <Group gap={4}>
                        <UserState user={u} />
                        <TwoStepState user={u} withLabel />
                      </Group>
                    </div>
                    <EditButton user={u} onEdit={onEdit} />
                  </Group>
                  {u.twoStep && (
                    <Group mt="xs">
                      <ResetButton user={u} onReset={onReset} />
                    </Group>
                  )}
                </Card>
              )}
            </CardList>
          </>
        )}
      </QueryState>
      <ConfirmDeleteModal
        opened={resetting !== null}
        title={`${LABELS.resetTwoStep}?`}
        confirmLabel={LABELS.resetTwoStep}
        error={reset.error}
        pending={reset.isPending}
        onCancel={() => setResetting(null)}
        onConfirm={() => {
          if (resetting) reset.mutate(resetting.id, { onSuccess: () => setResetting(null) });
        }}
      >
        {resetting?.name}’s passkeys, authenticator app and recovery codes are removed and they are
        signed out everywhere. They will have to set up two-step verification again at their next
        sign-in (when the clinic requires it) and are emailed that it was reset.
      </ConfirmDeleteModal>
    </Card>
  );
}

/** On when the user has a passkey or an authenticator app. */
function TwoStepState({ user, withLabel }: { user: User; withLabel?: boolean }) {
  return (
    <Badge color={user.twoStep ? 'teal' : 'gray'} variant="light" style={NO_SHRINK}>
      {withLabel ? `Two-step ${user.twoStep ? 'on' : 'off'}` : user.twoStep ? 'On' : 'Off'}
    </Badge>
  );
}

function ResetButton({
  user,
  onReset,
  compact,
}: {
  user: User;
  onReset: (user: User) => void;
  /** In the table: a link-like button whose words may wrap, so the columns keep their room. */
  compact?: boolean;
}) {
  const label = `${LABELS.resetTwoStep} for ${user.name}`;
  if (compact)
    return (
      <Anchor
        component="button"
        type="button"
        size="xs"
        c="red.9"
        ta="left"
        onClick={() => onReset(user)}
        aria-label={label}
      >
        {LABELS.resetTwoStep}
      </Anchor>
    );
  return (
    <Button
      size="xs"
      variant="light"
      color="red"
      onClick={() => onReset(user)}
      aria-label={label}
      style={{ flexShrink: 0 }}
    >
      {LABELS.resetTwoStep}
    </Button>
  );
}
function UserBadges({ user }: { user: User }) {
  return user.isAdmin ? <Badge size="xs">admin</Badge> : null;
}

function UserState({ user }: { user: User }) {
  return (
    <Group gap={4} component="span">
      <Badge color={user.active ? 'teal' : 'gray'} style={NO_SHRINK}>
        {user.active ? 'Active' : 'Inactive'}
      </Badge>
      {!user.hasPassword && (
        <Badge color="blue" style={NO_SHRINK}>
          Invited
        </Badge>
      )}
    </Group>
  );
}

function EditButton({ user, onEdit }: { user: User; onEdit: (user: User) => void }) {
  return (
    <Button
      size="xs"
      variant="light"
      onClick={() => onEdit(user)}
      aria-label={`Edit ${user.name}`}
      style={{ flexShrink: 0 }}
    >
      Edit
    </Button>
  );
}
