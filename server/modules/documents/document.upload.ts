import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { discardFile, receiveFile, type StoredFile } from './document.storage.js';

export interface Upload {
  file: StoredFile;
  fileName: string;
  fields: Record<string, string>;
}

/** RFC 2046: a boundary is 1 to 70 of these characters and does not end in a space. */
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
/** One `; name=value` parameter of a Content-Type header, the value quoted or not. */
const PARAMETER = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;

/** The Content-Type's one boundary parameter, if it is there once and as RFC 2046 allows. */
function boundaryOf(contentType: string): string | undefined {
  const found: string[] = [];
  for (const [, name, quoted, token] of contentType.matchAll(PARAMETER)) {
    if (name!.toLowerCase() !== 'boundary') continue;
    found.push(quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : token!.trim());
  }
  return found.length === 1 && BOUNDARY.test(found[0]!) ? found[0] : undefined;
}

const unreadable = () =>
  new AppError(
    400,
    'bad_request',
    'The upload could not be read: it is not a complete multipart/form-data body. Please try again.',
    'file',
  );

const oneFile = () =>
  new AppError(422, 'validation_failed', 'Send exactly one file, in a part named "file".', 'file');

const tooLarge = (max: number) =>
  new AppError(
    413,
    'file_too_large',
    `The file is too large: at most ${Math.round(max / 1024 / 1024)} MB.`,
    'file',
  );

/**
 * Reads a multipart upload: one part named `file` streamed to disk (never held in memory) and
 * a few short text fields, in any order.
 */
export async function readUpload(
  request: FastifyRequest,
  dir: string,
  maxBytes: number,
): Promise<Upload> {
  if (!request.isMultipart()) {
    throw new AppError(
      415,
      'unsupported_media_type',
      'Send the document as multipart/form-data with a part named "file".',
      'file',
    );
  }
  // A boundary missing, empty, over 70 characters or of other characters is refused before
  // the parser sees it (the parser throws on some, and accepts others no browser sends).
  if (boundaryOf(request.headers['content-type'] ?? '') === undefined) throw unreadable();
  const fields: Record<string, string> = {};
  let file: StoredFile | undefined;
  let fileName = '';
  try {
    for await (const part of request.parts({
      limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 4096, parts: 12 },
    })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          part.file.resume();
          throw oneFile();
        }
        fileName = part.filename ?? '';
        file = await receiveFile(dir, part.file);
        if (part.file.truncated) throw tooLarge(maxBytes);
      } else {
        fields[part.fieldname] = String(part.value ?? '');
      }
    }
  } catch (error) {
    await discardFile(file);
    if (error instanceof AppError) throw error;
    const { code, syscall } = error as { code?: string; syscall?: string };
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if (code === 'FST_FILES_LIMIT') throw oneFile();
    // A system call that failed on our side (disk full, permissions) is ours to report.
    if (syscall !== undefined) throw error;
    // Anything else came from reading the body: a cut-off or malformed form, a part the
    // parser refuses (its limits, a prototype name), a client gone mid-upload.
    throw unreadable();
  }
  if (!file) throw new AppError(422, 'file_required', 'Choose a file to upload.', 'file');
  return { file, fileName, fields };
}
