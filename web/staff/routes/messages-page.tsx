import {
  Anchor,
  Box,
  Button,
  Checkbox,
  Group,
  Kbd,
  Select,
  Stack,
  Tabs,
  Text,
  Title,
  VisuallyHidden,
} from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import {
  Link,
  useLocation,
  useNavigate,
  useOutletContext,
  useParams,
  useSearchParams,
} from 'react-router';
import { ApiError, formError } from '../../lib/api';
import { Empty, LoadMore, QueryState } from '../../ui/states';
import { LABELS } from '../../../common/labels';
import type { StaffSession } from '../../../common/contract/auth.js';
import type { TeamInboxLine, TeamInboxView } from '../../../common/contract/messaging.js';
import {
  ActionNoticeAlert,
  AssignDialog,
  useConversationActions,
  type ActionNotice,
} from '../features/feed/conversation-actions';
import { ConversationPanel } from '../features/feed/conversation-panel';
import { DesktopAlertSettings } from '../features/notifications/desktop-alerts-settings';
import {
  useCloseConversations,
  useTeamInbox,
  useTopicOptions,
  type TeamInboxFilters,
} from '../features/team-inbox/api';
import { useMessageSearch, type MessageSearch } from '../features/search/api';
import { useFoundMessage } from '../features/search/found-message';
import { SearchMessagesForm, type PatientChoice } from '../features/search/search-form';
import { SearchResultList } from '../features/search/search-results';
import { ShortcutsDialog } from '../features/team-inbox/shortcuts-dialog';
import { TeamInboxList } from '../features/team-inbox/team-inbox-list';

const VIEWS: { value: TeamInboxView; label: string; empty: string }[] = [
  { value: 'open', label: LABELS.viewOpen, empty: 'No open conversations' },
  { value: 'mine', label: LABELS.viewMine, empty: 'No open conversations assigned to you' },
  { value: 'unassigned', label: LABELS.viewUnassigned, empty: 'No open conversations unassigned' },
  { value: 'closed', label: LABELS.viewClosed, empty: 'No closed conversations' },
];

/** The page's height on a large screen: the window less the header and the page's padding. */
const FULL_HEIGHT =
  'calc(100dvh - var(--app-shell-header-offset, 56px) - 2 * var(--mantine-spacing-md))';

/** The address keys of the team inbox's view and filters. */
const INBOX_KEYS = ['view', 'role', 'topic'];
/** The address keys of Search messages, and of the message a result leads to. */
const SEARCH_KEYS = ['q', 'patient', 'from', 'to', 'message'];

/** `params` without `keys`. */
function without(params: URLSearchParams, keys: string[]): URLSearchParams {
  return new URLSearchParams([...params].filter(([k]) => !keys.includes(k)));
}

/** `params` with only `keys`, e.g. the inbox's part of the address or the search's. */
function only(params: URLSearchParams, keys: string[]): URLSearchParams {
  return new URLSearchParams([...params].filter(([k]) => keys.includes(k)));
}

/** `?…` of `params`, or nothing when there are none. */
function suffixOf(params: URLSearchParams): string {
  const s = params.toString();
  return s ? `?${s}` : '';
}

/** The search string of a view and its filters (the Open view and no filter: empty). */
function searchOf(filters: TeamInboxFilters): string {
  const p = new URLSearchParams();
  if (filters.view !== 'open') p.set('view', filters.view);
  if (filters.roleId) p.set('role', filters.roleId);
  if (filters.topicId) p.set('topic', filters.topicId);
  return p.toString();
}

/**
 * Messages' view and filters, kept in the address so that a view can be linked to. Only the
 * user's own roles filter (the server refuses another, 422 role_not_held): a role in the
 * address that is not theirs, e.g. in a colleague's link, is dropped.
 */
function useFilters(
  ownRoleIds: readonly string[],
): [TeamInboxFilters, (change: Partial<TeamInboxFilters>) => void, string] {
  const [params, setParams] = useSearchParams();
  const asked = params.get('view');
  const view = VIEWS.find((v) => v.value === asked)?.value ?? 'open';
  const role = params.get('role');
  const filters: TeamInboxFilters = {
    view,
    roleId: role && ownRoleIds.includes(role) ? role : null,
    topicId: params.get('topic'),
  };
  const search = searchOf(filters);
  // The search in the address is kept as it is; anything else is dropped.
  const rest = only(params, SEARCH_KEYS);
  const withRest = (inbox: string) => {
    const next = new URLSearchParams(inbox);
    for (const [k, v] of rest) next.append(k, v);
    return next;
  };
  const dropped =
    search !== only(params, INBOX_KEYS).toString() ||
    without(params, [...INBOX_KEYS, ...SEARCH_KEYS]).size > 0;
  const restString = rest.toString();
  useEffect(() => {
    if (dropped) setParams(withRest(search), { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [dropped, search, restString, setParams]);
  const set = (change: Partial<TeamInboxFilters>) =>
    setParams(withRest(searchOf({ ...filters, ...change })), { replace: true });
  return [filters, set, search];
}

/**
 * Search messages in the address (`?q=&patient=&from=&to=`, and `message=` for the result
 * open), so that back, forward and reload keep it; a new search or Clear search is a new
 * entry of the history.
 */
function useSearchAddress() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { pathname } = useLocation();
  const q = params.get('q');
  const patientId = params.get('patient');
  const from = params.get('from');
  const to = params.get('to');
  const search: MessageSearch | null = q
    ? {
        q,
        ...(patientId ? { patientId } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      }
    : null;
  const run = (next: MessageSearch) => {
    const p = only(params, INBOX_KEYS);
    p.set('q', next.q);
    if (next.patientId) p.set('patient', next.patientId);
    if (next.from) p.set('from', next.from);
    if (next.to) p.set('to', next.to);
    void navigate(`${pathname}${suffixOf(p)}`);
  };
  const clear = () => void navigate(`/messages${suffixOf(only(params, INBOX_KEYS))}`);
  return { search, messageId: params.get('message'), run, clear };
}

/**
 * Start Page > Messages (rule 10): the team inbox. Conversations, one row each, in the views
 * Open, Assigned to me, Unassigned and Closed, filtered by role and topic, with their actions,
 * several closed at once, keyboard shortcuts, and the open conversation beside the list (on a
 * phone, instead of it). Live events keep the list fresh without reload. Search messages
 * (rule 16) above it shows the messages found instead of the list, each opening its
 * conversation at that message.
 */
export function MessagesPage() {
  const session = useOutletContext<StaffSession>();
  const { conversationId } = useParams();
  const ownRoles = session.user.roles;
  const [filters, setFilters, search] = useFilters(ownRoles.map((r) => r.id));
  const searching = useSearchAddress();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const wide = useMediaQuery('(min-width: 62em)', true, { getInitialValueInEffect: false });
  const inbox = useTeamInbox(filters);
  const lines = inbox.data?.pages.flatMap((p) => p.conversations) ?? [];
  const found = useMessageSearch(searching.search);
  const results = found.data?.pages.flatMap((p) => p.results) ?? [];
  const [chosenPatient, setChosenPatient] = useState<PatientChoice | null>(null);
  const topics = useTopicOptions();
  const actions = useConversationActions(session);
  const closeMany = useCloseConversations();
  const [assigning, setAssigning] = useState<TeamInboxLine | null>(null);
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const [bulkNotice, setBulkNotice] = useState<ActionNotice | null>(null);
  const [shortcuts, setShortcuts] = useState(false);
  const panelBox = useRef<HTMLDivElement>(null);
  const messageShown = useFoundMessage(
    panelBox,
    searching.search ? conversationId : undefined,
    searching.messageId,
  );

  const suffix = search ? `?${search}` : '';
  const hrefOf = (id: string) => `/messages/${id}${suffix}`;
  const selectable = filters.view !== 'closed';
  const shownChecked = lines.filter((l) => checked.has(l.id) && l.status === 'open');
  const openLines = lines.filter((l) => l.status === 'open');
  const filtered = Boolean(filters.roleId || filters.topicId);
  const viewInfo = VIEWS.find((v) => v.value === filters.view)!;
  // Where a result leads (its conversation, at the message) and the way back to the results.
  const searchSuffix = suffixOf(without(params, ['message']));
  const resultHref = (r: { conversationId: string; messageId: string }) => {
    const p = without(params, ['message']);
    p.set('message', r.messageId);
    return `/messages/${r.conversationId}?${p.toString()}`;
  };
  const searchPatientId = searching.search?.patientId;
  const patientName =
    chosenPatient?.id === searchPatientId
      ? chosenPatient?.name
      : results.find((r) => r.patient.id === searchPatientId)?.patient.name;

  const closeChecked = async () => {
    setBulkNotice(null);
    const ids = shownChecked.map((l) => l.id);
    const { closed, failed } = await closeMany.mutateAsync(ids);
    setChecked(new Set());
    setBulkNotice(
      failed.length === 0
        ? { kind: 'done', text: `Closed ${closed} conversation${closed === 1 ? '' : 's'}.` }
        : {
            kind: 'refused',
            text: `Closed ${closed} of ${ids.length} conversations. ${formError(failed[0], []) ?? ''}`,
          },
    );
  };

  const heading = (
    <Stack gap="xs" style={{ flexShrink: 0 }}>
      <Text size="sm" c="dimmed">
        {LABELS.startPage}
      </Text>
      <Group justify="space-between" mt={-12} gap="xs">
        <Title order={2}>{LABELS.messages}</Title>
        <Group gap="xs">
          <Button
            size="xs"
            variant="subtle"
            onClick={() => setShortcuts(true)}
            rightSection={<Kbd size="xs">?</Kbd>}
            visibleFrom="sm"
          >
            Keyboard shortcuts
          </Button>
          <DesktopAlertSettings clinicName={session.chamber.name} />
        </Group>
      </Group>
      <VisuallyHidden id="team-inbox-shortcuts-hint">
        Keyboard shortcuts: j or Down arrow for the next conversation, k or Up arrow for the
        previous, Enter or o to open, a to assign to me, c to close, question mark for the list.
      </VisuallyHidden>
      <SearchMessagesForm
        search={searching.search}
        patientName={patientName}
        error={found.error}
        wide={wide}
        onSearch={(next, patient) => {
          setChosenPatient(patient);
          searching.run(next);
        }}
      />
    </Stack>
  );

  const filterBar = (
    <Group gap="xs" align="flex-end" wrap="nowrap" style={{ flexShrink: 0 }}>
      <Select
        label="Role"
        placeholder="All roles"
        clearable
        size="xs"
        style={{ flex: 1, minWidth: 0 }}
        data={ownRoles.map((r) => ({ value: r.id, label: r.name }))}
        nothingFoundMessage="You hold no role"
        value={filters.roleId}
        onChange={(v) => setFilters({ roleId: v })}
      />
      <Select
        label="Topic"
        placeholder="All topics"
        clearable
        size="xs"
        style={{ flex: 1, minWidth: 0 }}
        data={topics.data ?? []}
        nothingFoundMessage={topics.isError ? 'The topics did not load' : 'No topics'}
        value={filters.topicId}
        onChange={(v) => setFilters({ topicId: v })}
      />
    </Group>
  );

  const list = (
    <Stack gap="xs">
      {filterBar}
      {selectable && openLines.length > 0 && (
        <Group justify="space-between" gap="xs" data-testid="bulk-actions">
          <Checkbox
            size="xs"
            label="Select all shown"
            checked={shownChecked.length > 0 && shownChecked.length === openLines.length}
            indeterminate={shownChecked.length > 0 && shownChecked.length < openLines.length}
            onChange={(e) =>
              setChecked(new Set(e.currentTarget.checked ? openLines.map((l) => l.id) : []))
            }
          />
          <Button
            size="compact-sm"
            variant="default"
            disabled={shownChecked.length === 0}
            loading={closeMany.isPending}
            onClick={() => void closeChecked()}
          >
            Close selected ({shownChecked.length})
          </Button>
        </Group>
      )}
      <ActionNoticeAlert actions={actions} />
      <ActionNoticeAlert
        actions={{ notice: bulkNotice, dismiss: () => setBulkNotice(null) }}
        testId="bulk-close-notice"
      />
      <QueryState
        query={inbox}
        isEmpty={() => lines.length === 0}
        empty={`${viewInfo.empty}${filtered ? ' with these filters' : ''}.`}
      >
        {() => (
          <TeamInboxList
            lines={lines}
            session={session}
            selectedId={conversationId}
            hrefOf={hrefOf}
            onOpen={(id) => void navigate(hrefOf(id))}
            actions={actions}
            onAssign={setAssigning}
            selectable={selectable}
            checked={checked}
            onChecked={(id, on) =>
              setChecked((prev) => {
                const next = new Set(prev);
                if (on) next.add(id);
                else next.delete(id);
                return next;
              })
            }
            onShortcuts={() => setShortcuts(true)}
          />
        )}
      </QueryState>
      <LoadMore query={inbox} size="xs" />
    </Stack>
  );

  const dialogs = (
    <>
      <AssignDialog
        state={assigning}
        session={session}
        onClose={() => setAssigning(null)}
        actions={actions}
      />
      <ShortcutsDialog opened={shortcuts} onClose={() => setShortcuts(false)} />
    </>
  );

  // The search refused at one of its fields: the form says why, at that field.
  const refusedAtField =
    found.error instanceof ApiError &&
    ['q', 'patientId', 'from', 'to'].includes(found.error.field ?? '');
  const q = searching.search?.q ?? '';
  const searchFiltered = Boolean(
    searching.search?.patientId || searching.search?.from || searching.search?.to,
  );
  const count = results.length;
  const resultsList = (
    <Stack gap="xs">
      <Group justify="space-between" gap="xs" wrap="nowrap" align="center">
        <Text size="sm" role="status" style={{ minWidth: 0, overflowWrap: 'anywhere' }}>
          {found.isSuccess && count > 0 && (
            <>
              {count}
              {found.hasNextPage ? '+' : ''} message{count === 1 ? '' : 's'} found for “
              <bdi>{q}</bdi>”
            </>
          )}
        </Text>
        <Button
          size="compact-sm"
          variant="default"
          onClick={searching.clear}
          style={{ flexShrink: 0 }}
        >
          Clear search
        </Button>
      </Group>
      {refusedAtField ? (
        <Empty>Change the search above and press {LABELS.search}.</Empty>
      ) : (
        <QueryState
          query={found}
          loadingLabel="Searching…"
          isEmpty={() => count === 0 && !found.hasNextPage}
          empty={
            <>
              No messages match “<bdi>{q}</bdi>”{searchFiltered ? ' with these filters' : ''}.
            </>
          }
        >
          {() =>
            count === 0 ? (
              <Empty>None among the most recent messages: load more to look further back.</Empty>
            ) : (
              <SearchResultList
                results={results}
                timeZone={session.chamber.timeZone}
                hrefOf={resultHref}
                selectedMessageId={conversationId ? searching.messageId : null}
              />
            )
          }
        </QueryState>
      )}
      <LoadMore query={found} size="xs" />
    </Stack>
  );

  const notShown = messageShown === false && (
    <Text size="xs" c="dimmed">
      The message found is older than the messages shown here.
    </Text>
  );
  const panel = (above?: ReactNode) =>
    conversationId && (
      <Box ref={panelBox} h="100%">
        <ConversationPanel
          key={conversationId}
          id={conversationId}
          session={session}
          layout="fill"
          above={
            above || notShown ? (
              <>
                {above}
                {notShown}
              </>
            ) : undefined
          }
        />
      </Box>
    );

  // A phone with a conversation open: the conversation alone, the way back above it.
  if (!wide && conversationId) {
    const back = searching.search
      ? { to: `/messages${searchSuffix}`, label: 'Messages found' }
      : { to: `/messages${suffix}`, label: LABELS.messages };
    return (
      <Box h={FULL_HEIGHT}>
        {panel(
          <Anchor component={Link} to={back.to} size="sm">
            ← {back.label}
          </Anchor>,
        )}
        {dialogs}
      </Box>
    );
  }

  /** The list (or results) beside the open conversation, on a large screen. */
  const columns = (left: ReactNode, empty: string) => (
    <Group align="stretch" gap="md" wrap="nowrap" h="100%">
      <Box
        w="42%"
        miw={360}
        maw={560}
        style={{ overflowY: 'auto', flexShrink: 0 }}
        pr={4}
        data-testid="team-inbox-column"
      >
        {left}
      </Box>
      <Box style={{ flex: 1, minWidth: 0, minHeight: 0 }}>{panel() || <Empty>{empty}</Empty>}</Box>
    </Group>
  );

  if (searching.search) {
    return (
      <Stack
        gap={8}
        style={wide ? { height: FULL_HEIGHT } : undefined}
        data-testid="search-results"
      >
        {heading}
        {wide ? (
          <Box style={{ flex: 1, minHeight: 0 }}>
            {columns(resultsList, 'Choose a message found to read its conversation.')}
          </Box>
        ) : (
          resultsList
        )}
        {dialogs}
      </Stack>
    );
  }

  const tabs = (
    <Tabs.List style={{ flexShrink: 0 }}>
      {VIEWS.map((v) => (
        <Tabs.Tab key={v.value} value={v.value} px={wide ? undefined : 10}>
          {v.label}
        </Tabs.Tab>
      ))}
    </Tabs.List>
  );

  return (
    <Tabs
      value={filters.view}
      onChange={(v) => {
        // What was said and ticked was about the rows of the view left.
        setChecked(new Set());
        setBulkNotice(null);
        actions.dismiss();
        setFilters({ view: (v as TeamInboxView | null) ?? 'open' });
      }}
      keepMounted={false}
      activateTabWithKeyboard
      style={
        wide
          ? { height: FULL_HEIGHT, display: 'flex', flexDirection: 'column', gap: 8 }
          : { display: 'flex', flexDirection: 'column', gap: 8 }
      }
    >
      {heading}
      {tabs}
      <Tabs.Panel value={filters.view} style={wide ? { flex: 1, minHeight: 0 } : undefined}>
        {wide
          ? columns(list, 'Choose a conversation to read it and reply. Press ? for shortcuts.')
          : list}
      </Tabs.Panel>
      {dialogs}
    </Tabs>
  );
}
