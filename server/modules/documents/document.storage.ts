import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { fileTypeFromFile } from 'file-type';

/** Types a document may have, read from its content (magic numbers), never from its name. */
export const ALLOWED_TYPES: Record<string, string> = {
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/heic': 'heic',
};

export interface StoredFile {
  tempPath: string;
  sizeBytes: number;
  sha256: string;
  contentType: string | null;
}

/**
 * Streams an upload to a temporary file in `dir/.incoming`, hashing it on the way, and reads its
 * real type; a document store then keeps it (the folder by renaming it, a bucket by a copy).
 */
export async function receiveFile(dir: string, stream: Readable): Promise<StoredFile> {
  const incoming = path.join(dir, '.incoming');
  await fs.promises.mkdir(incoming, { recursive: true, mode: 0o700 });
  const tempPath = path.join(incoming, randomUUID());
  const hash = createHash('sha256');
  let sizeBytes = 0;
  stream.on('data', (chunk: Buffer) => {
    hash.update(chunk);
    sizeBytes += chunk.length;
  });
  try {
    await pipeline(stream, fs.createWriteStream(tempPath, { mode: 0o600 }));
  } catch (error) {
    await fs.promises.rm(tempPath, { force: true });
    throw error;
  }
  const type = sizeBytes > 0 ? await fileTypeFromFile(tempPath) : undefined;
  return { tempPath, sizeBytes, sha256: hash.digest('hex'), contentType: type?.mime ?? null };
}

/** Removes an upload's temporary file (kept or not, it is no longer needed). */
export async function discardFile(file: StoredFile | undefined): Promise<void> {
  if (file) await fs.promises.rm(file.tempPath, { force: true });
}

/** A file name safe in a Content-Disposition header: the title's letters, digits and a few marks. */
export function downloadName(title: string, extension: string): string {
  const base = title
    .normalize('NFKD')
    .replace(/[^\w .,()-]+/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 80);
  return `${base || 'document'}.${extension}`;
}
