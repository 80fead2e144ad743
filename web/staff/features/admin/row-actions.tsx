import { Button } from '@mantine/core';

/** Edit and Delete for one row of an admin list, named for screen readers. */
export function EditDeleteButtons({
  name,
  onEdit,
  onDelete,
}: {
  name: string;
  onEdit: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <Button size="xs" variant="light" onClick={onEdit} aria-label={`Edit ${name}`}>
        Edit
      </Button>
      <Button
        size="xs"
        color="red"
        variant="light"
        onClick={onDelete}
        aria-label={`Delete ${name}`}
      >
        Delete
      </Button>
    </>
  );
}

export { ConfirmDeleteModal } from '../../../ui/confirm-delete-modal.js';
