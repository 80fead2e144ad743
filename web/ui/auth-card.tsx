import { Card, Container, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';

/** The card of the pages a signed-out person sees: sign-in, forgotten password, set password. */
export function AuthCard(props: {
  title: string;
  /** A line above the title: which app this is. */
  above?: string;
  /** A line below the title. */
  below?: string;
  width?: number;
  children: ReactNode;
}) {
  return (
    <Container size={props.width ?? 420} py="xl">
      <Card withBorder padding="lg">
        <Stack>
          <div>
            {props.above && (
              <Text size="sm" c="dimmed">
                {props.above}
              </Text>
            )}
            <Title order={1} size="h2">
              {props.title}
            </Title>
            {props.below && (
              <Text c="dimmed" size="sm">
                {props.below}
              </Text>
            )}
          </div>
          {props.children}
        </Stack>
      </Card>
    </Container>
  );
}
