import { Alert, Button, Group, Modal, Select, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import { ApiError, fieldError, formError } from '../../../lib/api';
import { FormAlert } from '../../../ui/form-alert';
import { Isolate, isolatePlain } from '../../../ui/isolate';
import { LABELS } from '../../../../common/labels';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type {
  ConversationChange,
  ConversationState,
} from '../../../../common/contract/messaging.js';
import { conversationChanged, useAssignees, useChangeConversation } from './api';

/** What the last action on a conversation came to, in a sentence. */
export interface ActionNotice {
  kind: 'done' | 'refused';
  text: string;
}

/** An action's outcome: done, or refused with the API's error. */
export type ActionOutcome = { done: true } | { done: false; error: unknown };

/**
 * Assign to me, Assign, Close conversation, Reopen (rule 10), each resolving to its outcome.
 * An assignment names the assignee its writer saw (`expectedAssigneeId`): when a
 * colleague took the conversation meanwhile, the refusal is told in words and the lists and
 * the conversation reload to show who has it.
 */
export function useConversationActions(session: StaffSession) {
  const change = useChangeConversation();
  const [notice, setNotice] = useState<ActionNotice | null>(null);
  // `done` (optional) is said when the action succeeded, e.g. where the row leaves the list.
  const run = async (
    state: ConversationState,
    body: ConversationChange,
    done?: string,
  ): Promise<ActionOutcome> => {
    setNotice(null);
    try {
      await change.mutateAsync({ id: state.id, change: body });
      if (done) setNotice({ kind: 'done', text: done });
      return { done: true };
    } catch (error) {
      // A refusal naming the assignee shows under the Assign picker instead.
      const text =
        error instanceof ApiError && error.code === 'conversation_changed'
          ? `${error.message} It has been reloaded to show who has it now.`
          : formError(error, ['assigneeId']);
      if (text) setNotice({ kind: 'refused', text });
      return { done: false, error };
    }
  };
  const expected = (s: ConversationState) => s.assignee?.id ?? null;
  return {
    pending: change.isPending,
    notice,
    dismiss: () => setNotice(null),
    assignToMe: (s: ConversationState, done?: string) =>
      run(s, { assigneeId: session.user.id, expectedAssigneeId: expected(s) }, done),
    assign: (s: ConversationState, userId: string | null, done?: string) =>
      run(s, { assigneeId: userId, expectedAssigneeId: expected(s) }, done),
    close: (s: ConversationState, done?: string) => run(s, { status: 'closed' }, done),
    reopen: (s: ConversationState, done?: string) => run(s, { status: 'open' }, done),
    clearRedFlag: (s: ConversationState, done?: string) => run(s, { redFlag: false }, done),
  };
}

export type ConversationActions = ReturnType<typeof useConversationActions>;

/** The outcome of the last action, as an alert that can be dismissed. */
export function ActionNoticeAlert({
  actions,
  testId = 'conversation-action-notice',
}: {
  actions: Pick<ConversationActions, 'notice' | 'dismiss'>;
  testId?: string;
}) {
  const { notice } = actions;
  if (!notice) return null;
  return (
    <Alert
      color={notice.kind === 'done' ? 'teal' : 'orange'}
      role={notice.kind === 'done' ? 'status' : 'alert'}
      withCloseButton
      onClose={actions.dismiss}
      p="xs"
      data-testid={testId}
    >
      <Text size="sm">{notice.text}</Text>
    </Alert>
  );
}

/** The picker's choice that unassigns. */
const NOBODY = 'nobody';

/**
 * Assign (rule 10), for every staff user: a picker of the Active users who can see the
 * conversation (GET /conversations/:id/assignees), and Nobody when it has an assignee. The
 * assignee its writer saw goes along: when a colleague took it meanwhile (409) the dialog
 * closes and the notice behind it says who has it now.
 */
export function AssignDialog({
  state,
  session,
  onClose,
  actions,
}: {
  state: ConversationState | null;
  session: StaffSession;
  onClose: () => void;
  actions: ConversationActions;
}) {
  const users = useAssignees(state?.id);
  const [choice, setChoice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const close = () => {
    setChoice(null);
    setError(null);
    onClose();
  };
  const about = state?.subject ?? state?.topic?.name;
  const others = (users.data ?? []).filter((u) => u.id !== state?.assignee?.id);
  const options = [
    ...(state?.assignee ? [{ value: NOBODY, label: 'Nobody (unassign)' }] : []),
    ...others.map((u) => ({
      value: u.id,
      label: u.id === session.user.id ? `${u.name} (you)` : u.name,
    })),
  ];
  return (
    <Modal opened={Boolean(state)} onClose={close} title={LABELS.assign}>
      {state && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!choice) return;
            const to = choice === NOBODY ? null : choice;
            const name = to === session.user.id ? 'you' : others.find((u) => u.id === to)?.name;
            const patient = isolatePlain(state.patient.name);
            const done = to
              ? `Assigned to ${name === 'you' ? name : isolatePlain(name ?? '')}: ${patient}.`
              : `Unassigned: ${patient}.`;
            void actions.assign(state, to, done).then((outcome) => {
              // A colleague took it meanwhile: the notice behind the dialog says who.
              if (outcome.done || conversationChanged(outcome.error)) close();
              else setError(outcome.error);
            });
          }}
        >
          <Stack>
            <FormAlert error={error} fields={['assigneeId']} />
            <FormAlert error={users.error} title="The people who can be chosen did not load" />
            <div>
              <Text size="sm" fw={600}>
                <Isolate>{state.patient.name}</Isolate>
                {about && (
                  <>
                    {' · '}
                    <Isolate>{about}</Isolate>
                  </>
                )}
              </Text>
              <Text size="sm" c="dimmed">
                {state.assignee ? (
                  <>
                    Assigned to{' '}
                    {state.assignee.id === session.user.id ? (
                      'you'
                    ) : (
                      <Isolate>{state.assignee.name}</Isolate>
                    )}{' '}
                    now.
                  </>
                ) : (
                  'Unassigned now.'
                )}
              </Text>
            </div>
            <Select
              label="Assign to"
              description="Active users who can see this conversation"
              placeholder={users.isPending ? 'Loading…' : 'Choose a user'}
              data-autofocus
              searchable
              // Not disabled while loading: the dialog puts the cursor here at once.
              nothingFoundMessage={
                users.isPending ? 'Loading…' : 'No one by that name can see this conversation'
              }
              data={options}
              value={choice}
              onChange={setChoice}
              error={fieldError(error, 'assigneeId')}
            />
            {users.isSuccess && others.length === 0 && !state.assignee && (
              <Text size="sm" c="dimmed">
                No Active user can see this conversation.
              </Text>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={actions.pending} disabled={!choice}>
                {LABELS.assign}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

/** The actions on one conversation as buttons: for its heading; Clear red flag while it has one. */
export function ConversationActionButtons({
  state,
  session,
  actions,
  onAssign,
}: {
  state: ConversationState;
  session: StaffSession;
  actions: ConversationActions;
  onAssign: (state: ConversationState) => void;
}) {
  const mine = state.assignee?.id === session.user.id;
  const open = state.status === 'open';
  return (
    <Group gap="xs" data-testid="conversation-actions">
      {open && !mine && (
        <Button size="compact-sm" variant="light" onClick={() => void actions.assignToMe(state)}>
          {LABELS.assignToMe}
        </Button>
      )}
      <Button size="compact-sm" variant="default" onClick={() => onAssign(state)}>
        {LABELS.assign}
      </Button>
      {state.assignee && (
        <Button
          size="compact-sm"
          variant="default"
          onClick={() => void actions.assign(state, null)}
        >
          Unassign
        </Button>
      )}
      {open ? (
        <Button size="compact-sm" variant="default" onClick={() => void actions.close(state)}>
          {LABELS.closeConversation}
        </Button>
      ) : (
        <Button size="compact-sm" variant="default" onClick={() => void actions.reopen(state)}>
          {LABELS.reopen}
        </Button>
      )}
      {state.redFlag && (
        <Button
          size="compact-sm"
          variant="default"
          color="red"
          onClick={() =>
            void actions.clearRedFlag(
              state,
              `Red flag cleared: ${isolatePlain(state.patient.name)}.`,
            )
          }
        >
          {LABELS.clearRedFlag}
        </Button>
      )}
    </Group>
  );
}
