import { Type, type Static } from 'typebox';
import { Cursor, Id, NextCursor, Nullable, Timestamp } from './common.js';

/** Start Page > Admin > System Activity, and the patient's Activity tab (SPEC rule 6). */

/** Who acted: a staff user, a patient, the system, someone not signed in, or an integration. */
export const AuditActorKind = Type.Union([
  Type.Literal('staff'),
  Type.Literal('patient'),
  Type.Literal('system'),
  Type.Literal('anonymous'),
  Type.Literal('integration'),
]);
export type AuditActorKind = Static<typeof AuditActorKind>;

const DetailScalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const DetailList = Type.Array(DetailScalar);

/**
 * The particulars of an action: a JSON object (e.g. `{ "reason": "wrong_password" }` on a
 * failed sign-in) of scalars, lists of scalars and one level of objects, or null.
 */
export const AuditDetails = Nullable(
  Type.Record(
    Type.String(),
    Type.Union([
      DetailScalar,
      DetailList,
      Type.Record(Type.String(), Type.Union([DetailScalar, DetailList])),
    ]),
    { description: 'the particulars of the action, e.g. { "reason": "wrong_password" }' },
  ),
);
export type AuditDetails = Static<typeof AuditDetails>;

/** One audit row: who did what, to which patient, when, from which address. */
export const AuditEvent = Type.Object(
  {
    id: Type.String({ description: 'increasing: newer rows have larger ids' }),
    at: Timestamp,
    action: Type.String({ description: 'e.g. staff.sign_in, message.created, patient.viewed' }),
    actor: Type.Object(
      {
        kind: AuditActorKind,
        userId: Nullable(Id),
        patientId: Nullable(Id),
        label: Nullable(Type.String({ description: 'a name, or the email typed at sign-in' })),
      },
      { additionalProperties: false },
    ),
    patientId: Nullable(
      Type.String({ format: 'uuid', description: 'the patient concerned, if any' }),
    ),
    patientName: Nullable(Type.String({ description: "the patient's name, when there is one" })),
    subject: Nullable(
      Type.Object(
        {
          type: Type.String(),
          id: Nullable(Type.String()),
          label: Nullable(
            Type.String({
              description:
                "what the row is about in words: a conversation's subject or topic (only for a viewer who may see the conversation), a document's title, a role's, user's or topic's name",
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    ip: Nullable(Type.String()),
    // The column is untyped JSON (`unknown` to the server's code): the document says what the
    // product writes; the static type stays `unknown` until the column is typed (AuditDetails).
    details: Type.Unsafe<unknown>(AuditDetails),
    privileged: Type.Boolean({
      description:
        "an admin act that opens a role's internal notes to someone new: a member added to a role, an integration client made with system/Communication.read-internal",
    }),
  },
  { additionalProperties: false },
);
export type AuditEvent = Static<typeof AuditEvent>;

/** A page of audit rows, newest first (50 a page). */
export const AuditPage = Type.Object(
  { events: Type.Array(AuditEvent), nextCursor: NextCursor },
  { additionalProperties: false },
);
export type AuditPage = Static<typeof AuditPage>;

const DateOrTime = Type.String({
  maxLength: 40,
  description: 'YYYY-MM-DD (whole day) or an ISO 8601 date and time',
});

/** System Activity's filters: by date, type (an action prefix), user and patient. */
export const AuditQuery = Type.Object(
  {
    from: Type.Optional(DateOrTime),
    to: Type.Optional(DateOrTime),
    action: Type.Optional(
      Type.String({
        maxLength: 60,
        pattern: '^[a-z_.]+$',
        description: 'an action or its prefix, e.g. "staff." or "message.created"',
      }),
    ),
    userId: Type.Optional(Id),
    patientId: Type.Optional(Id),
    hideViews: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: leave out reads (see isViewAction), so changes stand out',
      }),
    ),
    privileged: Type.Optional(
      Type.Union([Type.Literal('true'), Type.Literal('false')], {
        description: 'true: only privileged acts (see AuditEvent.privileged); false: all others',
      }),
    ),
    cursor: Type.Optional(Cursor),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

export { isViewAction, VIEW_ACTION_RULE } from '../audit-actions.js';
