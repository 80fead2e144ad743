import { Type, type Static, type TProperties } from 'typebox';
import { Timestamp } from './common.js';
import { IntegrationScope } from './integrations.js';

/**
 * The FHIR R4 read API under `/fhir/R4` (the mapping is in docs/fhir.md). Resources are open
 * ended, so each schema names its resource type and top-level fields and allows more; the
 * routes send them as `application/fhir+json` text, exactly as presented.
 */

/** A FHIR resource of one type: the fields named here, and any other FHIR field. */
const Resource = <T extends string, P extends TProperties>(resourceType: T, properties: P) =>
  Type.Object(
    { resourceType: Type.Literal(resourceType), ...properties },
    { additionalProperties: true },
  );

const Reference = Type.Object(
  { reference: Type.String(), display: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
const Meta = Type.Object({ lastUpdated: Timestamp }, { additionalProperties: true });
const Open = Type.Object({}, { additionalProperties: true });

/** Any resource of this API, as a Bundle entry carries it. */
export const FhirResource = Type.Object(
  { resourceType: Type.String(), id: Type.Optional(Type.String()) },
  { additionalProperties: true },
);
export type FhirResource = Static<typeof FhirResource>;

/** A conversation (a thread header: in-progress, no payload) or a message (partOf its header). */
export const FhirCommunication = Resource('Communication', {
  id: Type.String(),
  meta: Meta,
  status: Type.Union([Type.Literal('in-progress'), Type.Literal('completed')]),
  subject: Reference,
  sent: Timestamp,
  partOf: Type.Optional(Type.Array(Reference)),
  recipient: Type.Optional(Type.Array(Reference)),
  sender: Type.Optional(Reference),
  payload: Type.Optional(Type.Array(Open)),
});
export type FhirCommunication = Static<typeof FhirCommunication>;

export const FhirPatient = Resource('Patient', {
  id: Type.String(),
  meta: Meta,
  identifier: Type.Array(Open),
  name: Type.Array(Open),
  telecom: Type.Optional(Type.Array(Open)),
  birthDate: Type.String({ description: 'YYYY-MM-DD' }),
});
export type FhirPatient = Static<typeof FhirPatient>;

/** A staff user who wrote a message. */
export const FhirPractitioner = Resource('Practitioner', {
  id: Type.String(),
  meta: Meta,
  active: Type.Boolean(),
  name: Type.Array(Open),
});
export type FhirPractitioner = Static<typeof FhirPractitioner>;

/** A role a message is shared with, and its members. */
export const FhirGroup = Resource('Group', {
  id: Type.String(),
  active: Type.Boolean(),
  type: Type.Literal('practitioner'),
  actual: Type.Boolean(),
  name: Type.String(),
  quantity: Type.Integer(),
  member: Type.Optional(Type.Array(Open)),
});
export type FhirGroup = Static<typeof FhirGroup>;

/** An attachment as a resource (asked for with `application/fhir+json`): its bytes in base64. */
export const FhirBinary = Resource('Binary', {
  id: Type.String(),
  contentType: Type.String(),
  data: Type.String({ description: 'base64' }),
});
export type FhirBinary = Static<typeof FhirBinary>;

/** An attachment's bytes, as stored, with their own content type. */
export const FhirBinaryContent = Type.Unsafe<Uint8Array>({
  type: 'string',
  format: 'binary',
  description: 'The bytes of the attachment, with its own content type, as an attachment.',
});
export type FhirBinaryContent = Static<typeof FhirBinaryContent>;

/** A searchset page: its entries, a self link, and a next link while more remain. */
export const FhirBundle = Resource('Bundle', {
  id: Type.String(),
  meta: Meta,
  type: Type.Literal('searchset'),
  link: Type.Array(Type.Object({ relation: Type.String(), url: Type.String() })),
  entry: Type.Optional(
    Type.Array(
      Type.Object({
        fullUrl: Type.String(),
        resource: FhirResource,
        search: Type.Object({ mode: Type.Literal('match') }),
      }),
    ),
  ),
});
export type FhirBundle = Static<typeof FhirBundle>;

/** Every refusal of the FHIR API; `details.coding` carries this product's stable code. */
export const FhirOperationOutcome = Resource('OperationOutcome', {
  issue: Type.Array(
    Type.Object(
      {
        severity: Type.Union([Type.Literal('error'), Type.Literal('fatal')]),
        code: Type.String({ description: 'the FHIR IssueType' }),
        details: Type.Object({
          coding: Type.Array(Type.Object({ system: Type.String(), code: Type.String() })),
          text: Type.String(),
        }),
        diagnostics: Type.String(),
      },
      { additionalProperties: true },
    ),
  ),
});
export type FhirOperationOutcome = Static<typeof FhirOperationOutcome>;

/** `GET /fhir/R4/metadata`: exactly what the API serves. */
export const FhirCapabilityStatement = Resource('CapabilityStatement', {
  id: Type.String(),
  url: Type.String(),
  version: Type.String(),
  name: Type.String(),
  title: Type.String(),
  status: Type.String(),
  experimental: Type.Boolean(),
  date: Type.String(),
  publisher: Type.String(),
  description: Type.String(),
  kind: Type.Literal('instance'),
  software: Open,
  implementation: Open,
  fhirVersion: Type.Literal('4.0.1'),
  format: Type.Array(Type.String()),
  rest: Type.Array(Open),
});
export type FhirCapabilityStatement = Static<typeof FhirCapabilityStatement>;

/** `GET /fhir/R4/.well-known/smart-configuration` (SMART App Launch 2.0, backend services). */
export const SmartConfiguration = Type.Object({
  issuer: Type.String(),
  token_endpoint: Type.String(),
  token_endpoint_auth_methods_supported: Type.Array(Type.String()),
  grant_types_supported: Type.Array(Type.String()),
  scopes_supported: Type.Array(IntegrationScope),
  capabilities: Type.Array(Type.String()),
});
export type SmartConfiguration = Static<typeof SmartConfiguration>;

/** `id` of a FHIR read: any text; an id this server never gave out answers 404. */
export const FhirIdParams = Type.Object({ id: Type.String() });
export type FhirIdParams = Static<typeof FhirIdParams>;
