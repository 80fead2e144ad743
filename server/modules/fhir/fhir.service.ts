import type { ServiceContext } from '../../lib/context.js';
import { hashToken } from '../../lib/tokens.js';
import type { AuditInput } from '../audit/audit.service.js';
import { DocumentStoreError, type DocumentStore } from '../documents/document.store.js';
import {
  hasScope,
  isScope,
  type IntegrationActor,
  type Scope,
} from '../integrations/integration.policy.js';
import { findTokenByHash } from '../integrations/integration.repository.js';
import { auditIntegration } from '../integrations/integration.service.js';
import { FhirError, badParameter, fhirNotFound } from './fhir.errors.js';
import {
  decodeCursor,
  encodeCursor,
  isUuid,
  parseDateParam,
  parseSearch,
  referencedId,
  type DateBound,
} from './fhir.params.js';
import {
  presentBinary,
  presentBundle,
  presentGroup,
  presentMessage,
  presentPatient,
  presentPractitioner,
  presentThread,
  PATIENT_IDENTIFIER_SYSTEM,
  type Resource,
} from './fhir.presenter.js';
import { attachmentsOf, rolesOfMessages } from '../messaging/messaging.repository.js';
import {
  findAttachedDocument,
  findMessage,
  findPatient,
  findRoleWithMembers,
  findStaffUser,
  findThread,
  searchMessages,
  searchPatients,
  type MessageRow,
  type PatientSearch,
} from './fhir.repository.js';

/** What a FHIR request asks for, as the route read it. */
export interface FhirRequest {
  /** The query string as `[key, value]` pairs, repeats kept. */
  pairs: [string, string][];
  /** `Prefer: handling=lenient`: ignore unknown parameters instead of refusing them. */
  lenient: boolean;
}

const bearer = (header: string | undefined): string | undefined => {
  const m = header ? /^Bearer\s+([A-Za-z0-9._~+/=-]{20,200})\s*$/i.exec(header) : null;
  return m?.[1];
};

const challenge = (error: string, description: string) => ({
  'www-authenticate': `Bearer realm="fhir", error="${error}", error_description="${description}"`,
});

/** The FHIR R4 read API: bearer tokens, scopes, reads and searches, each audited. */
export function createFhirService(ctx: ServiceContext, documents: DocumentStore) {
  const { db, clock, config } = ctx;
  const baseUrl = `${config.publicUrl}/fhir/R4`;

  /** An attachment's bytes from the document store, or undefined when there are none. */
  const openBytes = async (chamberId: string, documentId: string) => {
    try {
      return await documents.open(chamberId, documentId);
    } catch (error) {
      if (!(error instanceof DocumentStoreError)) throw error;
      throw Object.assign(
        new FhirError(503, 'transient', 'service_unavailable', 'Please try again in a moment.', {
          'retry-after': '5',
        }),
        { cause: error },
      );
    }
  };

  const who = (actor: IntegrationActor) => ({
    chamberId: actor.chamberId,
    integrationId: actor.integrationId,
    clientId: actor.clientId,
    name: actor.name,
    ip: actor.ip,
  });

  /** Records reads under the client's name: one row per patient whose data was served. */
  async function recordRead(
    actor: IntegrationActor,
    action: 'fhir.read' | 'fhir.search',
    what: string,
    patientIds: (string | null)[],
    details: Record<string, unknown>,
    subject?: { type: string; id: string },
  ) {
    const unique = [...new Set(patientIds)];
    const rows: AuditInput[] = (unique.length > 0 ? unique : [null]).map((patientId) => ({
      action,
      patientId,
      ...(subject ? { subjectType: subject.type, subjectId: subject.id } : {}),
      details: { request: what, ...details },
    }));
    await auditIntegration(db, who(actor), clock(), ...rows);
  }

  /** Refuses a request for want of a scope (403), and records the refusal. */
  async function requireScope(actor: IntegrationActor, scope: Scope, what: string) {
    if (hasScope(actor, scope)) return;
    await auditIntegration(db, who(actor), clock(), {
      action: 'fhir.refused',
      details: { reason: 'scope_missing', scope, request: what },
    });
    throw new FhirError(
      403,
      'forbidden',
      'scope_missing',
      `This client was not granted the scope ${scope}.`,
      {
        'www-authenticate': `Bearer realm="fhir", error="insufficient_scope", scope="${scope}"`,
      },
    );
  }

  function selfUrl(type: string, used: [string, string][]): string {
    const q = new URLSearchParams(used).toString();
    return `${baseUrl}/${type}${q ? `?${q}` : ''}`;
  }

  const internalOf = (actor: IntegrationActor) =>
    hasScope(actor, 'system/Communication.read-internal');

  /** Fills in recipients (roles) and attachments of messages and makes them Communications. */
  async function presentMessages(actor: IntegrationActor, rows: MessageRow[]) {
    const ids = rows.map((r) => r.id);
    const roles = await rolesOfMessages(db, actor.chamberId, ids);
    const files = await attachmentsOf(db, actor.chamberId, ids);
    return new Map(
      rows.map((r) => [
        r.id,
        presentMessage(r, roles.get(r.id) ?? [], files.get(r.id) ?? [], baseUrl),
      ]),
    );
  }

  function dateBounds(name: string, values: string[]): DateBound[] {
    return values.flatMap((v) => parseDateParam(name, v));
  }

  /** The first date on or after a moment (a date of birth is a whole day, read as UTC). */
  const dateOnOrAfter = (at: Date): string => {
    const day = at.toISOString().slice(0, 10);
    if (at.getTime() === Date.parse(`${day}T00:00:00.000Z`)) return day;
    const next = new Date(`${day}T00:00:00.000Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return next.toISOString().slice(0, 10);
  };

  return {
    publicUrl: config.publicUrl,

    /**
     * The client a bearer token stands for. Unknown tokens answer 401; an expired token or a
     * revoked client answers 401 too, and, as its chamber is known, is recorded.
     */
    async authenticate(
      authorization: string | undefined,
      ip: string | null,
      what: string,
    ): Promise<IntegrationActor> {
      const token = bearer(authorization);
      if (!token)
        throw new FhirError(
          401,
          'login',
          'token_missing',
          'A bearer token is required: get one from the token endpoint (see /fhir/R4/metadata).',
          { 'www-authenticate': 'Bearer realm="fhir"' },
        );
      const row = await findTokenByHash(db, hashToken(token));
      if (!row)
        throw new FhirError(
          401,
          'login',
          'token_invalid',
          'The bearer token is not valid.',
          challenge('invalid_token', 'The token is not valid'),
        );
      const actor: IntegrationActor = {
        kind: 'integration',
        chamberId: row.chamberId,
        integrationId: row.integrationId,
        clientId: row.clientId,
        name: row.name,
        scopes: row.scopes.split(' ').filter(isScope),
        ip,
      };
      const refuse = async (reason: string, issue: 'login' | 'expired', message: string) => {
        await auditIntegration(db, who(actor), clock(), {
          action: 'fhir.refused',
          details: { reason, request: what },
        });
        return new FhirError(401, issue, reason, message, challenge('invalid_token', message));
      };
      if (row.revokedAt)
        throw await refuse('client_revoked', 'login', 'The integration client was revoked.');
      if (new Date(row.expiresAt).getTime() <= clock().getTime())
        throw await refuse('token_expired', 'expired', 'The bearer token has expired.');
      return actor;
    },

    async readCommunication(actor: IntegrationActor, id: string, what: string) {
      await requireScope(actor, 'system/Communication.read', what);
      const internal = internalOf(actor);
      if (!isUuid(id)) throw fhirNotFound('That Communication');
      const message = await findMessage(db, actor.chamberId, id, internal);
      let resource: Resource;
      let patientId: string;
      if (message) {
        resource = (await presentMessages(actor, [message])).get(message.id)!;
        patientId = message.patientId;
      } else {
        const first = await findThread(db, actor.chamberId, id, internal);
        if (!first) throw fhirNotFound('That Communication');
        resource = presentThread(first);
        patientId = first.patientId;
      }
      await recordRead(actor, 'fhir.read', what, [patientId], {}, { type: 'Communication', id });
      return resource;
    },

    /**
     * Communication search: thread headers and messages in the order they were written (a
     * header just before its first message), paged by the message seq, so a page never
     * repeats or skips an entry while new messages arrive.
     */
    async searchCommunications(actor: IntegrationActor, req: FhirRequest, what: string) {
      await requireScope(actor, 'system/Communication.read', what);
      const internal = internalOf(actor);
      const s = parseSearch('Communication', req.pairs, req.lenient);
      let patientId: string | undefined;
      let conversationId: string | undefined;
      let headersOnly = false;
      let messagesOnly = false;
      let none = false;
      const sent: DateBound[] = [];
      for (const p of s.params) {
        if (p.name === 'subject' || p.name === 'patient') {
          const id = referencedId(p.value, 'Patient', baseUrl);
          if (id === null || (patientId !== undefined && patientId !== id)) none = true;
          else patientId = id;
        } else if (p.name === 'part-of' && p.modifier === 'missing') {
          if (p.value !== 'true' && p.value !== 'false')
            throw badParameter('part-of:missing', 'must be true or false.');
          if (p.value === 'true') headersOnly = true;
          else messagesOnly = true;
        } else if (p.name === 'part-of') {
          const id = referencedId(p.value, 'Communication', baseUrl);
          if (id === null) none = true;
          else conversationId = id;
          messagesOnly = true;
        } else if (p.name === 'sent' || p.name === '_lastUpdated') {
          sent.push(...dateBounds(p.name, [p.value]));
        }
      }
      if (headersOnly && messagesOnly) none = true;
      let after: { seq: number; kind: number } | undefined;
      if (s.cursor !== undefined) {
        const [seq, kind] = decodeCursor(s.cursor);
        if (!Number.isSafeInteger(seq) || (kind !== 0 && kind !== 1))
          throw badParameter('_cursor', 'is not a position this server gave out.');
        after = { seq: seq as number, kind: kind as number };
      }
      const items: { seq: number; kind: number; row: MessageRow }[] = [];
      let rows: MessageRow[] = [];
      if (!none) {
        rows = await searchMessages(db, actor.chamberId, {
          internal,
          patientId,
          conversationId,
          headersOnly,
          sent,
          ...(after
            ? { fromSeq: { seq: after.seq, inclusive: after.kind === 0 && !headersOnly } }
            : {}),
          limit: s.count + 1,
        });
        for (const row of rows) {
          if (!messagesOnly && row.firstVisible) items.push({ seq: row.seq, kind: 0, row });
          if (!headersOnly) items.push({ seq: row.seq, kind: 1, row });
        }
      }
      const remaining = after
        ? items.filter((i) => i.seq > after.seq || (i.seq === after.seq && i.kind > after.kind))
        : items;
      const page = remaining.slice(0, s.count);
      const more = remaining.length > s.count || rows.length > s.count;
      const messages = await presentMessages(
        actor,
        page.filter((i) => i.kind === 1).map((i) => i.row),
      );
      const resources = page.map((i) =>
        i.kind === 0 ? presentThread(i.row) : messages.get(i.row.id)!,
      );
      const last = page[page.length - 1];
      const self = selfUrl('Communication', s.used);
      const next =
        more && last
          ? selfUrl('Communication', [...s.used, ['_cursor', encodeCursor([last.seq, last.kind])]])
          : undefined;
      await recordRead(
        actor,
        'fhir.search',
        what,
        page.map((i) => i.row.patientId),
        { resourceType: 'Communication', entries: page.length },
      );
      return presentBundle(resources, { self, ...(next ? { next } : {}) }, baseUrl, clock());
    },

    async readPatient(actor: IntegrationActor, id: string, what: string) {
      await requireScope(actor, 'system/Patient.read', what);
      const row = isUuid(id) ? await findPatient(db, actor.chamberId, id) : undefined;
      if (!row) throw fhirNotFound('That Patient');
      await recordRead(actor, 'fhir.read', what, [row.id], {}, { type: 'Patient', id: row.id });
      return presentPatient(row);
    },

    async searchPatients(actor: IntegrationActor, req: FhirRequest, what: string) {
      await requireScope(actor, 'system/Patient.read', what);
      const s = parseSearch('Patient', req.pairs, req.lenient);
      const f: PatientSearch = {
        ids: [],
        names: [],
        birth: [],
        emails: [],
        updated: [],
        limit: s.count + 1,
      };
      for (const p of s.params) {
        if (p.name === 'identifier') {
          const bar = p.value.indexOf('|');
          const system = bar < 0 ? undefined : p.value.slice(0, bar);
          const value = bar < 0 ? p.value : p.value.slice(bar + 1);
          if (system !== undefined && system !== '' && system !== PATIENT_IDENTIFIER_SYSTEM)
            f.ids.push(null);
          else if (value !== '') {
            const id = /^urn:uuid:(.+)$/i.exec(value)?.[1];
            f.ids.push(id && isUuid(id) ? id.toLowerCase() : null);
          } else if (system === '') f.ids.push(null);
        } else if (p.name === 'name') {
          const mode =
            p.modifier === 'exact' ? 'exact' : p.modifier === 'contains' ? 'contains' : 'starts';
          f.names.push({ mode, value: mode === 'exact' ? p.value : p.value.trim() });
        } else if (p.name === 'birthdate') {
          for (const b of parseDateParam('birthdate', p.value))
            f.birth.push({ op: b.op, date: dateOnOrAfter(b.at) });
        } else if (p.name === 'email') {
          const bar = p.value.indexOf('|');
          f.emails.push(bar < 0 ? p.value : p.value.slice(bar + 1));
        } else if (p.name === '_lastUpdated') {
          f.updated.push(...parseDateParam('_lastUpdated', p.value));
        }
      }
      if (s.cursor !== undefined) {
        const [at, id] = decodeCursor(s.cursor);
        const date = typeof at === 'string' ? new Date(at) : undefined;
        if (!date || Number.isNaN(date.getTime()) || typeof id !== 'string' || !isUuid(id))
          throw badParameter('_cursor', 'is not a position this server gave out.');
        f.after = { createdAt: date, id };
      }
      const rows = await searchPatients(db, actor.chamberId, f);
      const page = rows.slice(0, s.count);
      const last = page[page.length - 1];
      const self = selfUrl('Patient', s.used);
      const next =
        rows.length > s.count && last
          ? selfUrl('Patient', [
              ...s.used,
              ['_cursor', encodeCursor([last.createdAt.toISOString(), last.id])],
            ])
          : undefined;
      await recordRead(
        actor,
        'fhir.search',
        what,
        page.map((p) => p.id),
        { resourceType: 'Patient', entries: page.length },
      );
      return presentBundle(
        page.map(presentPatient),
        { self, ...(next ? { next } : {}) },
        baseUrl,
        clock(),
      );
    },

    async readPractitioner(actor: IntegrationActor, id: string, what: string) {
      await requireScope(actor, 'system/Communication.read', what);
      const row = isUuid(id) ? await findStaffUser(db, actor.chamberId, id) : undefined;
      if (!row) throw fhirNotFound('That Practitioner');
      await recordRead(actor, 'fhir.read', what, [], {}, { type: 'Practitioner', id: row.id });
      return presentPractitioner(row);
    },

    async readGroup(actor: IntegrationActor, id: string, what: string) {
      await requireScope(actor, 'system/Communication.read', what);
      const row = isUuid(id) ? await findRoleWithMembers(db, actor.chamberId, id) : undefined;
      if (!row) throw fhirNotFound('That Group');
      await recordRead(actor, 'fhir.read', what, [], {}, { type: 'Group', id: row.id });
      return presentGroup(row);
    },

    /** An attachment's bytes, when it belongs to a message the client may read. */
    async readBinary(actor: IntegrationActor, id: string, what: string, asResource: boolean) {
      await requireScope(actor, 'system/Communication.read', what);
      const doc = isUuid(id)
        ? await findAttachedDocument(db, actor.chamberId, id, internalOf(actor))
        : undefined;
      const stream = doc ? await openBytes(actor.chamberId, doc.id) : undefined;
      if (!doc || !stream) throw fhirNotFound('That Binary');
      try {
        await recordRead(
          actor,
          'fhir.read',
          what,
          [doc.patientId],
          { messageId: doc.messageId },
          { type: 'Binary', id: doc.id },
        );
      } catch (error) {
        stream.destroy();
        throw error;
      }
      if (asResource)
        return {
          kind: 'resource' as const,
          // A Binary resource carries the bytes as base64 in its JSON: read them whole.
          resource: presentBinary(doc.id, doc.contentType, Buffer.concat(await stream.toArray())),
        };
      return {
        kind: 'bytes' as const,
        stream,
        contentType: doc.contentType,
        sizeBytes: doc.sizeBytes,
      };
    },
  };
}

export type FhirService = ReturnType<typeof createFhirService>;
