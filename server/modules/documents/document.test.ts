import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorld, type World } from '../../test/factories.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';

let t: TestApp;
let w: World;
let base: string;

// A minimal, valid PDF and PNG: their first bytes are what the type check reads.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

beforeAll(async () => {
  t = await buildTestApp({ config: { maxUploadBytes: 64 * 1024 } });
  w = await createWorld(t);
  await t.services.settings.update(w.chamber.admin, { sharedItemsEmailEnabled: true });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
});
afterAll(() => t?.close());

async function upload(
  cookie: string,
  patientId: string,
  file: { bytes: Buffer; name: string; type?: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append(
    'file',
    new Blob([file.bytes], { type: file.type ?? 'application/octet-stream' }),
    file.name,
  );
  const res = await fetch(`${base}/api/v1/patients/${patientId}/documents`, {
    method: 'POST',
    body: form,
    headers: { cookie },
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function state() {
  const n = async (q: string) => Number((await t.db.execute<{ n: string }>(sql.raw(q))).rows[0]?.n);
  const dir = path.join(t.config.documentsDir, w.chamber.id);
  return {
    documents: await n('select count(*) as n from documents'),
    items: await n('select count(*) as n from medical_items'),
    jobs: await n("select count(*) as n from jobs where kind = 'shared_items_email'"),
    files: fs.existsSync(dir) ? fs.readdirSync(dir).length : 0,
    incoming: fs.existsSync(path.join(t.config.documentsDir, '.incoming'))
      ? fs.readdirSync(path.join(t.config.documentsDir, '.incoming')).length
      : 0,
  };
}

describe('documents', () => {
  let shared: string;

  it('staff upload a PDF shared with the patient; the patient sees it under Documents and downloads it safely', async () => {
    const res = await upload(
      w.as.receptionist.cookie!,
      w.alice.id,
      { bytes: PDF, name: 'Blood test March.pdf', type: 'application/pdf' },
      { title: 'Blood test, March', shareWithPatient: 'true' },
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      title: 'Blood test, March',
      contentType: 'application/pdf',
      sizeBytes: PDF.length,
      sharedWithPatient: true,
      uploadedBy: 'Rita Reception',
    });
    shared = res.body.id;

    const list = await w.as.alice.get('/api/v1/portal/documents');
    expect(list.status).toBe(200);
    expect(list.body.documents).toEqual([
      expect.objectContaining({ id: shared, title: 'Blood test, March' }),
    ]);
    expect(list.body.documents[0]).not.toHaveProperty('uploadedBy');

    const dl = await fetch(`${base}/api/v1/portal/documents/${shared}/content`, {
      headers: { cookie: w.as.alice.cookie! },
    });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/pdf');
    expect(dl.headers.get('content-disposition')).toMatch(
      /^attachment; filename="Blood test, March\.pdf"/,
    );
    expect(dl.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await dl.arrayBuffer()).equals(PDF)).toBe(true);
  });

  it('a document not shared is listed for staff only, and answers 404 to the patient until shared', async () => {
    const res = await upload(w.as.receptionist.cookie!, w.alice.id, {
      bytes: PNG,
      name: 'photo.png',
    });
    expect(res.status).toBe(201);
    expect(res.body.sharedWithPatient).toBe(false);
    expect(
      (await w.as.alice.get('/api/v1/portal/documents')).body.documents.map((d: any) => d.id),
    ).not.toContain(res.body.id);
    expect((await w.as.alice.get(`/api/v1/portal/documents/${res.body.id}/content`)).status).toBe(
      404,
    );
    const staffList = await w.as.nurse.get(`/api/v1/patients/${w.alice.id}/documents`);
    expect(staffList.body.documents.map((d: any) => d.id)).toContain(res.body.id);
    const share = await w.as.receptionist.patch(`/api/v1/documents/${res.body.id}`, {
      shareWithPatient: true,
    });
    expect(share.body.sharedWithPatient).toBe(true);
    expect((await w.as.alice.get(`/api/v1/portal/documents/${res.body.id}/content`)).status).toBe(
      200,
    );
  });

  it('another patient’s document answers 404, exactly like a missing one, and changes nothing', async () => {
    const before = await state();
    for (const id of [shared, '00000000-0000-4000-8000-000000000000', 'nope']) {
      const res = await w.as.bob.get(`/api/v1/portal/documents/${id}/content`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect(await state()).toEqual(before);
  });

  it('refuses an oversized file with 413 and stores nothing', async () => {
    const before = await state();
    const big = Buffer.concat([PDF, Buffer.alloc(70 * 1024, 32)]);
    const res = await upload(
      w.as.receptionist.cookie!,
      w.alice.id,
      { bytes: big, name: 'big.pdf' },
      { shareWithPatient: 'true' },
    );
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ code: 'file_too_large', field: 'file' });
    expect(await state()).toEqual(before);
  });

  it('refuses a file whose content is not an allowed type (whatever its name) with 415 and stores nothing', async () => {
    const before = await state();
    for (const file of [
      {
        bytes: Buffer.from('<html><script>alert(1)</script></html>'),
        name: 'report.pdf',
        type: 'application/pdf',
      },
      { bytes: Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), name: 'scan.png', type: 'image/png' },
    ]) {
      const res = await upload(w.as.receptionist.cookie!, w.alice.id, file, {
        shareWithPatient: 'true',
      });
      expect(res.status).toBe(415);
      expect(res.body.error).toMatchObject({ code: 'unsupported_file_type', field: 'file' });
    }
    const empty = await upload(w.as.receptionist.cookie!, w.alice.id, {
      bytes: Buffer.alloc(0),
      name: 'empty.pdf',
    });
    expect(empty.status).toBe(422);
    expect(await state()).toEqual(before);
  });

  it('refuses an upload without a file, one for a patient of another chamber, and one without a session', async () => {
    const before = await state();
    const form = new FormData();
    form.append('title', 'x');
    const none = await fetch(`${base}/api/v1/patients/${w.alice.id}/documents`, {
      method: 'POST',
      body: form,
      headers: { cookie: w.as.receptionist.cookie! },
    });
    expect(none.status).toBe(422);
    expect(((await none.json()) as any).error.code).toBe('file_required');
    const missing = await upload(
      w.as.receptionist.cookie!,
      '00000000-0000-4000-8000-000000000000',
      { bytes: PDF, name: 'a.pdf' },
    );
    expect(missing.status).toBe(404);
    const anon = await fetch(`${base}/api/v1/patients/${w.alice.id}/documents`, {
      method: 'POST',
      body: new FormData(),
    });
    expect(anon.status).toBe(401);
    const patient = await upload(w.as.alice.cookie!, w.alice.id, { bytes: PDF, name: 'a.pdf' });
    expect(patient.status).toBe(401);
    expect(await state()).toEqual(before);
  });

  it('emails the patient about a shared document without its name or content', async () => {
    t.clock.advance(10 * 60_000);
    await t.deliverMail();
    const mail = t.outbox.filter((m) => m.to === w.alice.email && /Something new/.test(m.subject));
    expect(mail.length).toBeGreaterThan(0);
    for (const m of mail) {
      expect(`${m.subject}\n${m.text}`).not.toMatch(/Blood test|photo|March|%PDF/);
    }
  });
});

describe('medical data', () => {
  it('staff share a result as text; the patient sees it under Medical Data, an unshared letter stays hidden', async () => {
    const before = await state();
    const shared = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/medical-data`, {
      kind: 'result',
      title: 'Cholesterol',
      date: '2026-11-20',
      text: 'Total 4.2 mmol/L',
      shareWithPatient: true,
    });
    expect(shared.status).toBe(201);
    expect(shared.body).toMatchObject({
      kind: 'result',
      title: 'Cholesterol',
      date: '2026-11-20',
      text: 'Total 4.2 mmol/L',
      sharedWithPatient: true,
      author: 'Nina Nurse',
    });
    const hidden = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/medical-data`, {
      kind: 'letter',
      title: 'Referral draft',
      date: '2026-11-21',
      text: 'Draft',
      shareWithPatient: false,
    });
    expect(hidden.status).toBe(201);
    const after = await state();
    expect(after.items).toBe(before.items + 2);

    const portal = await w.as.alice.get('/api/v1/portal/medical-data');
    expect(portal.status).toBe(200);
    expect(portal.body.medicalData.map((m: any) => m.title)).toEqual(['Cholesterol']);
    expect(portal.body.medicalData[0]).not.toHaveProperty('author');
    expect((await w.as.bob.get('/api/v1/portal/medical-data')).body.medicalData).toEqual([]);
  });

  it('a letter with a document shares the document with it', async () => {
    const doc = await upload(w.as.receptionist.cookie!, w.alice.id, {
      bytes: PDF,
      name: 'letter.pdf',
    });
    const letter = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/medical-data`, {
      kind: 'letter',
      title: 'Clinic letter',
      date: '2026-11-22',
      documentId: doc.body.id,
      shareWithPatient: true,
    });
    expect(letter.status).toBe(201);
    expect(letter.body.document).toEqual({ id: doc.body.id, title: 'letter' });
    expect((await w.as.alice.get(`/api/v1/portal/documents/${doc.body.id}/content`)).status).toBe(
      200,
    );
  });

  it('refuses bad input with the field and stores nothing', async () => {
    const before = await state();
    const cases: [unknown, number, string, string][] = [
      [
        { kind: 'result', title: 'x', date: '2026-02-30', text: 'a', shareWithPatient: true },
        422,
        'validation_failed',
        'date',
      ],
      [
        { kind: 'result', title: 'x', date: '2026-02-01', shareWithPatient: true },
        422,
        'content_required',
        'text',
      ],
      [
        { kind: 'scan', title: 'x', date: '2026-02-01', text: 'a', shareWithPatient: true },
        422,
        'validation_failed',
        'kind',
      ],
      [
        {
          kind: 'letter',
          title: 'x',
          date: '2026-02-01',
          documentId: '00000000-0000-4000-8000-000000000000',
          shareWithPatient: true,
        },
        422,
        'document_not_found',
        'documentId',
      ],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/medical-data`, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error).toMatchObject({ code, field });
    }
    expect(await state()).toEqual(before);
  });
});

describe('attachments to patient messages', () => {
  async function patientUpload(cookie: string, bytes: Buffer, name: string) {
    const form = new FormData();
    form.append('file', new Blob([bytes]), name);
    const res = await fetch(`${base}/api/v1/portal/documents`, {
      method: 'POST',
      body: form,
      headers: { cookie },
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  it('is refused while the chamber does not allow attachments, storing nothing', async () => {
    const before = await state();
    const res = await patientUpload(w.as.alice.cookie!, PNG, 'rash.png');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('attachments_not_allowed');
    expect(await state()).toEqual(before);
  });

  it('a patient attaches a photo to a new message; staff in the audience see and download it', async () => {
    await t.services.settings.update(w.chamber.admin, { patientAttachmentsEnabled: true });
    const up = await patientUpload(w.as.alice.cookie!, PNG, 'rash.png');
    expect(up.status).toBe(201);
    const sent = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'Photo of the rash',
      attachmentIds: [up.body.id],
    });
    expect(sent.status).toBe(201);
    expect(sent.body.message.attachments).toEqual([
      { id: up.body.id, title: 'rash', contentType: 'image/png', sizeBytes: PNG.length },
    ]);
    const asStaff = await w.as.receptionist.get(
      `/api/v1/conversations/${sent.body.conversation.id}`,
    );
    expect(asStaff.body.messages[0].attachments[0].id).toBe(up.body.id);
    const dl = await fetch(`${base}/api/v1/documents/${up.body.id}/content`, {
      headers: { cookie: w.as.receptionist.cookie! },
    });
    expect(dl.status).toBe(200);
    // The same file cannot be attached twice, nor another patient's.
    const again = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'again',
      attachmentIds: [up.body.id],
    });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({
      code: 'attachment_not_found',
      field: 'attachmentIds',
    });
    const bobs = await w.as.bob.post('/api/v1/portal/conversations', {
      text: 'not mine',
      attachmentIds: [up.body.id],
    });
    expect(bobs.status).toBe(422);
  });
});
