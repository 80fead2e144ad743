import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  FileInput,
  Group,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
  Textarea,
} from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, fieldError, formError, get, patch, post } from '../../../lib/api';
import { formatDate, formatDateTime } from '../../../lib/format';
import { MessageText } from '../../../ui/message-text';
import { Empty, ErrorState, Loading } from '../../../ui/states';

interface StaffDocument {
  id: string;
  title: string;
  contentType: string;
  sizeBytes: number;
  createdAt: string;
  sharedWithPatient: boolean;
  uploadedBy: string;
}

interface StaffMedicalItem {
  id: string;
  kind: 'result' | 'letter';
  title: string;
  date: string;
  text: string | null;
  document: { id: string; title: string | null } | null;
  sharedWithPatient: boolean;
  author: string | null;
}

/** Uploads with fetch and FormData (multipart), with the API's error shape. */
async function uploadDocument(patientId: string, form: FormData): Promise<StaffDocument> {
  const res = await fetch(`/api/v1/patients/${patientId}/documents`, {
    method: 'POST',
    body: form,
    credentials: 'same-origin',
  });
  const data = (await res.json().catch(() => undefined)) as
    { error?: { code: string; message: string; field?: string } } | StaffDocument | undefined;
  if (!res.ok) {
    const e = (data as { error?: { code: string; message: string; field?: string } })?.error;
    throw new ApiError(
      res.status,
      e?.code ?? 'error',
      e?.message ?? `The upload failed (${res.status}).`,
      e?.field,
    );
  }
  return data as StaffDocument;
}

/** The patient's documents: upload (shared with the patient or not), download, share later. */
export function DocumentsSection({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['patient', patientId, 'documents'],
    queryFn: () => get<{ documents: StaffDocument[] }>(`/patients/${patientId}/documents`),
  });
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [share, setShare] = useState(true);
  const upload = useMutation({
    mutationFn: () => {
      const form = new FormData();
      if (title.trim()) form.append('title', title.trim());
      form.append('shareWithPatient', String(share));
      if (file) form.append('file', file);
      return uploadDocument(patientId, form);
    },
    onSuccess: () => {
      setFile(null);
      setTitle('');
      void client.invalidateQueries({ queryKey: ['patient', patientId, 'documents'] });
    },
  });
  const toggle = useMutation({
    mutationFn: (d: { id: string; shared: boolean }) =>
      patch(`/documents/${d.id}`, { shareWithPatient: d.shared }),
    onSuccess: () => client.invalidateQueries({ queryKey: ['patient', patientId, 'documents'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    upload.mutate();
  };
  return (
    <Stack>
      <Card withBorder>
        <form onSubmit={submit} noValidate>
          <Stack gap="sm">
            <FileInput
              label="File"
              description="PDF, PNG, JPEG, WebP or HEIC"
              value={file}
              onChange={setFile}
              accept="application/pdf,image/png,image/jpeg,image/webp,image/heic"
              error={fieldError(upload.error, 'file')}
              clearable
            />
            <TextInput
              label="Title"
              value={title}
              onChange={(e) => setTitle(e.currentTarget.value)}
              placeholder="The file's name if empty"
              error={fieldError(upload.error, 'title')}
            />
            <Checkbox
              label="Share with the patient"
              checked={share}
              onChange={(e) => setShare(e.currentTarget.checked)}
            />
            {formError(upload.error, ['file', 'title']) && (
              <Alert color="red" role="alert">
                {formError(upload.error, ['file', 'title'])}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={upload.isPending} disabled={!file}>
                Upload document
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.documents.length === 0 ? (
        <Empty>No documents yet.</Empty>
      ) : (
        <Stack
          gap="xs"
          component="ul"
          style={{ listStyle: 'none', padding: 0, margin: 0 }}
          aria-label="Documents"
        >
          {list.data.documents.map((d) => (
            <li key={d.id}>
              <Card withBorder padding="xs">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <div style={{ minWidth: 0 }}>
                    <Anchor
                      href={`/api/v1/documents/${d.id}/content`}
                      download
                      fw={600}
                      style={{ overflowWrap: 'anywhere' }}
                    >
                      {d.title}
                    </Anchor>
                    <Text size="xs" c="dimmed">
                      {formatDateTime(d.createdAt, timeZone)} · {d.uploadedBy}
                    </Text>
                  </div>
                  <Switch
                    label="Shared with the patient"
                    checked={d.sharedWithPatient}
                    onChange={(e) => toggle.mutate({ id: d.id, shared: e.currentTarget.checked })}
                  />
                </Group>
              </Card>
            </li>
          ))}
        </Stack>
      )}
    </Stack>
  );
}

/** Results and letters: add one (text), shared with the patient or not; the list with its state. */
export function MedicalDataSection({ patientId }: { patientId: string }) {
  const client = useQueryClient();
  const list = useQuery({
    queryKey: ['patient', patientId, 'medical-data'],
    queryFn: () => get<{ medicalData: StaffMedicalItem[] }>(`/patients/${patientId}/medical-data`),
  });
  const [kind, setKind] = useState<'result' | 'letter'>('result');
  const [title, setTitle] = useState('');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [text, setText] = useState('');
  const [share, setShare] = useState(true);
  const add = useMutation({
    mutationFn: () =>
      post(`/patients/${patientId}/medical-data`, {
        kind,
        title,
        date,
        text,
        shareWithPatient: share,
      }),
    onSuccess: () => {
      setTitle('');
      setText('');
      void client.invalidateQueries({ queryKey: ['patient', patientId, 'medical-data'] });
    },
  });
  const fields = ['kind', 'title', 'date', 'text'];
  return (
    <Stack>
      <Card withBorder>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate();
          }}
          noValidate
        >
          <Stack gap="sm">
            <Group grow align="flex-start">
              <Select
                label="Kind"
                data={[
                  { value: 'result', label: 'Result' },
                  { value: 'letter', label: 'Letter' },
                ]}
                value={kind}
                onChange={(v) => setKind((v as 'result' | 'letter') ?? 'result')}
                allowDeselect={false}
              />
              <TextInput
                label="Date"
                type="date"
                value={date}
                onChange={(e) => setDate(e.currentTarget.value)}
                error={fieldError(add.error, 'date')}
              />
            </Group>
            <TextInput
              label="Title"
              value={title}
              onChange={(e) => setTitle(e.currentTarget.value)}
              error={fieldError(add.error, 'title')}
            />
            <Textarea
              label="Text"
              autosize
              minRows={3}
              value={text}
              onChange={(e) => setText(e.currentTarget.value)}
              error={fieldError(add.error, 'text')}
            />
            <Checkbox
              label="Share with the patient"
              checked={share}
              onChange={(e) => setShare(e.currentTarget.checked)}
            />
            {formError(add.error, fields) && (
              <Alert color="red" role="alert">
                {formError(add.error, fields)}
              </Alert>
            )}
            <Group>
              <Button type="submit" loading={add.isPending} disabled={!title.trim()}>
                Add medical data
              </Button>
            </Group>
          </Stack>
        </form>
      </Card>
      {list.isPending ? (
        <Loading />
      ) : list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : list.data.medicalData.length === 0 ? (
        <Empty>No results or letters yet.</Empty>
      ) : (
        list.data.medicalData.map((m) => (
          <Card key={m.id} withBorder padding="sm" component="article" aria-label={m.title}>
            <Group justify="space-between" wrap="wrap" gap="xs" mb={4}>
              <Group gap="xs">
                <Badge variant="light">{m.kind === 'result' ? 'Result' : 'Letter'}</Badge>
                <Text fw={600}>{m.title}</Text>
                {!m.sharedWithPatient && (
                  <Badge color="yellow" variant="light">
                    Not shared
                  </Badge>
                )}
              </Group>
              <Text size="xs" c="dimmed">
                {formatDate(m.date)} · {m.author ?? ''}
              </Text>
            </Group>
            {m.text && <MessageText text={m.text} />}
          </Card>
        ))
      )}
    </Stack>
  );
}
