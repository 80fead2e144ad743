import '@mantine/charts/styles.css';
import { CompositeChart } from '@mantine/charts';
import { Box, Text } from '@mantine/core';
import type { ReplyTimesDay } from '../../../../common/contract/reports.js';
import { formatDay } from './format';

/** Daily volume (bars) with the median first-reply time in clock hours (line, right axis). */
export function ReplyTimesChart({ series }: { series: ReplyTimesDay[] }) {
  const data = series.map((d) => ({
    day: formatDay(d.day),
    started: d.conversationsStarted,
    median: d.medianFirstReplyClockHours,
  }));
  const busiest = series.reduce((max, d) => Math.max(max, d.conversationsStarted), 0);
  return (
    <Box component="figure" m={0}>
      <CompositeChart
        h={280}
        data={data}
        dataKey="day"
        withLegend
        withRightYAxis
        connectNulls
        yAxisLabel="Conversations"
        rightYAxisLabel="Hours"
        maxBarWidth={24}
        series={[
          { name: 'started', label: 'Conversations started', type: 'bar', color: 'blue.6' },
          {
            name: 'median',
            label: 'Median first reply (clock hours)',
            type: 'line',
            color: 'orange.6',
            yAxisId: 'right',
          },
        ]}
        valueFormatter={(v) => v.toLocaleString('en-GB', { maximumFractionDigits: 1 })}
      />
      <Text component="figcaption" size="xs" c="dimmed" mt="xs">
        Bars: conversations patients started each day (at most {busiest} a day). Line: the median
        time to their first reply, in clock hours. The table gives every figure.
      </Text>
    </Box>
  );
}
