import { isUtf8 } from 'node:buffer';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';

/*
 * Text that is not text is refused, never stored as U+FFFD. Decoding a JSON body replaces
 * bytes that are not UTF-8 with U+FFFD, and a JSON escape can name half a surrogate pair
 * ("\ud800"), which PostgreSQL's UTF-8 encoding then turns into U+FFFD: either way the
 * person's text would change silently. Both answer 422 `invalid_text`, naming the field.
 */

/** A lone surrogate: half of a pair, which no UTF-8 text can hold. */
const LONE_SURROGATE = /\p{Cs}/u;

/** The 422 for text that is not valid Unicode, naming the field when it is known. */
export function invalidText(field: string | undefined): AppError {
  return new AppError(
    422,
    'invalid_text',
    field === undefined
      ? 'The request contains text that is not valid UTF-8. Please type it again.'
      : `${field} contains a broken character (text that is not valid Unicode). Please type it again.`,
    field,
  );
}

/** The path of the first string (or key) in a parsed value that `broken` finds, if any. */
function fieldWhere(
  value: unknown,
  broken: (text: string) => boolean,
  path: string[] = [],
  depth = 0,
): string | undefined {
  if (typeof value === 'string') return broken(value) ? path.join('.') || 'body' : undefined;
  if (depth > 20 || value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    if (broken(key)) return [...path, key.replace(LONE_SURROGATE, '\uFFFD')].join('.');
    const found = fieldWhere(item, broken, [...path, key], depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * The field a body that is not UTF-8 was sent in: where its decoded text shows U+FFFD
 * (a body whose broken bytes sit outside any string, or that is not JSON, names none).
 */
function fieldOfBadBytes(body: Buffer): string | undefined {
  try {
    return fieldWhere(JSON.parse(body.toString('utf8')), (text) => text.includes('\uFFFD'));
  } catch {
    return undefined;
  }
}

/**
 * JSON bodies are read as bytes and refused unless they are UTF-8, then parsed exactly as
 * Fastify's own parser does (empty body, prototype poisoning, body limit); a lone surrogate
 * in a body or query string is refused before validation. Other content types (multipart
 * uploads, the integrations' form bodies) keep their own parsers.
 */
export function registerTextInput(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(invalidText(fieldOfBadBytes(bytes)), undefined);
      return;
    }
    parseJson(request, bytes.toString('utf8'), done);
  });

  app.addHook('preValidation', async (request) => {
    const broken = (text: string) => LONE_SURROGATE.test(text);
    const field = fieldWhere(request.body, broken) ?? fieldWhere(request.query, broken);
    if (field !== undefined) throw invalidText(field);
  });
}
