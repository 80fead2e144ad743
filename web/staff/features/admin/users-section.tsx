import { Badge, Box, Button, Card, Group, Table, Text, Title, VisuallyHidden } from '@mantine/core';
import type { UseQueryResult } from '@tanstack/react-query';
import { CardList } from '../../../ui/card-list';
import { Isolate } from '../../../ui/isolate';
import { ScrollTable } from '../../../ui/scroll-table';
import { QueryState } from '../../../ui/states';
import type { User, UserList } from '../../../../common/contract/users.js';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';

/** The chamber's users: a table on a wide screen, cards on a phone; New User and Edit. */
export function UsersSection({
  users,
  onEdit,
}: {
  users: UseQueryResult<UserList>;
  onEdit: (user: User | 'new') => void;
}) {
  const roles = useRoles();
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
              <ScrollTable label="Users" minWidth={640}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Email</Table.Th>
                      <Table.Th>Roles</Table.Th>
                      <Table.Th>State</Table.Th>
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
                        <Table.Td>
                          <UserState user={u} />
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
                      <UserState user={u} />
                    </div>
                    <EditButton user={u} onEdit={onEdit} />
                  </Group>
                </Card>
              )}
            </CardList>
          </>
        )}
      </QueryState>
    </Card>
  );
}

function UserBadges({ user }: { user: User }) {
  return user.isAdmin ? <Badge size="xs">admin</Badge> : null;
}

function UserState({ user }: { user: User }) {
  return (
    <Group gap={4} component="span">
      <Badge color={user.active ? 'teal' : 'gray'}>{user.active ? 'Active' : 'Inactive'}</Badge>
      {!user.hasPassword && <Badge color="blue">Invited</Badge>}
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
