import type { FastifyInstance } from 'fastify';
import { Type, type Static } from 'typebox';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { Id, IdParams, withErrors } from '../../lib/schemas.js';
import type { MedicalItemService } from './medical-item.service.js';

const NewItem = Type.Object(
  {
    kind: Type.Union([Type.Literal('result'), Type.Literal('letter')]),
    title: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' }),
    text: Type.Optional(Type.String({ maxLength: 20_000 })),
    documentId: Type.Optional(Id),
    shareWithPatient: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** Medical Data: results and letters staff share with a patient. */
export async function medicalItemRoutes(
  app: FastifyInstance,
  opts: { medical: MedicalItemService },
): Promise<void> {
  type P = { Params: Static<typeof IdParams> };
  app.post<P & { Body: Static<typeof NewItem> }>(
    '/api/v1/patients/:id/medical-data',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Medical data'],
        summary: 'Add a result or letter (text or a document), shared with the patient or not',
        params: IdParams,
        body: NewItem,
        response: withErrors({}),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await opts.medical.create(staffOf(request), request.params.id, request.body)),
  );
  app.get<P>(
    '/api/v1/patients/:id/medical-data',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Medical data'],
        summary: "The patient's medical data",
        params: IdParams,
        response: withErrors({}),
      },
    },
    async (request) => opts.medical.listForStaff(staffOf(request), request.params.id),
  );
  app.get(
    '/api/v1/portal/medical-data',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Medical Data shared with the patient',
        response: withErrors({}),
      },
    },
    async (request) => opts.medical.listForPatient(patientOf(request)),
  );
}
