import {
  Alert,
  Button,
  CloseButton,
  Fieldset,
  Group,
  NumberInput,
  Select,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useState } from 'react';
import { fieldError } from '../../../lib/api';
import {
  CLINIC_HOLIDAYS_MAX,
  OUT_OF_HOURS_MESSAGE_MAX,
  REPLY_WITHIN_MAX_HOURS,
  textLength,
} from '../../../../common/limits.js';
import { LABELS } from '../../../../common/labels';
import type { OfficeDay, Settings, SettingsChanges } from '../../../../common/contract/settings.js';
import { useRoles } from '../session/api';
import { useSaveSettings } from './api';
import { fieldErrorUnder, SettingsSection, useSettingsDraft } from './settings-section';

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const CLOCK = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
/** What a weekday newly opened starts with. */
const DEFAULT_DAY = { opens: '08:00', closes: '18:30' };
/** A group's legend looks like the labels of the fields beside it. */
const LEGEND = {
  legend: { fontSize: 'var(--mantine-font-size-sm)', fontWeight: 600, marginBottom: 2 },
};
/** The Escalation role picker's choice for none. */
const NONE = 'none';

interface Day {
  open: boolean;
  opens: string;
  closes: string;
}

interface ReplyTimesForm {
  days: Day[];
  holidays: string[];
  replyWithin: number | string;
  outOfHours: string;
  escalationRoleId: string;
}

function formOf(s: Settings): ReplyTimesForm {
  return {
    days: WEEKDAYS.map((_, i) => {
      const d = s.officeHours.find((o) => o.weekday === i + 1);
      return d ? { open: true, opens: d.opens, closes: d.closes } : { open: false, ...DEFAULT_DAY };
    }),
    holidays: [...s.clinicHolidays].sort(),
    replyWithin: s.replyWithinWorkingHours,
    outOfHours: s.outOfHoursMessage,
    escalationRoleId: s.escalationRoleId ?? NONE,
  };
}

const officeHoursOf = (days: Day[]): OfficeDay[] =>
  days.flatMap((d, i) => (d.open ? [{ weekday: i + 1, opens: d.opens, closes: d.closes }] : []));

/** What is wrong with a weekday's hours, or null. */
function dayProblem(d: Day): string | null {
  if (!d.open) return null;
  if (!CLOCK.test(d.opens) || !CLOCK.test(d.closes)) return 'Give both times, from 00:00 to 23:59.';
  if (d.closes <= d.opens) return 'It must close after it opens.';
  return null;
}

function replyWithinProblem(v: number | string): string | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= REPLY_WITHIN_MAX_HOURS
    ? null
    : `A whole number of working hours from 1 to ${REPLY_WITHIN_MAX_HOURS}.`;
}

/** The API's changes: only the fields that differ from what is saved. */
function changesOf(f: ReplyTimesForm, s: Settings): SettingsChanges {
  const changes: SettingsChanges = {};
  const hours = officeHoursOf(f.days);
  const saved = [...s.officeHours].sort((a, b) => a.weekday - b.weekday);
  if (JSON.stringify(hours) !== JSON.stringify(saved)) changes.officeHours = hours;
  if (JSON.stringify(f.holidays) !== JSON.stringify([...s.clinicHolidays].sort()))
    changes.clinicHolidays = f.holidays;
  if (f.replyWithin !== s.replyWithinWorkingHours && typeof f.replyWithin === 'number')
    changes.replyWithinWorkingHours = f.replyWithin;
  if (f.outOfHours.trim() !== s.outOfHoursMessage) changes.outOfHoursMessage = f.outOfHours.trim();
  const role = f.escalationRoleId === NONE ? null : f.escalationRoleId;
  if (role !== s.escalationRoleId) changes.escalationRoleId = role;
  return changes;
}

/** "Friday 25 December 2026" for a YYYY-MM-DD date. */
function holidayName(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'UTC',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
  }).format(new Date(Date.UTC(y!, m! - 1, d!)));
}

/**
 * Admin > Configuration > Online Portal > Reply Times (rules 12 and 13): Office hours per
 * weekday, Clinic holidays, Reply within (working hours), Out-of-hours message, Escalation role.
 */
export function ReplyTimesSection({ settings }: { settings: Settings }) {
  const save = useSaveSettings();
  const roles = useRoles();
  const [form, setForm] = useSettingsDraft(formOf(settings));
  const [checked, setChecked] = useState(false);
  const [newHoliday, setNewHoliday] = useState('');
  const [holidayError, setHolidayError] = useState<string | null>(null);
  const set = (patch: Partial<ReplyTimesForm>) => setForm({ ...form, ...patch });
  const setDay = (i: number, patch: Partial<Day>) =>
    set({ days: form.days.map((d, j) => (j === i ? { ...d, ...patch } : d)) });

  // A refusal of the office hours names the index of the weekday sent: back to its name.
  const hoursError = fieldErrorUnder(save.error, 'officeHours');
  const sentHours = save.variables?.officeHours ?? [];
  const refusedDay = hoursError?.path[0] ? sentHours[Number(hoursError.path[0])]?.weekday : null;
  const dayErrors = form.days.map(
    (d, i) => dayProblem(d) ?? (refusedDay === i + 1 ? hoursError?.message : undefined),
  );
  const outOfHoursLength = textLength(form.outOfHours.trim());
  const outOfHoursTooLong = outOfHoursLength > OUT_OF_HOURS_MESSAGE_MAX;
  const replyWithinError = replyWithinProblem(form.replyWithin);
  const invalid =
    form.days.some((d) => dayProblem(d) !== null) || replyWithinError !== null || outOfHoursTooLong;

  const roleList = roles.data?.roles ?? [];
  const chosenRole = roleList.find((r) => r.id === form.escalationRoleId);
  // The saved role's warning comes from the server; a newly chosen one warns at once.
  const escalationWarning =
    form.escalationRoleId === (settings.escalationRoleId ?? NONE)
      ? settings.escalationRoleWarning
      : chosenRole && chosenRole.activeMemberCount === 0
        ? `The role "${chosenRole.name}" has no Active members: nobody will be told when a conversation is overdue.`
        : null;

  const holidaysError = fieldErrorUnder(save.error, 'clinicHolidays');
  const addHoliday = () => {
    const date = newHoliday.trim();
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date)))
      return setHolidayError('Choose a date.');
    if (form.holidays.includes(date)) return setHolidayError('That date is listed already.');
    if (form.holidays.length >= CLINIC_HOLIDAYS_MAX)
      return setHolidayError(`At most ${CLINIC_HOLIDAYS_MAX} dates.`);
    setHolidayError(null);
    setNewHoliday('');
    set({ holidays: [...form.holidays, date].sort() });
  };

  return (
    <SettingsSection
      title={LABELS.replyTimes}
      testId="reply-times"
      description={
        <>
          When the clinic aims to reply (shown to patients before they send), what it answers out of
          hours, and who is told when a reply is late. Times are in the clinic&apos;s time zone (
          {settings.timeZone}).
        </>
      }
      save={save}
      changes={changesOf(form, settings)}
      invalid={invalid}
      onInvalid={() => setChecked(true)}
      fields={[
        'officeHours',
        'clinicHolidays',
        'replyWithinWorkingHours',
        'outOfHoursMessage',
        'escalationRoleId',
      ]}
    >
      <Fieldset legend={LABELS.officeHours} variant="unstyled" styles={LEGEND}>
        <Text size="xs" c="dimmed" mb="xs">
          A closed day counts no working hours: a message sent then waits for the next opening.
        </Text>
        <Stack gap={6} role="list" aria-label={LABELS.officeHours}>
          {form.days.map((d, i) => {
            const day = WEEKDAYS[i]!;
            const error = dayErrors[i];
            return (
              <div key={day} role="listitem" data-testid={`office-day-${i + 1}`}>
                <Group gap="sm" wrap="wrap" align="center" mih={36}>
                  <Switch
                    w={150}
                    label={day}
                    aria-label={`${day}: open`}
                    checked={d.open}
                    onChange={(e) => setDay(i, { open: e.currentTarget.checked })}
                  />
                  {d.open ? (
                    <Group gap={6} wrap="nowrap" align="center">
                      <TextInput
                        type="time"
                        aria-label={`${day} opens`}
                        value={d.opens}
                        onChange={(e) => setDay(i, { opens: e.currentTarget.value })}
                        error={Boolean(error)}
                        w={140}
                      />
                      <Text size="sm" aria-hidden>
                        to
                      </Text>
                      <TextInput
                        type="time"
                        aria-label={`${day} closes`}
                        value={d.closes}
                        onChange={(e) => setDay(i, { closes: e.currentTarget.value })}
                        error={Boolean(error)}
                        w={140}
                      />
                    </Group>
                  ) : (
                    <Text size="sm" c="dimmed">
                      Closed
                    </Text>
                  )}
                </Group>
                {error && (
                  <Text size="xs" c="red.9" role="alert">
                    {day}: {error}
                  </Text>
                )}
              </div>
            );
          })}
        </Stack>
        {hoursError && refusedDay == null && (
          <Text size="xs" c="red.9" role="alert" mt={4}>
            {hoursError.message}
          </Text>
        )}
      </Fieldset>

      <Fieldset legend={LABELS.clinicHolidays} variant="unstyled" styles={LEGEND}>
        <Text size="xs" c="dimmed" mb="xs">
          Whole days closed (bank holidays, training days): no working hours are counted.
        </Text>
        {form.holidays.length === 0 ? (
          <Text size="sm" c="dimmed" mb="xs">
            No holidays.
          </Text>
        ) : (
          <Stack
            gap={4}
            component="ul"
            aria-label={LABELS.clinicHolidays}
            style={{ listStyle: 'none', padding: 0, margin: '0 0 var(--mantine-spacing-xs)' }}
          >
            {form.holidays.map((date, i) => (
              <Group component="li" key={date} gap="xs" wrap="nowrap">
                <Text size="sm" component="time" dateTime={date}>
                  {holidayName(date)}
                </Text>
                <CloseButton
                  size="sm"
                  aria-label={`Remove ${holidayName(date)}`}
                  onClick={() => set({ holidays: form.holidays.filter((h) => h !== date) })}
                />
                {holidaysError?.path[0] === String(i) && (
                  <Text size="xs" c="red.9" role="alert">
                    {holidaysError.message}
                  </Text>
                )}
              </Group>
            ))}
          </Stack>
        )}
        <Group gap="xs" align="flex-start" wrap="wrap">
          <TextInput
            type="date"
            label="Add a holiday"
            value={newHoliday}
            onChange={(e) => {
              setNewHoliday(e.currentTarget.value);
              setHolidayError(null);
            }}
            onKeyDown={(e) => {
              // Enter adds the date rather than saving the whole section.
              if (e.key === 'Enter') {
                e.preventDefault();
                addHoliday();
              }
            }}
            error={
              holidayError ?? (holidaysError?.path.length === 0 ? holidaysError.message : undefined)
            }
            w={200}
          />
          <Button variant="light" mt={25} onClick={addHoliday}>
            Add date
          </Button>
        </Group>
      </Fieldset>

      <NumberInput
        label={LABELS.replyWithinWorkingHours}
        description="Counted in office hours only, skipping closed days and holidays."
        min={1}
        max={REPLY_WITHIN_MAX_HOURS}
        allowDecimal={false}
        allowNegative={false}
        clampBehavior="none"
        value={form.replyWithin}
        onChange={(v) => set({ replyWithin: v })}
        error={
          fieldError(save.error, 'replyWithinWorkingHours') ??
          (checked || form.replyWithin !== '' ? replyWithinError : null)
        }
        w={260}
        inputWrapperOrder={['label', 'input', 'description', 'error']}
      />

      <Textarea
        label={LABELS.outOfHoursMessage}
        description={`Sent automatically, once per conversation, to a patient who writes while the clinic is closed. Empty: none. ${outOfHoursLength.toLocaleString('en-GB')} / ${OUT_OF_HOURS_MESSAGE_MAX.toLocaleString('en-GB')}`}
        placeholder="None: no automatic message is sent."
        autosize
        minRows={2}
        maxRows={8}
        value={form.outOfHours}
        onChange={(e) => set({ outOfHours: e.currentTarget.value })}
        error={
          fieldError(save.error, 'outOfHoursMessage') ??
          (outOfHoursTooLong
            ? `At most ${OUT_OF_HOURS_MESSAGE_MAX.toLocaleString('en-GB')} characters.`
            : undefined)
        }
        inputWrapperOrder={['label', 'input', 'description', 'error']}
      />

      <div>
        <Select
          label={LABELS.escalationRole}
          description="Every Active member is notified once when a conversation passes its reply-by time unanswered, and can then read the patient's messages."
          data={[
            { value: NONE, label: 'None' },
            ...roleList.map((r) => ({
              value: r.id,
              label: `${r.name} (${r.activeMemberCount} active)`,
            })),
          ]}
          value={form.escalationRoleId}
          onChange={(v) => set({ escalationRoleId: v ?? NONE })}
          allowDeselect={false}
          error={fieldError(save.error, 'escalationRoleId')}
          inputWrapperOrder={['label', 'input', 'description', 'error']}
        />
        {escalationWarning && (
          <Alert color="orange" mt="xs" role="alert" p="xs">
            <Text size="sm">{escalationWarning}</Text>
          </Alert>
        )}
      </div>
    </SettingsSection>
  );
}
