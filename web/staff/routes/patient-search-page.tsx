import { Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useState } from 'react';
import { Link } from 'react-router';
import { formatDate } from '../../lib/format';
import { CardList } from '../../ui/card-list';
import { Isolate, WithNames } from '../../ui/isolate';
import { Empty, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { usePatientSearch } from '../features/patients/api';

/** Patient > Find and Select patient: search as you type by name, date of birth or email. */
export function PatientSearchPage() {
  const [query, setQuery] = useState('');
  const [debounced] = useDebouncedValue(query.trim(), 250);
  const search = usePatientSearch(debounced);
  return (
    <Stack maw={820}>
      <Title order={2}>{LABELS.findAndSelectPatient}</Title>
      <TextInput
        label="Search patients"
        description="Name, date of birth (30/04/1980) or email"
        value={query}
        onChange={(e) => setQuery(e.currentTarget.value)}
        autoFocus
        type="search"
      />
      {debounced.length < 2 ? (
        <Empty>Type at least two characters.</Empty>
      ) : (
        <QueryState
          query={search}
          loadingLabel="Searching…"
          isEmpty={(d) => d.patients.length === 0}
          empty={`No patient matches “${debounced}”.`}
        >
          {(d) => (
            <CardList label="Patients found" items={d.patients}>
              {(p) => (
                <Card
                  component={Link}
                  to={`/patients/${p.id}`}
                  withBorder
                  padding="sm"
                  style={{ textDecoration: 'none', color: 'inherit' }}
                >
                  <Group justify="space-between" wrap="wrap" gap="xs">
                    <Text fw={600}>
                      <Isolate>{p.familyName}</Isolate>, <Isolate>{p.givenName}</Isolate>
                    </Text>
                    <Text size="sm" c="dimmed">
                      Born {formatDate(p.dateOfBirth)}
                    </Text>
                  </Group>
                  <Text size="sm" c="dimmed">
                    <WithNames
                      text={[p.email, p.chargeBandName].filter(Boolean).join(' · ')}
                      names={[p.email, p.chargeBandName]}
                    />
                  </Text>
                </Card>
              )}
            </CardList>
          )}
        </QueryState>
      )}
    </Stack>
  );
}
