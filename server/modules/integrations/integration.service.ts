import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../db/connect.js';
import { conflict, invalid, notFound } from '../../errors.js';
import { isUniqueViolation } from '../../db/unique-violation.js';
import type { ServiceContext } from '../../lib/context.js';
import { hashToken, newToken } from '../../lib/tokens.js';
import type { StaffActor } from '../auth/actor.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { audit, type AuditInput } from '../audit/audit.service.js';
import { findChamber } from '../chambers/chamber.repository.js';
import { tellRoleMembers } from '../roles/role.service.js';
import {
  ALL_SCOPES,
  clientIdFor,
  isScope,
  type Scope,
  parseScopeParameter,
  sortScopes,
  SCOPES,
  TOKEN_LIFETIME_SECONDS,
} from './integration.policy.js';
import {
  clientIdTaken,
  findClient,
  findClientByClientId,
  findLiveClientByName,
  insertClient,
  insertToken,
  listClients,
  recordTokenIssued,
  revokeClient,
  type ClientListRow,
} from './integration.repository.js';

/**
 * A refusal of the token endpoint, answered as RFC 6749 section 5.2 says
 * (`{ "error": "invalid_client", "error_description": "..." }`), which OAuth libraries expect.
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error:
      | 'invalid_request'
      | 'invalid_client'
      | 'invalid_grant'
      | 'unauthorized_client'
      | 'unsupported_grant_type'
      | 'invalid_scope'
      | 'too_many_requests'
      | 'server_error',
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toBody() {
    return { error: this.error, error_description: this.message };
  }
}

/** Who an integration audit row is about: the client, from the address it called from. */
export interface IntegrationAuditActor {
  chamberId: string;
  integrationId: string;
  clientId: string;
  name: string;
  ip: string | null;
}

/** Records what an integration client did (or was refused), under the client's name. */
export function auditIntegration(
  db: Db,
  actor: IntegrationAuditActor,
  at: Date,
  ...inputs: AuditInput[]
): Promise<void> {
  return insertAuditEvents(
    db,
    inputs.map((i) => ({
      chamberId: actor.chamberId,
      at,
      action: i.action,
      actorKind: 'integration' as const,
      actorLabel: actor.name,
      patientId: i.patientId ?? null,
      subjectType: i.subjectType ?? null,
      subjectId: i.subjectId ?? null,
      ip: actor.ip,
      details: { clientId: actor.clientId, integrationId: actor.integrationId, ...i.details },
    })),
  );
}

/** A client as the admin screen shows it; never its secret. */
export function presentClient(c: ClientListRow) {
  return {
    id: c.id,
    clientId: c.clientId,
    name: c.name,
    scopes: sortScopes(c.scopes.split(' ')),
    createdAt: new Date(c.createdAt).toISOString(),
    createdBy: c.createdByName ?? null,
    lastTokenAt: c.lastTokenAt ? new Date(c.lastTokenAt).toISOString() : null,
    revokedAt: c.revokedAt ? new Date(c.revokedAt).toISOString() : null,
  };
}

/** Compares two hashes in constant time. */
function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface TokenRequest {
  grantType: string | undefined;
  clientId: string | undefined;
  clientSecret: string | undefined;
  scope: string | undefined;
  /** The client authenticated with HTTP Basic (then a refusal carries WWW-Authenticate). */
  basic: boolean;
  ip: string | null;
}

export function createIntegrationService(ctx: ServiceContext) {
  const { db, clock, config } = ctx;
  const fhirBaseUrl = `${config.publicUrl}/fhir/R4`;
  const tokenUrl = `${config.publicUrl}/oauth2/token`;

  /** A client's scopes must be known, and the internal-notes scope needs the message scope. */
  function checkScopes(scopes: string[]): Scope[] {
    const unique = [...new Set(scopes)];
    if (unique.length === 0)
      throw invalid('scopes_empty', 'Choose at least one scope for the client.', 'scopes');
    const unknown = unique.find((s) => !isScope(s));
    if (unknown !== undefined)
      throw invalid('scope_unknown', `"${unknown}" is not a scope this server grants.`, 'scopes');
    const known = unique.filter(isScope);
    if (
      known.includes('system/Communication.read-internal') &&
      !known.includes('system/Communication.read')
    )
      throw invalid(
        'scope_needs_communication_read',
        'Internal notes can only be granted together with system/Communication.read.',
        'scopes',
      );
    return sortScopes(known);
  }

  return {
    /** Start Page > Admin > Configuration > Integrations: the clients and what can be granted. */
    async list(actor: StaffActor) {
      const rows = await listClients(db, actor.chamberId);
      return {
        integrations: rows.map(presentClient),
        scopes: ALL_SCOPES.map((scope) => ({ scope, description: SCOPES[scope] })),
        tokenUrl,
        fhirBaseUrl,
      };
    },

    /** A new client; its secret is returned this once and only its hash is kept. */
    async create(actor: StaffActor, input: { name: string; scopes: string[] }) {
      const name = input.name.trim();
      const scopes = checkScopes(input.scopes);
      const existing = await findLiveClientByName(db, actor.chamberId, name);
      if (existing)
        throw conflict(
          'integration_name_taken',
          `An integration client named "${existing.name}" exists already.`,
          'name',
        );
      const chamber = await findChamber(db, actor.chamberId);
      if (!chamber) throw notFound('That chamber');
      const secret = newToken();
      const id = randomUUID();
      const now = clock();
      for (let attempt = 1; attempt <= 50; attempt += 1) {
        const clientId = clientIdFor(chamber.key, name, attempt);
        if (await clientIdTaken(db, clientId)) continue;
        try {
          await db.transaction(async (tx) => {
            await insertClient(tx, {
              chamberId: actor.chamberId,
              id,
              clientId,
              name,
              scopes: scopes.join(' '),
              secretHash: hashToken(secret),
              createdByUserId: actor.userId,
              createdAt: now,
            });
            // The internal-notes scope reads every role's notes: every role's members are
            // told, and System Activity marks the row as privileged (issue 17).
            const notified = scopes.includes('system/Communication.read-internal')
              ? await tellRoleMembers(tx, actor, now, {
                  roleIds: null,
                  detail: `${actor.name} gave the integration ${name} access to internal notes`,
                })
              : undefined;
            await audit(tx, actor, now, {
              action: 'integration.created',
              subjectType: 'integration',
              subjectId: id,
              details: { clientId, name, scopes, ...(notified === undefined ? {} : { notified }) },
            });
          });
        } catch (error) {
          // Another request took the same client id or name a moment ago.
          if (!isUniqueViolation(error)) throw error;
          if (await findLiveClientByName(db, actor.chamberId, name))
            throw conflict(
              'integration_name_taken',
              `An integration client named "${name}" exists already.`,
              'name',
            );
          continue;
        }
        return {
          id,
          clientId,
          name,
          scopes,
          createdAt: now.toISOString(),
          createdBy: actor.name,
          lastTokenAt: null,
          revokedAt: null,
          clientSecret: secret,
          tokenUrl,
          fhirBaseUrl,
        };
      }
      throw conflict('client_id_taken', 'Please choose another name for the client.', 'name');
    },

    /** Revokes a client: no new tokens, and its live tokens stop working at once. */
    async revoke(actor: StaffActor, id: string) {
      const now = clock();
      await db.transaction(async (tx) => {
        const client = await findClient(tx, actor.chamberId, id);
        if (!client) throw notFound('That integration client');
        if (await revokeClient(tx, actor.chamberId, id, actor.userId, now)) {
          await audit(tx, actor, now, {
            action: 'integration.revoked',
            subjectType: 'integration',
            subjectId: id,
            details: { clientId: client.clientId, name: client.name },
          });
        }
      });
      const row = (await listClients(db, actor.chamberId)).find((c) => c.id === id);
      if (!row) throw notFound('That integration client');
      return presentClient(row);
    },

    /**
     * `POST /oauth2/token`, client-credentials grant: checks the client and its secret and
     * returns a short-lived opaque bearer token for the scopes asked (default: all granted).
     * Refusals of a known client are audited under its name.
     */
    async issueToken(request: TokenRequest) {
      if (request.grantType === undefined)
        throw new OAuthError(400, 'invalid_request', 'grant_type is required.');
      if (request.grantType !== 'client_credentials')
        throw new OAuthError(
          400,
          'unsupported_grant_type',
          'Only the client_credentials grant is supported.',
        );
      if (!request.clientId || request.clientSecret === undefined)
        throw new OAuthError(
          401,
          'invalid_client',
          'Client authentication is required: client_id and client_secret.',
          request.basic ? { 'www-authenticate': 'Basic realm="oauth2"' } : {},
        );
      const refuseClient = () =>
        new OAuthError(
          401,
          'invalid_client',
          'The client is unknown, revoked, or its secret is wrong.',
          request.basic ? { 'www-authenticate': 'Basic realm="oauth2"' } : {},
        );
      const client =
        request.clientId.length <= 200
          ? await findClientByClientId(db, request.clientId)
          : undefined;
      const givenHash = hashToken(request.clientSecret);
      if (!client) throw refuseClient();
      const who: IntegrationAuditActor = {
        chamberId: client.chamberId,
        integrationId: client.id,
        clientId: client.clientId,
        name: client.name,
        ip: request.ip,
      };
      const now = clock();
      const refuse = async (reason: string, error: OAuthError) => {
        await auditIntegration(db, who, now, {
          action: 'integration.token_refused',
          subjectType: 'integration',
          subjectId: client.id,
          details: { reason },
        });
        return error;
      };
      if (!sameHash(givenHash, client.secretHash))
        throw await refuse('wrong_secret', refuseClient());
      if (client.revokedAt) throw await refuse('client_revoked', refuseClient());

      const granted = sortScopes(client.scopes.split(' '));
      let scopes = granted;
      if (request.scope !== undefined) {
        const asked = parseScopeParameter(request.scope);
        const notGranted = asked.filter((s) => !granted.includes(s as never));
        if (asked.length === 0 || notGranted.length > 0)
          throw await refuse(
            'scope_not_granted',
            new OAuthError(
              400,
              'invalid_scope',
              asked.length === 0
                ? 'scope is empty.'
                : `This client was not granted: ${notGranted.join(' ')}.`,
            ),
          );
        scopes = sortScopes(asked);
      }
      const token = newToken();
      const expiresAt = new Date(now.getTime() + TOKEN_LIFETIME_SECONDS * 1000);
      await db.transaction(async (tx) => {
        await insertToken(tx, {
          chamberId: client.chamberId,
          id: randomUUID(),
          integrationClientId: client.id,
          tokenHash: hashToken(token),
          scopes: scopes.join(' '),
          createdAt: now,
          expiresAt,
        });
        await recordTokenIssued(
          tx,
          client.chamberId,
          client.id,
          now,
          new Date(now.getTime() - 24 * 3_600_000),
        );
        await auditIntegration(tx, who, now, {
          action: 'integration.token_issued',
          subjectType: 'integration',
          subjectId: client.id,
          details: { scopes, expiresAt: expiresAt.toISOString() },
        });
      });
      return {
        access_token: token,
        token_type: 'Bearer' as const,
        expires_in: TOKEN_LIFETIME_SECONDS,
        scope: scopes.join(' '),
      };
    },
  };
}

export type IntegrationService = ReturnType<typeof createIntegrationService>;
