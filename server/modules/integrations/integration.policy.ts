/**
 * Integration clients: the SMART-style scopes an administrator can grant, the actor a bearer
 * token stands for, and the pure rules about both.
 */
import {
  INTEGRATION_SCOPES,
  type IntegrationScope,
} from '../../../common/contract/integrations.js';

/** Every scope a client can hold (the contract's list), with the sentence the admin screen shows. */
export const SCOPES: Record<IntegrationScope, string> = {
  'system/Patient.read': 'Read patients (Patient): name, date of birth, email and mobile.',
  'system/Communication.read':
    'Read messages shared with the patient (Communication), the staff users and roles they name (Practitioner, Group) and their attachments (Binary).',
  'system/Communication.read-internal':
    'Also read internal notes: messages not shared with the patient. Needs system/Communication.read.',
};

export type Scope = IntegrationScope;

export const ALL_SCOPES: Scope[] = [...INTEGRATION_SCOPES];

export const isScope = (s: string): s is Scope => Object.hasOwn(SCOPES, s);

/** How long an access token lives: short, so a leaked token is soon worthless. */
export const TOKEN_LIFETIME_SECONDS = 15 * 60;

/** The integration client a valid bearer token stands for, built on every FHIR request. */
export interface IntegrationActor {
  kind: 'integration';
  chamberId: string;
  /** The client's row id (uuid). */
  integrationId: string;
  /** The OAuth `client_id`, e.g. `demo-integration`. */
  clientId: string;
  /** The client's name as the admin gave it; audit rows are recorded under it. */
  name: string;
  scopes: readonly Scope[];
  ip: string | null;
}

export function hasScope(actor: { scopes: readonly string[] }, scope: Scope): boolean {
  return actor.scopes.includes(scope);
}

/** Splits an OAuth `scope` parameter (space-delimited, RFC 6749 section 3.3). */
export function parseScopeParameter(raw: string): string[] {
  return [...new Set(raw.split(' ').filter((s) => s.length > 0))];
}

/** Orders scopes as the list above does, so stored and shown scopes read the same everywhere. */
export function sortScopes(scopes: Iterable<string>): Scope[] {
  const set = new Set(scopes);
  return ALL_SCOPES.filter((s) => set.has(s));
}

/**
 * The `client_id` of a new client: the chamber key and the name made URL-safe, e.g. chamber
 * `demo` + name "Integration" = `demo-integration`. Unique across the deployment; a clash
 * (rare: `a` + "b c" against `a-b` + "c") takes a number: `-2`, `-3`, ...
 */
export function clientIdFor(chamberKey: string, name: string, attempt = 1): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/g, '');
  const base = slug ? `${chamberKey}-${slug}` : `${chamberKey}-client`;
  return attempt > 1 ? `${base}-${attempt}` : base;
}
