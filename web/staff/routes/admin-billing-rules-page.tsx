import { Card, Stack, Title } from '@mantine/core';
import { NameForm } from '../../ui/name-form';
import { QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { createBand, useBandMutation, useBands } from '../features/admin/api';
import { BandCard } from '../features/admin/charge-band-card';

/** Start Page > Admin > Billing Rules: charge bands, online access and Online Settings. */
export function AdminBillingRulesPage() {
  const bands = useBands();
  const create = useBandMutation((n: string) => createBand(n));
  return (
    <Stack maw={820}>
      <Title order={2}>{LABELS.billingRules}</Title>
      <Card withBorder>
        <NameForm label="New charge band" submitLabel="Add" add={create} />
      </Card>
      <QueryState
        query={bands}
        isEmpty={(d) => d.chargeBands.length === 0}
        empty="No charge bands yet."
      >
        {(d) => d.chargeBands.map((b) => <BandCard key={b.id} band={b} />)}
      </QueryState>
    </Stack>
  );
}
