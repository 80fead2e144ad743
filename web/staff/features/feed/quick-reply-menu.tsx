import { Button, Combobox, Text, useCombobox } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { get } from '../../../lib/api';
import type { FilledQuickReplies } from '../../../../common/contract/quick-replies.js';
import { LABELS } from '../../../../common/labels';

/** The quick replies this user may use, filled for the patient (SPEC rule 15). */
function useFilledQuickReplies(patientId: string, enabled: boolean) {
  return useQuery({
    queryKey: ['quick-replies', patientId],
    queryFn: () =>
      get<FilledQuickReplies>(`/quick-replies?patientId=${encodeURIComponent(patientId)}`),
    enabled,
    staleTime: 30_000,
  });
}

/**
 * Insert quick reply: a searchable menu of the user's quick replies, filled for this patient.
 * Type to filter by name, arrow keys to choose, Enter inserts at the cursor in the message box
 * (replacing a selection), Escape closes; the cursor goes back to the message box either way.
 */
export function QuickReplyMenu(props: {
  patientId: string;
  insert: (text: string) => void;
  focus: () => void;
}) {
  const [search, setSearch] = useState('');
  const [opened, setOpened] = useState(false);
  const combobox = useCombobox({
    onDropdownOpen: () => {
      setOpened(true);
      combobox.focusSearchInput();
    },
    onDropdownClose: () => {
      combobox.resetSelectedOption();
      setSearch('');
      // After the popover has given the focus back to its button.
      requestAnimationFrame(props.focus);
    },
  });
  const list = useFilledQuickReplies(props.patientId, opened);
  const all = list.data?.quickReplies ?? [];
  const needle = search.trim().toLocaleLowerCase();
  const shown = needle ? all.filter((q) => q.name.toLocaleLowerCase().includes(needle)) : all;
  const firstId = shown[0]?.id;
  // Enter inserts the best match at once: the first one is chosen as the list changes.
  useEffect(() => {
    if (combobox.dropdownOpened && firstId) combobox.selectFirstOption();
  }, [firstId, needle, combobox.dropdownOpened]); // eslint-disable-line react-hooks/exhaustive-deps

  const empty = list.isPending
    ? 'Loading…'
    : list.isError
      ? 'The quick replies could not be loaded. Please try again.'
      : all.length === 0
        ? `No quick replies yet. An admin adds them in Admin > Configuration > ${LABELS.quickReplies}.`
        : 'No quick reply has that name.';

  return (
    <Combobox
      store={combobox}
      width={360}
      position="bottom-end"
      withinPortal
      onOptionSubmit={(id) => {
        const chosen = all.find((q) => q.id === id);
        if (chosen) props.insert(chosen.text);
        combobox.closeDropdown();
      }}
    >
      <Combobox.Target withAriaAttributes={false}>
        <Button
          size="compact-sm"
          variant="light"
          aria-haspopup="listbox"
          aria-expanded={combobox.dropdownOpened}
          onClick={() => combobox.toggleDropdown()}
        >
          {LABELS.insertQuickReply}
        </Button>
      </Combobox.Target>
      <Combobox.Dropdown style={{ maxWidth: 'calc(100vw - 1rem)' }}>
        <Combobox.Search
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          placeholder="Search by name"
          aria-label="Search quick replies by name"
        />
        <Combobox.Options aria-label={LABELS.quickReplies} mah={280} style={{ overflowY: 'auto' }}>
          {shown.length === 0 ? (
            <Combobox.Empty>{empty}</Combobox.Empty>
          ) : (
            shown.map((q) => (
              <Combobox.Option value={q.id} key={q.id} aria-label={q.name}>
                <Text size="sm" fw={600}>
                  {q.name}
                </Text>
                {/* Its own colour (not dimmed): the chosen option has a dark background. */}
                <Text size="xs" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
                  {q.text}
                </Text>
              </Combobox.Option>
            ))
          )}
        </Combobox.Options>
      </Combobox.Dropdown>
    </Combobox>
  );
}
