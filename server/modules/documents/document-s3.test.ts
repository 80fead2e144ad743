import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { startS3Server, type S3TestServer } from '../../test/s3.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { createIntegration, fhirGet, getToken } from '../fhir/fhir-test-support.js';

// Documents kept in an S3-compatible bucket (a real server on loopback, s3rver): the same API
// as with the folder, and the rules of docs/operations.md: bytes are stored before their row
// is committed and removed when the commit fails, a row is deleted before its bytes, keys are
// chamber and document ids only, downloads stream from the bucket.

const PREFIX = 'portal/documents/';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

let s3: S3TestServer;
let t: TestApp;
let w: World;
let other: World;
let base: string;

beforeAll(async () => {
  s3 = await startS3Server({ prefix: PREFIX });
  t = await buildTestApp({ config: { s3: s3.settings, maxUploadBytes: 20 * 1024 * 1024 } });
  w = await createWorld(t);
  other = await createWorld(t);
  await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
});

const keyOf = (chamberId: string, documentId: string) => `${PREFIX}${chamberId}/${documentId}`;
const staffUrl = (patientId: string) => `/api/v1/patients/${patientId}/documents`;
const portalUrl = '/api/v1/portal/documents';

async function upload(
  cookie: string,
  url: string,
  file: { bytes: Buffer; name: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([file.bytes]), file.name);
  const res = await fetch(`${base}${url}`, { method: 'POST', body: form, headers: { cookie } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

async function download(cookie: string, url: string) {
  const res = await fetch(`${base}${url}`, { headers: { cookie } });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function count(query: string): Promise<number> {
  return Number((await t.db.execute<{ n: string }>(sql.raw(query))).rows[0]?.n);
}

/** Everything an upload or download may leave behind: rows, audit rows, files, objects. */
async function state() {
  const incoming = path.join(t.config.documentsDir, '.incoming');
  return {
    documents: await count('select count(*) as n from documents'),
    created: await count(
      "select count(*) as n from audit_events where action = 'document.created'",
    ),
    downloaded: await count(
      "select count(*) as n from audit_events where action = 'document.downloaded'",
    ),
    attachments: await count('select count(*) as n from message_attachments'),
    incoming: fs.existsSync(incoming) ? fs.readdirSync(incoming) : [],
    // Nothing is kept in the folder when a bucket is set.
    folders: fs.existsSync(t.config.documentsDir)
      ? fs.readdirSync(t.config.documentsDir).filter((f) => f !== '.incoming')
      : [],
    objects: await s3.keys(),
  };
}

describe('documents in S3-compatible object storage', () => {
  let shared: string;
  let attached: string;
  let token: string;

  it('stores a staff upload as an object named by chamber and document id only; both apps download it with the same headers', async () => {
    const before = await state();
    const res = await upload(
      w.as.receptionist.cookie!,
      staffUrl(w.alice.id),
      { bytes: PDF, name: '../../../etc/passwd.pdf' },
      { title: '../../Blood test', shareWithPatient: 'true' },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ contentType: 'application/pdf', sizeBytes: PDF.length });
    shared = res.body.id;

    const after = await state();
    expect(after.documents).toBe(before.documents + 1);
    expect(after.objects).toEqual([...before.objects, keyOf(w.chamber.id, shared)].sort());
    for (const key of after.objects) expect(key).toMatch(new RegExp(`^${PREFIX}${UUID}/${UUID}$`));
    expect(after.incoming).toEqual([]);
    expect(after.folders).toEqual([]);
    expect((await s3.read(keyOf(w.chamber.id, shared)))!.equals(PDF)).toBe(true);
    // The type read from the content (the name said nothing), the checksum computed on the way.
    const sha256 = createHash('sha256').update(PDF).digest('hex');
    const row = await t.db.execute<{ sha256: string }>(
      sql`select sha256 from documents where id = ${shared}`,
    );
    expect(row.rows[0]!.sha256).toBe(sha256);
    expect(await s3.head(keyOf(w.chamber.id, shared))).toEqual({
      contentType: 'application/pdf',
      size: PDF.length,
      metadata: { sha256 },
    });

    for (const [cookie, url] of [
      [w.as.nurse.cookie!, `/api/v1/documents/${shared}/content`],
      [w.as.alice.cookie!, `/api/v1/portal/documents/${shared}/content`],
    ] as const) {
      const dl = await download(cookie, url);
      expect(dl.status).toBe(200);
      expect(Object.fromEntries(dl.headers)).toMatchObject({
        'content-type': 'application/pdf',
        'content-length': String(PDF.length),
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'no-store',
      });
      expect(dl.headers.get('content-disposition')).toMatch(
        /^attachment; filename="[^"/]*Blood test\.pdf"; filename\*=UTF-8''[^/]*Blood%20test\.pdf$/,
      );
      expect(dl.bytes.equals(PDF)).toBe(true);
    }
    expect(s3.requests).toContain(`GET /${s3.bucket}/${keyOf(w.chamber.id, shared)}`);
    expect((await state()).downloaded).toBe(after.downloaded + 2);
  });

  it('stores a patient attachment in the bucket; staff and a FHIR client read it from there', async () => {
    const up = await upload(w.as.alice.cookie!, portalUrl, { bytes: PNG, name: 'rash.png' });
    expect(up.status).toBe(201);
    const id = (attached = up.body.id as string);
    expect((await s3.read(keyOf(w.chamber.id, id)))!.equals(PNG)).toBe(true);
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Photo of the rash',
      attachmentIds: [id],
    });
    expect(sent.status).toBe(201);
    const staff = await download(w.as.receptionist.cookie!, `/api/v1/documents/${id}/content`);
    expect(staff.status).toBe(200);
    expect(staff.bytes.equals(PNG)).toBe(true);

    token = await getToken(t.app, await createIntegration(w.as.admin, 'Reader'));
    const bytes = await t.app.inject({
      method: 'GET',
      url: `/fhir/R4/Binary/${id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(bytes.statusCode).toBe(200);
    expect(bytes.headers['content-type']).toBe('image/png');
    expect(bytes.headers['content-length']).toBe(String(PNG.length));
    expect(bytes.rawPayload.equals(PNG)).toBe(true);
    const resource = await fhirGet(t.app, token, `/fhir/R4/Binary/${id}`, {
      accept: 'application/fhir+json',
    });
    expect(resource.body).toMatchObject({ resourceType: 'Binary', contentType: 'image/png' });
    expect(Buffer.from(resource.body.data, 'base64').equals(PNG)).toBe(true);
  });

  it('streams a download from the bucket: when the store goes away mid-download, so does the rest of the file', async () => {
    // 16 MB: far more than the sockets between the bucket, the app and a reader that pauses
    // after the first chunk hold (a few hundred KB here), so that reader cannot have the whole
    // file unless the app had read it whole before sending.
    const big = Buffer.concat([PDF, Buffer.alloc(16 * 1024 * 1024, 0x20)]);
    const up = await upload(w.as.receptionist.cookie!, staffUrl(w.alice.id), {
      bytes: big,
      name: 'big.pdf',
    });
    expect(up.status).toBe(201);
    const res = await fetch(`${base}/api/v1/documents/${up.body.id}/content`, {
      headers: { cookie: w.as.receptionist.cookie! },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(big.length));
    const reader = res.body!.getReader();
    let received = (await reader.read()).value!.length;
    await s3.stop();
    await new Promise((r) => setTimeout(r, 300));
    let cut = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
      }
    } catch {
      cut = true;
    } finally {
      await s3.start();
    }
    expect(cut).toBe(true);
    expect(received).toBeLessThan(big.length / 2);
    // With the store back, the whole file downloads.
    const again = await download(
      w.as.receptionist.cookie!,
      `/api/v1/documents/${up.body.id}/content`,
    );
    expect(again.bytes.equals(big)).toBe(true);
    await t.services.documents.removeUnreferenced(w.chamber.id, up.body.id);
  });

  it('with the store stopped, an upload answers 503 and leaves no row, object nor temporary file; downloads answer 503, not 404', async () => {
    const before = await state();
    await s3.stop();
    try {
      for (const [cookie, url] of [
        [w.as.receptionist.cookie!, staffUrl(w.alice.id)],
        [w.as.alice.cookie!, portalUrl],
      ] as const) {
        const res = await upload(cookie, url, { bytes: PNG, name: 'scan.png' });
        expect(res.status, url).toBe(503);
        expect(res.body.error).toMatchObject({ status: 503, code: 'storage_unavailable' });
        expect(res.headers.get('retry-after')).toBe('5');
      }
      const dl = await w.as.nurse.get(`/api/v1/documents/${shared}/content`);
      expect(dl.status).toBe(503);
      expect(dl.body.error.code).toBe('storage_unavailable');
      const binary = await fhirGet(t.app, token, `/fhir/R4/Binary/${attached}`);
      expect(binary.status).toBe(503);
      expect(binary.body.issue[0].code).toBe('transient');
    } finally {
      await s3.start();
    }
    expect(await state()).toEqual(before);
    expect(
      (await download(w.as.alice.cookie!, `/api/v1/portal/documents/${shared}/content`)).status,
    ).toBe(200);
  });

  it('a store that refuses the request (an unknown access key) answers 503 and leaves no row nor object', async () => {
    // s3rver checks the access key id (not the signature): an unknown one is refused with 403.
    const refused = await buildTestApp({
      config: {
        s3: {
          ...s3.settings,
          credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'not-the-secret' },
        },
      },
    });
    try {
      const world = await createWorld(refused);
      const objects = await s3.keys();
      const form = new FormData();
      form.append('file', new Blob([PDF]), 'letter.pdf');
      const res = await refused.app.inject({
        method: 'POST',
        url: staffUrl(world.alice.id),
        headers: { cookie: world.as.receptionist.cookie! },
        payload: form,
      });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('storage_unavailable');
      const rows = await refused.db.execute<{ n: string }>(
        sql`select count(*) as n from documents`,
      );
      expect(Number(rows.rows[0]!.n)).toBe(0);
      expect(await s3.keys()).toEqual(objects);
      expect(fs.readdirSync(path.join(refused.config.documentsDir, '.incoming'))).toEqual([]);
    } finally {
      await refused.close();
    }
  });

  it('a commit that fails after the object was written leaves no row, and the object is removed', async () => {
    // The row's transaction fails at COMMIT (a deferred trigger), after the object was stored.
    const owner = t.ownerDb();
    await owner.execute(sql`
      create function test_refuse_document() returns trigger language plpgsql as $$
      begin raise exception 'refused at commit'; end $$`);
    await owner.execute(sql`
      create constraint trigger test_refuse_document after insert on documents
      deferrable initially deferred for each row execute function test_refuse_document()`);
    try {
      for (const [cookie, url] of [
        [w.as.receptionist.cookie!, staffUrl(w.alice.id)],
        [w.as.alice.cookie!, portalUrl],
      ] as const) {
        const before = await state();
        const seen = s3.requests.length;
        const res = await upload(cookie, url, { bytes: PDF, name: 'letter.pdf' });
        expect(res.status, url).toBe(500);
        expect(res.body.error.code).toBe('internal_error');
        expect(await state(), url).toEqual(before);
        // The object was written, then removed: PUT then DELETE of one key of this chamber.
        const writes = s3.requests.slice(seen).filter((r) => /^(PUT|DELETE) /.test(r));
        expect(writes, url).toHaveLength(2);
        expect(writes[0]).toMatch(
          new RegExp(`^PUT /${s3.bucket}/${PREFIX}${w.chamber.id}/${UUID}$`),
        );
        expect(writes[1]).toBe(writes[0]!.replace(/^PUT/, 'DELETE'));
      }
    } finally {
      await owner.execute(sql`drop trigger test_refuse_document on documents`);
      await owner.execute(sql`drop function test_refuse_document()`);
    }
  });

  it('an upload cut off by the client leaves no row, object nor temporary file', async () => {
    const before = await state();
    const boundary = 'cut-off-boundary';
    const payload = Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.pdf"\r\n` +
          'Content-Type: application/pdf\r\n\r\n',
      ),
      PDF,
      Buffer.alloc(200_000, 0x20),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const port = (t.app.server.address() as AddressInfo).port;
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          `POST ${staffUrl(w.alice.id)} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
            `Cookie: ${w.as.receptionist.cookie}\r\n` +
            `Content-Type: multipart/form-data; boundary=${boundary}\r\n` +
            `Content-Length: ${payload.length}\r\n\r\n`,
        );
        socket.write(payload.subarray(0, 100_000), () => setTimeout(() => socket.destroy(), 100));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    for (let i = 0; i < 50 && (await state()).incoming.length > 0; i += 1)
      await new Promise((r) => setTimeout(r, 50));
    expect(await state()).toEqual(before);
  });

  it('a tampered or unknown document id answers 404 everywhere and records no download', async () => {
    const theirs = await upload(
      other.as.receptionist.cookie!,
      staffUrl(other.alice.id),
      { bytes: PDF, name: 'theirs.pdf' },
      { shareWithPatient: 'true' },
    );
    expect(theirs.status).toBe(201);
    // A row whose object was removed behind the product's back.
    const gone = await upload(
      w.as.receptionist.cookie!,
      staffUrl(w.alice.id),
      { bytes: PDF, name: 'gone.pdf' },
      { shareWithPatient: 'true' },
    );
    await s3.remove(keyOf(w.chamber.id, gone.body.id));
    const before = await state();
    for (const id of [
      theirs.body.id,
      gone.body.id,
      '00000000-0000-4000-8000-000000000000',
      `${shared.slice(0, -1)}${shared.endsWith('0') ? '1' : '0'}`,
      'nope',
      '..%2F..%2Fetc%2Fpasswd',
    ]) {
      const asStaff = await w.as.receptionist.get(`/api/v1/documents/${id}/content`);
      expect(asStaff.status, id).toBe(404);
      expect(asStaff.body.error.code).toBe('not_found');
      const asPatient = await w.as.alice.get(`/api/v1/portal/documents/${id}/content`);
      expect(asPatient.status, id).toBe(404);
    }
    expect(await state()).toEqual(before);
  });

  it('removing a document deletes its row, then its object; an object left by a failed removal is an orphan, never a row without its object', async () => {
    const up = await upload(w.as.receptionist.cookie!, staffUrl(w.bob.id), {
      bytes: PDF,
      name: 'a.pdf',
    });
    const key = keyOf(w.chamber.id, up.body.id);
    expect(await s3.has(key)).toBe(true);
    expect(await t.services.documents.removeUnreferenced(w.chamber.id, up.body.id)).toEqual({
      deleted: true,
      bytesRemoved: true,
    });
    expect(s3.requests.at(-1)).toBe(`DELETE /${s3.bucket}/${key}`);
    expect(await count(`select count(*) as n from documents where id = '${up.body.id}'`)).toBe(0);
    expect(await s3.has(key)).toBe(false);

    // The store is down: the row goes (first), the object stays as an orphan.
    const orphan = await upload(w.as.receptionist.cookie!, staffUrl(w.bob.id), {
      bytes: PDF,
      name: 'b.pdf',
    });
    await s3.stop();
    try {
      expect(await t.services.documents.removeUnreferenced(w.chamber.id, orphan.body.id)).toEqual({
        deleted: true,
        bytesRemoved: false,
      });
    } finally {
      await s3.start();
    }
    expect(await count(`select count(*) as n from documents where id = '${orphan.body.id}'`)).toBe(
      0,
    );
    expect(await s3.has(keyOf(w.chamber.id, orphan.body.id))).toBe(true);
    await s3.remove(keyOf(w.chamber.id, orphan.body.id));

    // A document a message uses is not removed, neither its row nor its object.
    const before = await state();
    await expect(t.services.documents.removeUnreferenced(w.chamber.id, attached)).rejects.toThrow();
    expect(await state()).toEqual(before);
    expect(
      await t.services.documents.removeUnreferenced(
        w.chamber.id,
        '00000000-0000-4000-8000-000000000000',
      ),
    ).toEqual({ deleted: false, bytesRemoved: false });
  });
});
