import type { Db } from '../../db/connect.js';
import { AUDIT_SEAL_BATCH, sealAuditEvents } from '../../modules/audit/audit.repository.js';

/**
 * The worker's audit sealer: every round it links the audit rows committed since the last
 * round onto their chambers' hash chains, batch after batch until none is left (migration
 * 0019). Requests never wait for it: they only insert their rows.
 */
export function auditSeal(db: Db): (now: Date) => Promise<void> {
  return async () => {
    while ((await sealAuditEvents(db)) === AUDIT_SEAL_BATCH);
  };
}
