import { Box, Button, Group, Select, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { formatDate } from '../../../lib/format';
import { LABELS } from '../../../../common/labels';
import { MAX_SEARCH_LENGTH } from '../../../../common/search-text.js';
import { usePatientSearch } from '../patients/api';
import type { MessageSearch } from './api';

const TOO_LONG = `Search for at most ${MAX_SEARCH_LENGTH} characters.`;

/** The patient chosen to search within: their id and the name shown in the field. */
export interface PatientChoice {
  id: string;
  name: string;
}

/** The fields of the form that an error of the API may name. */
const FIELDS = ['q', 'patientId', 'from', 'to'];

/**
 * Patient: type part of a name, choose one of the patients found (GET /patients?query=).
 * The chosen one stays among the options, so the field keeps showing their name.
 */
function PatientFilter({
  value,
  onChange,
  error,
  flex,
}: {
  value: PatientChoice | null;
  onChange: (patient: PatientChoice | null) => void;
  error?: string;
  flex: string;
}) {
  const [typed, setTyped] = useState(value?.name ?? '');
  useEffect(() => setTyped(value?.name ?? ''), [value?.id, value?.name]);
  const looking = typed.trim() !== (value?.name ?? '');
  const [debounced] = useDebouncedValue(looking ? typed.trim() : '', 250);
  const found = usePatientSearch(debounced);
  const hits = debounced.length >= 2 ? (found.data?.patients ?? []) : [];
  const born = new Map(hits.map((p) => [p.id, formatDate(p.dateOfBirth)]));
  const options = [
    ...(value ? [{ value: value.id, label: value.name }] : []),
    ...hits.filter((p) => p.id !== value?.id).map((p) => ({ value: p.id, label: p.name })),
  ];
  return (
    <Select
      label="Patient"
      placeholder="All patients"
      searchable
      clearable
      size="xs"
      data={options}
      value={value?.id ?? null}
      searchValue={typed}
      onSearchChange={setTyped}
      // The server has found them already: every option it sent is shown.
      filter={({ options: all }) => all}
      renderOption={({ option }) => (
        <Box>
          <Text size="sm">
            <bdi>{option.label}</bdi>
          </Text>
          {born.get(option.value) && (
            <Text size="xs" c="dimmed">
              Born {born.get(option.value)}
            </Text>
          )}
        </Box>
      )}
      nothingFoundMessage={
        debounced.length < 2
          ? 'Type two letters of the name'
          : found.isFetching
            ? 'Searching…'
            : 'No patient found'
      }
      onChange={(id, option) => onChange(id && option ? { id, name: option.label } : null)}
      error={error}
      style={{ flex, minWidth: 0 }}
    />
  );
}

/**
 * Search messages (rule 16): the words, and optionally a patient and a range of days in the
 * clinic's time zone. Enter or Search runs it; the fields follow the address (back, forward,
 * reload). On a narrow screen the patient and dates fold under "Filters" until one is set.
 */
export function SearchMessagesForm({
  search,
  patientName,
  error,
  wide,
  onSearch,
}: {
  /** The search in the address, or null when Messages shows the team inbox. */
  search: MessageSearch | null;
  /** The name of the patient searched within, when known (from a choice or a result). */
  patientName: string | undefined;
  /** The search's error: one naming a field is shown at that field. */
  error: unknown;
  wide: boolean;
  onSearch: (search: MessageSearch, patient: PatientChoice | null) => void;
}) {
  const [q, setQ] = useState(search?.q ?? '');
  const [patient, setPatient] = useState<PatientChoice | null>(null);
  const [from, setFrom] = useState(search?.from ?? '');
  const [to, setTo] = useState(search?.to ?? '');
  const [problem, setProblem] = useState<{ field: string; message: string } | null>(null);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const key = JSON.stringify(search);
  // Back, forward or a link changed the search: the fields show it.
  useEffect(() => {
    setQ(search?.q ?? '');
    setFrom(search?.from ?? '');
    setTo(search?.to ?? '');
    setPatient(
      search?.patientId
        ? { id: search.patientId, name: patientName ?? 'The patient chosen' }
        : null,
    );
    setProblem(null);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, patientName]);

  const apiError = error instanceof ApiError && FIELDS.includes(error.field ?? '') ? error : null;
  const errorAt = (field: string) =>
    problem?.field === field ? problem.message : fieldError(apiError, field);
  const filtered = Boolean(patient || from || to);
  const showFilters = wide || filtersOpen || filtered || Boolean(errorAt('from') || errorAt('to'));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const words = q.trim();
    if (!words) return setProblem({ field: 'q', message: 'Type the words to find.' });
    if ([...words].length > MAX_SEARCH_LENGTH) return setProblem({ field: 'q', message: TOO_LONG });
    if (from && to && to < from)
      return setProblem({ field: 'to', message: 'The last day is before the first day.' });
    setProblem(null);
    onSearch(
      {
        q: words,
        ...(patient ? { patientId: patient.id } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      },
      patient,
    );
  };

  return (
    <Box
      component="form"
      role="search"
      aria-label={LABELS.searchMessages}
      onSubmit={submit}
      noValidate
      style={{ flexShrink: 0 }}
    >
      <Group gap="xs" align={wide ? 'flex-end' : 'flex-start'} wrap={wide ? 'nowrap' : 'wrap'}>
        <TextInput
          label={LABELS.searchMessages}
          type="search"
          size="xs"
          placeholder="Words in a message"
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          error={errorAt('q')}
          style={{ flex: wide ? '2 1 220px' : '1 1 100%', minWidth: 0 }}
        />
        {wide
          ? filters()
          : showFilters && (
              <Group gap="xs" align="flex-start" wrap="wrap" style={{ flex: '1 1 100%' }}>
                {filters()}
              </Group>
            )}
        {!wide && !filtered && (
          <Button
            size="xs"
            variant="subtle"
            onClick={() => setFiltersOpen((o) => !o)}
            aria-expanded={showFilters}
          >
            {showFilters ? 'Fewer filters' : 'Patient and dates'}
          </Button>
        )}
        <Button type="submit" size="xs" ml={wide ? 0 : 'auto'}>
          {LABELS.search}
        </Button>
      </Group>
    </Box>
  );

  // A function, not a component: the fields keep their state and focus across renders.
  function filters() {
    return (
      <>
        <PatientFilter
          value={patient}
          onChange={setPatient}
          error={errorAt('patientId')}
          flex={wide ? '1 1 180px' : '1 1 100%'}
        />
        <TextInput
          label="From"
          type="date"
          size="xs"
          value={from}
          max={to || undefined}
          onChange={(e) => setFrom(e.currentTarget.value)}
          error={errorAt('from')}
          style={{ flex: wide ? '0 1 140px' : '1 1 120px', minWidth: 120 }}
        />
        <TextInput
          label="To"
          type="date"
          size="xs"
          value={to}
          min={from || undefined}
          onChange={(e) => setTo(e.currentTarget.value)}
          error={errorAt('to')}
          style={{ flex: wide ? '0 1 140px' : '1 1 120px', minWidth: 120 }}
        />
      </>
    );
  }
}
