import { Badge, Button, Group, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMemo, useState } from 'react';
import { fieldError } from '../../../lib/api';
import {
  EMERGENCY_ADVICE_MAX,
  RED_FLAG_PHRASE_MAX,
  RED_FLAG_PHRASES_MAX,
  textLength,
} from '../../../../common/limits.js';
import { LABELS } from '../../../../common/labels';
import { compileRedFlags, DEFAULT_RED_FLAG_PHRASES } from '../../../../common/red-flags.js';
import type { Settings, SettingsChanges } from '../../../../common/contract/settings.js';
import { useSaveSettings } from './api';
import { fieldErrorUnder, SettingsSection, useSettingsDraft } from './settings-section';

/** The phrases of the box: one a line, blanks around them and empty lines left out. */
const phrasesOf = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

/** What is wrong with the list of phrases, naming the line, or null. */
function phrasesProblem(text: string): string | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const length = textLength(lines[i]!.trim());
    if (length > RED_FLAG_PHRASE_MAX)
      return `Line ${i + 1} is ${length} characters long: a phrase can be at most ${RED_FLAG_PHRASE_MAX}.`;
  }
  const count = phrasesOf(text).length;
  if (count > RED_FLAG_PHRASES_MAX)
    return `${count} phrases: at most ${RED_FLAG_PHRASES_MAX} can be saved.`;
  return null;
}

function adviceProblem(text: string): string | null {
  const length = textLength(text.trim());
  if (length === 0) return 'Give the advice patients see (e.g. whom to call in an emergency).';
  if (length > EMERGENCY_ADVICE_MAX)
    return `At most ${EMERGENCY_ADVICE_MAX.toLocaleString('en-GB')} characters.`;
  return null;
}

function changesOf(phrases: string, advice: string, s: Settings): SettingsChanges {
  const changes: SettingsChanges = {};
  const list = phrasesOf(phrases);
  if (JSON.stringify(list) !== JSON.stringify(s.redFlagPhrases)) changes.redFlagPhrases = list;
  if (advice.trim() !== s.emergencyAdvice) changes.emergencyAdvice = advice.trim();
  return changes;
}

/**
 * Admin > Configuration > Online Portal > Patient Safety (rule 14): the Red flag phrases (one
 * a line), checked as the patient writes and again on send, and the Emergency advice shown
 * above Send while one matches. A sentence can be tried against the list being edited.
 */
export function PatientSafetySection({ settings }: { settings: Settings }) {
  const save = useSaveSettings();
  const [form, setForm] = useSettingsDraft({
    phrases: settings.redFlagPhrases.join('\n'),
    advice: settings.emergencyAdvice,
  });
  const [trial, setTrial] = useState('');
  const list = phrasesOf(form.phrases);
  const listKey = list.join('\n');
  // Compiled again only when the list changes, not on each keystroke of the trial sentence.
  const matcher = useMemo(() => compileRedFlags(listKey ? listKey.split('\n') : []), [listKey]);
  const matched = trial.trim() ? matcher(trial) : [];
  const phrasesError = fieldErrorUnder(save.error, 'redFlagPhrases');
  const serverPhraseError =
    phrasesError &&
    (phrasesError.path[0] !== undefined
      ? `Phrase ${Number(phrasesError.path[0]) + 1} (“${save.variables?.redFlagPhrases?.[Number(phrasesError.path[0])] ?? ''}”): ${phrasesError.message}`
      : phrasesError.message);
  const localPhrases = phrasesProblem(form.phrases);
  const localAdvice = adviceProblem(form.advice);
  const adviceLength = textLength(form.advice.trim());
  const isDefault = JSON.stringify(list) === JSON.stringify(DEFAULT_RED_FLAG_PHRASES);
  return (
    <SettingsSection
      title={LABELS.patientSafety}
      testId="patient-safety"
      description="When a patient writes one of these phrases, the portal shows the emergency advice and the clinic phone above Send at once (sending stays possible), and the message is marked Red flag for staff."
      save={save}
      changes={changesOf(form.phrases, form.advice, settings)}
      invalid={localPhrases !== null || localAdvice !== null}
      fields={['redFlagPhrases', 'emergencyAdvice']}
    >
      <Stack gap={6}>
        <Textarea
          label={LABELS.redFlagPhrases}
          description={`One a line, matched as whole words whatever the case or accents. ${list.length} ${list.length === 1 ? 'phrase' : 'phrases'} (at most ${RED_FLAG_PHRASES_MAX}, each up to ${RED_FLAG_PHRASE_MAX} characters).`}
          autosize
          minRows={6}
          maxRows={16}
          value={form.phrases}
          onChange={(e) => setForm({ ...form, phrases: e.currentTarget.value })}
          error={serverPhraseError ?? localPhrases}
          inputWrapperOrder={['label', 'description', 'input', 'error']}
          spellCheck={false}
        />
        <Group gap="xs">
          <Button
            size="compact-sm"
            variant="default"
            disabled={isDefault}
            onClick={() => setForm({ ...form, phrases: DEFAULT_RED_FLAG_PHRASES.join('\n') })}
          >
            Use the built-in list
          </Button>
          {isDefault && (
            <Text size="xs" c="dimmed">
              This is the built-in list of common emergency phrases.
            </Text>
          )}
        </Group>
      </Stack>
      <Stack gap={6}>
        <TextInput
          label="Try a sentence"
          description="Not saved: see whether a message would be flagged by the list above."
          placeholder="e.g. I have had chest pain since this morning"
          value={trial}
          onChange={(e) => setTrial(e.currentTarget.value)}
          inputWrapperOrder={['label', 'input', 'description']}
        />
        {trial.trim() && (
          <Group gap={6} role="status" aria-live="polite">
            {matched.length > 0 ? (
              <>
                <Badge color="red">{LABELS.redFlag}</Badge>
                <Text size="sm">matches {matched.map((m) => `“${m}”`).join(', ')}</Text>
              </>
            ) : (
              <Text size="sm" c="dimmed">
                No phrase matches: no red flag.
              </Text>
            )}
          </Group>
        )}
      </Stack>
      <Textarea
        label={LABELS.emergencyAdvice}
        required
        description={`Shown to the patient above Send while a phrase matches, with the clinic phone. ${adviceLength.toLocaleString('en-GB')} / ${EMERGENCY_ADVICE_MAX.toLocaleString('en-GB')}`}
        autosize
        minRows={2}
        maxRows={6}
        value={form.advice}
        onChange={(e) => setForm({ ...form, advice: e.currentTarget.value })}
        error={fieldError(save.error, 'emergencyAdvice') ?? localAdvice}
        inputWrapperOrder={['label', 'input', 'description', 'error']}
      />
    </SettingsSection>
  );
}
