import { Type, type Static } from 'typebox';
import { Id, Nullable } from './common.js';

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
  },
  { additionalProperties: false },
);
export type SettingsChanges = Static<typeof SettingsChanges>;
