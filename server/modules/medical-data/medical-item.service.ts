import { randomUUID } from 'node:crypto';
import type { PortalMedicalItem, StaffMedicalItem } from '../../../common/contract/medical-data.js';
import { hasVisibleText } from '../../../common/visible-text.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { PatientActor, StaffActor } from '../auth/actor.js';
import { audit, auditRead } from '../audit/audit.service.js';
import { findDocument, setDocumentShared } from '../documents/document.repository.js';
import { queueSharedItemsEmail } from '../shared-items/shared-items.service.js';
import { findPatientRecord, parseDateQuery } from '../patients/patient.repository.js';
import { requirePatientAccess } from '../portal-access/portal-access.service.js';
import {
  findMedicalItem,
  insertMedicalItem,
  listMedicalItems,
  type MedicalItemRow,
} from './medical-item.repository.js';

export interface MedicalItemInput {
  kind: 'result' | 'letter';
  title: string;
  date: string;
  text?: string;
  documentId?: string;
  shareWithPatient: boolean;
}

/** A result or letter as the patient sees it: its author only as the clinic. */
function presentForPatient(r: MedicalItemRow): PortalMedicalItem {
  return {
    id: r.id,
    kind: r.kind,
    title: r.title,
    date: r.itemDate,
    text: r.body,
    document: r.documentId ? { id: r.documentId, title: r.documentTitle } : null,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

/** A result or letter as staff see it: with its author and whether the patient sees it. */
function presentForStaff(r: MedicalItemRow): StaffMedicalItem {
  return { ...presentForPatient(r), sharedWithPatient: r.sharedWithPatient, author: r.authorName };
}

export function createMedicalItemService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;

  return {
    /** Staff add a result or letter (text, or a document of the same patient) and may share it at once. */
    async create(actor: StaffActor, patientId: string, input: MedicalItemInput) {
      if (!(await findPatientRecord(db, actor.chamberId, patientId)))
        throw notFound('That patient');
      const title = input.title.trim();
      if (!hasVisibleText(title)) throw invalid('validation_failed', 'title is required.', 'title');
      if (parseDateQuery(input.date) !== input.date)
        throw invalid(
          'validation_failed',
          'date must be a real date, written as YYYY-MM-DD.',
          'date',
        );
      const text = input.text && hasVisibleText(input.text) ? input.text : undefined;
      if (!text && !input.documentId)
        throw invalid(
          'content_required',
          'Add the text of the result or letter, or a document.',
          'text',
        );
      if (input.documentId) {
        const doc = await findDocument(db, actor.chamberId, input.documentId);
        if (!doc || doc.patientId !== patientId)
          throw invalid(
            'document_not_found',
            'That document does not exist for this patient.',
            'documentId',
          );
      }
      const id = randomUUID();
      const now = clock();
      await db.transaction(async (tx) => {
        await insertMedicalItem(tx, {
          chamberId: actor.chamberId,
          id,
          patientId,
          kind: input.kind,
          title,
          itemDate: input.date,
          body: text ?? null,
          documentId: input.documentId ?? null,
          sharedWithPatient: input.shareWithPatient,
          createdByUserId: actor.userId,
          createdAt: now,
          sharedAt: input.shareWithPatient ? now : null,
        });
        if (input.shareWithPatient) {
          // The file of a shared letter is shared with it.
          if (input.documentId)
            await setDocumentShared(tx, actor.chamberId, input.documentId, true, now);
          await queueSharedItemsEmail(
            tx,
            actor.chamberId,
            patientId,
            now,
            config.sharedItemsEmailDelaySeconds,
          );
        }
        await audit(tx, actor, now, {
          action: 'medical_item.created',
          patientId,
          subjectType: 'medical_item',
          subjectId: id,
          details: { kind: input.kind, sharedWithPatient: input.shareWithPatient },
        });
      });
      ctx.signals.jobsEnqueued();
      const row = await findMedicalItem(db, actor.chamberId, id);
      return presentForStaff(row!);
    },

    /** The patient's results and letters as staff see them (the read is audited, rule 6). */
    async listForStaff(actor: StaffActor, patientId: string) {
      if (!(await findPatientRecord(db, actor.chamberId, patientId)))
        throw notFound('That patient');
      const items = await listMedicalItems(db, actor.chamberId, patientId, false);
      await auditRead(ctx, actor, clock(), {
        action: 'medical_item.list_viewed',
        patientId,
        subjectType: 'patient',
        subjectId: patientId,
        details: { count: items.length },
      });
      return { medicalData: items.map((r) => presentForStaff(r)) };
    },

    /** The portal's Medical Data: what was shared with the patient. */
    async listForPatient(actor: PatientActor) {
      await requirePatientAccess(db, actor, 'portal');
      await auditRead(ctx, actor, clock(), {
        action: 'medical_item.list_viewed',
        subjectType: 'patient',
        subjectId: actor.patientId,
      });
      return {
        medicalData: (await listMedicalItems(db, actor.chamberId, actor.patientId, true)).map((r) =>
          presentForPatient(r),
        ),
      };
    },
  };
}

export type MedicalItemService = ReturnType<typeof createMedicalItemService>;
