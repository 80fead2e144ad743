import { Button, Checkbox, Group, Modal, MultiSelect, Stack, TextInput } from '@mantine/core';
import { useRef, useState } from 'react';
import { fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import type { User } from '../../../../common/contract/users.js';
import { LABELS } from '../../../../common/labels';
import { useRoles } from '../session/api';
import { createUser, updateUser, useAdminMutation } from './api';

const USER_FIELDS = ['name', 'email', 'roleIds', 'active', 'isAdmin'];

/** New User, or Edit: name, email (new users only), roles, admin permission, Active. */
export function UserDialog({
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
          <FormAlert error={save.error} fields={USER_FIELDS} />
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
