import { Alert, Anchor, Button, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ApiError, fieldError } from '../../../lib/api';
import { resetCache } from '../../../lib/query';
import { AuthCard } from '../../../ui/auth-card';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { PasswordField } from '../../../ui/password-field';
import { Loading } from '../../../ui/states';
import { LABELS } from '../../../../common/labels';
import { useClinicInfo } from '../clinic/api';
import { SignInTrouble } from '../clinic/components';
import { portalSession } from './api';
import { clinicLinkPath, forgetClinicLink, rememberedClinicLink } from './clinic-link';

/** Under the Clinic code box when it is asked for: where a patient finds it. */
export const CLINIC_CODE_HINT =
  'You’ll find it in the invitation email your clinic sent you. Can’t find it? Ask your clinic.';

/** Where "Not your clinic?" leads: the plain sign-in, the clinic code box empty. */
interface OtherClinic {
  otherClinic: true;
}

const isOtherClinic = (state: unknown): state is OtherClinic =>
  typeof state === 'object' && state !== null && 'otherClinic' in state;

/**
 * The portal's sign-in while signed out on any page: that of the clinic whose link was
 * followed here (its name shown, its code filled in), else the plain one asking for the code.
 */
export function PortalSignInPage({ notice }: { notice: string | null }) {
  const link = rememberedClinicLink();
  return link ? (
    <ClinicLinkSignIn clinicKey={link} notice={notice} />
  ) : (
    <PlainSignIn notice={notice} />
  );
}

/** The sign-in asking for the clinic code, saying where to find it. */
export function PlainSignIn(props: { notice?: string | null; children?: ReactNode }) {
  // The clinic code given in the address (?clinic=) goes along to the forgotten-password page.
  const { state, search } = useLocation();
  const other = isOtherClinic(state);
  return (
    <AuthCard
      title={LABELS.patientPortal}
      below="Sign in to write to your clinic and read its replies."
    >
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.children}
      <PortalSignInForm
        // Keyed so that "Not your clinic?" starts the form again, its clinic code box empty.
        key={other ? 'other' : 'remembered'}
        defaultChamber={other ? '' : portalSession.rememberedClinic()}
        focusChamber={other}
      />
      <Anchor component={Link} to={{ pathname: '/forgotten-password', search }} size="sm">
        Forgotten password?
      </Anchor>
      <Text size="sm">
        New to the portal?{' '}
        <Anchor component={Link} to={{ pathname: '/sign-up', search }}>
          {LABELS.signUp}
        </Anchor>{' '}
        with the invite code your clinic gave you.
      </Text>
    </AuthCard>
  );
}

/**
 * A clinic link's sign-in: the clinic's name as the title and its code filled in, with a way
 * out for a person who followed another clinic's link. An unknown code asks for the code.
 */
export function ClinicLinkSignIn(props: {
  clinicKey: string;
  notice?: string | null;
  /** Above the form, e.g. that another clinic's session is open. */
  children?: ReactNode;
}) {
  const { clinicKey } = props;
  const clinic = useClinicInfo(clinicKey);
  const navigate = useNavigate();
  const unknown = clinic.error instanceof ApiError && clinic.error.status === 404;
  // A link to no clinic is not one to come back to.
  useEffect(() => {
    if (unknown && rememberedClinicLink() === clinicKey) forgetClinicLink();
  }, [unknown, clinicKey]);
  if (clinic.isPending) return <Loading />;
  if (clinic.isError) {
    return (
      <PlainSignIn notice={props.notice}>
        <Alert color="orange" role="alert">
          {unknown
            ? `This clinic link (code “${clinicKey}”) does not match any clinic. Check the link in your email, or type your clinic code below.`
            : 'Your clinic’s details could not be loaded. Type your clinic code below, or try again later.'}
        </Alert>
      </PlainSignIn>
    );
  }
  const notMine = () => {
    forgetClinicLink();
    void navigate('/', { state: { otherClinic: true } satisfies OtherClinic });
  };
  return (
    <AuthCard
      above={LABELS.patientPortal}
      title={clinic.data.name}
      below="Sign in to write to the clinic and read its replies."
    >
      {props.notice && <Notice>{props.notice}</Notice>}
      {props.children}
      <PortalSignInForm
        defaultChamber={clinicKey}
        fixedChamber={
          <Anchor
            component="button"
            type="button"
            size="sm"
            onClick={notMine}
            style={{ alignSelf: 'flex-start' }}
          >
            Not your clinic?
          </Anchor>
        }
      />
      <Anchor component={Link} to={clinicLinkPath(clinicKey, 'forgotten-password')} size="sm">
        Forgotten password?
      </Anchor>
      <Text size="sm">
        New to the portal?{' '}
        <Anchor component={Link} to={clinicLinkPath(clinicKey, 'sign-up')}>
          {LABELS.signUp}
        </Anchor>{' '}
        with the invite code your clinic gave you.
      </Text>
    </AuthCard>
  );
}

function Notice({ children }: { children: ReactNode }) {
  return (
    <Alert color="orange" role="alert">
      {children}
    </Alert>
  );
}

/**
 * Clinic code, email and password; the error of the last attempt is shown next to its field.
 * The clinic code is typed (with where to find it), or fixed by a clinic link: then it is
 * shown read-only, with `fixedChamber` (the way to another clinic) under it.
 */
function PortalSignInForm(props: {
  defaultChamber: string;
  fixedChamber?: ReactNode;
  /** The cursor starts in the clinic code box (the person asked to change clinic). */
  focusChamber?: boolean;
}) {
  const client = useQueryClient();
  const [chamber, setChamber] = useState(props.defaultChamber);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const attempt = useMutation({
    mutationFn: async (values: { chamber: string; email: string; password: string }) =>
      resetCache(client, await portalSession.signIn(values)),
  });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, attempt.error);
  const fixed = props.fixedChamber !== undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    attempt.mutate({ chamber: chamber.trim(), email: email.trim(), password });
  };
  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="sm">
        <FormAlert error={attempt.error} fields={['chamber', 'email', 'password']} />
        <Stack gap={4}>
          <TextInput
            label="Clinic code"
            required={!fixed}
            readOnly={fixed}
            variant={fixed ? 'filled' : 'default'}
            description={fixed ? undefined : CLINIC_CODE_HINT}
            autoComplete="organization"
            autoFocus={props.focusChamber}
            value={chamber}
            onChange={(e) => setChamber(e.currentTarget.value)}
            error={fieldError(attempt.error, 'chamber')}
          />
          {props.fixedChamber}
        </Stack>
        <TextInput
          label="Email"
          type="email"
          required
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={fieldError(attempt.error, 'email')}
        />
        <PasswordField
          label="Password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={fieldError(attempt.error, 'password')}
        />
        <Button type="submit" loading={attempt.isPending} fullWidth>
          Sign in
        </Button>
        {attempt.isError && (
          <SignInTrouble chamber={attempt.variables.chamber} error={attempt.error} />
        )}
      </Stack>
    </form>
  );
}

/** A line for the clinic link's sign-in when another clinic's session is open here. */
export function OtherClinicSession({ name }: { name: string }) {
  return (
    <Text size="sm">
      You are signed in to {name}.{' '}
      <Anchor component={Link} to="/" inherit>
        Go back to {name}
      </Anchor>
      , or sign in below.
    </Text>
  );
}
