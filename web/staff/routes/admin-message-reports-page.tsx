import { Button, Card, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { lazy, Suspense, useState } from 'react';
import { useOutletContext } from 'react-router';
import { fieldError } from '../../lib/api';
import { Loading, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import { replyTimesCsvHref, useReplyTimes } from '../features/reports/api';
import { daysBefore, todayIn } from '../features/reports/format';
import { ReplyTimesSummary, ReplyTimesTable } from '../features/reports/reply-times-table';
import type { StaffSession } from '../../../common/contract/auth.js';
import type { ReportGroupBy } from '../../../common/contract/reports.js';

// The charting library is large and only this page uses it: it loads with the page.
const ReplyTimesChart = lazy(() =>
  import('../features/reports/reply-times-chart').then((m) => ({ default: m.ReplyTimesChart })),
);

const GROUP_BY: { value: ReportGroupBy; label: string }[] = [
  { value: 'role', label: 'Role' },
  { value: 'topic', label: 'Topic' },
  { value: 'day', label: 'Day' },
];

/**
 * Start Page > Admin > Message Reports: reply times per role, topic or day for a range of days
 * (the last 30 by default), a chart of daily volume with the median first reply, and Export CSV.
 */
export function AdminMessageReportsPage() {
  const session = useOutletContext<StaffSession>();
  const timeZone = session.chamber.timeZone;
  const [to, setTo] = useState(() => todayIn(timeZone));
  const [from, setFrom] = useState(() => daysBefore(todayIn(timeZone), 29));
  const [groupBy, setGroupBy] = useState<ReportGroupBy>('role');
  const complete = Boolean(from && to);
  const query = new URLSearchParams({ from, to, groupBy }).toString();
  const report = useReplyTimes(query, complete);
  return (
    <Stack>
      <Title order={2}>{LABELS.messageReports}</Title>
      <Text size="sm" c="dimmed">
        Reply times of the conversations patients started, counted only where your roles can see
        them. Days and working hours follow the clinic&apos;s time zone ({timeZone}) and its Reply
        Times settings.
      </Text>
      <Card withBorder component="section" aria-label="Report options">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="sm" verticalSpacing="xs">
          <TextInput
            label="From"
            type="date"
            required
            value={from}
            max={to || undefined}
            onChange={(e) => setFrom(e.currentTarget.value)}
            error={fieldError(report.error, 'from')}
          />
          <TextInput
            label="To"
            type="date"
            required
            value={to}
            min={from || undefined}
            onChange={(e) => setTo(e.currentTarget.value)}
            error={fieldError(report.error, 'to')}
          />
          <Select
            label="Group by"
            data={GROUP_BY}
            value={groupBy}
            allowDeselect={false}
            onChange={(v) => v && setGroupBy(v as ReportGroupBy)}
          />
          <Button
            component="a"
            href={replyTimesCsvHref(query)}
            download
            variant="light"
            disabled={!complete}
            style={{ alignSelf: 'end' }}
          >
            {LABELS.exportCsv}
          </Button>
        </SimpleGrid>
      </Card>
      {complete ? (
        <QueryState query={report} loadingLabel="Counting…">
          {(r) => (
            <Stack>
              <ReplyTimesSummary report={r} />
              <Card withBorder component="section" aria-labelledby="daily-volume">
                <Title order={3} size="h5" id="daily-volume" mb="sm">
                  Daily volume and median first reply
                </Title>
                <Suspense fallback={<Loading label="Loading the chart…" />}>
                  <ReplyTimesChart series={r.series} />
                </Suspense>
              </Card>
              <ReplyTimesTable report={r} />
            </Stack>
          )}
        </QueryState>
      ) : (
        <Text size="sm">Choose the first and the last day of the report.</Text>
      )}
    </Stack>
  );
}
