import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { conflict } from '../../errors.js';
import { insertRole } from '../roles/role.repository.js';
import { findChamberByKey, insertChamber } from './chamber.repository.js';

/** The built-in role every chamber has; also the fallback Role for new messages (rule 2). */
export const BUILT_IN_ROLE_NAME = 'Appointment Reminder Admin';

export interface NewChamber {
  key: string;
  name: string;
  timeZone?: string;
  patientPortalEnabled?: boolean;
}

/**
 * Creates a chamber with its built-in role. Chambers are made by the operator (the demo command,
 * `npm run chamber`), never through the API of another chamber.
 */
export async function createChamber(db: Db, input: NewChamber, now: Date) {
  return db.transaction(async (tx) => {
    if (await findChamberByKey(tx, input.key)) {
      throw conflict(
        'chamber_key_taken',
        `A chamber with the key "${input.key}" exists already.`,
        'key',
      );
    }
    const id = randomUUID();
    await insertChamber(tx, {
      id,
      key: input.key,
      name: input.name,
      patientPortalEnabled: input.patientPortalEnabled ?? false,
      timeZone: input.timeZone ?? 'Europe/London',
      createdAt: now,
      updatedAt: now,
    });
    const roleId = randomUUID();
    await insertRole(tx, {
      chamberId: id,
      id: roleId,
      name: BUILT_IN_ROLE_NAME,
      isBuiltIn: true,
      createdAt: now,
    });
    return { id, builtInRoleId: roleId };
  });
}
