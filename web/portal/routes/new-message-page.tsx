import { Anchor, Radio, Select, Stack, TextInput, Title } from '@mantine/core';
import { useRef, useState } from 'react';
import { Link, useNavigate, useOutletContext } from 'react-router';
import { ApiError, fieldError } from '../../lib/api';
import { draftOf, keepDraft } from '../../lib/drafts';
import { Loading } from '../../ui/states';
import { textLength } from '../../../common/limits.js';
import { LABELS } from '../../../common/labels';
import { usePortalTopics, useSend } from '../features/inbox/api';
import { ComposeForm } from '../features/inbox/components';
import { AttachFiles, useAttachFiles } from '../features/inbox/attach-files';
import type { PortalSession } from '../../../common/contract/auth.js';
import type { Named } from '../../../common/contract/common.js';
import { SUBJECT_MAX_LENGTH } from '../../../common/limits.js';
import { MessagingUnavailable } from './home-page';
import { usePagePatient } from '../features/acting-for/api';

/** Up to this many topics are offered as radio buttons; more as a list to choose from. */
const MAX_RADIOS = 8;

/** The subject as the server stores it: spaces collapsed, trimmed. */
const cleanSubject = (s: string) => s.replace(/\s+/g, ' ').trim();

/**
 * New message: starts a conversation with the clinic. When the clinic has topics, it asks what
 * the message is about (required) and offers a subject (optional).
 */
export function NewMessagePage() {
  const session = useOutletContext<PortalSession>();
  if (!session.messaging.allowed) return <MessagingUnavailable session={session} />;
  return <NewMessage session={session} />;
}

function NewMessage({ session }: { session: PortalSession }) {
  const navigate = useNavigate();
  const send = useSend();
  const topics = usePortalTopics();
  const attach = useAttachFiles();
  // Kept per patient while unsent, like the message (another patient acted for meanwhile).
  const draft = `portal:${usePagePatient() ?? ''}:new`;
  const [topicId, setTopicIdState] = useState<string | null>(
    () => draftOf(`${draft}:topic`) || null,
  );
  const [subject, setSubjectState] = useState(() => draftOf(`${draft}:subject`));
  const setTopicId = (id: string | null) => {
    setTopicIdState(id);
    keepDraft(`${draft}:topic`, id ?? '');
  };
  const setSubject = (text: string) => {
    setSubjectState(text);
    keepDraft(`${draft}:subject`, text);
  };
  // A choice missing or too long, found before sending: shown like the server's refusals.
  const [checkError, setCheckError] = useState<ApiError | null>(null);
  const about = useRef<HTMLDivElement>(null);
  // Without topics (or if they cannot be loaded) the patient is not asked: the API does not
  // require a topic, and the clinic's Role for new messages reads the message.
  const offered = topics.data?.topics ?? [];
  const asking = offered.length > 0;
  const error = checkError ?? send.error;
  const subjectLength = textLength(cleanSubject(subject));

  if (topics.isPending) return <Loading />;

  const refuse = (field: string, message: string): never => {
    const refusal = new ApiError(422, 'validation_failed', message, field);
    setCheckError(refusal);
    throw refusal;
  };

  return (
    <Stack>
      <Anchor component={Link} to="/inbox" size="sm">
        ← {LABELS.inbox}
      </Anchor>
      <Title order={2}>{LABELS.newMessage}</Title>
      <ComposeForm
        label={`Your message to ${session.chamber.name}`}
        submitLabel={LABELS.send}
        pending={send.isPending || attach.uploading}
        error={error}
        fields={['topicId', 'subject']}
        draftScope="new"
        autoFocus={!asking}
        before={
          asking && (
            <Stack gap="sm" ref={about}>
              <TopicChoice
                // The question is the first field: the cursor starts there.
                autoFocus
                topics={offered}
                value={topicId}
                onChange={(id) => {
                  setTopicId(id);
                  if (checkError?.field === 'topicId') setCheckError(null);
                }}
                error={fieldError(error, 'topicId')}
              />
              <TextInput
                label={LABELS.subject}
                value={subject}
                onChange={(e) => {
                  setSubject(e.currentTarget.value);
                  if (checkError?.field === 'subject') setCheckError(null);
                }}
                description={`Optional: a few words, e.g. “Repeat prescription”. ${subjectLength} / ${SUBJECT_MAX_LENGTH}`}
                inputWrapperOrder={['label', 'input', 'description', 'error']}
                error={
                  fieldError(error, 'subject') ??
                  (subjectLength > SUBJECT_MAX_LENGTH
                    ? `A subject can be at most ${SUBJECT_MAX_LENGTH} characters long.`
                    : undefined)
                }
              />
            </Stack>
          )
        }
        onSend={async (text) => {
          if (asking) {
            if (!topicId || !offered.some((t) => t.id === topicId)) {
              // The first choice takes the cursor, so the question is read out with its error.
              setTimeout(() => about.current?.querySelector<HTMLElement>('input')?.focus());
              refuse('topicId', 'Please choose what your message is about.');
            }
            if (subjectLength > SUBJECT_MAX_LENGTH)
              refuse('subject', `A subject can be at most ${SUBJECT_MAX_LENGTH} characters long.`);
          }
          setCheckError(null);
          const attachmentIds = await attach.upload();
          const result = await send.mutateAsync({
            text,
            attachmentIds,
            ...(asking && topicId ? { topicId } : {}),
            ...(asking && cleanSubject(subject) ? { subject: cleanSubject(subject) } : {}),
          });
          attach.reset();
          setTopicId(null);
          setSubject('');
          void navigate(`/inbox/${result.conversation.id}`);
        }}
      >
        <AttachFiles attach={attach} />
      </ComposeForm>
    </Stack>
  );
}

/** "What is your message about?": radio buttons, or a list to choose from when there are many. */
function TopicChoice(props: {
  topics: Named[];
  value: string | null;
  onChange: (id: string) => void;
  error: string | undefined;
  autoFocus?: boolean;
}) {
  if (props.topics.length > MAX_RADIOS) {
    return (
      <Select
        label={LABELS.whatIsYourMessageAbout}
        required
        placeholder="Choose one"
        data={props.topics.map((t) => ({ value: t.id, label: t.name }))}
        value={props.value}
        onChange={(v) => v && props.onChange(v)}
        allowDeselect={false}
        error={props.error}
        autoFocus={props.autoFocus}
      />
    );
  }
  return (
    <Radio.Group
      label={LABELS.whatIsYourMessageAbout}
      required
      value={props.value}
      onChange={props.onChange}
      error={props.error}
    >
      <Stack gap={6} mt={6}>
        {props.topics.map((t, i) => (
          <Radio key={t.id} value={t.id} label={t.name} autoFocus={props.autoFocus && i === 0} />
        ))}
      </Stack>
    </Radio.Group>
  );
}
