import { Text } from '@mantine/core';
import type { SnippetPart } from '../../common/contract/search.js';

/**
 * A search result's snippet: the words that matched in `<mark>`, the rest as plain text. The
 * parts are data from the server, never HTML: React builds the marks and escapes every string,
 * so a message holding markup shows it as typed. The block takes its direction from its own
 * first letter and keeps any bidi control in it to itself.
 */
export function Snippet({ parts, lineClamp }: { parts: SnippetPart[]; lineClamp?: number }) {
  return (
    <Text
      component="p"
      size="sm"
      dir="auto"
      lineClamp={lineClamp}
      m={0}
      style={{ overflowWrap: 'anywhere', unicodeBidi: 'plaintext' }}
      data-testid="snippet"
    >
      {parts.map((part, i) =>
        part.match ? (
          <mark
            key={i}
            style={{
              background: 'var(--mantine-color-yellow-2)',
              color: 'inherit',
              fontWeight: 600,
              borderRadius: 2,
              padding: '0 1px',
            }}
          >
            {part.text}
          </mark>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </Text>
  );
}
