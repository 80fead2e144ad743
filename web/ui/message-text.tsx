import { Anchor, Text } from '@mantine/core';
import { splitLinks } from '../lib/format';

/**
 * Message text as plain text: line breaks kept, http(s) links clickable, anything else (HTML
 * included) shown exactly as typed. React escapes every string, so nothing in it ever runs.
 * Each line takes its direction from its own first letter (an Arabic line reads right to
 * left), and a bidi control in it ends with the line: it cannot turn around anything else.
 */
export function MessageText({ text }: { text: string }) {
  return (
    <Text
      component="div"
      dir="auto"
      style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', unicodeBidi: 'plaintext' }}
      size="sm"
    >
      {splitLinks(text).map((part, i) =>
        part.kind === 'link' ? (
          <Anchor
            key={i}
            href={part.value}
            target="_blank"
            rel="noopener noreferrer nofollow"
            size="sm"
          >
            {part.value}
          </Anchor>
        ) : (
          <span key={i}>{part.value}</span>
        ),
      )}
    </Text>
  );
}
