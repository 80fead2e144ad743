/**
 * The CapabilityStatement (`GET /fhir/R4/metadata`) and the SMART configuration: exactly what
 * the FHIR API serves, built from the same lists the API checks requests against.
 */
import { ALL_SCOPES, SCOPES, TOKEN_LIFETIME_SECONDS } from '../integrations/integration.policy.js';
import { SEARCH_PARAMS, type ParamSpec } from './fhir.params.js';
import type { Resource } from './fhir.presenter.js';

/** When this statement last changed in substance; move it when the API changes. */
const PUBLISHED = '2026-11-25';

const SOFTWARE_VERSION = '0.1.0';

const searchParam = ([name, spec]: [string, ParamSpec]) => ({
  name,
  ...(spec.definition ? { definition: spec.definition } : {}),
  type: spec.kind === 'special' ? 'special' : spec.kind,
  documentation: spec.documentation,
});

const searchParams = (type: keyof typeof SEARCH_PARAMS) =>
  Object.entries(SEARCH_PARAMS[type])
    .filter(([name]) => name !== '_count' && name !== '_format')
    .map(searchParam);

const readOnly = (type: string, documentation: string, scope: string) => ({
  type,
  profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
  documentation: `${documentation} Needs the scope ${scope}.`,
  interaction: [{ code: 'read' }],
  versioning: 'no-version',
  readHistory: false,
  updateCreate: false,
  conditionalCreate: false,
  conditionalRead: 'not-supported',
  conditionalUpdate: false,
  conditionalDelete: 'not-supported',
});

export function capabilityStatement(publicUrl: string): Resource {
  const base = `${publicUrl}/fhir/R4`;
  return {
    resourceType: 'CapabilityStatement',
    id: 'patient-portal-messaging',
    url: `${base}/metadata`,
    version: SOFTWARE_VERSION,
    name: 'PatientPortalMessagingFhirApi',
    title: 'Patient Portal Online Messaging: FHIR R4 read API',
    status: 'active',
    experimental: false,
    date: PUBLISHED,
    publisher: 'Patient Portal Online Messaging',
    description:
      "Read-only FHIR R4 access to one clinic's (chamber's) patient messages: conversations as thread-header Communications, messages as Communications that are partOf them, and the Patients, Practitioners (staff users) and Groups (roles) they name.",
    kind: 'instance',
    software: { name: 'Patient Portal Online Messaging', version: SOFTWARE_VERSION },
    implementation: {
      description: 'Patient Portal Online Messaging FHIR R4 API',
      url: base,
    },
    fhirVersion: '4.0.1',
    format: ['json', 'application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: [
          'Every request but this one needs a bearer token from the OAuth 2.0 token endpoint (client-credentials grant; the client and its scopes are made by an administrator under Admin > Configuration > Integrations).',
          `Tokens live ${TOKEN_LIFETIME_SECONDS / 60} minutes.`,
          'A client sees only its own chamber: anything else answers 404, exactly as if it did not exist.',
          'Unknown search parameters and modifiers are refused with 400 unless the request says Prefer: handling=lenient, then they are ignored and left out of the self link. Empty parameters are ignored. Lists of values (a,b) are not supported.',
          'Searchset Bundles carry a next link while more entries remain; paging follows the order messages were written, so every entry comes exactly once while new messages arrive. Bundle.total is not given.',
          'Every read and search is recorded in the chamber audit log under the client name.',
        ].join(' '),
        security: {
          cors: false,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
              text: 'OAuth 2.0 client credentials with SMART system scopes',
            },
          ],
          description: `Scopes: ${ALL_SCOPES.map((s) => `${s} (${SCOPES[s]})`).join('; ')}`,
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: `${publicUrl}/oauth2/token` }],
            },
          ],
        },
        resource: [
          {
            type: 'Communication',
            profile: 'http://hl7.org/fhir/StructureDefinition/Communication',
            documentation:
              'A conversation is a thread header (status in-progress, no payload, no partOf); each message is a Communication partOf its header. Messages not shared with the patient (internal notes) are served only with the scope system/Communication.read-internal. Needs the scope system/Communication.read.',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            versioning: 'no-version',
            readHistory: false,
            updateCreate: false,
            conditionalCreate: false,
            conditionalRead: 'not-supported',
            conditionalUpdate: false,
            conditionalDelete: 'not-supported',
            searchParam: searchParams('Communication'),
          },
          {
            type: 'Patient',
            profile: 'http://hl7.org/fhir/StructureDefinition/Patient',
            documentation: 'The patients of the chamber. Needs the scope system/Patient.read.',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            versioning: 'no-version',
            readHistory: false,
            updateCreate: false,
            conditionalCreate: false,
            conditionalRead: 'not-supported',
            conditionalUpdate: false,
            conditionalDelete: 'not-supported',
            searchParam: searchParams('Patient'),
          },
          readOnly(
            'Practitioner',
            'A staff user who wrote a message.',
            'system/Communication.read',
          ),
          readOnly(
            'Group',
            'A role (role group) a message is shared with, and its members.',
            'system/Communication.read',
          ),
          readOnly(
            'Binary',
            'A file attached to a message (payload.contentAttachment.url): its bytes, or a Binary resource when application/fhir+json is asked for.',
            'system/Communication.read',
          ),
        ],
        searchParam: [
          {
            name: '_count',
            type: 'number',
            documentation: SEARCH_PARAMS.Patient._count!.documentation,
          },
          {
            name: '_format',
            type: 'special',
            documentation: SEARCH_PARAMS.Patient._format!.documentation,
          },
        ],
      },
    ],
  };
}

/** `/.well-known/smart-configuration` (SMART App Launch 2.0) for backend-services clients. */
export function smartConfiguration(publicUrl: string) {
  return {
    issuer: `${publicUrl}/fhir/R4`,
    token_endpoint: `${publicUrl}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    grant_types_supported: ['client_credentials'],
    scopes_supported: ALL_SCOPES,
    capabilities: ['client-confidential-symmetric', 'permission-v1'],
  };
}
