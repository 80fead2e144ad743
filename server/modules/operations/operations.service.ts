import type { Health } from '../../../common/contract/operations.js';
import type { Database } from '../../db/connect.js';
import { databaseUnavailable } from '../../errors.js';
import { pingDatabase } from './operations.repository.js';

/** Liveness: the process answers and its database is reachable (503 when it is not). */
export async function readHealth(database: Database): Promise<Health> {
  try {
    await pingDatabase(database.db);
  } catch {
    throw databaseUnavailable();
  }
  return { status: 'ok', database: database.engine };
}
