import { and, desc, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { documents, users } from '../../db/schema.js';

export type DocumentRow = typeof documents.$inferSelect & { uploadedByName: string | null };

const columns = {
  chamberId: documents.chamberId,
  id: documents.id,
  patientId: documents.patientId,
  title: documents.title,
  contentType: documents.contentType,
  extension: documents.extension,
  sizeBytes: documents.sizeBytes,
  sha256: documents.sha256,
  sharedWithPatient: documents.sharedWithPatient,
  uploadedByKind: documents.uploadedByKind,
  uploadedByUserId: documents.uploadedByUserId,
  createdAt: documents.createdAt,
  sharedAt: documents.sharedAt,
  uploadedByName: users.name,
};

export async function insertDocument(db: Db, row: typeof documents.$inferInsert): Promise<void> {
  await db.insert(documents).values(row);
}

export async function findDocument(
  db: Db,
  chamberId: string,
  id: string,
): Promise<DocumentRow | undefined> {
  const rows = await db
    .select(columns)
    .from(documents)
    .leftJoin(
      users,
      and(eq(users.chamberId, documents.chamberId), eq(users.id, documents.uploadedByUserId)),
    )
    .where(and(eq(documents.chamberId, chamberId), eq(documents.id, id)))
    .limit(1);
  return rows[0];
}

/** A patient's documents, newest first; only those shared with them when `sharedOnly`. */
export async function listDocuments(
  db: Db,
  chamberId: string,
  patientId: string,
  sharedOnly: boolean,
): Promise<DocumentRow[]> {
  return db
    .select(columns)
    .from(documents)
    .leftJoin(
      users,
      and(eq(users.chamberId, documents.chamberId), eq(users.id, documents.uploadedByUserId)),
    )
    .where(
      and(
        eq(documents.chamberId, chamberId),
        eq(documents.patientId, patientId),
        ...(sharedOnly ? [eq(documents.sharedWithPatient, true)] : []),
      ),
    )
    .orderBy(desc(documents.createdAt))
    .limit(500);
}

export async function setDocumentShared(
  db: Db,
  chamberId: string,
  id: string,
  shared: boolean,
  now: Date,
): Promise<void> {
  await db
    .update(documents)
    .set({ sharedWithPatient: shared, ...(shared ? { sharedAt: now } : {}) })
    .where(and(eq(documents.chamberId, chamberId), eq(documents.id, id)));
}
