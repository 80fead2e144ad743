import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { discardFile, receiveFile, type StoredFile } from './document.storage.js';

export interface Upload {
  file: StoredFile;
  fileName: string;
  fields: Record<string, string>;
}

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
          throw new AppError(
            422,
            'validation_failed',
            'Send exactly one file, in a part named "file".',
            'file',
          );
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
    const code = (error as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE') throw tooLarge(maxBytes);
    if (error instanceof AppError) throw error;
    if (typeof code === 'string' && code.startsWith('FST_')) {
      throw new AppError(
        400,
        'bad_request',
        'The upload could not be read. Please try again.',
        'file',
      );
    }
    throw error;
  }
  if (!file) throw new AppError(422, 'file_required', 'Choose a file to upload.', 'file');
  return { file, fileName, fields };
}
