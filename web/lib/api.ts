import type { ErrorBody } from '../../common/contract/common.js';
import { noteActivity } from './idle';

/** The API's one error shape, as an exception the UI can show next to the field it names. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

type Listener = () => void;
const unauthenticatedListeners = new Set<Listener>();

/** Called when any request answers 401: the app shows its sign-in again, keeping the page. */
export function onUnauthenticated(listener: Listener): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

/**
 * Request to the API with the session cookie: a JSON body, or a form (multipart, for uploads).
 * Answers JSON; throws ApiError on refusal.
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const json = body !== undefined && !(body instanceof FormData);
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: {
        ...(json ? { 'content-type': 'application/json' } : {}),
        accept: 'application/json',
        ...headers,
      },
      body: json ? JSON.stringify(body) : (body as FormData | undefined),
    });
  } catch {
    throw new ApiError(
      0,
      'network_error',
      'The connection failed. Please check your internet connection and try again.',
    );
  }
  const text = await res.text();
  let data: unknown = undefined;
  try {
    data = text ? JSON.parse(text) : undefined;
  } catch {
    data = undefined;
  }
  if (res.ok) noteActivity();
  if (!res.ok) {
    const err = (data as Partial<ErrorBody> | undefined)?.error;
    if (res.status === 401 && !path.endsWith('/session'))
      unauthenticatedListeners.forEach((l) => l());
    throw new ApiError(
      res.status,
      err?.code ?? 'error',
      err?.message ?? `The request failed (${res.status}).`,
      err?.field,
    );
  }
  return data as T;
}

export const get = <T>(path: string) => api<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}, headers?: Record<string, string>) =>
  api<T>('POST', path, body, headers);
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const put = <T>(path: string, body: unknown = {}) => api<T>('PUT', path, body);
export const del = <T>(path: string) => api<T>('DELETE', path);

/** A fresh key per send attempt of one draft, so a retried request is stored once. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}

/** The message for a field, when the error names that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/**
 * The session ended (401): the app asks to sign in again over the page, so a form keeps its
 * draft and shows no error of its own.
 */
export function sessionEnded(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/** The message for an error that names no field shown on the form. */
export function formError(error: unknown, fields: string[]): string | undefined {
  if (!error) return undefined;
  if (error instanceof ApiError)
    return error.field && fields.includes(error.field) ? undefined : error.message;
  return 'Something went wrong. Please try again.';
}

/**
 * The query options of a list paged by `nextCursor`, for useInfiniteQuery: GET `path`, then
 * the same with `cursor=` for each next page. `path` may carry a query string already.
 */
export function pagedList<T extends { nextCursor: string | null }>(path: string) {
  return {
    queryFn: ({ pageParam }: { pageParam: string }) =>
      get<T>(
        pageParam
          ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(pageParam)}`
          : path,
      ),
    initialPageParam: '',
    getNextPageParam: (last: T) => last.nextCursor ?? undefined,
  };
}
