import { sql } from 'drizzle-orm';
import type { Db } from '../../server/db/connect.js';
import { hashToken } from '../../server/lib/tokens.js';

/**
 * Deletes the sessions openSessions() made (by their cookie tokens), so that a scenario leaves
 * the data set it shares with the next scenarios (`npm run bench`) as it found it.
 */
export async function closeSessions(db: Db, tokens: string[]): Promise<void> {
  for (let i = 0; i < tokens.length; i += 5000) {
    const hashes = tokens.slice(i, i + 5000).map(hashToken);
    await db.execute(
      sql`delete from sessions where token_hash = any(${`{${hashes.join(',')}}`}::text[])`,
    );
  }
}
