import { Stack, Title } from '@mantine/core';
import { useState } from 'react';
import { useOutletContext } from 'react-router';
import type { StaffSession } from '../../../common/contract/auth.js';
import type { User } from '../../../common/contract/users.js';
import { LABELS } from '../../../common/labels';
import { useUsers } from '../features/admin/api';
import { RolesSection } from '../features/admin/roles-section';
import { UserDialog } from '../features/admin/user-dialog';
import { UsersSection } from '../features/admin/users-section';

/** Start Page > Admin > User Management: users (New User, Active/Inactive) and roles (New Role, members). */
export function AdminUserManagementPage() {
  const session = useOutletContext<StaffSession>();
  const users = useUsers();
  const [editing, setEditing] = useState<User | 'new' | null>(null);
  return (
    <Stack maw={960}>
      <Title order={2}>{LABELS.userManagement}</Title>
      <UsersSection users={users} onEdit={setEditing} />
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
