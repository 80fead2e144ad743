import { Kbd, Modal, Table, Text, VisuallyHidden } from '@mantine/core';

/** Arrows are drawn; screen readers are told their names. */
const SAID: Record<string, string> = { '↓': 'Down arrow', '↑': 'Up arrow' };

/** The list's keyboard shortcuts, as the `?` dialog lists them. */
const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['j', '↓'], what: 'Next conversation' },
  { keys: ['k', '↑'], what: 'Previous conversation' },
  { keys: ['Enter', 'o'], what: 'Open the conversation' },
  { keys: ['a'], what: 'Assign to me' },
  { keys: ['c'], what: 'Close conversation' },
  { keys: ['?'], what: 'Show these shortcuts' },
];

/** The keyboard shortcuts of Messages, in a dialog (opened with `?`). */
export function ShortcutsDialog({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  return (
    <Modal opened={opened} onClose={onClose} title="Keyboard shortcuts">
      <Text size="sm" mb="sm">
        In the list of conversations, when you are not typing in a field:
      </Text>
      <Table data-testid="shortcuts-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Key</Table.Th>
            <Table.Th scope="col">Action</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {SHORTCUTS.map((s) => (
            <Table.Tr key={s.what}>
              <Table.Td>
                {s.keys.map((k, i) => (
                  <span key={k}>
                    {i > 0 && ' or '}
                    <Kbd>
                      {SAID[k] ? (
                        <>
                          <span aria-hidden="true">{k}</span>
                          <VisuallyHidden>{SAID[k]}</VisuallyHidden>
                        </>
                      ) : (
                        k
                      )}
                    </Kbd>
                  </span>
                ))}
              </Table.Td>
              <Table.Td>{s.what}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Modal>
  );
}
