import { Button, Group, Stack, Textarea } from '@mantine/core';
import { useRef, useState, type FormEvent, type ReactNode, type Ref } from 'react';
import { MESSAGE_MAX_LENGTH, textLength } from '../../common/limits.js';
import { fieldError, sessionEnded } from '../lib/api';
import { useFocusOnError } from './focus-on-error';
import { FormAlert } from './form-alert';

const MAX = MESSAGE_MAX_LENGTH.toLocaleString('en-GB');

/**
 * A message box with its counter, and Send. The length is counted as the server counts it
 * (code points: an emoji counts one). The draft stays until it is sent; a refusal shows under
 * the field it names, else above the box, but not when the session ended (the app then asks
 * to sign in again over the page).
 */
export function MessageForm(props: {
  label: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSend: (text: string) => Promise<unknown>;
  /** Above the form, e.g. the emergency notice. */
  notice?: ReactNode;
  /** Between the box and Send, e.g. who will see the message. */
  children?: ReactNode;
  /** The fields of those children that an error may name. */
  fields?: string[];
  autoFocus?: boolean;
  /** The message box, for a caller that moves the cursor there. */
  messageRef?: Ref<HTMLTextAreaElement>;
}) {
  const [text, setText] = useState('');
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, props.error);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await props.onSend(text);
      setText('');
    } catch {
      // The error is shown below; the draft is kept.
    }
  };
  const length = textLength(text);
  const tooLong = length > MESSAGE_MAX_LENGTH;
  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="xs">
        {props.notice}
        <FormAlert
          error={sessionEnded(props.error) ? null : props.error}
          fields={['text', ...(props.fields ?? [])]}
        />
        <Textarea
          ref={props.messageRef}
          label={props.label}
          // In a dialog the cursor starts here.
          data-autofocus
          autoFocus={props.autoFocus}
          autosize
          minRows={3}
          maxRows={12}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          error={
            fieldError(props.error, 'text') ??
            (tooLong ? `A message can be at most ${MAX} characters long.` : undefined)
          }
          description={`${length.toLocaleString('en-GB')} / ${MAX}`}
        />
        {props.children}
        <Group justify="flex-end">
          <Button
            type="submit"
            loading={props.pending}
            disabled={text.trim().length === 0 || tooLong}
          >
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
