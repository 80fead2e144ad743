import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  NewMedicalItem,
  PortalMedicalData,
  StaffMedicalData,
  StaffMedicalItem,
} from '../../../common/contract/medical-data.js';
import { patientOf, staffOf } from '../../plugins/auth.js';
import { IdParams, withErrors } from '../../lib/schemas.js';
import type { MedicalItemService } from './medical-item.service.js';

/** Medical Data: results and letters staff share with a patient. */
export const medicalItemRoutes: FastifyPluginAsyncTypebox<{ medical: MedicalItemService }> = async (
  app,
  { medical },
) => {
  app.post(
    '/api/v1/patients/:id/medical-data',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Medical data'],
        summary: 'Add a result or letter (text or a document), shared with the patient or not',
        params: IdParams,
        body: NewMedicalItem,
        response: withErrors({ 201: StaffMedicalItem }),
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await medical.create(staffOf(request), request.params.id, request.body)),
  );
  app.get(
    '/api/v1/patients/:id/medical-data',
    {
      config: { auth: 'staff' },
      schema: {
        tags: ['Medical data'],
        summary: "The patient's medical data",
        params: IdParams,
        response: withErrors({ 200: StaffMedicalData }),
      },
    },
    async (request) => medical.listForStaff(staffOf(request), request.params.id),
  );
  app.get(
    '/api/v1/portal/medical-data',
    {
      config: { auth: 'patient' },
      schema: {
        tags: ['Portal'],
        summary: 'Medical Data shared with the patient',
        response: withErrors({ 200: PortalMedicalData }),
      },
    },
    async (request) => medical.listForPatient(patientOf(request)),
  );
};
