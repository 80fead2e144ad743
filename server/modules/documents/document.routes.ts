import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import {
  DocumentDownload,
  PortalDocument,
  PortalDocumentList,
  ShareDocument,
  StaffDocument,
  StaffDocumentList,
} from '../../../common/contract/documents.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import { readUpload } from './document.upload.js';
import type { DocumentService } from './document.service.js';

/** Sends a stored document as a download that no browser will render or sniff. */
async function sendDownload(
  reply: FastifyReply,
  file: Awaited<ReturnType<DocumentService['openForDownload']>>,
) {
  const ascii = file.fileName.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return reply
    .header('content-type', file.contentType)
    .header('content-length', String(file.sizeBytes))
    .header(
      'content-disposition',
      `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
    )
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'no-store')
    .send(file.stream);
}

/** Patient documents: staff upload and share them; patients see and download what is shared. */
export const documentRoutes: FastifyPluginAsyncTypebox<{
  documents: DocumentService;
  documentsDir: string;
  maxUploadBytes: number;
}> = async (app, { documents, documentsDir, maxUploadBytes }) => {
  app.post(
    '/api/v1/patients/:id/documents',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary:
          'Upload a document (multipart/form-data: file, title, shareWithPatient=true|false); type checked by content',
        params: IdParams,
        consumes: ['multipart/form-data'],
        response: withErrors({ 201: StaffDocument }),
      },
    },
    async (request, reply) => {
      const actor = staffOf(request);
      const upload = await readUpload(request, documentsDir, maxUploadBytes);
      return reply
        .status(201)
        .send(await documents.uploadAsStaff(actor, request.params.id, upload));
    },
  );
  app.get(
    '/api/v1/patients/:id/documents',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary: "The patient's documents",
        params: IdParams,
        response: withErrors({ 200: StaffDocumentList }),
      },
    },
    async (request) => documents.listForStaff(staffOf(request), request.params.id),
  );
  app.patch(
    '/api/v1/documents/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary: 'Share a document with the patient, or stop sharing it',
        params: IdParams,
        body: ShareDocument,
        response: withErrors({ 200: StaffDocument }),
      },
    },
    async (request) =>
      documents.setShared(staffOf(request), request.params.id, request.body.shareWithPatient),
  );
  app.get(
    '/api/v1/documents/:id/content',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary: 'Download a document',
        params: IdParams,
        response: withErrors({ 200: DocumentDownload }),
      },
    },
    async (request, reply) =>
      sendDownload(reply, await documents.openForDownload(staffOf(request), request.params.id)),
  );
  app.get(
    '/api/v1/portal/documents',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Documents shared with the patient',
        response: withErrors({ 200: PortalDocumentList }),
      },
    },
    async (request) => documents.listForPatient(patientOf(request)),
  );
  app.post(
    '/api/v1/portal/documents',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary:
          'Upload a file to attach to a message (multipart/form-data: file, title), where the clinic allows attachments',
        consumes: ['multipart/form-data'],
        response: withErrors({ 201: PortalDocument }),
      },
    },
    async (request, reply) => {
      const actor = patientOf(request);
      const upload = await readUpload(request, documentsDir, maxUploadBytes);
      return reply.status(201).send(await documents.uploadAsPatient(actor, upload));
    },
  );
  app.get(
    '/api/v1/portal/documents/:id/content',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Download a document shared with the patient',
        params: IdParams,
        response: withErrors({ 200: DocumentDownload }),
      },
    },
    async (request, reply) =>
      sendDownload(reply, await documents.openForDownload(patientOf(request), request.params.id)),
  );
};
