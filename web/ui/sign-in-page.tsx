import { Anchor, Card, Container, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { SignInForm, type SignInValues } from './sign-in-form';

/** A sign-in card: title, the form, and the forgotten-password link. */
export function SignInPage<T>(props: {
  title: string;
  subtitle: string;
  defaultChamber: string;
  signIn: (values: SignInValues) => Promise<T>;
  onSignedIn: (session: T, values: SignInValues) => void;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The clinic code given in the address (?clinic=) goes along to the forgotten-password page.
  const { search } = useLocation();
  return (
    <Container size={420} py="xl">
      <Card withBorder padding="lg">
        <Stack>
          <div>
            <Title order={1} size="h2">
              {props.title}
            </Title>
            <Text c="dimmed" size="sm">
              {props.subtitle}
            </Text>
          </div>
          <SignInForm
            defaultChamber={props.defaultChamber}
            pending={pending}
            error={error}
            onSubmit={async (values) => {
              setPending(true);
              setError(null);
              try {
                props.onSignedIn(await props.signIn(values), values);
              } catch (e) {
                setError(e);
              } finally {
                setPending(false);
              }
            }}
          />
          <Anchor component={Link} to={{ pathname: '/forgotten-password', search }} size="sm">
            Forgotten password?
          </Anchor>
        </Stack>
      </Card>
    </Container>
  );
}
