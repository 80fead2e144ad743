import {
  ActionIcon,
  Anchor,
  Badge,
  Box,
  Button,
  Card,
  Checkbox,
  Group,
  Menu,
  Text,
} from '@mantine/core';
import { useEffect, useRef, type RefObject } from 'react';
import { Link } from 'react-router';
import { formatShort } from '../../../lib/format';
import { DotsIcon, LockIcon } from '../../../ui/icons';
import { Isolate, isolatePlain } from '../../../ui/isolate';
import { conversationTitle } from '../../../../common/conversation-title.js';
import { LABELS } from '../../../../common/labels';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { TeamInboxLine } from '../../../../common/contract/messaging.js';
import type { ConversationActions } from '../feed/conversation-actions';

/** How a row is named to screen readers and in sentences: patient and title, each isolated. */
export function lineName(l: TeamInboxLine): string {
  return `${isolatePlain(l.patient.name)}: ${isolatePlain(conversationTitle(l))}`;
}

/** The row actions: one shown as a button, the rest in the row's menu. */
function RowActions({
  line,
  session,
  actions,
  onAssign,
}: {
  line: TeamInboxLine;
  session: StaffSession;
  actions: ConversationActions;
  onAssign: (line: TeamInboxLine) => void;
}) {
  const open = line.status === 'open';
  const mine = line.assignee?.id === session.user.id;
  const name = lineName(line);
  const assignToMe = () => void actions.assignToMe(line, `Assigned to you: ${name}.`);
  const close = () => void actions.close(line, `Closed: ${name}.`);
  const reopen = () => void actions.reopen(line, `Reopened: ${name}.`);
  const primary = !open
    ? { label: LABELS.reopen, run: reopen }
    : !mine
      ? { label: LABELS.assignToMe, run: assignToMe }
      : { label: LABELS.closeConversation, run: close };
  const more = [
    { label: `${LABELS.assign}…`, run: () => onAssign(line) },
    line.assignee && {
      label: 'Unassign',
      run: () => void actions.assign(line, null, `Unassigned: ${name}.`),
    },
    open && !mine && { label: LABELS.closeConversation, run: close },
  ].filter((x): x is { label: string; run: () => void } => Boolean(x));
  return (
    <Group gap={4} wrap="nowrap">
      <Button
        size="compact-xs"
        variant={primary.label === LABELS.assignToMe ? 'light' : 'default'}
        onClick={primary.run}
      >
        {primary.label}
      </Button>
      {more.length > 0 && (
        <Menu position="bottom-end" withinPortal>
          <Menu.Target>
            <ActionIcon variant="default" size="sm" aria-label={`More actions: ${name}`}>
              <DotsIcon />
            </ActionIcon>
          </Menu.Target>
          <Menu.Dropdown>
            {more.map((m) => (
              <Menu.Item key={m.label} onClick={m.run}>
                {m.label}
              </Menu.Item>
            ))}
          </Menu.Dropdown>
        </Menu>
      )}
    </Group>
  );
}

/** One row of Messages: patient, title, last message, badges, assignee, unread, actions. */
function TeamInboxRow(props: {
  line: TeamInboxLine;
  session: StaffSession;
  href: string;
  selected: boolean;
  selectable: boolean;
  checked: boolean;
  onChecked: (checked: boolean) => void;
  actions: ConversationActions;
  onAssign: (line: TeamInboxLine) => void;
}) {
  const { line: l, session } = props;
  const tz = session.chamber.timeZone;
  const title = conversationTitle(l);
  const author = l.lastMessage.author;
  const unread = l.unread > 0;
  const assignee = l.assignee ? (
    l.assignee.id === session.user.id ? (
      'Assigned to you'
    ) : (
      <>
        Assigned to <Isolate>{l.assignee.name}</Isolate>
      </>
    )
  ) : (
    LABELS.viewUnassigned
  );
  return (
    <Card
      withBorder
      padding="xs"
      style={{
        outline: props.selected ? '2px solid var(--mantine-color-teal-7)' : undefined,
        borderLeft: l.redFlag ? '4px solid var(--mantine-color-red-7)' : undefined,
      }}
    >
      <Group wrap="nowrap" align="flex-start" gap="sm">
        {props.selectable && (
          <Checkbox
            mt={3}
            aria-label={`Select ${lineName(l)}`}
            checked={props.checked}
            onChange={(e) => props.onChecked(e.currentTarget.checked)}
          />
        )}
        <Box style={{ flex: 1, minWidth: 0 }}>
          <Anchor
            component={Link}
            to={props.href}
            data-row-link
            aria-current={props.selected ? 'true' : undefined}
            underline="never"
            c="inherit"
            display="block"
          >
            <Group justify="space-between" wrap="nowrap" gap="xs" align="baseline">
              <Text size="sm" fw={unread ? 700 : 600} lineClamp={1}>
                <Isolate>{l.patient.name}</Isolate>
                <Text span inherit fw={unread ? 700 : 500} c={unread ? undefined : 'dimmed'}>
                  {' · '}
                  <Isolate>{title}</Isolate>
                </Text>
              </Text>
              <Text
                size="xs"
                c="dimmed"
                component="time"
                dateTime={l.lastMessage.createdAt}
                style={{ flexShrink: 0 }}
              >
                {formatShort(l.lastMessage.createdAt, tz)}
              </Text>
            </Group>
            <Group
              gap={4}
              wrap="nowrap"
              c={l.lastMessage.internalNote ? 'var(--mantine-color-yellow-light-color)' : 'dimmed'}
            >
              {l.lastMessage.internalNote && <LockIcon width={14} height={14} />}
              <Text size="sm" lineClamp={1} c="inherit">
                {l.lastMessage.internalNote && 'Internal note · '}
                <Isolate>{author.kind === 'patient' ? l.patient.name : author.name}</Isolate>:{' '}
                <Isolate>{l.lastMessage.preview}</Isolate>
              </Text>
            </Group>
          </Anchor>
          <Group justify="space-between" gap={6} mt={4} wrap="wrap">
            <Group gap={4}>
              {l.redFlag && (
                <Badge size="xs" color="red">
                  {LABELS.redFlag}
                </Badge>
              )}
              {l.overdue && (
                <Badge size="xs" color="red" variant="light">
                  {LABELS.overdue}
                </Badge>
              )}
              {l.awaitingReply && (
                <Badge size="xs" color="orange" variant="light">
                  {LABELS.awaitingReply}
                </Badge>
              )}
              {l.status === 'closed' && (
                <Badge size="xs" color="gray" variant="light">
                  {LABELS.viewClosed}
                </Badge>
              )}
              {unread && (
                <Badge size="xs" color="teal" data-testid="unread-count">
                  {l.unread} unread
                </Badge>
              )}
              <Text size="xs" c="dimmed" data-testid="row-assignee">
                {assignee}
              </Text>
            </Group>
            <RowActions
              line={l}
              session={session}
              actions={props.actions}
              onAssign={props.onAssign}
            />
          </Group>
        </Box>
      </Group>
    </Card>
  );
}

/** Where the keyboard shortcuts of the list must not act: while typing, or in a dialog or menu. */
function typingOrElsewhere(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target.matches('textarea, select, input:not([type="checkbox"]):not([type="radio"])'))
    return true;
  return Boolean(
    target.closest('[role="dialog"], [role="menu"], [role="listbox"], [role="combobox"]'),
  );
}

/**
 * The list's keyboard shortcuts: j/k or ArrowDown/ArrowUp move to the next/previous row,
 * Enter or o open it, a assigns it to me, c closes it, ? shows them all. Not while typing in a
 * field, nor in a dialog or menu; the arrows only in the list (elsewhere they scroll).
 */
function useListShortcuts(props: {
  list: RefObject<HTMLUListElement | null>;
  lines: TeamInboxLine[];
  selectedId?: string;
  session: StaffSession;
  actions: ConversationActions;
  onOpen: (id: string) => void;
  onShortcuts: () => void;
}) {
  const current = useRef(props);
  useEffect(() => {
    current.current = props;
  });
  useEffect(() => {
    const links = () => [
      ...(current.current.list.current?.querySelectorAll<HTMLElement>('a[data-row-link]') ?? []),
    ];
    const focusRow = (index: number) => {
      const link = links()[index];
      link?.focus();
      link?.scrollIntoView?.({ block: 'nearest' });
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (typingOrElsewhere(e.target) || document.querySelector('[role="dialog"]')) return;
      const { list, lines, selectedId, session, actions, onOpen, onShortcuts } = current.current;
      if (e.key === '?') {
        e.preventDefault();
        onShortcuts();
        return;
      }
      const inList = e.target instanceof Node && Boolean(list.current?.contains(e.target));
      const focusedIndex = links().findIndex((a) => a === document.activeElement);
      const index =
        focusedIndex >= 0
          ? focusedIndex
          : inList
            ? links().findIndex((a) => a.closest('li')?.contains(e.target as Node))
            : lines.findIndex((l) => l.id === selectedId);
      const line = index >= 0 ? lines[index] : undefined;
      const onBody = e.target === document.body || (e.target as HTMLElement).id === 'main';
      const arrows = inList || onBody;
      const key = e.key;
      if (key === 'j' || (arrows && key === 'ArrowDown')) {
        e.preventDefault();
        focusRow(Math.min(index + 1, lines.length - 1));
      } else if (key === 'k' || (arrows && key === 'ArrowUp')) {
        e.preventDefault();
        focusRow(Math.max(index - 1, 0));
      } else if (key === 'o' || (key === 'Enter' && (onBody || focusedIndex >= 0))) {
        if (!line) return;
        e.preventDefault();
        onOpen(line.id);
      } else if (key === 'a' && line && line.status === 'open') {
        if (line.assignee?.id === session.user.id) return;
        e.preventDefault();
        void actions.assignToMe(line, `Assigned to you: ${lineName(line)}.`);
      } else if (key === 'c' && line && line.status === 'open') {
        e.preventDefault();
        void actions.close(line, `Closed: ${lineName(line)}.`).then((outcome) => {
          // The row left the list: the next one takes its place and the focus.
          if (outcome.done && index >= 0) requestAnimationFrame(() => focusRow(index));
        });
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/**
 * The rows of Messages, with a tick each (to close several at once) and the keyboard
 * shortcuts of the list.
 */
export function TeamInboxList(props: {
  lines: TeamInboxLine[];
  session: StaffSession;
  selectedId?: string;
  hrefOf: (id: string) => string;
  onOpen: (id: string) => void;
  actions: ConversationActions;
  onAssign: (line: TeamInboxLine) => void;
  selectable: boolean;
  checked: ReadonlySet<string>;
  onChecked: (id: string, checked: boolean) => void;
  onShortcuts: () => void;
}) {
  const list = useRef<HTMLUListElement>(null);
  useListShortcuts({ ...props, list });
  return (
    <Box
      component="ul"
      ref={list}
      aria-label="Conversations"
      aria-describedby="team-inbox-shortcuts-hint"
      data-testid="team-inbox-list"
      style={{
        listStyle: 'none',
        padding: 2,
        margin: 0,
        display: 'flex',
        flexDirection: 'column',
        gap: 'var(--mantine-spacing-xs)',
      }}
    >
      {props.lines.map((l) => (
        <li key={l.id} data-testid="team-inbox-row" data-conversation-id={l.id}>
          <TeamInboxRow
            line={l}
            session={props.session}
            href={props.hrefOf(l.id)}
            selected={l.id === props.selectedId}
            selectable={props.selectable}
            checked={props.checked.has(l.id)}
            onChecked={(on) => props.onChecked(l.id, on)}
            actions={props.actions}
            onAssign={props.onAssign}
          />
        </li>
      ))}
    </Box>
  );
}
