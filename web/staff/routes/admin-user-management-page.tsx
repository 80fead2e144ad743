import {
  Alert,
  Badge,
  Button,
  Card,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import { fieldError, formError } from '../../lib/api';
import { ErrorState, Loading } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import {
  createRole,
  createUser,
  deleteRole,
  renameRole,
  updateUser,
  useAdminMutation,
  useUsers,
  type User,
} from '../features/admin/api';
import { useRoles, type StaffSession } from '../features/session/api';

/** Start Page > Admin > User Management: users (New User, Active/Inactive) and roles (New Role, members). */
export function AdminUserManagementPage() {
  const session = useOutletContext<StaffSession>();
  const users = useUsers();
  const roles = useRoles();
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  const roleName = new Map((roles.data?.roles ?? []).map((r) => [r.id, r.name]));
  return (
    <Stack maw={960}>
      <Title order={2}>{LABELS.userManagement}</Title>
      <Card withBorder component="section" aria-label="Users">
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h4">
            Users
          </Title>
          <Button size="xs" onClick={() => setEditing('new')}>
            {LABELS.newUser}
          </Button>
        </Group>
        {users.isPending ? (
          <Loading />
        ) : users.isError ? (
          <ErrorState error={users.error} onRetry={() => void users.refetch()} />
        ) : (
          <Table.ScrollContainer minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Email</Table.Th>
                  <Table.Th>Roles</Table.Th>
                  <Table.Th>State</Table.Th>
                  <Table.Th>
                    <span
                      className="sr-only"
                      style={{
                        position: 'absolute',
                        width: 1,
                        height: 1,
                        overflow: 'hidden',
                        clip: 'rect(0 0 0 0)',
                      }}
                    >
                      Actions
                    </span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {users.data.users.map((u) => (
                  <Table.Tr key={u.id}>
                    <Table.Td>
                      {u.name} {u.isAdmin && <Badge size="xs">admin</Badge>}
                    </Table.Td>
                    <Table.Td>{u.email}</Table.Td>
                    <Table.Td>
                      {u.roleIds
                        .map((id) => roleName.get(id))
                        .filter(Boolean)
                        .join(', ') || '—'}
                    </Table.Td>
                    <Table.Td>
                      <Badge color={u.active ? 'teal' : 'gray'}>
                        {u.active ? 'Active' : 'Inactive'}
                      </Badge>{' '}
                      {!u.hasPassword && <Badge color="blue">Invited</Badge>}
                    </Table.Td>
                    <Table.Td>
                      <Button
                        size="compact-xs"
                        variant="light"
                        onClick={() => setEditing(u)}
                        aria-label={`Edit ${u.name}`}
                      >
                        Edit
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>
      <RolesSection users={users.data?.users ?? []} />
      {editing && (
        <UserDialog
          user={editing === 'new' ? null : editing}
          selfId={session.user.id}
          onClose={() => setEditing(null)}
        />
      )}
    </Stack>
  );
}

function UserDialog({
  user,
  selfId,
  onClose,
}: {
  user: User | null;
  selfId: string;
  onClose: () => void;
}) {
  const roles = useRoles();
  const [name, setName] = useState(user?.name ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [isAdmin, setIsAdmin] = useState(user?.isAdmin ?? false);
  const [active, setActive] = useState(user?.active ?? true);
  const [roleIds, setRoleIds] = useState<string[]>(user?.roleIds ?? []);
  const save = useAdminMutation(() =>
    user
      ? updateUser(user.id, { name, isAdmin, active, roleIds })
      : createUser({ name, email, isAdmin, roleIds }),
  );
  const general = formError(save.error, ['name', 'email', 'roleIds', 'active', 'isAdmin']);
  return (
    <Modal opened onClose={onClose} title={user ? `Edit ${user.name}` : LABELS.newUser} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined, { onSuccess: onClose });
        }}
      >
        <Stack gap="sm">
          {general && (
            <Alert color="red" role="alert">
              {general}
            </Alert>
          )}
          <TextInput
            label="Name"
            required
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(save.error, 'name')}
          />
          <TextInput
            label="Email"
            type="email"
            required
            disabled={Boolean(user)}
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={fieldError(save.error, 'email')}
          />
          {!user && (
            <Text size="xs" c="dimmed">
              The new user is emailed a link to choose a password.
            </Text>
          )}
          <MultiSelect
            label="Roles"
            data={(roles.data?.roles ?? []).map((r) => ({ value: r.id, label: r.name }))}
            value={roleIds}
            onChange={setRoleIds}
            error={fieldError(save.error, 'roleIds')}
            searchable
          />
          <Checkbox
            label="Administrator (admin permission)"
            checked={isAdmin}
            onChange={(e) => setIsAdmin(e.currentTarget.checked)}
            disabled={user?.id === selfId}
            error={fieldError(save.error, 'isAdmin')}
          />
          {user && (
            <Checkbox
              label="Active"
              description="Inactive users cannot sign in and get no notifications."
              checked={active}
              onChange={(e) => setActive(e.currentTarget.checked)}
              disabled={user.id === selfId}
              error={fieldError(save.error, 'active')}
            />
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={save.isPending}>
              {user ? 'Save' : 'Create user'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function RolesSection({ users }: { users: User[] }) {
  const roles = useRoles();
  const [name, setName] = useState('');
  const create = useAdminMutation((n: string) => createRole(n));
  const remove = useAdminMutation((id: string) => deleteRole(id));
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const rename = useAdminMutation((r: { id: string; name: string }) => renameRole(r.id, r.name));
  return (
    <Card withBorder component="section" aria-label="Roles">
      <Title order={3} size="h4" mb="sm">
        Roles
      </Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(name.trim(), { onSuccess: () => setName('') });
        }}
      >
        <Group align="flex-end" mb="md">
          <TextInput
            label="Role name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(create.error, 'name') ?? formError(create.error, ['name'])}
            style={{ flex: 1 }}
          />
          <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
            {LABELS.newRole}
          </Button>
        </Group>
      </form>
      {remove.error && (
        <Alert color="red" mb="sm" role="alert">
          {remove.error.message}
        </Alert>
      )}
      {roles.isPending ? (
        <Loading />
      ) : roles.isError ? (
        <ErrorState error={roles.error} />
      ) : (
        <Stack gap="xs">
          {roles.data.roles.map((r) => {
            const members = users.filter((u) => u.roleIds.includes(r.id));
            return (
              <Card key={r.id} withBorder padding="xs">
                <Group justify="space-between" wrap="wrap">
                  <div>
                    <Text fw={600} size="sm">
                      {r.name}{' '}
                      {r.isBuiltIn && (
                        <Badge size="xs" variant="light">
                          built-in
                        </Badge>
                      )}
                    </Text>
                    <Text size="xs" c="dimmed">
                      {members.length
                        ? `Members: ${members.map((m) => `${m.name}${m.active ? '' : ' (Inactive)'}`).join(', ')}`
                        : 'No members'}
                    </Text>
                  </div>
                  {!r.isBuiltIn && (
                    <Group gap="xs">
                      <Button
                        size="compact-xs"
                        variant="light"
                        onClick={() => setRenaming({ id: r.id, name: r.name })}
                        aria-label={`Rename ${r.name}`}
                      >
                        Rename
                      </Button>
                      <Button
                        size="compact-xs"
                        color="red"
                        variant="light"
                        onClick={() => remove.mutate(r.id)}
                        aria-label={`Delete ${r.name}`}
                      >
                        Delete
                      </Button>
                    </Group>
                  )}
                </Group>
              </Card>
            );
          })}
        </Stack>
      )}
      <Text size="xs" c="dimmed" mt="sm">
        Add or remove members by editing a user.
      </Text>
      <Modal opened={Boolean(renaming)} onClose={() => setRenaming(null)} title="Rename role">
        {renaming && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              rename.mutate(renaming, { onSuccess: () => setRenaming(null) });
            }}
          >
            <Stack>
              <TextInput
                label="Role name"
                value={renaming.name}
                onChange={(e) => setRenaming({ ...renaming, name: e.currentTarget.value })}
                error={rename.error?.message}
              />
              <Group justify="flex-end">
                <Button type="submit" loading={rename.isPending}>
                  Save
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </Card>
  );
}
