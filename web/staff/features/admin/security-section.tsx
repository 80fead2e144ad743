import {
  Button,
  Card,
  Checkbox,
  CopyButton,
  Divider,
  Group,
  Modal,
  PasswordInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useId, useRef, useState } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { QueryState } from '../../../ui/states';
import type { Settings } from '../../../../common/contract/settings.js';
import type {
  SsoSettings,
  SsoSettingsChanges,
} from '../../../../common/contract/staff-identity.js';
import { LABELS } from '../../../../common/labels';
import { removeSso, saveSso, useSaveSettings, useSso, useSsoMutation } from './api';
import { SaveRow, useSettingsDraft } from './settings-section';

const SSO_FIELDS = ['issuer', 'clientId', 'clientSecret', 'name', 'allowPasswordSignIn'];

/**
 * Admin > Configuration > Security (rule 19): Require two-step verification for staff, and
 * Single sign-on through an OpenID Connect provider.
 */
export function SecuritySection({ settings }: { settings: Settings }) {
  const titleId = useId();
  return (
    <Card withBorder component="section" aria-labelledby={titleId} data-testid="security">
      <Title order={3} size="h5" id={titleId} mb="sm">
        {LABELS.security}
      </Title>
      <Stack gap="lg">
        <RequireTwoStepForm settings={settings} />
        <Divider />
        <SingleSignOnForm />
      </Stack>
    </Card>
  );
}

function RequireTwoStepForm({ settings }: { settings: Settings }) {
  const save = useSaveSettings();
  const [required, setRequired] = useSettingsDraft(settings.requireStaffTwoStep);
  const changed = required !== settings.requireStaffTwoStep;
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (changed) save.mutate({ requireStaffTwoStep: required });
      }}
    >
      <Stack gap="sm">
        <Checkbox
          label={LABELS.requireTwoStep}
          description="Signing in asks every staff user for a passkey or a code from an authenticator app after the password. Staff without one will be asked to set one up at their next sign-in, before they can do anything else."
          checked={required}
          onChange={(e) => setRequired(e.currentTarget.checked)}
          error={fieldError(save.error, 'requireStaffTwoStep')}
        />
        <FormAlert error={save.error} fields={['requireStaffTwoStep']} />
        <SaveRow save={save} changed={changed} />
      </Stack>
    </form>
  );
}

function SingleSignOnForm() {
  const sso = useSso();
  return (
    <Stack gap="xs">
      <Title order={4} size="h6">
        {LABELS.singleSignOn}
      </Title>
      <Text size="sm" c="dimmed">
        Staff sign in through your organisation’s identity provider (OpenID Connect), matched by
        their verified email address. Emails that match no user of this clinic are refused; no user
        is ever created.
      </Text>
      <QueryState query={sso}>{(saved) => <SsoForm saved={saved} />}</QueryState>
    </Stack>
  );
}

/** The provider's settings; a refusal is shown under the field it names (the issuer, most often). */
function SsoForm({ saved }: { saved: SsoSettings }) {
  const [issuer, setIssuer] = useState(saved.issuer ?? '');
  const [clientId, setClientId] = useState(saved.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [name, setName] = useState(saved.name ?? '');
  const [allowPassword, setAllowPassword] = useState(saved.allowPasswordSignIn);
  const [removing, setRemoving] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const save = useSsoMutation((changes: SsoSettingsChanges) => saveSso(changes));
  const remove = useSsoMutation(() => removeSso());
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, save.error);
  // The provider could not be reached: that is the issuer's fault, shown under it.
  const issuerError =
    save.error instanceof ApiError && save.error.code === 'sso_issuer_unreachable'
      ? save.error.message
      : fieldError(save.error, 'issuer');
  return (
    <>
      <form
        ref={form}
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setDone(null);
          save.mutate(
            {
              issuer: issuer.trim(),
              clientId: clientId.trim(),
              ...(clientSecret ? { clientSecret } : {}),
              name: name.trim() || null,
              allowPasswordSignIn: allowPassword,
            },
            {
              onSuccess: () => {
                setClientSecret('');
                setDone('Saved.');
              },
            },
          );
        }}
      >
        <Stack gap="sm">
          <TextInput
            label="Issuer"
            description="The provider’s address, e.g. https://login.example.org/realms/clinic. It is looked up before saving."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            type="url"
            required
            autoComplete="off"
            value={issuer}
            onChange={(e) => setIssuer(e.currentTarget.value)}
            error={issuerError}
            aria-invalid={Boolean(issuerError) || undefined}
          />
          <TextInput
            label="Client id"
            required
            autoComplete="off"
            value={clientId}
            onChange={(e) => setClientId(e.currentTarget.value)}
            error={fieldError(save.error, 'clientId')}
          />
          <PasswordInput
            label="Client secret"
            description={
              saved.clientSecretSet
                ? 'Saved — leave empty to keep it. It is stored encrypted and never shown.'
                : 'Stored encrypted and never shown again.'
            }
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            placeholder={saved.clientSecretSet ? 'Saved — leave empty to keep' : undefined}
            required={!saved.clientSecretSet}
            autoComplete="new-password"
            value={clientSecret}
            onChange={(e) => setClientSecret(e.currentTarget.value)}
            error={fieldError(save.error, 'clientSecret')}
            aria-invalid={Boolean(fieldError(save.error, 'clientSecret')) || undefined}
          />
          <TextInput
            label="Button name (optional)"
            description={`Shown on the sign-in page as “${LABELS.signInWith} ${name.trim() || 'your provider'}”. Empty: the provider’s own name.`}
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            maxLength={60}
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(save.error, 'name')}
          />
          <Checkbox
            label={LABELS.allowPasswordSignIn}
            description="Off: staff sign in through the identity provider only. Administrators can always sign in with their password and second factor, so a broken provider cannot lock the clinic out."
            checked={allowPassword}
            onChange={(e) => setAllowPassword(e.currentTarget.checked)}
            error={fieldError(save.error, 'allowPasswordSignIn')}
          />
          <TextInput
            label="Redirect URI"
            description="Register this address at the provider as the client’s redirect (callback) URI."
            inputWrapperOrder={['label', 'description', 'input']}
            readOnly
            value={saved.redirectUri}
            onFocus={(e) => e.currentTarget.select()}
            rightSectionWidth={76}
            rightSectionPointerEvents="all"
            rightSection={
              <CopyButton value={saved.redirectUri}>
                {({ copied, copy }) => (
                  <Button
                    size="compact-sm"
                    variant="default"
                    onClick={copy}
                    aria-label={copied ? 'Copied' : 'Copy the redirect URI'}
                  >
                    {copied ? 'Copied' : 'Copy'}
                  </Button>
                )}
              </CopyButton>
            }
          />
          <FormAlert error={issuerError ? null : save.error} fields={SSO_FIELDS} />
          <Group gap="sm">
            <Button type="submit" loading={save.isPending}>
              Save
            </Button>
            {saved.configured && (
              <Button
                variant="light"
                color="red"
                onClick={() => {
                  remove.reset();
                  setRemoving(true);
                }}
              >
                Remove single sign-on
              </Button>
            )}
            {done && !save.isPending && (
              <Text size="sm" c="teal.9" role="status">
                {done}
              </Text>
            )}
          </Group>
        </Stack>
      </form>
      <Modal opened={removing} onClose={() => setRemoving(false)} title="Remove single sign-on?">
        <Stack>
          <Text size="sm">
            The “{LABELS.signInWith}” button goes from the sign-in page and the client secret is
            deleted. Staff sign in with their password again (and their second factor, when they
            have one).
          </Text>
          <FormAlert error={remove.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRemoving(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={remove.isPending}
              onClick={() =>
                remove.mutate(undefined, {
                  onSuccess: () => {
                    setRemoving(false);
                    setIssuer('');
                    setClientId('');
                    setClientSecret('');
                    setName('');
                    setAllowPassword(true);
                    setDone('Single sign-on removed.');
                  },
                })
              }
            >
              Remove single sign-on
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
