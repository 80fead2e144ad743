import { Type, type Static } from 'typebox';
import { VISIBLE_NAME_PATTERN } from '../visible-text.js';
import { ActingForPatient, EmailAddress, PersonName } from './auth.js';
import { Id, Nullable, Timestamp } from './common.js';
import { PortalAccountState } from './patients.js';

/**
 * Proxy access (SPEC rule 18): a portal account allowed to act for another patient (a parent
 * for a child, a carer). Staff manage proxies on the Patient Record (Proxy Access); in the
 * portal a proxy chooses whom they act for (Acting for), and a patient sees and removes theirs.
 */

/** A day, `YYYY-MM-DD`, in the clinic's time zone (rule 7). */
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' });

/** How the proxy is related to the patient, in the clinic's words (e.g. "Parent", "Carer"). */
export const Relationship = Type.String({
  minLength: 1,
  maxLength: 60,
  pattern: VISIBLE_NAME_PATTERN,
  description: 'e.g. "Parent", "Carer"',
});

/** `POST /api/v1/patients/:id/proxies`: a portal account by email, invited when new. */
export const NewProxy = Type.Object(
  {
    email: EmailAddress,
    relationship: Relationship,
    endsOn: Type.Optional(
      Nullable({
        ...Day,
        description: 'the last day the proxy may act (clinic time); none: no end',
      }),
    ),
    name: Type.Optional(PersonName(200)),
    emailConsent: Type.Optional(
      Type.Boolean({
        description:
          'a new person agrees to be emailed when something new is shared (rule 5, their own consent); a patient’s account follows their record',
      }),
    ),
  },
  { additionalProperties: false },
);
export type NewProxy = Static<typeof NewProxy>;

/** The proxy's portal account, as staff and the patient see it. */
export const ProxyAccount = Type.Object(
  {
    id: Id,
    name: Type.String(),
    email: Type.String(),
    state: PortalAccountState,
    /** The account belongs to a patient of this clinic (else it is a person who is not one). */
    isPatient: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ProxyAccount = Static<typeof ProxyAccount>;

/** One proxy of a patient. */
export const Proxy = Type.Object(
  {
    id: Id,
    account: ProxyAccount,
    relationship: Type.String(),
    endsOn: Nullable(Day),
    createdAt: Timestamp,
    /** Who added it: a staff user's name. */
    addedBy: Type.String(),
  },
  { additionalProperties: false },
);
export type Proxy = Static<typeof Proxy>;

/** `GET /api/v1/patients/:id/proxies` and `GET /api/v1/portal/proxies`: proxies in force. */
export const ProxyList = Type.Object(
  { proxies: Type.Array(Proxy) },
  { additionalProperties: false },
);
export type ProxyList = Static<typeof ProxyList>;

export const ProxyParams = Type.Object({ id: Id, proxyId: Id }, { additionalProperties: false });
export type ProxyParams = Static<typeof ProxyParams>;

export { ActingForPatient };

/** `GET|PUT /api/v1/portal/acting-for`: whom the session acts for, and whom it may. */
export const ActingFor = Type.Object(
  {
    patientId: Id,
    patients: Type.Array(ActingForPatient, { description: 'own record first, then by name' }),
  },
  { additionalProperties: false },
);
export type ActingFor = Static<typeof ActingFor>;

/** `PUT /api/v1/portal/acting-for`. */
export const ChooseActingFor = Type.Object({ patientId: Id }, { additionalProperties: false });
export type ChooseActingFor = Static<typeof ChooseActingFor>;
