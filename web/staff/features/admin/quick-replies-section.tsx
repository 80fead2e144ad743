import {
  Badge,
  Button,
  Card,
  Group,
  Modal,
  MultiSelect,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useRef, useState } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { QueryState } from '../../../ui/states';
import type { QuickReply, QuickReplyChange } from '../../../../common/contract/quick-replies.js';
import { LABELS } from '../../../../common/labels';
import { MESSAGE_MAX_LENGTH } from '../../../../common/limits.js';
import {
  findUnknownVariable,
  QUICK_REPLY_NAME_MAX,
  QUICK_REPLY_VARIABLES,
  unknownVariableMessage,
} from '../../../../common/quick-reply-variables';
import { useRoles } from '../session/api';
import {
  createQuickReply,
  deleteQuickReply,
  updateQuickReply,
  useQuickReplies,
  useQuickReplyMutation,
} from './quick-replies-api';
import { ConfirmDeleteModal, EditDeleteButtons } from './row-actions.js';

const FIELDS = ['name', 'text', 'roleIds'];

/** The server's message for the roles field (it may name one of them: `roleIds.0`). */
function rolesError(error: unknown): string | undefined {
  return error instanceof ApiError && error.field?.startsWith('roleIds')
    ? error.message
    : undefined;
}

/** Who may use a quick reply, as the list says it. */
function whoMayUse(q: QuickReply): string {
  if (q.roles.length === 0) return 'Everyone';
  return q.roles.map((r) => (r.deleted ? `${r.name} (deleted)` : r.name)).join(', ');
}

/**
 * Admin > Configuration > Quick Replies (SPEC rule 15): New Quick Reply, and each quick reply
 * with its text, the roles that may use it, Edit and Delete.
 */
export function QuickRepliesSection() {
  const list = useQuickReplies();
  const [editing, setEditing] = useState<QuickReply | 'new' | null>(null);
  const [deleting, setDeleting] = useState<QuickReply | null>(null);
  const remove = useQuickReplyMutation((id: string) => deleteQuickReply(id));
  return (
    <Card withBorder component="section" aria-labelledby="quick-replies-title" id="quick-replies">
      <Group justify="space-between" mb="xs" wrap="wrap">
        <Title order={3} size="h5" id="quick-replies-title">
          {LABELS.quickReplies}
        </Title>
        <Button size="xs" onClick={() => setEditing('new')}>
          {LABELS.newQuickReply}
        </Button>
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        Staff insert these in the message composer with {LABELS.insertQuickReply}; the variables are
        filled for the patient and the staff user.
      </Text>
      <QueryState
        query={list}
        isEmpty={(d) => d.quickReplies.length === 0}
        empty={`No quick replies yet: add one with ${LABELS.newQuickReply}.`}
      >
        {(d) => (
          <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
            {d.quickReplies.map((q) => (
              <Card key={q.id} withBorder padding="xs" component="li" aria-label={q.name}>
                <Group justify="space-between" wrap="wrap" gap="xs" align="flex-start">
                  <div style={{ minWidth: 0, flex: '1 1 14rem' }}>
                    <Text fw={600} size="sm">
                      {q.name}
                    </Text>
                    <Text
                      size="sm"
                      lineClamp={3}
                      style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}
                    >
                      {q.text}
                    </Text>
                    <Text size="xs" c="dimmed" mt={4}>
                      Used by: {whoMayUse(q)}{' '}
                      {q.roles.length > 0 && q.roles.every((r) => r.deleted) && (
                        <Badge size="xs" color="orange" variant="light">
                          Nobody can use it
                        </Badge>
                      )}
                    </Text>
                  </div>
                  <Group gap="xs" wrap="nowrap" style={{ flexShrink: 0 }}>
                    <EditDeleteButtons
                      name={q.name}
                      onEdit={() => setEditing(q)}
                      onDelete={() => {
                        remove.reset();
                        setDeleting(q);
                      }}
                    />
                  </Group>
                </Group>
              </Card>
            ))}
          </Stack>
        )}
      </QueryState>
      {editing && (
        <QuickReplyDialog
          quickReply={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
        />
      )}
      <ConfirmDeleteModal
        opened={Boolean(deleting)}
        title="Delete quick reply"
        confirmLabel="Delete quick reply"
        error={remove.error}
        pending={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() =>
          deleting && remove.mutate(deleting.id, { onSuccess: () => setDeleting(null) })
        }
      >
        Delete the quick reply “{deleting?.name}”? Staff can no longer insert it; messages already
        sent keep their text.
      </ConfirmDeleteModal>
    </Card>
  );
}

/** New Quick Reply, or Edit: Name, Text (with its variables), roles. Only changed fields are sent. */
function QuickReplyDialog({
  quickReply,
  onClose,
}: {
  quickReply: QuickReply | null;
  onClose: () => void;
}) {
  const roles = useRoles();
  const [name, setName] = useState(quickReply?.name ?? '');
  const [text, setText] = useState(quickReply?.text ?? '');
  // A deleted role is no longer offered: saving the roles drops it.
  const [roleIds, setRoleIds] = useState<string[]>(
    quickReply?.roles.filter((r) => !r.deleted).map((r) => r.id) ?? [],
  );
  const textRef = useRef<HTMLTextAreaElement>(null);
  const save = useQuickReplyMutation(() => {
    if (!quickReply) return createQuickReply({ name: name.trim(), text, roleIds });
    const changes: QuickReplyChange = {};
    if (name.trim() !== quickReply.name) changes.name = name.trim();
    if (text !== quickReply.text) changes.text = text;
    const before = quickReply.roles.map((r) => r.id);
    if (before.length !== roleIds.length || before.some((id) => !roleIds.includes(id)))
      changes.roleIds = roleIds;
    return Object.keys(changes).length > 0
      ? updateQuickReply(quickReply.id, changes)
      : Promise.resolve();
  });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, save.error);
  const unknown = findUnknownVariable(text);
  // The server's words, as the admin types; the server's own answer wins once sent.
  const textError =
    fieldError(save.error, 'text') ?? (unknown ? unknownVariableMessage(unknown) : undefined);

  function insertVariable(variable: string) {
    const box = textRef.current;
    const start = box?.selectionStart ?? text.length;
    const end = box?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + variable + text.slice(end);
    setText(next);
    requestAnimationFrame(() => {
      box?.focus();
      box?.setSelectionRange(start + variable.length, start + variable.length);
    });
  }

  return (
    <Modal
      opened
      onClose={onClose}
      title={quickReply ? `Edit ${quickReply.name}` : LABELS.newQuickReply}
      size="lg"
    >
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(undefined, { onSuccess: onClose });
        }}
      >
        <Stack gap="sm">
          <FormAlert
            error={save.error}
            fields={rolesError(save.error) ? [...FIELDS, (save.error as ApiError).field!] : FIELDS}
          />
          <TextInput
            label={LABELS.quickReplyName}
            required
            data-autofocus
            maxLength={QUICK_REPLY_NAME_MAX}
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(save.error, 'name')}
            description="What staff look for in the menu, e.g. “Prescription ready”."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
          />
          <Textarea
            ref={textRef}
            label={LABELS.quickReplyText}
            required
            autosize
            minRows={4}
            maxRows={12}
            maxLength={MESSAGE_MAX_LENGTH * 2}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            error={textError}
            description="Variables are filled when a staff user inserts the quick reply."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
          />
          <div>
            <Text size="sm" fw={500} id="quick-reply-variables">
              Variables
            </Text>
            <Group gap={6} mt={4} role="group" aria-labelledby="quick-reply-variables">
              {QUICK_REPLY_VARIABLES.map((v) => (
                <Button
                  key={v.name}
                  size="compact-xs"
                  variant="light"
                  title={v.meaning}
                  aria-label={`Insert ${v.name}: ${v.meaning}`}
                  onClick={() => insertVariable(v.name)}
                >
                  {v.name}
                </Button>
              ))}
            </Group>
          </div>
          <MultiSelect
            label={LABELS.quickReplyRoles}
            placeholder={roleIds.length === 0 ? 'Everyone' : undefined}
            data={(roles.data?.roles ?? []).map((r) => ({ value: r.id, label: r.name }))}
            value={roleIds}
            onChange={setRoleIds}
            searchable
            clearable
            error={rolesError(save.error)}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button
              type="submit"
              loading={save.isPending}
              disabled={!name.trim() || !text.trim() || unknown !== null}
            >
              {quickReply ? 'Save' : 'Create quick reply'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
