import { Card, SimpleGrid, Table, Text } from '@mantine/core';
import { ScrollTable } from '../../../ui/scroll-table';
import type {
  ReplyTimesFigures,
  ReplyTimesReport,
  ReportGroupBy,
} from '../../../../common/contract/reports.js';
import { formatDay, formatHours, formatShare } from './format';

const GROUP_LABEL: Record<ReportGroupBy, string> = { role: 'Role', topic: 'Topic', day: 'Day' };

/** The report's totals as a row of figures above the chart. */
export function ReplyTimesSummary({ report }: { report: ReplyTimesReport }) {
  const t = report.totals;
  const items = [
    ['Conversations started', t.conversationsStarted.toLocaleString('en-GB')],
    ['First replies', t.firstReplies.toLocaleString('en-GB')],
    [
      'Median first reply',
      `${formatHours(t.medianFirstReply.workingHours)} working · ${formatHours(t.medianFirstReply.clockHours)} clock`,
    ],
    [
      `Answered within ${report.replyWithinWorkingHours} working hours`,
      formatShare(t.answeredWithinPromise),
    ],
    ['Overdue now', t.overdue.toLocaleString('en-GB')],
    ['Messages out of hours', t.messagesOutOfHours.toLocaleString('en-GB')],
  ];
  return (
    <SimpleGrid
      cols={{ base: 2, sm: 3, lg: 6 }}
      spacing="sm"
      component="dl"
      aria-label="Totals"
      m={0}
    >
      {items.map(([label, value]) => (
        <Card key={label} withBorder padding="sm">
          <Text component="dt" size="xs" c="dimmed">
            {label}
          </Text>
          <Text component="dd" fw={600} m={0}>
            {value}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}

function FigureCells({ f }: { f: ReplyTimesFigures }) {
  return (
    <>
      <Table.Td ta="right">{f.conversationsStarted}</Table.Td>
      <Table.Td ta="right">{f.firstReplies}</Table.Td>
      <Table.Td ta="right">{formatHours(f.medianFirstReply.workingHours)}</Table.Td>
      <Table.Td ta="right">{formatHours(f.medianFirstReply.clockHours)}</Table.Td>
      <Table.Td ta="right">{formatHours(f.p90FirstReply.workingHours)}</Table.Td>
      <Table.Td ta="right">{formatHours(f.p90FirstReply.clockHours)}</Table.Td>
      <Table.Td ta="right">{formatShare(f.answeredWithinPromise)}</Table.Td>
      <Table.Td ta="right">{f.overdue}</Table.Td>
      <Table.Td ta="right">{f.messagesOutOfHours}</Table.Td>
    </>
  );
}

/** One line per role, topic or day, and the totals; scrolls sideways on a phone. */
export function ReplyTimesTable({ report }: { report: ReplyTimesReport }) {
  const group = GROUP_LABEL[report.groupBy];
  return (
    <ScrollTable label={`Reply times by ${group.toLowerCase()}`} minWidth={980}>
      <Table striped highlightOnHover verticalSpacing="xs">
        <Table.Thead>
          <Table.Tr>
            <Table.Th rowSpan={2}>{group}</Table.Th>
            <Table.Th rowSpan={2} ta="right">
              Conversations started
            </Table.Th>
            <Table.Th rowSpan={2} ta="right">
              First replies
            </Table.Th>
            <Table.Th colSpan={2} ta="center">
              Median first reply
            </Table.Th>
            <Table.Th colSpan={2} ta="center">
              90th percentile first reply
            </Table.Th>
            <Table.Th rowSpan={2} ta="right">
              Within {report.replyWithinWorkingHours} working hours
            </Table.Th>
            <Table.Th rowSpan={2} ta="right">
              Overdue
            </Table.Th>
            <Table.Th rowSpan={2} ta="right">
              Out of hours
            </Table.Th>
          </Table.Tr>
          <Table.Tr>
            <Table.Th ta="right">Working</Table.Th>
            <Table.Th ta="right">Clock</Table.Th>
            <Table.Th ta="right">Working</Table.Th>
            <Table.Th ta="right">Clock</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {report.rows.map((r) => (
            <Table.Tr key={r.group.id ?? 'none'}>
              <Table.Th scope="row" fw={500}>
                {report.groupBy === 'day' && r.group.id ? formatDay(r.group.id) : r.group.name}
              </Table.Th>
              <FigureCells f={r.figures} />
            </Table.Tr>
          ))}
        </Table.Tbody>
        <Table.Tfoot>
          <Table.Tr>
            <Table.Th scope="row">Total</Table.Th>
            <FigureCells f={report.totals} />
          </Table.Tr>
        </Table.Tfoot>
      </Table>
      {report.rows.length === 0 && (
        <Text size="sm" c="dimmed" py="sm">
          {report.groupBy === 'role'
            ? 'You hold no role: a report counts only the conversations your roles can see.'
            : 'No topics, and no conversation in this range.'}
        </Text>
      )}
    </ScrollTable>
  );
}
