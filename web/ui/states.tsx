import { Alert, Button, Center, Group, Loader, Stack, Text, type ButtonProps } from '@mantine/core';
import type { ReactNode } from 'react';

/** Loading, error and empty states shared by every list. */
export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text size="sm">{label}</Text>
      </Group>
    </Center>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : 'Something went wrong.';
  return (
    <Alert color="red" title="This could not be loaded" role="alert">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        {onRetry && (
          <Group>
            <Button size="xs" variant="light" color="red" onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <Text c="dimmed" ta="center" py="xl" size="sm">
      {children}
    </Text>
  );
}

/** What QueryState needs of a query (TanStack's query results fit). */
interface Loadable<T> {
  isPending: boolean;
  isError: boolean;
  error: unknown;
  data: T | undefined;
  refetch: () => unknown;
}

/**
 * A query's states in order: loading, the error with Try again, `empty` when `isEmpty` says the
 * answer holds nothing, else the answer.
 */
export function QueryState<T>(props: {
  query: Loadable<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
}) {
  const { query } = props;
  if (query.isPending) return <Loading label={props.loadingLabel} />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data as T;
  if (props.isEmpty?.(data)) return <Empty>{props.empty}</Empty>;
  return props.children(data);
}

/** "Load more" under a paged list, while the server has more. */
export function LoadMore({
  query,
  size,
}: {
  query: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
  size?: ButtonProps['size'];
}) {
  if (!query.hasNextPage) return null;
  return (
    <Button
      variant="default"
      size={size}
      onClick={() => void query.fetchNextPage()}
      loading={query.isFetchingNextPage}
    >
      Load more
    </Button>
  );
}
