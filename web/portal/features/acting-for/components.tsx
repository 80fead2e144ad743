import {
  Alert,
  Box,
  Button,
  CheckIcon,
  Container,
  Group,
  Loader,
  Menu,
  Select,
  Stack,
  Text,
  type ComboboxItem,
} from '@mantine/core';
import { useEffect, useRef } from 'react';
import { Link } from 'react-router';
import { formError } from '../../../lib/api';
import { ChevronIcon, PersonIcon } from '../../../ui/icons';
import { Isolate, isolatePlain, WithNames } from '../../../ui/isolate';
import type { ActingForPatient, PortalSession } from '../../../../common/contract/auth.js';
import { LABELS } from '../../../../common/labels';
import type { ActingForChange } from './acting-for-changes';

/** Where a patient sees who can act for them. */
export const PROXIES_PATH = '/who-can-act-for-you';
export const WHO_CAN_ACT_FOR_YOU = 'Who can act for you';

/** The patient acted for when it is not the account's own record (with the relationship). */
export function actingForOther(s: PortalSession): ActingForPatient | undefined {
  const current = s.actingFor.find((p) => p.id === s.patient.id);
  if (current?.relationship === null) return undefined;
  return current ?? { ...s.patient, relationship: null };
}

/** The account's own patient record, when it has one. */
export const ownRecord = (s: PortalSession): ActingForPatient | undefined =>
  s.actingFor.find((p) => p.relationship === null);

/** "Charlie Carter (Parent)", "Carol Carter (you)": a name and how the account is related. */
function choiceLabel(p: ActingForPatient): string {
  return `${isolatePlain(p.name)} (${p.relationship === null ? 'you' : p.relationship})`;
}

/** The header's second row: shown when the account may act for others or acts for another. */
export const showsActingFor = (s: PortalSession): boolean =>
  s.actingFor.length > 1 || actingForOther(s) !== undefined;

/** Its height, added to the header's. */
export const ACTING_FOR_STRIP_HEIGHT = 48;

/**
 * The header's second row, tinted while acting for someone else: the Acting for switcher, or
 * (an account that may act for one patient only, not itself) whom it acts for.
 */
export function ActingForStrip(props: {
  session: PortalSession;
  choosing: string | undefined;
  onChoose: (patientId: string) => void;
}) {
  const { session } = props;
  const other = actingForOther(session);
  return (
    <Box
      h={ACTING_FOR_STRIP_HEIGHT}
      style={{
        borderTop: '1px solid var(--app-shell-border-color)',
        background: other ? 'var(--mantine-color-grape-0)' : 'var(--mantine-color-gray-0)',
      }}
    >
      <Container size="md" h="100%">
        <Group h="100%" wrap="nowrap">
          {session.actingFor.length > 1 ? (
            <ActingForSwitcher {...props} />
          ) : (
            other && (
              <Text size="sm" truncate="end">
                <b>{LABELS.actingFor}</b> <Isolate>{other.name}</Isolate>
                {other.relationship ? ` (${other.relationship})` : ''}
              </Text>
            )
          )}
        </Group>
      </Container>
    </Box>
  );
}

/**
 * Acting for (rule 18): whom the session acts for, and the choice of another patient the
 * account may act for. A list that opens (not a native one) so it looks the same everywhere;
 * by keyboard: Tab to it, Enter or the arrows to open, the arrows and Enter to choose.
 */
export function ActingForSwitcher({
  session,
  choosing,
  onChoose,
}: {
  session: PortalSession;
  /** The patient being chosen, while the choice is on its way. */
  choosing: string | undefined;
  onChoose: (patientId: string) => void;
}) {
  const data = session.actingFor.map((p) => ({ value: p.id, label: choiceLabel(p) }));
  const other = actingForOther(session);
  return (
    <Select
      label={LABELS.actingFor}
      data={data}
      value={choosing ?? session.patient.id}
      onChange={(value) => {
        if (value && value !== session.patient.id && !choosing) onChoose(value);
      }}
      allowDeselect={false}
      checkIconPosition="right"
      size="sm"
      renderOption={({ option, checked }) => (
        <OptionLabel option={option} checked={checked} session={session} />
      )}
      // Tabbing to the box selects its text, which looks like something to edit: it is a choice.
      onFocus={(e) => {
        const box = e.currentTarget;
        requestAnimationFrame(() => box.setSelectionRange(0, 0));
      }}
      rightSection={choosing ? <Loader size={14} aria-label="Changing" /> : undefined}
      data-testid="acting-for"
      // The label beside the box, not above it: the header's row is one line high.
      styles={{
        root: {
          display: 'flex',
          alignItems: 'center',
          gap: 'var(--mantine-spacing-xs)',
          flex: 1,
          minWidth: 0,
          maxWidth: 440,
        },
        label: { whiteSpace: 'nowrap', fontWeight: 600, marginBottom: 0, flexShrink: 0 },
        wrapper: { flex: 1, minWidth: 0 },
        input: {
          fontWeight: 600,
          ...(other ? { borderColor: 'var(--mantine-color-grape-7)' } : {}),
        },
      }}
      comboboxProps={{ withinPortal: true, position: 'bottom-start' }}
    />
  );
}

/** One patient in the Acting for list, ticked when acted for. */
function OptionLabel({
  option,
  checked,
  session,
}: {
  option: ComboboxItem;
  checked: boolean | undefined;
  session: PortalSession;
}) {
  const p = session.actingFor.find((x) => x.id === option.value);
  return (
    <Group gap="xs" wrap="nowrap" justify="space-between" w="100%">
      <span>
        {p ? (
          <>
            <Isolate>{p.name}</Isolate> ({p.relationship === null ? 'you' : p.relationship})
          </>
        ) : (
          option.label
        )}
      </span>
      {checked && <CheckIcon size={12} aria-hidden style={{ flexShrink: 0 }} />}
    </Group>
  );
}

/**
 * On every page while acting for someone else: whose page it is, in colour, so no one writes
 * for the wrong person.
 */
export function ActingForBanner({ session }: { session: PortalSession }) {
  const other = actingForOther(session);
  if (!other) return null;
  return (
    <Box
      component="section"
      aria-label="Acting for someone else"
      data-testid="acting-for-banner"
      p="sm"
      mb="md"
      style={{
        background: 'var(--mantine-color-grape-0)',
        border: '1px solid var(--mantine-color-grape-7)',
        borderLeftWidth: 6,
        borderRadius: 'var(--mantine-radius-md)',
      }}
    >
      <Text fw={700} c="grape.9">
        You are acting for <Isolate>{other.name}</Isolate>
        {other.relationship ? ` (${other.relationship})` : ''}
      </Text>
      <Text size="sm">
        You see and write <Isolate>{other.name}</Isolate>’s messages, documents and medical data.
        What you send shows as “<Isolate>{session.account.name}</Isolate> for{' '}
        <Isolate>{other.name}</Isolate>”.
      </Text>
    </Box>
  );
}

/**
 * Why the page now shows another patient than the one it was made for (a write refused, another
 * tab switched, signing in again), with the way back. It takes the focus when it appears: the
 * form the person was in may be gone.
 */
export function ActingForChangeNotice({
  change,
  choosing,
  onReturn,
  onDismiss,
}: {
  change: ActingForChange;
  choosing: boolean;
  onReturn: () => void;
  onDismiss: () => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), [change]);
  const { was, now } = change;
  const wasName = <Isolate>{was.name}</Isolate>;
  const nowName = <Isolate>{now.name}</Isolate>;
  const refused = change.why === 'refused' || change.why === 'refusedSame';
  const nothing = change.nothing === 'changed' ? 'Nothing was changed' : 'Nothing was sent';
  return (
    <Alert
      ref={box}
      tabIndex={-1}
      color="orange"
      role="alert"
      mb="md"
      withCloseButton
      onClose={onDismiss}
      title={refused ? nothing : <>You are now acting for {nowName}</>}
      data-testid="acting-for-change"
      style={{ outline: 'none' }}
    >
      <Stack gap="xs">
        <Text size="sm">
          {change.why === 'refusedSame' ? (
            <>
              Whom you act for was changed in another tab meanwhile, so {nothing.toLowerCase()}. You
              are acting for {nowName} again: please try again.
            </>
          ) : change.why === 'refused' ? (
            change.canReturn ? (
              <>
                This page was for {wasName}; you are now acting for {nowName} in another tab.{' '}
                {nothing}.
              </>
            ) : (
              <>
                This page was for {wasName}, but you can no longer act for them; you are now acting
                for {nowName}. {nothing}.
              </>
            )
          ) : change.why === 'signedInAgain' ? (
            <>
              This page was for {wasName}. You signed in again, so you are now acting for {nowName}.
            </>
          ) : change.canReturn ? (
            <>
              This page was for {wasName}; you are now acting for {nowName}: it was changed in
              another tab.
            </>
          ) : (
            <>
              This page was for {wasName}, but you can no longer act for them; you are now acting
              for {nowName}.
            </>
          )}
        </Text>
        {change.why !== 'refusedSame' && change.canReturn && (
          <>
            <Text size="sm">
              Anything you were writing for {wasName} is kept: act for them again to finish it.
            </Text>
            <Group>
              <Button size="xs" variant="default" loading={choosing} onClick={onReturn}>
                <WithNames text={`Act for ${was.name} again`} names={[was.name]} />
              </Button>
            </Group>
          </>
        )}
      </Stack>
    </Alert>
  );
}

/** Choosing whom to act for was refused (e.g. the proxy has just ended). */
export function ActingForFailure({ error, onDismiss }: { error: unknown; onDismiss: () => void }) {
  return (
    <Alert
      color="red"
      role="alert"
      mb="md"
      withCloseButton
      onClose={onDismiss}
      title="Acting for was not changed"
    >
      <Text size="sm">{formError(error, [])}</Text>
    </Alert>
  );
}

/**
 * The signed-in account (its name; on a phone an icon named by it), with its email and, for a
 * patient acting for their own record, who can act for them.
 */
export function AccountMenu({ session }: { session: PortalSession }) {
  const own = ownRecord(session);
  const mayListProxies = own !== undefined && own.id === session.patient.id;
  return (
    <Menu position="bottom-end" withinPortal>
      <Menu.Target>
        <Button
          variant="subtle"
          color="gray"
          size="compact-md"
          px={6}
          aria-label={session.account.name}
          style={{ flexShrink: 1, minWidth: 0 }}
          data-testid="account-menu"
        >
          <Group gap={6} wrap="nowrap" c="var(--mantine-color-text)" style={{ minWidth: 0 }}>
            <PersonIcon width={18} height={18} style={{ flexShrink: 0 }} />
            <Text size="sm" fw={600} truncate="end" maw={220} visibleFrom="sm">
              <Isolate>{session.account.name}</Isolate>
            </Text>
            <ChevronIcon width={14} height={14} style={{ flexShrink: 0 }} />
          </Group>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          Signed in as <Isolate>{session.account.name}</Isolate>
          <br />
          <Isolate>{session.account.email}</Isolate>
        </Menu.Label>
        {mayListProxies && (
          <Menu.Item component={Link} to={PROXIES_PATH}>
            {WHO_CAN_ACT_FOR_YOU}
          </Menu.Item>
        )}
      </Menu.Dropdown>
    </Menu>
  );
}
