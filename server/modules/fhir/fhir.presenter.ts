/**
 * Rows as FHIR R4 resources (the mapping documented in docs/fhir.md). References inside a
 * resource are relative (`Patient/[id]`); Bundle entries carry absolute `fullUrl`s.
 */
import { ERROR_CODE_SYSTEM, type FhirError } from './fhir.errors.js';
import type { AttachmentRow } from '../messaging/messaging.repository.js';
import type {
  MessageRow,
  PatientRow,
  RoleWithMembersRow,
  StaffUserRow,
} from './fhir.repository.js';

export type Resource = { resourceType: string; id?: string } & Record<string, unknown>;

/** Patients are identified by their id as a URN, the same on every deployment. */
export const PATIENT_IDENTIFIER_SYSTEM = 'urn:ietf:rfc:3986';

const iso = (d: Date) => d.toISOString();

/** The code system of the chamber's Message Topics (a topic's id is its code). */
export const TOPIC_CODE_SYSTEM = 'urn:patient-portal:message-topic';

/** What a conversation is about: its topic as `category`, its subject as `topic.text`. */
function about(m: Pick<MessageRow, 'topicId' | 'topicName' | 'subject'>) {
  return {
    ...(m.topicId
      ? {
          category: [
            {
              coding: [{ system: TOPIC_CODE_SYSTEM, code: m.topicId, display: m.topicName ?? '' }],
              text: m.topicName ?? '',
            },
          ],
        }
      : {}),
    ...(m.subject ? { topic: { text: m.subject } } : {}),
  };
}

/** A conversation: the thread header its messages point at with `partOf`; no payload. */
export function presentThread(first: MessageRow): Resource {
  return {
    resourceType: 'Communication',
    id: first.conversationId,
    meta: { lastUpdated: iso(first.createdAt) },
    status: 'in-progress',
    ...about(first),
    subject: { reference: `Patient/${first.patientId}` },
    sent: iso(first.createdAt),
  };
}

/** One message, with its audience as recipients and its attachments as Binary URLs. */
export function presentMessage(
  m: MessageRow,
  roles: { id: string; name: string }[],
  attachments: AttachmentRow[],
  baseUrl: string,
): Resource {
  const recipient = [
    ...(m.sharedWithPatient ? [{ reference: `Patient/${m.patientId}` }] : []),
    ...roles.map((r) => ({ reference: `Group/${r.id}`, display: r.name })),
  ];
  return {
    resourceType: 'Communication',
    id: m.id,
    meta: { lastUpdated: iso(m.createdAt) },
    partOf: [{ reference: `Communication/${m.conversationId}` }],
    status: 'completed',
    ...about(m),
    subject: { reference: `Patient/${m.patientId}` },
    sent: iso(m.createdAt),
    ...(recipient.length > 0 ? { recipient } : {}),
    sender:
      m.authorKind === 'patient'
        ? // Written by the patient's proxy (rule 18): the patient, with who wrote it.
          {
            reference: `Patient/${m.patientId}`,
            ...(m.authorName ? { display: m.authorName } : {}),
          }
        : m.authorKind === 'clinic'
          ? // The clinic's automatic out-of-hours message (rule 13): written by no person.
            { display: m.authorName ?? 'Clinic' }
          : {
              reference: `Practitioner/${m.authorUserId}`,
              ...(m.authorName ? { display: m.authorName } : {}),
            },
    payload: [
      { contentString: m.text },
      ...attachments.map((a) => ({
        contentAttachment: {
          contentType: a.contentType,
          url: `${baseUrl}/Binary/${a.id}`,
          size: a.sizeBytes,
          title: a.title,
          creation: iso(a.createdAt),
        },
      })),
    ],
  };
}

export function presentPatient(p: PatientRow): Resource {
  const telecom = [
    ...(p.email ? [{ system: 'email', value: p.email }] : []),
    ...(p.mobile ? [{ system: 'phone', value: p.mobile, use: 'mobile' }] : []),
  ];
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { lastUpdated: iso(p.updatedAt) },
    identifier: [{ use: 'usual', system: PATIENT_IDENTIFIER_SYSTEM, value: `urn:uuid:${p.id}` }],
    name: [
      {
        use: 'official',
        text: `${p.givenName} ${p.familyName}`,
        family: p.familyName,
        given: [p.givenName],
      },
    ],
    ...(telecom.length > 0 ? { telecom } : {}),
    birthDate: p.dateOfBirth,
  };
}

/** A staff user as a Practitioner. */
export function presentPractitioner(u: StaffUserRow): Resource {
  return {
    resourceType: 'Practitioner',
    id: u.id,
    meta: { lastUpdated: iso(u.updatedAt) },
    active: u.active,
    name: [{ text: u.name }],
  };
}

/** A role (role group) of staff users; a deleted role is an inactive Group with no members. */
export function presentGroup(r: RoleWithMembersRow): Resource {
  const members = r.deletedAt ? [] : r.members;
  return {
    resourceType: 'Group',
    id: r.id,
    active: r.deletedAt === null,
    type: 'practitioner',
    actual: true,
    name: r.name,
    quantity: members.length,
    ...(members.length > 0
      ? {
          member: members.map((m) => ({
            entity: { reference: `Practitioner/${m.id}`, display: m.name },
            ...(m.active ? {} : { inactive: true }),
          })),
        }
      : {}),
  };
}

/** A Binary as a FHIR resource, for clients that ask for `application/fhir+json`. */
export function presentBinary(id: string, contentType: string, data: Buffer): Resource {
  return { resourceType: 'Binary', id, contentType, data: data.toString('base64') };
}

/** A searchset page: the entries, a self link, and a next link while more remain. */
export function presentBundle(
  entries: Resource[],
  links: { self: string; next?: string },
  baseUrl: string,
  at: Date,
): Resource {
  return {
    resourceType: 'Bundle',
    id: crypto.randomUUID(),
    meta: { lastUpdated: iso(at) },
    type: 'searchset',
    link: [
      { relation: 'self', url: links.self },
      ...(links.next ? [{ relation: 'next', url: links.next }] : []),
    ],
    ...(entries.length > 0
      ? {
          entry: entries.map((resource) => ({
            fullUrl: `${baseUrl}/${resource.resourceType}/${resource.id}`,
            resource,
            search: { mode: 'match' },
          })),
        }
      : {}),
  };
}

/** A refusal as an OperationOutcome. */
export function presentOutcome(error: FhirError): Resource {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: error.status >= 500 ? 'fatal' : 'error',
        code: error.issue,
        details: {
          coding: [{ system: ERROR_CODE_SYSTEM, code: error.code }],
          text: error.message,
        },
        diagnostics: error.message,
      },
    ],
  };
}
