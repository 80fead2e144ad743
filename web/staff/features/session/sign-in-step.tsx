import {
  Alert,
  Anchor,
  Button,
  Card,
  Divider,
  Group,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, fieldError } from '../../../lib/api';
import { AuthCard } from '../../../ui/auth-card';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import type { PendingStep } from '../../../ui/session-frame';
import type { StaffSession } from '../../../../common/contract/auth.js';
import type { FactorAdded, SecondFactorDue } from '../../../../common/contract/staff-identity.js';
import { LABELS } from '../../../../common/labels';
import {
  AddPasskeyForm,
  AuthenticatorCodeField,
  PasskeyAddressHint,
  RecoveryCodesShown,
  sixDigits,
  TotpSetUpPanel,
} from '../two-step/components';
import { answerSecondFactor, readStaffSession } from './api';
import { openedAtIpAddress } from '../two-step/passkey';

const EXPIRED = 'The time to finish signing in ran out. Please sign in again.';

/** Whether a refusal means the half-finished sign-in is gone (timed out or ended). */
function stepEnded(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    error.status === 401 &&
    (error.code === 'second_factor_required' || error.code === 'unauthenticated')
  );
}

/** Calls `expired` when the step's time is up, so the person is not left typing into nothing. */
function useStepDeadline(expiresAt: string, expired: (message: string) => void) {
  const latest = useRef(expired);
  latest.current = expired;
  useEffect(() => {
    const ms = Date.parse(expiresAt) - Date.now();
    const timer = setTimeout(() => latest.current(EXPIRED), Math.max(ms, 0));
    return () => clearTimeout(timer);
  }, [expiresAt]);
}

/** The page or dialog frame of a step: a card on its own page, plain content in a dialog. */
function StepFrame(props: {
  inDialog: boolean;
  title: string;
  below: string;
  width?: number;
  children: ReactNode;
}) {
  if (props.inDialog)
    return (
      <Stack>
        <Title order={2} size="h4">
          {props.title}
        </Title>
        <Text size="sm" c="dimmed">
          {props.below}
        </Text>
        {props.children}
      </Stack>
    );
  return (
    <AuthCard above="Staff sign-in" title={props.title} below={props.below} width={props.width}>
      {props.children}
    </AuthCard>
  );
}

/**
 * The step after the password (rule 19): a second factor, or setting one up first when the
 * clinic requires one and the user has none.
 */
export function StaffSignInStep(props: PendingStep<StaffSession, SecondFactorDue>) {
  useStepDeadline(props.pending.expiresAt, props.expired);
  return props.pending.next === 'second_factor' ? (
    <SecondFactorStep {...props} />
  ) : (
    <SetUpStep {...props} />
  );
}

type Answer = Parameters<typeof answerSecondFactor>[0];

/** Use your passkey, a code from the authenticator app, or a recovery code: those this user has. */
function SecondFactorStep({
  pending,
  signedIn,
  expired,
  cancel,
  inDialog,
}: PendingStep<StaffSession, SecondFactorDue>) {
  const has = (m: SecondFactorDue['methods'][number]) => pending.methods.includes(m);
  const onlyRecovery = !has('passkey') && !has('totp');
  const [recovery, setRecovery] = useState(onlyRecovery);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const answer = useMutation({
    mutationFn: (a: Answer) => answerSecondFactor(a),
    onSuccess: signedIn,
    onError: (error) => {
      if (stepEnded(error)) expired(EXPIRED);
    },
  });
  const locked = answer.error instanceof ApiError && answer.error.code === 'account_locked';
  const totpForm = useRef<HTMLFormElement>(null);
  const recoveryForm = useRef<HTMLFormElement>(null);
  useFocusOnError(totpForm, answer.variables?.method === 'totp' ? answer.error : null);
  useFocusOnError(recoveryForm, answer.variables?.method === 'recovery_code' ? answer.error : null);
  const errorFor = (method: Answer['method']) =>
    answer.variables?.method === method ? answer.error : null;
  // A wrong code is named under its box; other refusals (locked, passkey) above the choices.
  const codeError = (method: Answer['method']) =>
    method === 'passkey'
      ? undefined
      : (fieldError(errorFor(method), 'code') ??
        (errorFor(method) instanceof ApiError &&
        (errorFor(method) as ApiError).status === 401 &&
        !stepEnded(errorFor(method))
          ? (errorFor(method) as ApiError).message
          : undefined));
  const shownUnderField = (method: Answer['method']) => codeError(method) !== undefined;
  const topError =
    answer.error && answer.variables && !shownUnderField(answer.variables.method)
      ? answer.error
      : null;

  return (
    <StepFrame
      inDialog={inDialog}
      title={LABELS.twoStepVerification}
      below="Your password was right. Confirm it is you to finish signing in."
    >
      <Stack gap="md">
        <FormAlert error={topError} />
        {locked ? (
          <Text size="sm">
            Sign in again when the lock has passed, or ask an administrator to help.
          </Text>
        ) : (
          <>
            {has('passkey') && (
              <Stack gap={4}>
                <Button
                  fullWidth
                  loading={answer.isPending && answer.variables?.method === 'passkey'}
                  disabled={openedAtIpAddress()}
                  onClick={() => answer.mutate({ method: 'passkey' })}
                >
                  Use your passkey
                </Button>
                <PasskeyAddressHint />
              </Stack>
            )}
            {has('passkey') && has('totp') && <Divider label="or" labelPosition="center" />}
            {has('totp') && (
              <form
                ref={totpForm}
                noValidate
                onSubmit={(e) => {
                  e.preventDefault();
                  answer.mutate({ method: 'totp', code: sixDigits(code) });
                }}
              >
                <Stack gap="xs">
                  <AuthenticatorCodeField
                    value={code}
                    onChange={setCode}
                    error={codeError('totp')}
                    autoFocus={!has('passkey')}
                  />
                  <Button
                    type="submit"
                    variant={has('passkey') ? 'default' : 'filled'}
                    loading={answer.isPending && answer.variables?.method === 'totp'}
                    style={{ alignSelf: 'flex-start' }}
                  >
                    Verify code
                  </Button>
                </Stack>
              </form>
            )}
            {has('recovery_code') &&
              (recovery ? (
                <form
                  ref={recoveryForm}
                  noValidate
                  onSubmit={(e) => {
                    e.preventDefault();
                    answer.mutate({ method: 'recovery_code', code: recoveryCode.trim() });
                  }}
                >
                  <Stack gap="xs">
                    <TextInput
                      label="Recovery code"
                      description="One of the ten codes you saved when you set up two-step verification. Each works once."
                      inputWrapperOrder={['label', 'input', 'description', 'error']}
                      autoComplete="off"
                      autoCapitalize="none"
                      spellCheck={false}
                      required
                      value={recoveryCode}
                      onChange={(e) => setRecoveryCode(e.currentTarget.value)}
                      error={codeError('recovery_code')}
                      aria-invalid={Boolean(codeError('recovery_code')) || undefined}
                      autoFocus={!onlyRecovery}
                      maw={280}
                    />
                    <Button
                      type="submit"
                      variant="default"
                      loading={answer.isPending && answer.variables?.method === 'recovery_code'}
                      style={{ alignSelf: 'flex-start' }}
                    >
                      Use recovery code
                    </Button>
                  </Stack>
                </form>
              ) : (
                <Anchor
                  component="button"
                  type="button"
                  size="sm"
                  onClick={() => setRecovery(true)}
                  style={{ alignSelf: 'flex-start' }}
                >
                  Use a recovery code
                </Anchor>
              ))}
            {pending.methods.length === 0 && (
              <Alert color="orange" role="alert">
                None of your second factors can be used here. Please ask an administrator to reset
                your two-step verification.
              </Alert>
            )}
          </>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={() => void cancel()}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </StepFrame>
  );
}

/**
 * The clinic requires two-step verification and this user has none: a passkey or the
 * authenticator app first, then the ten recovery codes once, then the app.
 */
function SetUpStep({
  pending,
  signedIn,
  expired,
  cancel,
  inDialog,
}: PendingStep<StaffSession, SecondFactorDue>) {
  const [added, setAdded] = useState<FactorAdded | null>(null);
  const enter = useMutation({
    mutationFn: readStaffSession,
    onSuccess: signedIn,
    onError: (error) => {
      if (stepEnded(error)) expired(EXPIRED);
    },
  });
  const onAdded = (result: FactorAdded) => {
    if (result.recoveryCodes) setAdded(result);
    else enter.mutate();
  };
  if (added?.recoveryCodes)
    return (
      <StepFrame
        inDialog={inDialog}
        title={LABELS.recoveryCodes}
        below={
          added.factor.kind === 'passkey'
            ? `Passkey “${added.factor.name}” added: two-step verification is on.`
            : 'Authenticator app set up: two-step verification is on.'
        }
        width={520}
      >
        <RecoveryCodesShown codes={added.recoveryCodes} onDone={() => enter.mutate()} />
        <FormAlert error={enter.error} />
      </StepFrame>
    );
  return (
    <StepFrame
      inDialog={inDialog}
      title="Set up two-step verification"
      below="Your clinic requires two-step verification for staff. Set up a passkey or an authenticator app to finish signing in."
      width={560}
    >
      <Stack gap="md">
        {pending.methods.includes('passkey') && (
          <Card withBorder padding="sm" component="section" aria-labelledby="set-up-passkey">
            <Title order={2} size="h5" id="set-up-passkey" mb={4}>
              Passkey
            </Title>
            <Text size="sm" c="dimmed" mb="xs">
              Sign in with your fingerprint, face or screen lock, or a security key.
            </Text>
            <AddPasskeyForm unavailable={null} onAdded={onAdded} />
          </Card>
        )}
        {pending.methods.includes('totp') && (
          <Card withBorder padding="sm" component="section" aria-labelledby="set-up-totp">
            <Title order={2} size="h5" id="set-up-totp" mb={4}>
              Authenticator app
            </Title>
            <TotpSetUpPanel onAdded={onAdded} />
          </Card>
        )}
        <FormAlert error={enter.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => void cancel()}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </StepFrame>
  );
}
