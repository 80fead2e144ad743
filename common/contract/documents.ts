import { Type, type Static } from 'typebox';
import { Timestamp } from './common.js';

/**
 * Patient documents: staff upload and share them, patients see and download what is shared,
 * and patients upload files to attach to a message.
 */

/** `PATCH /documents/:id`: share a document with the patient, or stop sharing it. */
export const ShareDocument = Type.Object(
  { shareWithPatient: Type.Boolean() },
  { additionalProperties: false },
);
export type ShareDocument = Static<typeof ShareDocument>;

/**
 * The text fields of a multipart upload, sent beside the part named `file` (staff may also
 * send `shareWithPatient`); the server reads them itself, so the route does not validate them.
 */
export const DocumentUploadFields = Type.Object({
  title: Type.Optional(Type.String({ maxLength: 200, description: 'default: the file name' })),
  shareWithPatient: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'staff only' }),
  ),
});
export type DocumentUploadFields = Static<typeof DocumentUploadFields>;

/** A document as the patient sees it: never who uploaded it internally. */
export const PortalDocument = Type.Object({
  id: Type.String(),
  title: Type.String(),
  contentType: Type.String({ description: 'read from the content, never from the name' }),
  sizeBytes: Type.Integer(),
  createdAt: Timestamp,
});
export type PortalDocument = Static<typeof PortalDocument>;

/** A document as staff see it. */
export const StaffDocument = Type.Object({
  ...PortalDocument.properties,
  patientId: Type.String(),
  sharedWithPatient: Type.Boolean(),
  uploadedBy: Type.String({ description: '"Patient", or the staff user who uploaded it' }),
});
export type StaffDocument = Static<typeof StaffDocument>;

export const PortalDocumentList = Type.Object({ documents: Type.Array(PortalDocument) });
export type PortalDocumentList = Static<typeof PortalDocumentList>;

export const StaffDocumentList = Type.Object({ documents: Type.Array(StaffDocument) });
export type StaffDocumentList = Static<typeof StaffDocumentList>;

/** The kinds of file a document may be, read from its bytes at upload (never from its name). */
export const DOCUMENT_CONTENT_TYPES = [
  'application/pdf',
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/heic',
] as const;

/** The bytes of a stored file. */
export const DocumentContent = Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary' });
export type DocumentContent = Static<typeof DocumentContent>;

/**
 * The success answer of a download: the stored bytes, under the content type read from them
 * at upload, as an attachment (`Content-Disposition: attachment`).
 */
export const DocumentDownload = {
  description: 'The file, as an attachment, with the content type read from it at upload.',
  content: Object.fromEntries(
    DOCUMENT_CONTENT_TYPES.map((type) => [type, { schema: DocumentContent }]),
  ),
};
