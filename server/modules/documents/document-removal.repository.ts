import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { documents } from '../../db/schema.js';

/** Deletes a document's row (the database refuses while a message or medical item uses it). */
export async function deleteDocument(db: Db, chamberId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(documents)
    .where(and(eq(documents.chamberId, chamberId), eq(documents.id, id)))
    .returning({ id: documents.id });
  return rows.length > 0;
}
