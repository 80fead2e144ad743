import { Type, type Static } from 'typebox';
import {
  CLINIC_HOLIDAYS_MAX,
  CLINIC_PHONE_MAX,
  EMERGENCY_ADVICE_MAX,
  OUT_OF_HOURS_MESSAGE_MAX,
  RED_FLAG_PHRASE_MAX,
  RED_FLAG_PHRASES_MAX,
  REPLY_WITHIN_MAX_HOURS,
} from '../limits.js';
import { VISIBLE_CHARACTER } from '../visible-text.js';
import { Id, Nullable } from './common.js';

/** "HH:MM", 00:00 to 23:59. */
const ClockTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM' });

/** One weekday's office hours; a weekday not listed is closed. Closes after it opens. */
export const OfficeDay = Type.Object(
  {
    weekday: Type.Integer({ minimum: 1, maximum: 7, description: '1 Monday … 7 Sunday' }),
    opens: ClockTime,
    closes: ClockTime,
  },
  { additionalProperties: false },
);
export type OfficeDay = Static<typeof OfficeDay>;

const OfficeHours = Type.Array(OfficeDay, {
  maxItems: 7,
  description: 'Reply Times > Office hours: one entry per open weekday',
});
const ClinicHolidays = Type.Array(Type.String({ format: 'date' }), {
  maxItems: CLINIC_HOLIDAYS_MAX,
  description: "Reply Times > Clinic holidays (YYYY-MM-DD, in the clinic's time zone)",
});
const ReplyWithin = Type.Integer({
  minimum: 1,
  maximum: REPLY_WITHIN_MAX_HOURS,
  description: 'Reply Times > Reply within (working hours)',
});
const OutOfHoursMessage = Type.String({
  maxLength: OUT_OF_HOURS_MESSAGE_MAX,
  description: 'Reply Times > Out-of-hours message (empty: no automatic message)',
});
const RedFlagPhrases = Type.Array(
  Type.String({ minLength: 1, maxLength: RED_FLAG_PHRASE_MAX, pattern: VISIBLE_CHARACTER }),
  { maxItems: RED_FLAG_PHRASES_MAX, description: 'Patient Safety > Red flag phrases' },
);
const EmergencyAdvice = Type.String({
  minLength: 1,
  maxLength: EMERGENCY_ADVICE_MAX,
  pattern: VISIBLE_CHARACTER,
  description: 'Patient Safety > Emergency advice',
});
const ClinicPhone = Type.String({
  maxLength: CLINIC_PHONE_MAX,
  pattern: '^[0-9+()\\-. ]*$',
  description: 'Clinic Contact > Clinic phone (digits, spaces, + - ( ) .; empty: none)',
});

/** Start Page > Admin > Configuration: the chamber's settings. */

/** The chamber's settings, with a warning when nobody would be notified of new messages. */
export const Settings = Type.Object(
  {
    chamber: Type.Object(
      { key: Type.String({ description: 'the clinic code' }), name: Type.String() },
      { additionalProperties: false },
    ),
    patientPortalEnabled: Type.Boolean({
      description: 'Chargeable features > Patient Portal',
    }),
    roleForNewMessages: Nullable(
      Type.Object(
        { id: Id, name: Type.String(), activeMemberCount: Type.Integer() },
        {
          additionalProperties: false,
          description:
            'Online Portal > General Settings > Role for new messages (a deleted role falls back to Appointment Reminder Admin)',
        },
      ),
    ),
    roleForNewMessagesWarning: Nullable(
      Type.String({ description: 'shown when the role has no Active members' }),
    ),
    sharedItemsEmailEnabled: Type.Boolean({
      description: 'New Shared Items Notification > Enable new shared items email',
    }),
    patientAttachmentsEnabled: Type.Boolean({
      description: 'General Settings > Allow patient attachments',
    }),
    timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/London (rule 7)' }),
    officeHours: OfficeHours,
    clinicHolidays: ClinicHolidays,
    replyWithinWorkingHours: ReplyWithin,
    outOfHoursMessage: OutOfHoursMessage,
    escalationRoleId: Nullable(Id),
    escalationRoleWarning: Nullable(
      Type.String({ description: 'shown when the Escalation role has no Active members' }),
    ),
    redFlagPhrases: RedFlagPhrases,
    emergencyAdvice: EmergencyAdvice,
    clinicPhone: ClinicPhone,
    requireStaffTwoStep: Type.Boolean({
      description: 'Security > Require two-step verification for staff (rule 19)',
    }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;

/** The settings to change. */
export const SettingsChanges = Type.Object(
  {
    patientPortalEnabled: Type.Optional(Type.Boolean({ description: 'Patient Portal' })),
    roleForNewMessagesId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Role for new messages' }),
    ),
    sharedItemsEmailEnabled: Type.Optional(
      Type.Boolean({ description: 'Enable new shared items email' }),
    ),
    timeZone: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone' }),
    ),
    patientAttachmentsEnabled: Type.Optional(
      Type.Boolean({ description: 'Patients may attach a file to their messages' }),
    ),
    officeHours: Type.Optional(OfficeHours),
    clinicHolidays: Type.Optional(ClinicHolidays),
    replyWithinWorkingHours: Type.Optional(ReplyWithin),
    outOfHoursMessage: Type.Optional(OutOfHoursMessage),
    escalationRoleId: Type.Optional(
      Nullable(Type.String({ format: 'uuid', description: 'Escalation role (null: none)' })),
    ),
    redFlagPhrases: Type.Optional(RedFlagPhrases),
    emergencyAdvice: Type.Optional(EmergencyAdvice),
    clinicPhone: Type.Optional(ClinicPhone),
    requireStaffTwoStep: Type.Optional(
      Type.Boolean({ description: 'Require two-step verification for staff' }),
    ),
  },
  { additionalProperties: false },
);
export type SettingsChanges = Static<typeof SettingsChanges>;
