import { Button, Group, Stack, Textarea } from '@mantine/core';
import { useMergedRef } from '@mantine/hooks';
import { useRef, useState, type ReactNode, type Ref } from 'react';
import { draftOf, keepDraft } from '../lib/drafts';
import { MESSAGE_MAX_LENGTH, textLength } from '../../common/limits.js';
import { hasVisibleText, TEXT_EMPTY_MESSAGE } from '../../common/visible-text.js';
import { fieldError, sessionEnded } from '../lib/api';
import { useFocusOnError } from './focus-on-error';
import { FormAlert } from './form-alert';

const MAX = MESSAGE_MAX_LENGTH.toLocaleString('en-GB');

/** A second way to send the same draft, beside the main button (e.g. "Send and close"). */
export interface OtherSend {
  label: string;
  onSend: (text: string) => Promise<unknown>;
}

/**
 * A message box with its counter, and Send. The length is counted as the server counts it
 * (code points: an emoji counts one), and so is emptiness: Send waits for a character that
 * shows, and a box holding only invisible characters (pasted zero-width spaces) says so. The draft stays until it is sent; a refusal shows under
 * the field it names, else above the box, but not when the session ended (the app then asks
 * to sign in again over the page).
 */
export function MessageForm(props: {
  label: string;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSend: (text: string) => Promise<unknown>;
  /** A second send button left of the main one, e.g. "Send and close". */
  otherSend?: OtherSend;
  /** Above the form, e.g. the emergency notice. */
  notice?: ReactNode;
  /** Fields above the message box, e.g. a subject. */
  before?: ReactNode;
  /** Between the box and Send, e.g. who will see the message. */
  children?: ReactNode;
  /**
   * Right above Send, from the text as it is being written (e.g. a warning that it reads like
   * an emergency): built again on every keystroke.
   */
  beforeSend?: (text: string) => ReactNode;
  /** The fields of those children that an error may name. */
  fields?: string[];
  autoFocus?: boolean;
  /** The message box, for a caller that moves the cursor there. */
  messageRef?: Ref<HTMLTextAreaElement>;
  /** Hears each change of the draft (e.g. to tell colleagues "is replying…"). */
  onTextChange?: (text: string) => void;
  /** Lines the box shows before it grows (3 unless told). */
  minRows?: number;
  /** The message is an internal note: the box looks like one. */
  note?: boolean;
  /** Where the draft is kept while unsent, so the form built again finds it (`web/lib/drafts.ts`). */
  draftKey?: string;
  /**
   * Tools above the box (e.g. Insert quick reply): `insert` puts text at the cursor (replacing
   * the selection) and `focus` gives the box the cursor back.
   */
  tools?: (box: { insert: (text: string) => void; focus: () => void }) => ReactNode;
}) {
  const { draftKey } = props;
  const [text, setTextState] = useState(() => (draftKey ? draftOf(draftKey) : ''));
  const setText = (next: string) => {
    setTextState(next);
    if (draftKey) keepDraft(draftKey, next);
  };
  const [sending, setSending] = useState<'main' | 'other' | null>(null);
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, props.error);
  const box = useRef<HTMLTextAreaElement>(null);
  const boxRef = useMergedRef(box, props.messageRef);
  const focus = () => box.current?.focus();
  const insert = (inserted: string) => {
    const el = box.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + inserted + text.slice(end);
    setText(next);
    props.onTextChange?.(next);
    // After React has put the new text in the box: the cursor goes after what was inserted.
    requestAnimationFrame(() => {
      el?.focus();
      el?.setSelectionRange(start + inserted.length, start + inserted.length);
    });
  };
  const send = async (how: 'main' | 'other', onSend: (text: string) => Promise<unknown>) => {
    setSending(how);
    try {
      await onSend(text);
      setText('');
    } catch {
      // The error is shown below; the draft is kept.
    } finally {
      setSending(null);
    }
  };
  const length = textLength(text);
  const tooLong = length > MESSAGE_MAX_LENGTH;
  const visible = hasVisibleText(text);
  // Blank is simply not written yet; characters that show nothing need telling.
  const invisibleOnly = !visible && text.trim() !== '';
  const cannotSend = !visible || tooLong;
  const other = props.otherSend;
  return (
    <form
      ref={form}
      onSubmit={(e) => {
        e.preventDefault();
        void send('main', props.onSend);
      }}
      noValidate
    >
      <Stack gap="xs">
        {props.notice}
        <FormAlert
          error={sessionEnded(props.error) ? null : props.error}
          fields={['text', ...(props.fields ?? [])]}
        />
        {props.before}
        {/* Above the box: after it, Tab goes on to what the caller put there (the audience). */}
        {props.tools && (
          <Group justify="flex-end" gap="xs" mb={-8}>
            {props.tools({ insert, focus })}
          </Group>
        )}
        <Textarea
          ref={boxRef}
          label={props.label}
          // In a dialog the cursor starts here.
          data-autofocus
          autoFocus={props.autoFocus}
          autosize
          minRows={props.minRows ?? 3}
          maxRows={12}
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            props.onTextChange?.(e.currentTarget.value);
          }}
          error={
            fieldError(props.error, 'text') ??
            (tooLong ? `A message can be at most ${MAX} characters long.` : undefined) ??
            (invisibleOnly ? TEXT_EMPTY_MESSAGE : undefined)
          }
          description={`${length.toLocaleString('en-GB')} / ${MAX}`}
          styles={
            props.note ? { input: { background: 'var(--mantine-color-yellow-0)' } } : undefined
          }
        />
        {props.children}
        {props.beforeSend?.(text)}
        <Group justify="flex-end" gap="xs">
          {other && (
            <Button
              type="button"
              variant="default"
              loading={props.pending && sending === 'other'}
              disabled={cannotSend || (props.pending && sending !== 'other')}
              onClick={() => void send('other', other.onSend)}
            >
              {other.label}
            </Button>
          )}
          <Button
            type="submit"
            loading={props.pending && sending !== 'other'}
            disabled={cannotSend || (props.pending && sending === 'other')}
          >
            {props.submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
