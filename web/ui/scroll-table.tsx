import { Table } from '@mantine/core';
import type { ReactNode } from 'react';

/**
 * A table that scrolls sideways on a narrow screen instead of widening the page. The scrolling
 * box is a named region that takes keyboard focus, so it can be scrolled with the arrow keys.
 */
export function ScrollTable(props: { label: string; minWidth: number; children: ReactNode }) {
  return (
    <Table.ScrollContainer
      minWidth={props.minWidth}
      type="native"
      role="region"
      aria-label={props.label}
      tabIndex={0}
      className="mantine-focus-auto"
    >
      {props.children}
    </Table.ScrollContainer>
  );
}
