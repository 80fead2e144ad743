import {
  Alert,
  Box,
  Button,
  Group,
  List,
  Progress,
  Stack,
  Text,
  VisuallyHidden,
} from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { ApiError, get } from '../../../lib/api';
import {
  acceptOf,
  formatFileSize,
  limitsInWords,
  refusalOf,
  uploadWithProgress,
} from '../../../lib/attachments';
import { PaperclipIcon } from '../../../ui/icons';
import type { PortalDocument } from '../../../../common/contract/documents.js';
import { useClinicInfo } from '../clinic/api';
import { actingForHeader, reportIfActingForChanged, usePagePatient } from '../acting-for/api';

/** A file the patient chose to send with their message. */
interface ChosenFile {
  key: string;
  file: File;
  /** The share sent (0 to 1) while it uploads; null before and after. */
  progress: number | null;
  /** Once uploaded: the document to attach (kept, so sending again does not upload it twice). */
  documentId?: string;
  /** Why the server refused it. */
  error?: string;
}

/**
 * The files a patient attaches to a message: chosen and checked in the browser against the
 * clinic's published limits, uploaded (with their progress) only when the message is sent,
 * so a file removed before sending never leaves the device. The server checks them again.
 * Files chosen for one conversation are not carried to another.
 */
export function useAttachFiles(
  /** Where the message goes (a conversation's id): another place starts with nothing attached. */
  scope = '',
) {
  const clinic = useClinicInfo();
  const client = useQueryClient();
  const patientId = usePagePatient();
  const attachments = clinic.data?.attachments;
  const [files, setFiles] = useState<ChosenFile[]>([]);
  const [refusals, setRefusals] = useState<string[]>([]);
  const [uploading, setUploading] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const [scopeShown, setScopeShown] = useState(scope);
  if (scopeShown !== scope) {
    setScopeShown(scope);
    setFiles([]);
    setRefusals([]);
    setProblem(null);
  }
  const latest = useRef(files);
  latest.current = files;
  const update = (key: string, change: Partial<ChosenFile>) =>
    setFiles((all) => all.map((f) => (f.key === key ? { ...f, ...change } : f)));

  return {
    clinicName: clinic.data?.name ?? 'The clinic',
    /** The clinic's switch and limits; undefined until known. */
    attachments,
    files,
    refusals,
    uploading,
    problem,
    status,

    /** Adds the chosen files that pass the published limits; says why of the others. */
    choose(chosen: File[]) {
      if (!attachments) return;
      const refused: string[] = [];
      const added: ChosenFile[] = [];
      for (const file of chosen) {
        const why = refusalOf(file, attachments);
        if (why) refused.push(`“${file.name}” was not attached: ${why}`);
        else if (latest.current.length + added.length >= attachments.maxFiles)
          refused.push(
            `“${file.name}” was not attached: a message can carry at most ${attachments.maxFiles} files.`,
          );
        else added.push({ key: crypto.randomUUID(), file, progress: null });
      }
      setRefusals(refused);
      setProblem(null);
      setFiles((all) => [...all, ...added]);
      setStatus(
        added.length === 0
          ? ''
          : added.length === 1
            ? `${added[0]!.file.name} attached.`
            : `${added.length} files attached.`,
      );
    },

    remove(key: string) {
      const gone = latest.current.find((f) => f.key === key);
      setFiles((all) => all.filter((f) => f.key !== key));
      setProblem(null);
      if (gone) setStatus(`${gone.file.name} removed.`);
    },

    /**
     * Uploads the files not uploaded yet, one after the other, and answers the documents to
     * attach; throws (after saying why beside the file) when one is refused.
     */
    async upload(): Promise<string[]> {
      const pending = latest.current.filter((f) => !f.documentId);
      if (pending.length === 0) return latest.current.map((f) => f.documentId!);
      setUploading(true);
      setProblem(null);
      setRefusals([]);
      const ids = new Map(latest.current.map((f) => [f.key, f.documentId]));
      try {
        for (const [i, chosen] of pending.entries()) {
          setStatus(
            pending.length === 1
              ? `Uploading ${chosen.file.name}…`
              : `Uploading file ${i + 1} of ${pending.length}: ${chosen.file.name}…`,
          );
          update(chosen.key, { progress: 0, error: undefined });
          try {
            const doc = await uploadWithProgress<PortalDocument>(
              '/portal/documents',
              chosen.file,
              (sent) => update(chosen.key, { progress: sent }),
              actingForHeader(patientId),
            );
            ids.set(chosen.key, doc.id);
            update(chosen.key, { progress: null, documentId: doc.id });
          } catch (error) {
            const message =
              error instanceof ApiError ? error.message : 'The upload failed. Please try again.';
            update(chosen.key, { progress: null, error: message });
            // Made for another patient than the session acts for now: the frame says so.
            reportIfActingForChanged(error);
            const switchedOff =
              error instanceof ApiError && error.code === 'attachments_not_allowed';
            if (switchedOff) {
              // Switched off since the page was loaded: the button goes, the files can be removed
              // (the notice that replaces the button says so).
              await client.invalidateQueries({ queryKey: ['portal', 'clinic'] });
            }
            if (error instanceof ApiError && error.status === 401) {
              // The session ended: a request through the app's API client lets the app ask to
              // sign in again, as it does for every other request.
              void get('/portal/reply-time').catch(() => undefined);
            }
            setProblem(
              switchedOff
                ? null
                : `“${chosen.file.name}” could not be uploaded: ${message} Your message was not sent.`,
            );
            setStatus('');
            throw error;
          }
        }
        setStatus(pending.length === 1 ? 'File uploaded.' : 'Files uploaded.');
        return [...ids.values()].filter((id): id is string => id !== undefined);
      } finally {
        setUploading(false);
      }
    },

    /** After the message is sent: nothing attached any more. */
    reset() {
      setFiles([]);
      setRefusals([]);
      setProblem(null);
    },
  };
}

export type AttachFilesState = ReturnType<typeof useAttachFiles>;

/**
 * The attach button, the published limits (shown before a file is chosen), the chosen files
 * with their upload progress and a Remove button each, and why a file was refused. Nothing
 * when the clinic does not take attachments and none are chosen.
 */
export function AttachFiles({ attach }: { attach: AttachFilesState }) {
  const input = useRef<HTMLInputElement>(null);
  const limitsId = useId();
  const { attachments, files } = attach;
  if (!attachments || (!attachments.allowed && files.length === 0)) return null;
  return (
    <Stack gap={6} data-testid="attach-files">
      {attachments.allowed ? (
        <Box>
          <Button
            type="button"
            variant="default"
            size="sm"
            leftSection={<PaperclipIcon />}
            aria-describedby={limitsId}
            disabled={attach.uploading}
            onClick={() => input.current?.click()}
          >
            Attach files
          </Button>
          {/* No `capture`: a phone offers the camera and its files both. */}
          <input
            ref={input}
            type="file"
            multiple
            accept={acceptOf(attachments.types)}
            tabIndex={-1}
            aria-hidden="true"
            style={{ display: 'none' }}
            data-testid="attach-input"
            onChange={(e) => {
              attach.choose(Array.from(e.currentTarget.files ?? []));
              // The same file can be chosen again after it is removed.
              e.currentTarget.value = '';
            }}
          />
          <Text id={limitsId} size="xs" c="dimmed" mt={4}>
            A photo or a document: {limitsInWords(attachments)}
          </Text>
        </Box>
      ) : (
        <Alert color="orange" variant="light" p="xs" role="alert">
          <Text size="sm">
            {attach.clinicName} no longer accepts attachments: your message was not sent. Remove the
            files to send it without them.
          </Text>
        </Alert>
      )}
      {attach.refusals.length > 0 && (
        <Alert color="red" variant="light" p="xs" role="alert" title="Not attached">
          <List size="sm" spacing={2}>
            {attach.refusals.map((r) => (
              <List.Item key={r}>{r}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      {attach.problem && (
        <Alert color="red" variant="light" p="xs" role="alert">
          <Text size="sm">{attach.problem}</Text>
        </Alert>
      )}
      {files.length > 0 && (
        <Stack
          component="ul"
          gap={6}
          p={0}
          m={0}
          style={{ listStyle: 'none' }}
          aria-label="Files to send"
        >
          {files.map((f) => (
            <Box
              component="li"
              key={f.key}
              p={6}
              style={{
                border: `1px solid var(--mantine-color-${f.error ? 'red-6' : 'gray-3'})`,
                borderRadius: 'var(--mantine-radius-sm)',
              }}
            >
              <Group gap="xs" wrap="nowrap" justify="space-between" align="center">
                <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
                  <PaperclipIcon />
                  <Text size="sm" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
                    <Text span fw={600} inherit>
                      {f.file.name}
                    </Text>{' '}
                    <Text span size="xs" c="dimmed">
                      ({formatFileSize(f.file.size)}
                      {f.documentId ? ', uploaded' : ''})
                    </Text>
                  </Text>
                </Group>
                <Button
                  type="button"
                  variant="subtle"
                  color="red"
                  size="compact-sm"
                  disabled={attach.uploading}
                  onClick={() => attach.remove(f.key)}
                  aria-label={`Remove ${f.file.name}`}
                >
                  Remove
                </Button>
              </Group>
              {f.progress !== null && (
                <Group gap="xs" wrap="nowrap" mt={6}>
                  <Progress
                    value={Math.round(f.progress * 100)}
                    size="md"
                    style={{ flex: 1 }}
                    aria-label={`Uploading ${f.file.name}`}
                  />
                  <Text size="xs" c="dimmed" miw={32} ta="right" aria-hidden="true">
                    {Math.round(f.progress * 100)}%
                  </Text>
                </Group>
              )}
              {f.error && (
                <Text size="xs" c="red.8" mt={4}>
                  {f.error}
                </Text>
              )}
            </Box>
          ))}
        </Stack>
      )}
      <VisuallyHidden role="status">{attach.status}</VisuallyHidden>
    </Stack>
  );
}
