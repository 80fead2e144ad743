import { Stack, type MantineBreakpoint, type MantineSpacing } from '@mantine/core';
import type { ReactNode } from 'react';

/** A list of cards without bullets, named for screen readers: one `<li>` per item. */
export function CardList<T extends { id: string }>(props: {
  label: string;
  items: T[];
  children: (item: T) => ReactNode;
  gap?: MantineSpacing | number;
  hiddenFrom?: MantineBreakpoint;
}) {
  return (
    <Stack
      gap={props.gap ?? 'xs'}
      component="ul"
      hiddenFrom={props.hiddenFrom}
      style={{ listStyle: 'none', padding: 0, margin: 0 }}
      aria-label={props.label}
    >
      {props.items.map((item) => (
        <li key={item.id}>{props.children(item)}</li>
      ))}
    </Stack>
  );
}
