import { Badge, Button, Card, Group, Modal, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { FormAlert } from '../../../ui/form-alert';
import { Isolate, WithNames } from '../../../ui/isolate';
import { NameForm } from '../../../ui/name-form';
import { QueryState } from '../../../ui/states';
import type { User } from '../../../../common/contract/users.js';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import { createRole, deleteRole, renameRole, useAdminMutation } from './api';

/** The chamber's roles with their members: New Role, Rename, Delete (not the built-in one). */
export function RolesSection({ users }: { users: User[] }) {
  const roles = useRoles();
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
      <NameForm label="Role name" submitLabel={LABELS.newRole} add={create} mb="md" />
      <FormAlert error={remove.error} mb="sm" />
      <QueryState query={roles}>
        {(d) => (
          <Stack gap="xs">
            {d.roles.map((r) => {
              const members = users.filter((u) => u.roleIds.includes(r.id));
              return (
                <Card key={r.id} withBorder padding="xs">
                  <Group justify="space-between" wrap="nowrap" align="flex-start">
                    <div style={{ minWidth: 0, flex: 1 }}>
                      <Text fw={600} size="sm">
                        <Isolate>{r.name}</Isolate>{' '}
                        {r.isBuiltIn && (
                          <Badge size="xs" variant="light">
                            built-in
                          </Badge>
                        )}
                      </Text>
                      <Text size="xs" c="dimmed">
                        {members.length ? (
                          <>
                            Members:{' '}
                            <WithNames
                              text={members
                                .map((m) => `${m.name}${m.active ? '' : ' (Inactive)'}`)
                                .join(', ')}
                              names={members.map((m) => m.name)}
                            />
                          </>
                        ) : (
                          'No members'
                        )}
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
      </QueryState>
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
