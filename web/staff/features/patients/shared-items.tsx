import {
  Badge,
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
import { useState } from 'react';
import { fieldError } from '../../../lib/api';
import { formatDateTime } from '../../../lib/format';
import { CardList } from '../../../ui/card-list';
import { FormCard } from '../../../ui/form-card';
import { DocumentLink, MedicalItemCard } from '../../../ui/shared-item-cards';
import { QueryState } from '../../../ui/states';
import type { MedicalItemKind } from '../../../../common/contract/medical-data.js';
import {
  useAddMedicalItem,
  usePatient,
  usePatientDocuments,
  usePatientMedicalData,
  useShareDocument,
  useUploadDocument,
} from './api';
import { UploadFileIcon } from '../../../ui/icons';

/**
 * The patient's documents: upload (not shared with the patient unless ticked: a deliberate
 * choice that names them), download, share later.
 */
export function DocumentsSection({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const list = usePatientDocuments(patientId);
  const patient = usePatient(patientId);
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [share, setShare] = useState(false);
  const upload = useUploadDocument(patientId);
  const toggle = useShareDocument(patientId);
  const uploaded = () => {
    setFile(null);
    setTitle('');
    setShare(false);
  };
  const name = patient.data?.name;
  return (
    <Stack>
      <FormCard
        onSubmit={() =>
          upload.mutate(
            { file, title: title.trim(), shareWithPatient: share },
            { onSuccess: uploaded },
          )
        }
        submitLabel="Upload document"
        pending={upload.isPending}
        disabled={!file}
        error={upload.error}
        fields={['file', 'title']}
      >
        <FileInput
          label="File"
          description="PDF, PNG, JPEG, WebP or HEIC"
          placeholder="Choose file…"
          value={file}
          onChange={setFile}
          accept="application/pdf,image/png,image/jpeg,image/webp,image/heic"
          error={fieldError(upload.error, 'file')}
          clearable
          leftSection={<UploadFileIcon width={18} height={18} />}
          leftSectionPointerEvents="none"
          rightSection={
            file ? undefined : (
              <Text
                span
                size="xs"
                fw={600}
                c="teal.9"
                bg="teal.0"
                px={8}
                py={2}
                style={{ borderRadius: 4 }}
                aria-hidden
              >
                Browse
              </Text>
            )
          }
          rightSectionWidth={file ? undefined : 64}
          rightSectionPointerEvents="none"
          styles={{
            input: {
              borderStyle: file ? undefined : 'dashed',
              borderColor: file ? undefined : 'var(--mantine-color-teal-7)',
              color: file ? undefined : 'var(--mantine-color-teal-9)',
              cursor: 'pointer',
            },
            placeholder: { color: 'var(--mantine-color-teal-9)', fontWeight: 500 },
          }}
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
          description={
            share
              ? `${name ?? 'The patient'} will see this document in the Patient Portal.`
              : `Only staff will see it; you can share it with ${name ?? 'the patient'} later.`
          }
          checked={share}
          onChange={(e) => setShare(e.currentTarget.checked)}
        />
      </FormCard>
      <QueryState query={list} isEmpty={(d) => d.documents.length === 0} empty="No documents yet.">
        {(d) => (
          <CardList label="Documents" items={d.documents}>
            {(doc) => (
              <Card withBorder padding="xs">
                <Group justify="space-between" wrap="wrap" gap="xs">
                  <div style={{ minWidth: 0 }}>
                    <DocumentLink href={`/api/v1/documents/${doc.id}/content`} title={doc.title} />
                    <Text size="xs" c="dimmed">
                      {formatDateTime(doc.createdAt, timeZone)} · {doc.uploadedBy}
                    </Text>
                  </div>
                  <Switch
                    label="Shared with the patient"
                    checked={doc.sharedWithPatient}
                    onChange={(e) =>
                      toggle.mutate({ id: doc.id, shareWithPatient: e.currentTarget.checked })
                    }
                  />
                </Group>
              </Card>
            )}
          </CardList>
        )}
      </QueryState>
    </Stack>
  );
}

/** Results and letters: add one (text), shared with the patient or not; the list with its state. */
export function MedicalDataSection({ patientId }: { patientId: string }) {
  const list = usePatientMedicalData(patientId);
  const [kind, setKind] = useState<MedicalItemKind>('result');
  const [title, setTitle] = useState('');
  const [date, setDate] = useState(() => new Date().toISOString().slice(0, 10));
  const [text, setText] = useState('');
  const [share, setShare] = useState(true);
  const add = useAddMedicalItem(patientId);
  const added = () => {
    setTitle('');
    setText('');
  };
  return (
    <Stack>
      <FormCard
        onSubmit={() =>
          add.mutate({ kind, title, date, text, shareWithPatient: share }, { onSuccess: added })
        }
        submitLabel="Add medical data"
        pending={add.isPending}
        disabled={!title.trim()}
        error={add.error}
        fields={['kind', 'title', 'date', 'text']}
      >
        <Group grow align="flex-start">
          <Select
            label="Kind"
            data={[
              { value: 'result', label: 'Result' },
              { value: 'letter', label: 'Letter' },
            ]}
            value={kind}
            onChange={(v) => setKind((v as MedicalItemKind | null) ?? 'result')}
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
      </FormCard>
      <QueryState
        query={list}
        isEmpty={(d) => d.medicalData.length === 0}
        empty="No results or letters yet."
      >
        {(d) =>
          d.medicalData.map((m) => (
            <MedicalItemCard
              key={m.id}
              item={m}
              byline={m.author ?? ''}
              badge={
                !m.sharedWithPatient && (
                  <Badge color="yellow" variant="light">
                    Not shared
                  </Badge>
                )
              }
            />
          ))
        }
      </QueryState>
    </Stack>
  );
}
