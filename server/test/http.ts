import type { FastifyInstance } from 'fastify';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A JSON client over app.inject, carrying one session cookie. */
export function client(app: FastifyInstance, cookie?: string) {
  async function call<T = any>(
    method: string,
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply<T>> {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined
        ? { payload: typeof body === 'string' ? body : JSON.stringify(body) }
        : {}),
    });
    let parsed: unknown = res.body;
    try {
      parsed = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      // Not JSON (CSV): keep the text.
    }
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  }
  return {
    cookie,
    get: <T = any>(url: string, headers?: Record<string, string>) =>
      call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) =>
      call<T>('POST', url, body ?? {}, headers),
    patch: <T = any>(url: string, body: unknown) => call<T>('PATCH', url, body),
    put: <T = any>(url: string, body?: unknown) => call<T>('PUT', url, body ?? {}),
    delete: <T = any>(url: string) => call<T>('DELETE', url),
    call,
  };
}

export type Client = ReturnType<typeof client>;

/** Signs in through the API and returns a client carrying the session cookie. */
export async function signIn(
  app: FastifyInstance,
  kind: 'staff' | 'patient',
  chamber: string,
  email: string,
  password: string,
): Promise<Client> {
  const res = await app.inject({
    method: 'POST',
    url: kind === 'staff' ? '/api/v1/staff/session' : '/api/v1/portal/session',
    payload: { chamber, email, password },
  });
  if (res.statusCode !== 200)
    throw new Error(`sign-in of ${email} failed: ${res.statusCode} ${res.body}`);
  const set = res.headers['set-cookie'];
  const raw = Array.isArray(set) ? set[0] : set;
  if (!raw) throw new Error('no session cookie');
  return client(app, raw.split(';')[0]);
}

/** The smallest PDF the upload checks accept. */
export const SMALL_PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

/**
 * A multipart upload for app.inject: its fields first, then one PDF file (`SMALL_PDF` unless
 * given). Spread into the inject options beside `method`, `url` and a cookie header.
 */
export function pdfUpload(
  filename: string,
  fields: Record<string, string> = {},
  bytes: Buffer = SMALL_PDF,
): { headers: { 'content-type': string }; payload: Buffer } {
  const boundary = 'test-upload-boundary';
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat([
      Buffer.from(
        parts.join('') +
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
          'Content-Type: application/pdf\r\n\r\n',
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}
