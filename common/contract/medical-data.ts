import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';

/** Medical Data: results and letters staff add to a patient's record and may share. */

export const MedicalItemKind = Type.Union([Type.Literal('result'), Type.Literal('letter')]);
export type MedicalItemKind = Static<typeof MedicalItemKind>;

/** `POST /patients/:id/medical-data`: the text of the item, or a document of the same patient. */
export const NewMedicalItem = Type.Object(
  {
    kind: MedicalItemKind,
    title: Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' }),
    date: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' }),
    text: Type.Optional(Type.String({ maxLength: 20_000 })),
    documentId: Type.Optional(Id),
    shareWithPatient: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type NewMedicalItem = Static<typeof NewMedicalItem>;

/** A result or letter as the patient sees it: its author only as the clinic. */
export const PortalMedicalItem = Type.Object({
  id: Type.String(),
  kind: MedicalItemKind,
  title: Type.String(),
  date: Type.String({ description: 'YYYY-MM-DD' }),
  text: Nullable(Type.String()),
  document: Nullable(Type.Object({ id: Type.String(), title: Nullable(Type.String()) })),
  createdAt: Timestamp,
});
export type PortalMedicalItem = Static<typeof PortalMedicalItem>;

/** A result or letter as staff see it. */
export const StaffMedicalItem = Type.Object({
  ...PortalMedicalItem.properties,
  sharedWithPatient: Type.Boolean(),
  author: Nullable(Type.String({ description: 'the staff user who added it' })),
});
export type StaffMedicalItem = Static<typeof StaffMedicalItem>;

export const PortalMedicalData = Type.Object({ medicalData: Type.Array(PortalMedicalItem) });
export type PortalMedicalData = Static<typeof PortalMedicalData>;

export const StaffMedicalData = Type.Object({ medicalData: Type.Array(StaffMedicalItem) });
export type StaffMedicalData = Static<typeof StaffMedicalData>;
