import type { TSchema } from 'typebox';
import { AppError } from '../errors.js';
import { ErrorBody } from '../../common/contract/common.js';

export {
  Cursor,
  CursorQuery,
  ErrorBody,
  Id,
  IdParams,
  Limit,
  NextCursor,
  Nullable,
  Ok,
  PageQuery,
  Timestamp,
} from '../../common/contract/common.js';
export { EmailAddress, PersonName, SignIn } from '../../common/contract/auth.js';

/** Standard refusal responses for OpenAPI. */
export function withErrors<T extends Record<number, TSchema>>(ok: T) {
  return {
    ...ok,
    400: ErrorBody,
    401: ErrorBody,
    403: ErrorBody,
    404: ErrorBody,
    409: ErrorBody,
    422: ErrorBody,
    429: ErrorBody,
  };
}

/** Parses a cursor made by `encodeCursor`. */
export function decodeCursor(cursor: string | undefined): number | undefined {
  if (!cursor) return undefined;
  const n = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq), 'utf8').toString('base64url');
}

/** The cursor's position, or a 422 naming the field when it was tampered with. */
export function parseCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const n = decodeCursor(cursor);
  if (n === undefined) {
    throw new AppError(
      422,
      'validation_failed',
      'cursor is not a cursor this list gave out.',
      'cursor',
    );
  }
  return n;
}
