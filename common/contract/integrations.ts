import { Type, type Static } from 'typebox';
import { Nullable, Timestamp } from './common.js';
import { PersonName } from './auth.js';

/**
 * Start Page > Admin > Configuration > Integrations (the FHIR API's clients) and the OAuth 2.0
 * token endpoint those clients call.
 */

/** Every scope a client can be granted (SMART system scopes), in the order they are shown. */
export const INTEGRATION_SCOPES = [
  'system/Patient.read',
  'system/Communication.read',
  'system/Communication.read-internal',
] as const;
export const IntegrationScope = Type.Enum(INTEGRATION_SCOPES);
export type IntegrationScope = Static<typeof IntegrationScope>;

/** `POST /admin/integrations`: a new client's name and the scopes it is granted. */
export const NewIntegrationClient = Type.Object(
  {
    name: PersonName(100),
    scopes: Type.Array(IntegrationScope, { minItems: 1, maxItems: INTEGRATION_SCOPES.length }),
  },
  { additionalProperties: false },
);
export type NewIntegrationClient = Static<typeof NewIntegrationClient>;

/** A client as the admin screen shows it; never its secret. */
export const IntegrationClient = Type.Object({
  id: Type.String(),
  clientId: Type.String({ description: 'the OAuth client_id, e.g. demo-integration' }),
  name: Type.String(),
  scopes: Type.Array(IntegrationScope),
  createdAt: Timestamp,
  createdBy: Nullable(Type.String()),
  lastTokenAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
});
export type IntegrationClient = Static<typeof IntegrationClient>;

/** The addresses a client is configured with. */
const IntegrationUrls = {
  tokenUrl: Type.String({ description: 'the OAuth 2.0 token endpoint' }),
  fhirBaseUrl: Type.String({ description: 'the base of the FHIR R4 API' }),
};

/** The Integrations screen: the clients, every scope with what it allows, the URLs. */
export const IntegrationList = Type.Object({
  integrations: Type.Array(IntegrationClient),
  scopes: Type.Array(Type.Object({ scope: IntegrationScope, description: Type.String() })),
  ...IntegrationUrls,
});
export type IntegrationList = Static<typeof IntegrationList>;

/** A client just made: its secret is shown this once, and only its hash is kept. */
export const CreatedIntegrationClient = Type.Object({
  ...IntegrationClient.properties,
  clientSecret: Type.String({ description: 'shown this once' }),
  ...IntegrationUrls,
});
export type CreatedIntegrationClient = Static<typeof CreatedIntegrationClient>;

/** `POST /oauth2/token`: a bearer token for the FHIR API (RFC 6749 section 5.1). */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer({ description: 'seconds' }),
  scope: Type.String({ description: 'the granted scopes, space-separated' }),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** The `error` codes of the token endpoint (RFC 6749 section 5.2, and 429 and 500). */
export const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'too_many_requests',
  'server_error',
] as const;

/** A refusal of the token endpoint, in the shape OAuth libraries expect. */
export const OAuthErrorBody = Type.Object({
  error: Type.Enum(OAUTH_ERROR_CODES),
  error_description: Type.String(),
});
export type OAuthErrorBody = Static<typeof OAuthErrorBody>;
