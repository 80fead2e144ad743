import {
  Alert,
  Anchor,
  Button,
  Card,
  Checkbox,
  Group,
  List,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../../lib/api';
import { AuthCard } from '../../../ui/auth-card';
import { useFocusOnError } from '../../../ui/focus-on-error';
import { FormAlert } from '../../../ui/form-alert';
import { PasswordField } from '../../../ui/password-field';
import { LABELS } from '../../../../common/labels';
import type { SignUp } from '../../../../common/contract/sign-up.js';
import { ClinicContact } from '../clinic/components';
import { portalSession } from '../session/api';
import { clinicKeyOf, clinicLinkPath } from '../session/clinic-link';
import { signUp, useClinicByCode } from './api';

/** The form's fields, in the order they show (and are checked). */
const FIELDS = [
  'chamber',
  'inviteCode',
  'firstName',
  'lastName',
  'dateOfBirth',
  'email',
  'password',
  'emailConsent',
] as const;
type Field = (typeof FIELDS)[number];
type Problems = Partial<Record<Field, string>>;

/** What to do about a field the server found malformed, in words for the person. */
const FIX: Record<Field, string> = {
  chamber: 'Enter the clinic code your clinic gave you.',
  inviteCode: `Enter the ${LABELS.onlineSignUpInviteCode} your clinic gave you.`,
  firstName: 'Enter your first name.',
  lastName: 'Enter your last name.',
  dateOfBirth: 'Enter your real date of birth, for example 27 3 1985.',
  email: 'Enter your email address, like name@example.com.',
  password: 'Choose a password.',
  emailConsent: 'Tick the box, or leave it empty, to say whether we may email you.',
};

/** The address of this page's clinic: a clinic link's, else the one remembered here. */
function useInitialClinic(): string {
  const fromLink = clinicKeyOf(useParams().clinic);
  const [initial] = useState(() => fromLink || portalSession.rememberedClinic());
  return initial;
}

/** `YYYY-MM-DD` from the three boxes, or null when one is empty or not a number. */
function dateOf(day: string, month: string, year: string): string | null {
  const [d, m, y] = [day.trim(), month.trim(), year.trim()];
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) return null;
  return `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
}

/** The form's own checks before sending: every empty field at once, and the date's shape. */
function check(values: Omit<SignUp, 'dateOfBirth'> & { dateOfBirth: string | null }): Problems {
  const problems: Problems = {};
  if (!values.chamber.trim()) problems.chamber = FIX.chamber;
  if (!values.inviteCode.trim()) problems.inviteCode = FIX.inviteCode;
  if (!values.firstName.trim()) problems.firstName = FIX.firstName;
  if (!values.lastName.trim()) problems.lastName = FIX.lastName;
  if (!values.dateOfBirth) problems.dateOfBirth = FIX.dateOfBirth;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email.trim())) problems.email = FIX.email;
  if (!values.password) problems.password = FIX.password;
  return problems;
}

/** The server's refusal for one field: its own sentence for a password, else what to do. */
function serverProblem(error: unknown, field: Field): string | undefined {
  if (!(error instanceof ApiError) || error.field !== field) return undefined;
  return error.code === 'validation_failed' ? FIX[field] : error.message;
}

/**
 * Sign up (rule 17): a new patient joins their clinic's Patient Portal with the clinic's
 * Online sign-up invite code. Every well-formed form gets the same answer, "Check your email";
 * what happens next depends on what the clinic knows, and is said only in the email.
 */
export function SignUpPage() {
  const initialClinic = useInitialClinic();
  const clinic = useClinicByCode(initialClinic);
  const clinicName = clinic.data?.name ?? null;
  const [sent, setSent] = useState<{ message: string; email: string; chamber: string } | null>(
    null,
  );
  const signInPath = clinic.data ? clinicLinkPath(initialClinic) : '/';
  if (sent)
    return (
      <CheckYourEmail
        {...sent}
        clinicName={clinicName}
        signInPath={signInPath}
        onAgain={() => setSent(null)}
      />
    );
  return (
    <AuthCard
      above={clinicName ?? LABELS.patientPortal}
      title={LABELS.signUp}
      below="Join your clinic’s Patient Portal to write to the clinic and read its replies."
      width={560}
    >
      <SignUpForm defaultClinic={initialClinic} onSent={setSent} />
      <Text size="sm">
        Already have an account?{' '}
        <Anchor component={Link} to={signInPath} inherit>
          Sign in
        </Anchor>
      </Text>
    </AuthCard>
  );
}

function SignUpForm(props: {
  defaultClinic: string;
  onSent: (sent: { message: string; email: string; chamber: string }) => void;
}) {
  const [chamber, setChamber] = useState(props.defaultClinic);
  const [inviteCode, setInviteCode] = useState('');
  const [firstName, setFirstName] = useState('');
  const [lastName, setLastName] = useState('');
  const [day, setDay] = useState('');
  const [month, setMonth] = useState('');
  const [year, setYear] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [emailConsent, setEmailConsent] = useState(false);
  const [problems, setProblems] = useState<Problems>({});
  // A new object each refused submit, so the cursor goes back to the first problem each time.
  const [refusal, setRefusal] = useState<object | null>(null);
  const send = useMutation({
    mutationFn: signUp,
    onSuccess: (answer, values) =>
      props.onSent({ message: answer.message, email: values.email, chamber: values.chamber }),
    onError: () => setRefusal({}),
  });
  const form = useRef<HTMLFormElement>(null);
  useFocusOnError(form, refusal);

  const problem = (field: Field) => problems[field] ?? serverProblem(send.error, field);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const values = {
      chamber: chamber.trim(),
      inviteCode: inviteCode.trim(),
      firstName: firstName.trim(),
      lastName: lastName.trim(),
      dateOfBirth: dateOf(day, month, year),
      email: email.trim(),
      password,
      emailConsent,
    };
    const found = check(values);
    setProblems(found);
    send.reset();
    if (Object.keys(found).length > 0 || !values.dateOfBirth) {
      setRefusal({});
      return;
    }
    send.mutate({ ...values, dateOfBirth: values.dateOfBirth });
  };

  return (
    <form ref={form} onSubmit={submit} noValidate>
      <Stack gap="sm">
        <FormAlert error={send.error} fields={[...FIELDS]} />
        <TextInput
          label="Clinic code"
          required
          description="Your clinic gives you its clinic code with the invite code."
          autoComplete="organization"
          value={chamber}
          onChange={(e) => setChamber(e.currentTarget.value)}
          error={problem('chamber')}
        />
        <TextInput
          label={LABELS.onlineSignUpInviteCode}
          required
          description="Your clinic gives you this code. Capital or small letters do not matter."
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          value={inviteCode}
          onChange={(e) => setInviteCode(e.currentTarget.value)}
          error={problem('inviteCode')}
        />
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="sm" verticalSpacing="sm">
          <TextInput
            label="First name"
            required
            autoComplete="given-name"
            value={firstName}
            onChange={(e) => setFirstName(e.currentTarget.value)}
            error={problem('firstName')}
          />
          <TextInput
            label="Last name"
            required
            autoComplete="family-name"
            value={lastName}
            onChange={(e) => setLastName(e.currentTarget.value)}
            error={problem('lastName')}
          />
        </SimpleGrid>
        <DateOfBirthFields
          day={day}
          month={month}
          year={year}
          onDay={setDay}
          onMonth={setMonth}
          onYear={setYear}
          error={problem('dateOfBirth')}
        />
        <TextInput
          label="Email"
          type="email"
          required
          description="You will sign in with it; we send a link to it to confirm it is yours."
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.currentTarget.value)}
          error={problem('email')}
        />
        <PasswordField
          label="Password"
          description="At least 10 characters with a letter and a digit, hard to guess: not built from your name, email or clinic. A few unusual words together work well."
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.currentTarget.value)}
          error={problem('password')}
        />
        <Checkbox
          label="Email me when something new is waiting for me in the Patient Portal"
          description="The email never says what it is or who it is from: you read it after signing in. Without this tick you get no such emails, only the one to confirm your address."
          checked={emailConsent}
          onChange={(e) => setEmailConsent(e.currentTarget.checked)}
          error={problem('emailConsent')}
        />
        <Button type="submit" loading={send.isPending} fullWidth mt="xs">
          {LABELS.signUp}
        </Button>
      </Stack>
    </form>
  );
}

/** Day, month and year of birth as three boxes under one legend (easier than a calendar). */
function DateOfBirthFields(props: {
  day: string;
  month: string;
  year: string;
  onDay: (v: string) => void;
  onMonth: (v: string) => void;
  onYear: (v: string) => void;
  error?: string;
}) {
  const id = useId();
  const hint = `${id}-hint`;
  const errorId = `${id}-error`;
  const described = props.error ? `${hint} ${errorId}` : hint;
  const box = (
    label: string,
    value: string,
    onChange: (v: string) => void,
    width: number,
    autoComplete: string,
  ) => (
    <TextInput
      label={label}
      w={width}
      inputMode="numeric"
      autoComplete={autoComplete}
      maxLength={label === 'Year' ? 4 : 2}
      value={value}
      onChange={(e) => onChange(e.currentTarget.value)}
      error={Boolean(props.error)}
      aria-describedby={described}
      aria-invalid={Boolean(props.error) || undefined}
    />
  );
  return (
    <fieldset style={{ border: 0, padding: 0, margin: 0, minWidth: 0 }}>
      <Text
        component="legend"
        size="sm"
        p={0}
        style={{ fontWeight: 'var(--mantine-font-weight-medium)' }}
      >
        Date of birth{' '}
        <Text component="span" inherit c="var(--mantine-color-error)" aria-hidden>
          *
        </Text>
      </Text>
      <Text id={hint} size="xs" c="dimmed" mb={4}>
        For example 27 3 1985
      </Text>
      <Group gap="sm" wrap="nowrap" align="flex-start">
        {box('Day', props.day, props.onDay, 64, 'bday-day')}
        {box('Month', props.month, props.onMonth, 64, 'bday-month')}
        {box('Year', props.year, props.onYear, 88, 'bday-year')}
      </Group>
      {props.error && (
        <Text id={errorId} size="xs" c="red" mt={4}>
          {props.error}
        </Text>
      )}
    </fieldset>
  );
}

/**
 * After a sign-up: the same page whatever the clinic knows (the email says the rest), with
 * what happens next and whom to call when no email comes.
 */
function CheckYourEmail(props: {
  message: string;
  email: string;
  chamber: string;
  clinicName: string | null;
  signInPath: string;
  onAgain: () => void;
}) {
  const page = useRef<HTMLDivElement>(null);
  // A new page in place of the form: a screen reader starts reading from its heading.
  useEffect(() => {
    const heading = page.current?.querySelector<HTMLElement>('h1');
    if (!heading) return;
    heading.tabIndex = -1;
    heading.style.outline = 'none';
    heading.focus();
  }, []);
  return (
    <div ref={page}>
      <AuthCard
        above={props.clinicName ?? LABELS.patientPortal}
        title="Check your email"
        width={560}
      >
        <Alert color="teal" role="status">
          {props.message}
        </Alert>
        <div>
          <Title order={2} size="h4" mb="xs">
            What happens next
          </Title>
          <List type="ordered" spacing="xs" size="sm">
            <List.Item>
              Open the email from the Patient Portal sent to{' '}
              <Text span fw={700} inherit style={{ overflowWrap: 'anywhere' }}>
                {props.email}
              </Text>
              .
            </List.Item>
            <List.Item>
              Select the link in it and type the password you chose here: that confirms your email
              address. The link works once, within 24 hours.
            </List.Item>
            <List.Item>You are then signed in to the Patient Portal.</List.Item>
          </List>
          <Text size="sm" mt="xs">
            If you have an account with this email already, the email says so and how to sign in
            instead.
          </Text>
        </div>
        <Card withBorder padding="sm" bg="var(--mantine-color-gray-0)">
          <Text size="sm" fw={600} mb={4}>
            No email after a few minutes?
          </Text>
          <Text size="sm" mb={4}>
            Look in your spam or junk folder. Still nothing? Check the clinic code and the invite
            code with your clinic.
          </Text>
          <ClinicContact chamber={props.chamber} />
        </Card>
        <Group gap="md">
          <Anchor component={Link} to={props.signInPath} size="sm">
            Go to sign in
          </Anchor>
          <Anchor component="button" type="button" size="sm" onClick={props.onAgain}>
            Wrong email? Sign up again
          </Anchor>
        </Group>
      </AuthCard>
    </div>
  );
}
