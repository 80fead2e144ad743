import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StoredFile } from './document.storage.js';

/**
 * Where document bytes live: a folder on this machine, or an S3-compatible bucket. A document's
 * bytes are named by its chamber and id only, never by anything a person typed.
 *
 * The consistency rules, kept by the documents service: bytes are stored before their row is
 * committed (and removed if the commit fails), and a row is deleted before its bytes. Bytes
 * without a row (an orphan) can be left by a crash; a row without bytes cannot.
 */
export interface DocumentStore {
  /** For logs and errors: the folder, or `s3://bucket/prefix`. */
  readonly description: string;
  /** Keeps an upload (its temporary file) as the document's bytes; durable once it resolves. */
  put(chamberId: string, documentId: string, file: StoredFile): Promise<void>;
  /** The document's bytes as a stream, or undefined when there are none. */
  open(chamberId: string, documentId: string): Promise<Readable | undefined>;
  /** Removes the document's bytes; nothing happens when there are none. */
  remove(chamberId: string, documentId: string): Promise<void>;
  /** Throws when the store cannot be reached or used (checked once the app is ready). */
  check(): Promise<void>;
  /** Releases connections; the store is not used afterwards. */
  close(): void;
}

/** The store could not be reached, or refused a request: the caller may try again later. */
export class DocumentStoreError extends Error {
  constructor(
    readonly operation: 'put' | 'open' | 'remove' | 'check',
    readonly where: string,
    options: { cause: unknown },
  ) {
    super(`The document store (${where}) failed to ${operation}`, options);
    this.name = 'DocumentStoreError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A document's name in a store, `<chamber id>/<document id>`: both ids are checked to be UUIDs. */
export function documentKey(chamberId: string, documentId: string): string {
  if (!UUID.test(chamberId) || !UUID.test(documentId)) {
    throw new Error('A document is stored under its chamber and document ids (UUIDs) only.');
  }
  return `${chamberId}/${documentId}`;
}

/** Where a document's bytes live in the folder: one folder per chamber, the file named by its id. */
export function documentPath(dir: string, chamberId: string, documentId: string): string {
  return path.join(dir, ...documentKey(chamberId, documentId).split('/'));
}

/** The embedded default: documents as files under PORTAL_DOCUMENTS_DIR. */
export function createFolderStore(dir: string): DocumentStore {
  return {
    description: dir,
    async put(chamberId, documentId, file) {
      const target = documentPath(dir, chamberId, documentId);
      await fs.promises.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await fs.promises.rename(file.tempPath, target);
    },
    async open(chamberId, documentId) {
      try {
        // Opened here, not when first read, so a missing file is a 404 before anything is sent.
        const handle = await fs.promises.open(documentPath(dir, chamberId, documentId), 'r');
        return handle.createReadStream();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async remove(chamberId, documentId) {
      await fs.promises.rm(documentPath(dir, chamberId, documentId), { force: true });
    },
    // The folder is made by the first upload, as it always was.
    async check() {},
    close() {},
  };
}
