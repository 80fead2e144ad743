import {
  Alert,
  Badge,
  Box,
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
  VisuallyHidden,
} from '@mantine/core';
import { useRef, useState } from 'react';
import { useOutletContext } from 'react-router';
import { fieldError, formError } from '../../lib/api';
import { ScrollTable } from '../../ui/scroll-table';
import { useFocusOnError } from '../../ui/focus-on-error';
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
  const rolesOf = (u: User) =>
    u.roleIds
      .map((id) => roleName.get(id))
      .filter(Boolean)
      .join(', ') || '—';
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
                    {users.data.users.map((u) => (
                      <Table.Tr key={u.id}>
                        <Table.Td>
                          {u.name} <UserBadges user={u} />
                        </Table.Td>
                        <Table.Td>{u.email}</Table.Td>
                        <Table.Td>{rolesOf(u)}</Table.Td>
                        <Table.Td>
                          <UserState user={u} />
                        </Table.Td>
                        <Table.Td>
                          <EditButton user={u} onEdit={setEditing} />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </ScrollTable>
            </Box>
            {/* On a phone: one card per user instead of a table that scrolls sideways. */}
            <Stack
              gap="xs"
              component="ul"
              hiddenFrom="sm"
              style={{ listStyle: 'none', padding: 0, margin: 0 }}
              aria-label="Users"
            >
              {users.data.users.map((u) => (
                <li key={u.id}>
                  <Card withBorder padding="xs">
                    <Group justify="space-between" wrap="nowrap" align="flex-start">
                      <div style={{ minWidth: 0, flex: 1 }}>
                        <Text size="sm" fw={600}>
                          {u.name} <UserBadges user={u} />
                        </Text>
                        <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
                          {u.email}
                        </Text>
                        <Text size="xs">Roles: {rolesOf(u)}</Text>
                        <UserState user={u} />
                      </div>
                      <EditButton user={u} onEdit={setEditing} />
                    </Group>
                  </Card>
                </li>
              ))}
            </Stack>
          </>
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
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, save.error);
  return (
    <Modal opened onClose={onClose} title={user ? `Edit ${user.name}` : LABELS.newUser} size="lg">
      <form
        ref={form}
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
            data-autofocus
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
            description={user ? undefined : 'The new user is emailed a link to choose a password.'}
            inputWrapperOrder={['label', 'input', 'description', 'error']}
          />
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
  const [deleting, setDeleting] = useState<{ id: string; name: string } | null>(null);
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
                <Group justify="space-between" wrap="nowrap" align="flex-start">
                  <div style={{ minWidth: 0, flex: 1 }}>
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
                    <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
                      <Button
                        size="xs"
                        variant="light"
                        onClick={() => {
                          rename.reset();
                          setRenaming({ id: r.id, name: r.name });
                        }}
                        aria-label={`Rename ${r.name}`}
                      >
                        Rename
                      </Button>
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        onClick={() => setDeleting({ id: r.id, name: r.name })}
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
                data-autofocus
                value={renaming.name}
                onChange={(e) => setRenaming({ ...renaming, name: e.currentTarget.value })}
                error={rename.error?.message}
              />
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setRenaming(null)}>
                  Cancel
                </Button>
                <Button type="submit" loading={rename.isPending}>
                  Save
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
      <Modal opened={Boolean(deleting)} onClose={() => setDeleting(null)} title="Delete role">
        {deleting && (
          <Stack>
            <Text size="sm">Delete the role “{deleting.name}”? Its members no longer hold it.</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setDeleting(null)}>
                Cancel
              </Button>
              <Button
                color="red"
                loading={remove.isPending}
                onClick={() => remove.mutate(deleting.id, { onSettled: () => setDeleting(null) })}
              >
                Delete role
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Card>
  );
}
