import { randomUUID } from 'node:crypto';
import type { PortalDocument, StaffDocument } from '../../../common/contract/documents.js';
import { AppError, forbidden, invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { Upload } from './document.upload.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { audit, auditRead } from '../audit/audit.service.js';
import { queueSharedItemsEmail } from '../shared-items/shared-items.service.js';
import { findPatientRecord } from '../patients/patient.repository.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import type { Db } from '../../db/connect.js';
import { findChamber } from '../chambers/chamber.repository.js';
import {
  findDocument,
  insertDocument,
  listDocuments,
  setDocumentShared,
  type DocumentRow,
} from './document.repository.js';
import { deleteDocument } from './document-removal.repository.js';
import { ALLOWED_TYPES, discardFile, downloadName } from './document.storage.js';
import { DocumentStoreError, type DocumentStore } from './document.store.js';

/** A document as the patient sees it. */
export function presentDocumentForPatient(d: DocumentRow): PortalDocument {
  return {
    id: d.id,
    title: d.title,
    contentType: d.contentType,
    sizeBytes: d.sizeBytes,
    createdAt: new Date(d.createdAt).toISOString(),
  };
}

/** A document as staff see it: who uploaded it and whether the patient sees it. */
export function presentDocumentForStaff(d: DocumentRow): StaffDocument {
  return {
    ...presentDocumentForPatient(d),
    patientId: d.patientId,
    sharedWithPatient: d.sharedWithPatient,
    uploadedBy: d.uploadedByKind === 'patient' ? 'Patient' : (d.uploadedByName ?? 'Staff'),
  };
}

const titleOf = (raw: string | undefined, fileName: string): string => {
  const fallback = fileName.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  // Control characters (line breaks included) could break a download header; they become spaces.
  // eslint-disable-next-line no-control-regex
  const title = (raw ?? fallback).replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (title.length === 0) return 'Document';
  if (title.length > 200)
    throw invalid('validation_failed', 'title is too long (at most 200 characters).', 'title');
  return title;
};

/** The document store failed: the upload or download may be tried again as it is. */
function storageUnavailable(cause: DocumentStoreError): AppError {
  const error = new AppError(
    503,
    'storage_unavailable',
    'Documents cannot be stored or read right now. Please try again in a moment.',
    undefined,
    { 'retry-after': '5' },
  );
  error.cause = cause;
  return error;
}

/** Runs a store operation, its failure answered as 503 `storage_unavailable`. */
async function inStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw error instanceof DocumentStoreError ? storageUnavailable(error) : error;
  }
}

export function createDocumentService(ctx: ServiceContext, store: DocumentStore) {
  const { db, clock, config } = ctx;

  const assertPortalAccess = (actor: PatientActor) => requirePatientAccess(db, actor, 'portal');

  /** Checks an upload's size and real type, and stores the file under its document id. */
  async function acceptFile(upload: Upload, chamberId: string, id: string) {
    if (upload.file.sizeBytes === 0) throw invalid('file_empty', 'The file is empty.', 'file');
    const type = upload.file.contentType;
    if (!type || !ALLOWED_TYPES[type]) {
      throw new AppError(
        415,
        'unsupported_file_type',
        'This kind of file is not accepted. Upload a PDF, PNG, JPEG, WebP or HEIC file.',
        'file',
      );
    }
    await inStore(() => store.put(chamberId, id, upload.file));
    return { contentType: type, extension: ALLOWED_TYPES[type]! };
  }

  /**
   * Writes the document's row (and what goes with it) once its bytes are stored, so a row never
   * points at missing bytes; if the commit fails the bytes are removed (an orphan if that fails).
   */
  async function record(chamberId: string, id: string, write: (tx: Db) => Promise<void>) {
    try {
      await db.transaction(write);
    } catch (error) {
      await store.remove(chamberId, id).catch(() => undefined);
      throw error;
    }
  }

  return {
    /** Staff upload a document to a patient, shared with the patient or not. */
    async uploadAsStaff(actor: StaffActor, patientId: string, upload: Upload) {
      try {
        if (!(await findPatientRecord(db, actor.chamberId, patientId)))
          throw notFound('That patient');
        const share = upload.fields.shareWithPatient;
        if (share !== undefined && share !== 'true' && share !== 'false') {
          throw invalid(
            'validation_failed',
            'shareWithPatient must be true or false.',
            'shareWithPatient',
          );
        }
        const title = titleOf(upload.fields.title, upload.fileName);
        const shared = share === 'true';
        const id = randomUUID();
        const now = clock();
        const type = await acceptFile(upload, actor.chamberId, id);
        await record(actor.chamberId, id, async (tx) => {
          await insertDocument(tx, {
            chamberId: actor.chamberId,
            id,
            patientId,
            title,
            ...type,
            sizeBytes: upload.file.sizeBytes,
            sha256: upload.file.sha256,
            sharedWithPatient: shared,
            uploadedByKind: 'staff',
            uploadedByUserId: actor.userId,
            createdAt: now,
            sharedAt: shared ? now : null,
          });
          if (shared)
            await queueSharedItemsEmail(
              tx,
              actor.chamberId,
              patientId,
              now,
              config.sharedItemsEmailDelaySeconds,
            );
          await audit(tx, actor, now, {
            action: 'document.created',
            patientId,
            subjectType: 'document',
            subjectId: id,
            details: {
              sharedWithPatient: shared,
              sizeBytes: upload.file.sizeBytes,
              contentType: type.contentType,
            },
          });
        });
        ctx.signals.jobsEnqueued();
        return presentDocumentForStaff((await findDocument(db, actor.chamberId, id))!);
      } finally {
        await discardFile(upload.file);
      }
    },

    /**
     * A patient uploads a file to attach to a message (where the chamber allows attachments);
     * it is theirs, so it is shared with them, and it reaches staff with the message.
     */
    async uploadAsPatient(actor: PatientActor, upload: Upload) {
      try {
        await requirePatientAccess(db, actor, 'messaging');
        const chamber = await findChamber(db, actor.chamberId);
        if (!chamber?.patientAttachmentsEnabled) {
          throw forbidden(
            'attachments_not_allowed',
            'This clinic does not accept attachments to messages.',
            'file',
          );
        }
        const title = titleOf(upload.fields.title, upload.fileName);
        const id = randomUUID();
        const now = clock();
        const type = await acceptFile(upload, actor.chamberId, id);
        await record(actor.chamberId, id, async (tx) => {
          await insertDocument(tx, {
            chamberId: actor.chamberId,
            id,
            patientId: actor.patientId,
            title,
            ...type,
            sizeBytes: upload.file.sizeBytes,
            sha256: upload.file.sha256,
            sharedWithPatient: true,
            uploadedByKind: 'patient',
            uploadedByUserId: null,
            createdAt: now,
            sharedAt: now,
          });
          await audit(tx, actor, now, {
            action: 'document.created',
            subjectType: 'document',
            subjectId: id,
            details: { sizeBytes: upload.file.sizeBytes, contentType: type.contentType },
          });
        });
        return presentDocumentForPatient((await findDocument(db, actor.chamberId, id))!);
      } finally {
        await discardFile(upload.file);
      }
    },

    /** The patient's documents as staff see them (the read is audited, rule 6). */
    async listForStaff(actor: StaffActor, patientId: string) {
      if (!(await findPatientRecord(db, actor.chamberId, patientId)))
        throw notFound('That patient');
      const documents = await listDocuments(db, actor.chamberId, patientId, false);
      await auditRead(ctx, actor, clock(), {
        action: 'document.list_viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
        details: { count: documents.length },
      });
      return { documents: documents.map((d) => presentDocumentForStaff(d)) };
    },

    /** Shares a document with the patient later (an email follows, rule 5), or stops sharing it. */
    async setShared(actor: StaffActor, documentId: string, shared: boolean) {
      const doc = await findDocument(db, actor.chamberId, documentId);
      if (!doc) throw notFound('That document');
      const now = clock();
      await db.transaction(async (tx) => {
        await setDocumentShared(tx, actor.chamberId, documentId, shared, now);
        if (shared && !doc.sharedWithPatient)
          await queueSharedItemsEmail(
            tx,
            actor.chamberId,
            doc.patientId,
            now,
            config.sharedItemsEmailDelaySeconds,
          );
        await audit(tx, actor, now, {
          action: 'document.updated',
          patientId: doc.patientId,
          subjectType: 'document',
          subjectId: documentId,
          details: { sharedWithPatient: shared },
        });
      });
      ctx.signals.jobsEnqueued();
      return presentDocumentForStaff((await findDocument(db, actor.chamberId, documentId))!);
    },

    /** Documents shared with the signed-in patient (the portal's Documents). */
    async listForPatient(actor: PatientActor) {
      await assertPortalAccess(actor);
      await auditRead(ctx, actor, clock(), {
        action: 'document.list_viewed',
        subjectType: 'patient',
        subjectId: actor.patientId,
      });
      return {
        documents: (await listDocuments(db, actor.chamberId, actor.patientId, true)).map((d) =>
          presentDocumentForPatient(d),
        ),
      };
    },

    /** The file to download, if the viewer may have it; anything else is 404. */
    async openForDownload(actor: StaffActor | PatientActor, documentId: string) {
      if (actor.kind === 'patient') await assertPortalAccess(actor);
      const doc = await findDocument(db, actor.chamberId, documentId);
      if (
        !doc ||
        (actor.kind === 'patient' && (doc.patientId !== actor.patientId || !doc.sharedWithPatient))
      )
        throw notFound('That document');
      const stream = await inStore(() => store.open(actor.chamberId, doc.id));
      if (!stream) throw notFound('That document');
      try {
        await auditRead(ctx, actor, clock(), {
          action: 'document.downloaded',
          patientId: doc.patientId,
          subjectType: 'document',
          subjectId: documentId,
        });
      } catch (error) {
        stream.destroy();
        throw error;
      }
      return {
        stream,
        contentType: doc.contentType,
        fileName: downloadName(doc.title, doc.extension),
        sizeBytes: doc.sizeBytes,
      };
    },

    /**
     * Removes a document nothing refers to any more (no message, no medical item): its row
     * first, then its bytes, so a row never points at missing bytes. Bytes that could not be
     * removed are an orphan, for the sweep of docs/operations.md. Not offered by the API: for
     * maintenance (erasure, uploads never attached).
     */
    async removeUnreferenced(chamberId: string, documentId: string) {
      if (!(await deleteDocument(db, chamberId, documentId)))
        return { deleted: false, bytesRemoved: false };
      const bytesRemoved = await store.remove(chamberId, documentId).then(
        () => true,
        () => false,
      );
      return { deleted: true, bytesRemoved };
    },
  };
}

export type DocumentService = ReturnType<typeof createDocumentService>;
