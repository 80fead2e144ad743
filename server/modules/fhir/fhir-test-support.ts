/* eslint-disable @typescript-eslint/no-explicit-any -- test support: JSON answers whose shape each test states */
/** Test support for the FHIR API: integration clients, tokens and FHIR reads through app.inject. */
import type { FastifyInstance } from 'fastify';
import type { Client } from '../../test/http.js';

export const ALL = [
  'system/Patient.read',
  'system/Communication.read',
  'system/Communication.read-internal',
];

export interface FhirReply {
  status: number;
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
  raw: string;
}

/** An integration client made by the chamber's admin through the API. */
export async function createIntegration(admin: Client, name: string, scopes: string[] = ALL) {
  const res = await admin.post('/api/v1/admin/integrations', { name, scopes });
  if (res.status !== 201)
    throw new Error(`integration not made: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; clientId: string; clientSecret: string; scopes: string[] };
}

/** POST /oauth2/token, form-encoded as OAuth 2.0 says. */
export async function tokenRequest(
  app: FastifyInstance,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/oauth2/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(fields).toString(),
  });
  return { status: res.statusCode, body: res.json() as any, headers: res.headers };
}

export async function getToken(
  app: FastifyInstance,
  client: { clientId: string; clientSecret: string },
  scope?: string,
): Promise<string> {
  const res = await tokenRequest(app, {
    grant_type: 'client_credentials',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    ...(scope ? { scope } : {}),
  });
  if (res.status !== 200) throw new Error(`no token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** GET a FHIR URL (relative to the server, or absolute as found in a next link). */
export async function fhirGet(
  app: FastifyInstance,
  token: string | undefined,
  url: string,
  headers: Record<string, string> = {},
): Promise<FhirReply> {
  const path = url.startsWith('http') ? url.replace(/^https?:\/\/[^/]+/, '') : url;
  const res = await app.inject({
    method: 'GET',
    url: path,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  });
  let body: unknown = res.body;
  try {
    body = JSON.parse(res.body);
  } catch {
    // bytes of a Binary
  }
  return { status: res.statusCode, body, headers: res.headers, raw: res.body };
}

/** Follows next links from a first search URL and returns every page. */
export async function allPages(app: FastifyInstance, token: string, url: string) {
  const pages: any[] = [];
  let next: string | undefined = url;
  while (next) {
    const res = await fhirGet(app, token, next);
    if (res.status !== 200) throw new Error(`page failed: ${res.status} ${res.raw}`);
    pages.push(res.body);
    next = res.body.link.find((l: any) => l.relation === 'next')?.url;
  }
  return pages;
}

export const entriesOf = (bundle: any): any[] => (bundle.entry ?? []).map((e: any) => e.resource);
