/** The one error shape of the API: `{ error: { status, code, message, field? } }`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  toBody(): { error: { status: number; code: string; message: string; field?: string } } {
    return {
      error: {
        status: this.status,
        code: this.code,
        message: this.message,
        ...(this.field === undefined ? {} : { field: this.field }),
      },
    };
  }
}

/** 404 for anything missing or outside the caller's view: the two must look the same. */
export const notFound = (what = 'That item'): AppError =>
  new AppError(404, 'not_found', `${what} was not found.`);

export const unauthenticated = (): AppError =>
  new AppError(401, 'unauthenticated', 'Please sign in to continue.');

export const forbidden = (code: string, message: string, field?: string): AppError =>
  new AppError(403, code, message, field);

export const invalid = (code: string, message: string, field?: string): AppError =>
  new AppError(422, code, message, field);

export const conflict = (code: string, message: string, field?: string): AppError =>
  new AppError(409, code, message, field);

export const tooManyRequests = (message: string, retryAfterSeconds: number): AppError =>
  new AppError(429, 'too_many_requests', message, undefined, {
    'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))),
  });

/** The database cannot be reached right now: the request may be sent again as it is. */
export const databaseUnavailable = (retryAfterSeconds = 5): AppError =>
  new AppError(
    503,
    'database_unavailable',
    'The service is briefly unavailable. Please try again in a moment.',
    undefined,
    { 'retry-after': String(retryAfterSeconds) },
  );

export const badRequest = (code: string, message: string, field?: string): AppError =>
  new AppError(400, code, message, field);
