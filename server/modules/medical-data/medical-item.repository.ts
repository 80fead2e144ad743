import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { documents, medicalItems, users } from '../../db/schema.js';

/** Medical items with their author's name and their document's title. */
function selectItems(db: Db) {
  return db
    .select({
      chamberId: medicalItems.chamberId,
      id: medicalItems.id,
      patientId: medicalItems.patientId,
      kind: medicalItems.kind,
      title: medicalItems.title,
      itemDate: medicalItems.itemDate,
      body: medicalItems.body,
      documentId: medicalItems.documentId,
      sharedWithPatient: medicalItems.sharedWithPatient,
      createdByUserId: medicalItems.createdByUserId,
      createdAt: medicalItems.createdAt,
      sharedAt: medicalItems.sharedAt,
      authorName: users.name,
      documentTitle: documents.title,
    })
    .from(medicalItems)
    .leftJoin(
      users,
      and(eq(users.chamberId, medicalItems.chamberId), eq(users.id, medicalItems.createdByUserId)),
    )
    .leftJoin(
      documents,
      and(
        eq(documents.chamberId, medicalItems.chamberId),
        eq(documents.id, medicalItems.documentId),
      ),
    );
}

export type MedicalItemRow = NonNullable<Awaited<ReturnType<typeof findMedicalItem>>>;

export async function findMedicalItem(db: Db, chamberId: string, id: string) {
  const [row] = await selectItems(db).where(
    and(eq(medicalItems.chamberId, chamberId), eq(medicalItems.id, id)),
  );
  return row;
}

/** A patient's results and letters, newest first; with `sharedOnly`, those shared with them. */
export async function listMedicalItems(
  db: Db,
  chamberId: string,
  patientId: string,
  sharedOnly: boolean,
) {
  return selectItems(db)
    .where(
      and(
        eq(medicalItems.chamberId, chamberId),
        eq(medicalItems.patientId, patientId),
        ...(sharedOnly ? [eq(medicalItems.sharedWithPatient, true)] : []),
      ),
    )
    .orderBy(desc(medicalItems.itemDate), desc(medicalItems.createdAt))
    .limit(500);
}

export async function insertMedicalItem(
  db: Db,
  row: typeof medicalItems.$inferInsert,
): Promise<void> {
  await db.insert(medicalItems).values(row);
}
