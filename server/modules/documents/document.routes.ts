import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type, type Static } from 'typebox';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import { readUpload } from '../../lib/uploads.js';
import type { DocumentService } from './document.service.js';

const Share = Type.Object({ shareWithPatient: Type.Boolean() }, { additionalProperties: false });

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
export async function documentRoutes(
  app: FastifyInstance,
  opts: { documents: DocumentService; documentsDir: string; maxUploadBytes: number },
): Promise<void> {
  const { documents } = opts;
  type P = { Params: Static<typeof IdParams> };

  app.post<P>(
    '/api/v1/patients/:id/documents',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary:
          'Upload a document (multipart/form-data: file, title, shareWithPatient=true|false); type checked by content',
        params: IdParams,
        consumes: ['multipart/form-data'],
        response: withErrors({}),
      },
    },
    async (request, reply) => {
      const actor = staffOf(request);
      const upload = await readUpload(request, opts.documentsDir, opts.maxUploadBytes);
      return reply
        .status(201)
        .send(await documents.uploadAsStaff(actor, request.params.id, upload));
    },
  );
  app.get<P>(
    '/api/v1/patients/:id/documents',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary: "The patient's documents",
        params: IdParams,
        response: withErrors({}),
      },
    },
    async (request) => documents.listForStaff(staffOf(request), request.params.id),
  );
  app.patch<P & { Body: Static<typeof Share> }>(
    '/api/v1/documents/:id',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Documents'],
        summary: 'Share a document with the patient, or stop sharing it',
        params: IdParams,
        body: Share,
        response: withErrors({}),
      },
    },
    async (request) =>
      documents.setShared(staffOf(request), request.params.id, request.body.shareWithPatient),
  );
  app.get<P>(
    '/api/v1/documents/:id/content',
    {
      config: { auth: 'staff' },
      schema: { tags: ['Documents'], summary: 'Download a document', params: IdParams },
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
        response: withErrors({}),
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
        response: withErrors({ 201: Type.Any() }),
      },
    },
    async (request, reply) => {
      const actor = patientOf(request);
      const upload = await readUpload(request, opts.documentsDir, opts.maxUploadBytes);
      return reply.status(201).send(await documents.uploadAsPatient(actor, upload));
    },
  );
  app.get<P>(
    '/api/v1/portal/documents/:id/content',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Download a document shared with the patient',
        params: IdParams,
      },
    },
    async (request, reply) =>
      sendDownload(reply, await documents.openForDownload(patientOf(request), request.params.id)),
  );
}
