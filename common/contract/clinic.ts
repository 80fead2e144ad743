import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

/**
 * What the portal shows of the clinic without an admin session (SPEC rules 12 to 14): where
 * to call, when the clinic is open today, and what the composer warns of.
 */

/** Today's office hours in the clinic's time zone, or null when closed today. */
export const TodaysHours = Nullable(
  Type.Object(
    { opens: Type.String({ description: 'HH:MM' }), closes: Type.String({ description: 'HH:MM' }) },
    { additionalProperties: false },
  ),
);

/**
 * Whether patients may attach files to their messages, and the published limits the server
 * enforces on every upload (the type read from the file's content, never from its name).
 */
export const ClinicAttachments = Type.Object(
  {
    allowed: Type.Boolean({ description: 'General Settings > Allow patient attachments' }),
    types: Type.Array(Type.String(), {
      description: 'the content types accepted, e.g. application/pdf, image/jpeg',
    }),
    maxBytes: Type.Integer({ minimum: 1, description: 'the largest file accepted, in bytes' }),
    maxFiles: Type.Integer({ minimum: 1, description: 'the most files attached to one message' }),
  },
  { additionalProperties: false },
);
export type ClinicAttachments = Static<typeof ClinicAttachments>;

/**
 * `GET /api/v1/portal/clinic?chamber=`: the clinic's name, phone, today's hours, safety text,
 * and whether (and what) patients may attach.
 */
export const ClinicInfo = Type.Object(
  {
    name: Type.String(),
    phone: Type.String({ description: 'Clinic Contact > Clinic phone; empty when not set' }),
    timeZone: Type.String(),
    todaysHours: TodaysHours,
    emergencyAdvice: Type.String(),
    redFlagPhrases: Type.Array(Type.String()),
    attachments: ClinicAttachments,
  },
  { additionalProperties: false },
);
export type ClinicInfo = Static<typeof ClinicInfo>;

export const ClinicQuery = Type.Object(
  {
    chamber: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 63,
        description: 'the clinic code; a patient session gives its own',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ClinicQuery = Static<typeof ClinicQuery>;

/** `GET /api/v1/portal/reply-time`: when the clinic aims to reply to a message sent now. */
export const ReplyTime = Type.Object(
  {
    replyBy: Nullable(
      Type.String({
        format: 'date-time',
        description: 'null when the clinic has no office hours to promise from',
      }),
    ),
    outOfHours: Type.Boolean({ description: 'the clinic is closed now (rule 13)' }),
    timeZone: Type.String({ description: "the clinic's time zone, to show the time in" }),
  },
  { additionalProperties: false },
);
export type ReplyTime = Static<typeof ReplyTime>;
