import { Type, type Static } from 'typebox';
import { VISIBLE_CHARACTER } from '../visible-text.js';
import { Id } from './common.js';

/** Start Page > Admin > Billing Rules: charge bands and their online access. */

/** Enable Online Booking's choice (dialog Allowing Patient Access), or no online access. */
export const OnlineAccessMode = Type.Union(
  [Type.Literal('allow_and_notify'), Type.Literal('allow_no_notifications'), Type.Literal('none')],
  { description: 'Allow And Notify, Allow With No Notifications, or no online access' },
);
export type OnlineAccessMode = Static<typeof OnlineAccessMode>;

/** A charge band as Billing Rules shows it. */
export const ChargeBand = Type.Object(
  {
    id: Id,
    name: Type.String(),
    onlineAccess: OnlineAccessMode,
    allowOnlineMessaging: Type.Boolean({ description: 'Online Settings > Allow online messaging' }),
    onlineSignUpInviteCode: Type.String({
      description: 'Online Settings > Online sign-up invite code; empty when none',
    }),
    patientCount: Type.Integer({ description: 'patients on the band' }),
  },
  { additionalProperties: false },
);
export type ChargeBand = Static<typeof ChargeBand>;

/** The chamber's charge bands, by name. */
export const ChargeBandList = Type.Object(
  { chargeBands: Type.Array(ChargeBand) },
  { additionalProperties: false },
);
export type ChargeBandList = Static<typeof ChargeBandList>;

const BandName = Type.String({ minLength: 1, maxLength: 100, pattern: VISIBLE_CHARACTER });

/** New charge band. */
export const NewChargeBand = Type.Object({ name: BandName }, { additionalProperties: false });
export type NewChargeBand = Static<typeof NewChargeBand>;

/** Rename, or change Online Settings (only on a band with online access). */
export const ChargeBandChanges = Type.Object(
  {
    name: Type.Optional(BandName),
    allowOnlineMessaging: Type.Optional(Type.Boolean({ description: 'Allow online messaging' })),
    onlineSignUpInviteCode: Type.Optional(
      Type.String({
        maxLength: 64,
        pattern: '^[A-Za-z0-9 _-]*$',
        description: 'Online sign-up invite code',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ChargeBandChanges = Static<typeof ChargeBandChanges>;

/** `PUT /admin/charge-bands/:id/online-access`: Enable Online Booking, or switch it off. */
export const OnlineAccessChange = Type.Object(
  { mode: OnlineAccessMode },
  { additionalProperties: false },
);
export type OnlineAccessChange = Static<typeof OnlineAccessChange>;

/** The band after the change, and how many of its patients were invited just now. */
export const OnlineAccessResult = Type.Object(
  {
    ...ChargeBand.properties,
    invited: Type.Integer({ description: 'patients invited by Allow And Notify just now' }),
  },
  { additionalProperties: false },
);
export type OnlineAccessResult = Static<typeof OnlineAccessResult>;
