import { Alert, Anchor, Card, Group, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import { ApiError } from '../../../lib/api';
import { formatReplyBy, formatTodaysHours, telHref } from '../../../lib/format';
import { ClockIcon, PhoneIcon } from '../../../ui/icons';
import { compileRedFlags } from '../../../../common/red-flags.js';
import type { ClinicInfo, ReplyTime } from '../../../../common/contract/clinic.js';
import { useClinicInfo } from './api';

/** "Call <clinic> on <phone>" as a tel: link, or, without a phone, that none is listed. */
function PhoneLine({ clinic }: { clinic: ClinicInfo }) {
  const phone = clinic.phone.trim();
  return (
    <Group gap={6} wrap="nowrap" align="flex-start">
      <PhoneIcon style={{ flexShrink: 0, marginTop: 3 }} />
      {phone ? (
        <Text size="sm">
          Call {clinic.name} on{' '}
          <Anchor href={telHref(phone)} fw={700} inherit style={{ whiteSpace: 'nowrap' }}>
            {phone}
          </Anchor>
        </Text>
      ) : (
        <Text size="sm">No phone number is listed for {clinic.name} here.</Text>
      )}
    </Group>
  );
}

/**
 * How to reach the clinic where the portal cannot help (no messaging, a blocked account,
 * trouble signing in): its phone as a tel: link and today's office hours. `chamber` is the
 * clinic code before sign-in; without it, the signed-in patient's clinic. Nothing while
 * loading or when the clinic is unknown.
 */
export function ClinicContact({ chamber }: { chamber?: string }) {
  const clinic = useClinicInfo(chamber);
  if (!clinic.data) return null;
  return (
    <Stack gap={4} data-testid="clinic-contact">
      <PhoneLine clinic={clinic.data} />
      <Group gap={6} wrap="nowrap">
        <ClockIcon />
        <Text size="sm" c="dimmed">
          {formatTodaysHours(clinic.data.todaysHours)}
        </Text>
      </Group>
    </Stack>
  );
}

/** Sign-in refusals that only the clinic can resolve, or that leave the patient waiting. */
const CONTACT_THE_CLINIC = new Set([
  'account_blocked',
  'account_locked',
  'account_not_active',
  'portal_disabled',
  'too_many_requests',
]);

/**
 * Under a refused sign-in that tells the patient to contact the clinic: the phone and today's
 * hours of the clinic whose code was typed.
 */
export function SignInTrouble({ chamber, error }: { chamber: string; error: unknown }) {
  if (!(error instanceof ApiError) || !CONTACT_THE_CLINIC.has(error.code) || !chamber.trim())
    return null;
  return <ContactCard chamber={chamber} title="Need help signing in?" />;
}

/** After asking for a new password: whom to call when no email comes. */
export function ResetTrouble({ chamber }: { chamber: string }) {
  if (!chamber.trim()) return null;
  return <ContactCard chamber={chamber} title="No email after a few minutes?" />;
}

function ContactCard({ chamber, title }: { chamber: string; title: string }) {
  return (
    <Card withBorder padding="sm" bg="var(--mantine-color-gray-0)">
      <Text size="sm" fw={600} mb={4}>
        {title}
      </Text>
      <ClinicContact chamber={chamber} />
    </Card>
  );
}

/**
 * The red flag phrases of the clinic, compiled once: a function telling which of them a text
 * contains (none while the clinic's list is loading or could not be loaded).
 */
export function useRedFlagMatcher(clinic: ClinicInfo | undefined): (text: string) => string[] {
  const phrases = clinic?.redFlagPhrases;
  return useMemo(() => (phrases ? compileRedFlags(phrases) : () => []), [phrases]);
}

/**
 * Rule 14: while the text reads like an emergency, the clinic's Emergency advice and its phone,
 * right above Send. It only warns: sending stays possible.
 */
export function RedFlagWarning({ clinic, matched }: { clinic: ClinicInfo; matched: string[] }) {
  if (matched.length === 0) return null;
  return (
    <Alert
      color="red"
      variant="filled"
      role="alert"
      title="Your message may describe an emergency"
      data-testid="red-flag-warning"
      p="sm"
    >
      <Stack gap={6}>
        <Text size="sm" fw={700}>
          {clinic.emergencyAdvice}
        </Text>
        {clinic.phone.trim() && (
          <Text size="sm">
            {clinic.name}:{' '}
            <Anchor
              href={telHref(clinic.phone)}
              c="white"
              fw={700}
              underline="always"
              style={{ whiteSpace: 'nowrap' }}
            >
              {clinic.phone.trim()}
            </Anchor>
          </Text>
        )}
        <Text size="xs">
          Your message mentions “{matched[0]}”. You can still send it: the clinic reads messages
          during office hours only.
        </Text>
      </Stack>
    </Alert>
  );
}

/**
 * Rule 12, before sending: "The clinic aims to reply by <weekday, date, time>" in the clinic's
 * time zone, saying first when the clinic is closed now (rule 13).
 */
export function ReplyPromise({ replyTime }: { replyTime: ReplyTime | undefined }) {
  if (!replyTime || (!replyTime.replyBy && !replyTime.outOfHours)) return null;
  const by = replyTime.replyBy;
  return (
    <Group gap={6} wrap="nowrap" align="flex-start" data-testid="reply-promise">
      <ClockIcon style={{ flexShrink: 0, marginTop: 3 }} />
      <Text size="sm">
        {replyTime.outOfHours && 'The clinic is closed now. '}
        {by ? (
          <>
            The clinic aims to reply by{' '}
            <Text span inherit fw={700} component="time" dateTime={by}>
              {formatReplyBy(by, replyTime.timeZone)}
            </Text>
            .
          </>
        ) : (
          'Your message will be read when it opens.'
        )}
      </Text>
    </Group>
  );
}
