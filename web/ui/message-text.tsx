import { Anchor, Text } from '@mantine/core';
import { splitLinks } from '../lib/format';

/**
 * Message text as plain text: line breaks kept, http(s) links clickable, anything else (HTML
 * included) shown exactly as typed. React escapes every string, so nothing in it ever runs.
 */
export function MessageText({ text }: { text: string }) {
  return (
    <Text component="div" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} size="sm">
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
