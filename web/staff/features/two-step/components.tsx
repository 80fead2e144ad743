import {
  Alert,
  Anchor,
  Box,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
} from '@mantine/core';
import qrcode from 'qrcode-generator';
import { useRef, useState, type ReactNode } from 'react';
import { fieldError } from '../../../lib/api';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import type { FactorAdded, TotpSetUp } from '../../../../common/contract/staff-identity.js';
import { LABELS } from '../../../../common/labels';
import { openedAtIpAddress } from './passkey';
import { useAddPasskey, useConfirmTotp, useStartTotp } from './api';

/** The address where passkeys work when the page is open at a loopback IP address. */
export function localhostAddress(chamber?: string): string {
  const { port, protocol } = window.location;
  const clinic = chamber ? `?clinic=${encodeURIComponent(chamber)}` : '';
  return `${protocol}//localhost${port ? `:${port}` : ''}/staff/${clinic}`;
}

/**
 * Why passkeys cannot be used at this address: browsers refuse them at an IP address, and the
 * server binds them to `localhost` when it is reached at a loopback address.
 */
export function PasskeyAddressHint({ chamber }: { chamber?: string }) {
  if (!openedAtIpAddress()) return null;
  const address = localhostAddress(chamber);
  return (
    <Text size="xs" c="dimmed">
      Passkeys cannot be used at an IP address. They work at{' '}
      <Anchor href={address} size="xs" underline="always">
        {address}
      </Anchor>
      .
    </Text>
  );
}

/** Digits only, as an authenticator app shows them with or without a space in the middle. */
export function sixDigits(code: string): string {
  return code.replace(/\D/g, '');
}

/** A 6-digit code box: the phone offers the digits keyboard and the code from a text message. */
export function AuthenticatorCodeField(props: {
  value: string;
  onChange: (value: string) => void;
  error?: ReactNode;
  label?: string;
  autoFocus?: boolean;
}) {
  return (
    <TextInput
      label={props.label ?? 'Code from your authenticator app'}
      description="The 6-digit code the app shows now."
      inputWrapperOrder={['label', 'input', 'description', 'error']}
      autoComplete="one-time-code"
      inputMode="numeric"
      maxLength={7}
      required
      value={props.value}
      onChange={(e) => props.onChange(e.currentTarget.value)}
      error={props.error}
      aria-invalid={Boolean(props.error) || undefined}
      data-autofocus={props.autoFocus || undefined}
      autoFocus={props.autoFocus}
      styles={{
        wrapper: { maxWidth: 240 },
        input: { fontFamily: 'var(--mantine-font-family-monospace)', letterSpacing: 2 },
      }}
    />
  );
}

/** A QR code drawn as SVG squares, with the same text said in words for screen readers. */
export function QrCode({
  value,
  label,
  size = 192,
}: {
  value: string;
  label: string;
  size?: number;
}) {
  const code = qrcode(0, 'M');
  code.addData(value);
  code.make();
  const count = code.getModuleCount();
  const quiet = 4;
  const cells: string[] = [];
  for (let row = 0; row < count; row++)
    for (let col = 0; col < count; col++)
      if (code.isDark(row, col)) cells.push(`M${col + quiet},${row + quiet}h1v1h-1z`);
  const side = count + 2 * quiet;
  return (
    <svg
      role="img"
      aria-label={label}
      width={size}
      height={size}
      viewBox={`0 0 ${side} ${side}`}
      shapeRendering="crispEdges"
      style={{ background: '#fff', display: 'block', flexShrink: 0 }}
    >
      <path d={cells.join('')} fill="#000" />
    </svg>
  );
}

/** A secret key in groups of four, to type by hand. */
export function groupedInFours(secret: string): string {
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

/** Saves text as a file the browser downloads. */
function download(filename: string, text: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The ten recovery codes, shown once: each signs in once when the passkey or authenticator app
 * is not at hand. Copy, download as a text file, then "I have saved them".
 */
export function RecoveryCodesShown(props: {
  codes: string[];
  onDone: () => void;
  doneLabel?: string;
}) {
  const text = `${LABELS.recoveryCodes}\nEach code can be used once.\n\n${props.codes.join('\n')}\n`;
  return (
    <Stack gap="sm" data-testid="recovery-codes">
      <Text size="sm">
        Each code signs you in once when you cannot use your passkey or authenticator app. Keep them
        somewhere safe, such as a password manager: they are not shown again.
      </Text>
      <SimpleGrid
        cols={2}
        spacing="xs"
        verticalSpacing={4}
        component="ul"
        aria-label={LABELS.recoveryCodes}
        style={{ listStyle: 'none', padding: 0, margin: 0 }}
      >
        {props.codes.map((code) => (
          <Box component="li" key={code}>
            <Code fz="sm" style={{ whiteSpace: 'nowrap' }}>
              {code}
            </Code>
          </Box>
        ))}
      </SimpleGrid>
      <Group gap="xs">
        <CopyButton value={props.codes.join('\n')}>
          {({ copied, copy }) => (
            <Button size="xs" variant="default" onClick={copy}>
              {copied ? 'Copied' : 'Copy codes'}
            </Button>
          )}
        </CopyButton>
        <Button size="xs" variant="default" onClick={() => download('recovery-codes.txt', text)}>
          Download as .txt
        </Button>
      </Group>
      <Group>
        <Button onClick={props.onDone}>{props.doneLabel ?? 'I have saved them'}</Button>
      </Group>
    </Stack>
  );
}

/** Add passkey: a name for it, then the browser's own dialog makes it. */
export function AddPasskeyForm(props: {
  /** Why passkeys cannot be added here, or null. */
  unavailable: string | null;
  onAdded: (added: FactorAdded) => void;
}) {
  const [name, setName] = useState('');
  const add = useAddPasskey();
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, add.error);
  const atIp = openedAtIpAddress();
  const disabled = props.unavailable !== null || atIp;
  return (
    <form
      ref={form}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (disabled) return;
        add.mutate(name.trim() || 'Passkey', {
          onSuccess: (added) => {
            setName('');
            props.onAdded(added);
          },
        });
      }}
    >
      <Stack gap="xs">
        <Group align="flex-end" gap="xs" wrap="wrap">
          <TextInput
            label="Passkey name"
            description="So you can tell your passkeys apart, e.g. “Work laptop”."
            inputWrapperOrder={['label', 'input', 'description', 'error']}
            value={name}
            maxLength={100}
            onChange={(e) => setName(e.currentTarget.value)}
            error={fieldError(add.error, 'name')}
            disabled={disabled}
            style={{ flex: '1 1 220px' }}
            maw={360}
          />
        </Group>
        <Group>
          <Button type="submit" loading={add.isPending} disabled={disabled}>
            {LABELS.addPasskey}
          </Button>
        </Group>
        {props.unavailable && (
          <Text size="sm" c="dimmed">
            {props.unavailable}
          </Text>
        )}
        {!props.unavailable && <PasskeyAddressHint />}
        <FormAlert error={add.error} fields={['name']} />
      </Stack>
    </form>
  );
}

/**
 * Set up authenticator app: a new secret as a QR code and as a key to type, then a code from
 * the app to confirm it. Started by its button; the secret is kept unconfirmed for minutes only.
 */
export function TotpSetUpPanel(props: { onAdded: (added: FactorAdded) => void }) {
  const start = useStartTotp();
  const [code, setCode] = useState('');
  const [tooShort, setTooShort] = useState(false);
  const confirm = useConfirmTotp();
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, confirm.error ?? (tooShort || null));
  const setUp: TotpSetUp | undefined = start.data;
  if (!setUp)
    return (
      <Stack gap="xs">
        <Text size="sm" c="dimmed">
          Use an app such as Google Authenticator, Microsoft Authenticator or 1Password: it shows a
          new 6-digit code every 30 seconds.
        </Text>
        <Group>
          <Button variant="default" loading={start.isPending} onClick={() => start.mutate()}>
            {LABELS.setUpAuthenticatorApp}
          </Button>
        </Group>
        <FormAlert error={start.error} />
      </Stack>
    );
  return (
    <Card withBorder padding="sm" data-testid="totp-set-up">
      <Stack gap="sm">
        <Text size="sm" fw={600}>
          1. Scan this QR code with your authenticator app
        </Text>
        <Group align="flex-start" gap="md" wrap="wrap">
          <QrCode
            value={setUp.uri}
            label="QR code for your authenticator app. If you cannot scan it, type the key shown beside it."
          />
          <Stack gap={4} style={{ flex: '1 1 200px', minWidth: 0 }}>
            <Text size="sm">Cannot scan it? Type this key into the app instead:</Text>
            <Code
              fz="md"
              data-testid="totp-secret"
              aria-label={`Key: ${groupedInFours(setUp.secret)}`}
              style={{ overflowWrap: 'anywhere', letterSpacing: 1 }}
            >
              {groupedInFours(setUp.secret)}
            </Code>
            <CopyButton value={setUp.secret}>
              {({ copied, copy }) => (
                <Button
                  size="compact-xs"
                  variant="default"
                  onClick={copy}
                  style={{ alignSelf: 'flex-start' }}
                >
                  {copied ? 'Copied' : 'Copy key'}
                </Button>
              )}
            </CopyButton>
            <Text size="xs" c="dimmed">
              Time-based, 6 digits, every 30 seconds.
            </Text>
          </Stack>
        </Group>
        <form
          ref={form}
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            const short = sixDigits(code).length !== 6;
            setTooShort(short);
            if (short) return;
            confirm.mutate(
              { challengeId: setUp.challengeId, code: sixDigits(code) },
              { onSuccess: props.onAdded },
            );
          }}
        >
          <Stack gap="xs">
            <Text size="sm" fw={600}>
              2. Enter the code the app shows
            </Text>
            <AuthenticatorCodeField
              value={code}
              onChange={(value) => {
                setCode(value);
                setTooShort(false);
              }}
              error={
                tooShort ? 'Enter the 6 digits the app shows.' : fieldError(confirm.error, 'code')
              }
            />
            <FormAlert error={confirm.error} fields={['code']} />
            <Group gap="xs">
              <Button type="submit" loading={confirm.isPending}>
                Confirm
              </Button>
              {confirm.isError && (
                <Button
                  variant="default"
                  onClick={() => {
                    confirm.reset();
                    setCode('');
                    start.mutate();
                  }}
                >
                  Start again with a new key
                </Button>
              )}
            </Group>
          </Stack>
        </form>
      </Stack>
    </Card>
  );
}

/** An alert for what was just added, with the recovery codes when they came with it. */
export function AddedNotice({ added, onClose }: { added: FactorAdded; onClose: () => void }) {
  return (
    <Alert color="teal" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={onClose}>
      {added.factor.kind === 'passkey'
        ? `Passkey “${added.factor.name}” added.`
        : 'Authenticator app set up.'}
    </Alert>
  );
}
