import { DEFAULT_RED_FLAG_PHRASES } from '../../../common/red-flags.js';
import { hasVisibleText } from '../../../common/visible-text.js';
import type { OfficeDay } from '../../../common/contract/settings.js';
import { invalid, notFound } from '../../errors.js';
import type { ServiceContext } from '../../lib/context.js';
import type { StaffActor } from '../auth/actor.js';
import { audit, auditRead } from '../audit/audit.service.js';
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
  officeHours?: OfficeDay[];
  clinicHolidays?: string[];
  replyWithinWorkingHours?: number;
  outOfHoursMessage?: string;
  escalationRoleId?: string | null;
  redFlagPhrases?: string[];
  emergencyAdvice?: string;
  clinicPhone?: string;
}

const WEEKDAY_NAMES = [
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
];

/** Office hours checked (each weekday once, closing after opening) and in weekday order. */
function checkOfficeHours(days: OfficeDay[]): OfficeDay[] {
  const seen = new Set<number>();
  for (const d of days) {
    const name = WEEKDAY_NAMES[d.weekday - 1];
    if (seen.has(d.weekday)) {
      throw invalid(
        'validation_failed',
        `${name} is given twice in the office hours.`,
        'officeHours',
      );
    }
    seen.add(d.weekday);
    if (d.closes <= d.opens) {
      throw invalid(
        'validation_failed',
        `On ${name} the clinic must close after it opens (${d.opens} to ${d.closes}).`,
        'officeHours',
      );
    }
  }
  return [...days].sort((a, b) => a.weekday - b.weekday);
}

/** Holidays as real calendar dates, each once, in order. */
function checkHolidays(dates: string[]): string[] {
  for (const d of dates) {
    const parsed = /^(\d{4})-(\d{2})-(\d{2})$/.exec(d);
    const valid =
      parsed !== null &&
      new Date(Date.UTC(+parsed[1]!, +parsed[2]! - 1, +parsed[3]!)).toISOString().slice(0, 10) ===
        d;
    if (!valid) {
      throw invalid('validation_failed', `${d} is not a date (YYYY-MM-DD).`, 'clinicHolidays');
    }
  }
  return [...new Set(dates)].sort();
}

/** Red flag phrases trimmed, blank lines dropped, each once (whatever its case). */
function checkPhrases(phrases: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const raw of phrases) {
    const phrase = raw.trim().replace(/\s+/g, ' ');
    if (!phrase) continue;
    const key = phrase.toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(phrase);
    }
  }
  return out;
}

/** The audit's view of a change: office hours as readable lines (details hold scalars and lists). */
function auditDetails(changes: SettingsChanges) {
  const { officeHours, ...rest } = changes;
  return {
    ...rest,
    ...(officeHours
      ? {
          officeHours: officeHours.map(
            (d) => `${WEEKDAY_NAMES[d.weekday - 1]} ${d.opens}-${d.closes}`,
          ),
        }
      : {}),
  };
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
    // Rule 12: the Escalation role (a deleted one escalates to nobody, so reads as none).
    const escalation = roles.find((r) => r.id === chamber.escalationRoleId);
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
      officeHours: chamber.officeHours,
      clinicHolidays: chamber.clinicHolidays,
      replyWithinWorkingHours: chamber.replyWithinWorkingHours,
      outOfHoursMessage: chamber.outOfHoursMessage,
      escalationRoleId: escalation?.id ?? null,
      escalationRoleWarning:
        escalation && Number(escalation.activeMemberCount) === 0
          ? `The Escalation role "${escalation.name}" has no Active members: nobody will be told of overdue messages.`
          : null,
      redFlagPhrases: chamber.redFlagPhrases ?? [...DEFAULT_RED_FLAG_PHRASES],
      emergencyAdvice: chamber.emergencyAdvice,
      clinicPhone: chamber.clinicPhone,
      requireStaffTwoStep: chamber.requireStaffTwoStep,
    };
  }

  return {
    /** The chamber's settings, with a warning when nobody would be notified of new messages. */
    async get(actor: StaffActor) {
      const settings = await read(actor.chamberId);
      await auditRead(ctx, actor, clock(), {
        action: 'settings.viewed',
        subjectType: 'chamber',
        subjectId: actor.chamberId,
      });
      return settings;
    },

    async update(actor: StaffActor, input: SettingsChanges) {
      const changes: SettingsChanges = { ...input };
      if (changes.officeHours) changes.officeHours = checkOfficeHours(changes.officeHours);
      if (changes.clinicHolidays) changes.clinicHolidays = checkHolidays(changes.clinicHolidays);
      if (changes.redFlagPhrases) changes.redFlagPhrases = checkPhrases(changes.redFlagPhrases);
      // A message of only invisible characters is no message: no automatic reply is sent.
      if (changes.outOfHoursMessage !== undefined)
        changes.outOfHoursMessage = hasVisibleText(changes.outOfHoursMessage)
          ? changes.outOfHoursMessage.trim()
          : '';
      if (changes.emergencyAdvice !== undefined)
        changes.emergencyAdvice = changes.emergencyAdvice.trim();
      if (changes.clinicPhone !== undefined) changes.clinicPhone = changes.clinicPhone.trim();
      if (
        changes.escalationRoleId !== undefined &&
        changes.escalationRoleId !== null &&
        !(await findRole(db, actor.chamberId, changes.escalationRoleId))
      ) {
        throw invalid('role_not_found', 'That role does not exist.', 'escalationRoleId');
      }
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
          details: auditDetails(changes),
        });
      });
      return read(actor.chamberId);
    },
  };
}

export type SettingService = ReturnType<typeof createSettingService>;
