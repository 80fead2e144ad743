import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit } from '../audit/audit.service.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { resolveRoleForNewMessages } from '../messaging/messaging.repository.js';
import { findRole, listRoles } from '../roles/role.repository.js';
import { updateChamberSettings } from './setting.repository.js';

/** Any IANA time zone the platform knows, current names and old aliases alike. */
function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: name });
    return /^[A-Za-z0-9_+\-/]+$/.test(name);
  } catch {
    return false;
  }
}

export interface SettingsChanges {
  patientPortalEnabled?: boolean;
  roleForNewMessagesId?: string;
  sharedItemsEmailEnabled?: boolean;
  patientAttachmentsEnabled?: boolean;
  timeZone?: string;
}

export function createSettingService(ctx: ServiceContext) {
  const { db, clock } = ctx;

  async function read(chamberId: string) {
    const chamber = await findChamber(db, chamberId);
    if (!chamber) throw notFound('That chamber');
    const roles = await listRoles(db, chamberId);
    // Rule 2, resolved by the same query the send path uses: a deleted or unset role falls
    // back to the built-in Appointment Reminder Admin.
    const roleId = await resolveRoleForNewMessages(db, chamberId);
    const role = roles.find((r) => r.id === roleId);
    return {
      chamber: { key: chamber.key, name: chamber.name },
      patientPortalEnabled: chamber.patientPortalEnabled,
      roleForNewMessages: role
        ? { id: role.id, name: role.name, activeMemberCount: Number(role.activeMemberCount) }
        : null,
      roleForNewMessagesWarning:
        role && Number(role.activeMemberCount) === 0
          ? `The role "${role.name}" has no Active members: nobody will be notified of new patient messages.`
          : null,
      sharedItemsEmailEnabled: chamber.sharedItemsEmailEnabled,
      patientAttachmentsEnabled: chamber.patientAttachmentsEnabled,
      timeZone: chamber.timeZone,
    };
  }

  return {
    /** The chamber's settings, with a warning when nobody would be notified of new messages. */
    async get(actor: StaffActor) {
      const settings = await read(actor.chamberId);
      await audit(db, actor, clock(), {
        action: 'settings.viewed',
        subjectType: 'chamber',
        subjectId: actor.chamberId,
      });
      return settings;
    },

    async update(actor: StaffActor, changes: SettingsChanges) {
      if (changes.timeZone !== undefined && !isTimeZone(changes.timeZone)) {
        throw invalid(
          'validation_failed',
          'timeZone must be an IANA time zone such as Europe/London.',
          'timeZone',
        );
      }
      if (
        changes.roleForNewMessagesId !== undefined &&
        !(await findRole(db, actor.chamberId, changes.roleForNewMessagesId))
      ) {
        throw invalid('role_not_found', 'That role does not exist.', 'roleForNewMessagesId');
      }
      const now = clock();
      await db.transaction(async (tx) => {
        await updateChamberSettings(tx, actor.chamberId, changes, now);
        await audit(tx, actor, now, {
          action: 'settings.updated',
          subjectType: 'chamber',
          subjectId: actor.chamberId,
          details: { ...changes },
        });
      });
      return read(actor.chamberId);
    },
  };
}

export type SettingService = ReturnType<typeof createSettingService>;
