import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasVisibleText } from '../../common/visible-text.js';
import { createWorld, type World } from '../test/factories.js';
import type { Reply } from '../test/http.js';
import { buildTestApp, type TestApp } from '../test/test-app.js';

/*
 * Finding 6 of issue 17: text is counted as a person sees it (a message of only invisible
 * characters is as empty as one of only spaces), and text that is not text (lone surrogates,
 * bytes that are not UTF-8) is refused with a clear error instead of being stored as U+FFFD.
 */

let t: TestApp;
let w: World;

beforeAll(async () => {
  t = await buildTestApp();
  w = await createWorld(t);
});
afterAll(() => t?.close());

async function count(table: string): Promise<number> {
  const r = await t.db.execute<{ n: string | number }>(
    sql.raw(`select count(*) as n from ${table}`),
  );
  return Number(r.rows[0]?.n);
}

async function snapshot() {
  return {
    conversations: await count('conversations'),
    messages: await count('messages'),
    notifications: await count('notifications'),
    patients: await count('patients'),
    users: await count('users'),
    roles: await count('roles'),
    topics: await count('topics'),
    bands: await count('charge_bands'),
    items: await count('medical_items'),
  };
}

/** Texts a person sees nothing of: each must be refused where an empty text is. */
const INVISIBLE: Record<string, string> = {
  'zero-width space': '\u200B',
  'zero-width joiners and marks': '\u200C\u200D\u200E\u200F',
  'word joiner and invisible operators': '\u2060\u2061\u2062\u2063\u2064',
  'byte order mark': '\uFEFF',
  'soft hyphen': '\u00AD\u00AD',
  'combining grapheme joiner': '\u034F',
  'Mongolian vowel separator': '\u180E',
  'Hangul fillers': '\u115F\u1160\u3164\uFFA0',
  'variation selectors': '\uFE0F\uFE00\u{E0100}',
  'tag characters': '\u{E0041}\u{E0062}\u{E007F}',
  'bidi controls': '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u061C',
  'combining marks alone': '\u0301\u0308\u20DD',
  'Braille blank': '\u2800\u2800',
  'invisibles among spaces': ' \u200B\n\u2060\t\uFEFF\u3000',
};

describe('hasVisibleText: what a person sees', () => {
  it('sees nothing in invisible characters, and something in any letter, digit, mark or emoji', () => {
    for (const [what, text] of Object.entries(INVISIBLE))
      expect(hasVisibleText(text), what).toBe(false);
    expect(hasVisibleText('')).toBe(false);
    for (const text of [
      'a',
      '7',
      '.',
      '€',
      '😀',
      '🇬🇧',
      'é',
      'e\u0301',
      'ж',
      'نعم',
      '日本',
      'ㄱ',
      '\u200Bx',
    ])
      expect(hasVisibleText(text), JSON.stringify(text)).toBe(true);
  });
});

describe('a text of only invisible characters is empty (finding 6a)', () => {
  it('refuses it as a message, in every way a message is written, and stores nothing', async () => {
    const started = await w.as.alice.post('/api/v1/portal/conversations', { text: 'visible' });
    expect(started.status).toBe(201);
    const conversationId = started.body.conversation.id as string;
    const before = await snapshot();
    const staffBody = { shareWithPatient: true, roleIds: [] };
    for (const [what, text] of Object.entries(INVISIBLE)) {
      const sends = [
        await w.as.alice.post('/api/v1/portal/conversations', { text }),
        await w.as.alice.post(`/api/v1/portal/conversations/${conversationId}/messages`, { text }),
        await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
          text,
          ...staffBody,
        }),
        await w.as.receptionist.post(`/api/v1/conversations/${conversationId}/messages`, {
          text,
          ...staffBody,
        }),
      ];
      for (const res of sends) {
        expect(res.status, what).toBe(422);
        expect(res.body.error, what).toEqual({
          status: 422,
          code: 'text_empty',
          message: 'Please write a message.',
          field: 'text',
        });
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('keeps invisible characters that sit among visible ones, exactly as typed', async () => {
    for (const text of ['ok\u200B', '\u200Dé', 'نعم\u200F', '👍🏽', '\u2800x', 'ﾠ.']) {
      const res = await w.as.alice.post('/api/v1/portal/conversations', { text });
      expect(res.status, JSON.stringify(text)).toBe(201);
      expect(res.body.message.text).toBe(text);
    }
  });

  it('takes a subject of only invisible characters for no subject', async () => {
    const res = await w.as.alice.post('/api/v1/portal/conversations', {
      text: 'About my results',
      subject: '\u200B\u2060\u3164',
    });
    expect(res.status).toBe(201);
    const read = await w.as.alice.get(`/api/v1/portal/conversations/${res.body.conversation.id}`);
    expect(read.body.conversation.subject).toBeNull();
    const staff = await w.as.receptionist.post(`/api/v1/patients/${w.alice.id}/conversations`, {
      text: 'From the clinic',
      shareWithPatient: true,
      roleIds: [],
      subject: '\u2800\uFEFF',
    });
    expect(staff.status).toBe(201);
    const seen = await w.as.receptionist.get(`/api/v1/conversations/${staff.body.conversation.id}`);
    expect(seen.body.conversation.subject).toBeNull();
  });

  it('takes an out-of-hours message of only invisible characters for none, and refuses invisible advice', async () => {
    const set = await w.as.admin.patch('/api/v1/admin/settings', {
      outOfHoursMessage: '\u200B\u2060',
    });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body.outOfHoursMessage).toBe('');
    const advice = await w.as.admin.patch('/api/v1/admin/settings', { emergencyAdvice: '\u3164' });
    expect(advice.status).toBe(422);
    expect(advice.body.error.field).toBe('emergencyAdvice');
    const phrases = await w.as.admin.patch('/api/v1/admin/settings', {
      redFlagPhrases: ['chest pain', '\u200B'],
    });
    expect(phrases.status).toBe(422);
    expect(phrases.body.error.field).toBe('redFlagPhrases.1');
  });

  it('refuses a result with only invisible text and no document', async () => {
    const res = await w.as.nurse.post(`/api/v1/patients/${w.alice.id}/medical-data`, {
      kind: 'result',
      title: 'Blood test',
      date: '2024-01-02',
      text: '\u200B\uFEFF',
      shareWithPatient: false,
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'content_required', field: 'text' });
  });

  it('refuses names of only invisible characters (patient, user, role, topic, band) and an invisible title', async () => {
    const before = await snapshot();
    const admin = w.as.admin;
    for (const [what, blank] of Object.entries(INVISIBLE)) {
      const refusals: [string, Reply][] = [
        [
          'givenName',
          await admin.post('/api/v1/patients', {
            givenName: blank,
            familyName: 'Visible',
            dateOfBirth: '1990-01-01',
            chargeBandId: w.band,
          }),
        ],
        ['familyName', await admin.patch(`/api/v1/patients/${w.bob.id}`, { familyName: blank })],
        [
          'name',
          await admin.post('/api/v1/admin/users', {
            name: blank,
            email: 'invisible@example.org',
            roleIds: [],
          }),
        ],
        ['name', await admin.post('/api/v1/admin/roles', { name: blank })],
        [
          'name',
          await admin.post('/api/v1/admin/topics', { name: blank, roleId: w.roles.reception }),
        ],
        ['name', await admin.post('/api/v1/admin/charge-bands', { name: blank })],
        [
          'title',
          await admin.post(`/api/v1/patients/${w.alice.id}/medical-data`, {
            kind: 'result',
            title: blank,
            date: '2024-01-02',
            text: 'Normal.',
            shareWithPatient: false,
          }),
        ],
      ];
      for (const [field, res] of refusals) {
        expect(res.status, `${what}: ${field}`).toBe(422);
        expect(res.body.error.field, `${what}: ${field}`).toBe(field);
      }
    }
    expect(await snapshot()).toEqual(before);
  });
});

/** A JSON body as raw bytes, sent with the JSON content type. */
function rawJson(
  client: World['as']['alice'],
  url: string,
  bytes: Buffer,
  type = 'application/json',
) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: { cookie: client.cookie!, 'content-type': type },
    payload: bytes,
  });
}

describe('text that is not text is refused, not stored as U+FFFD (finding 6b)', () => {
  it('refuses a lone surrogate in a JSON string, naming the field, and stores nothing', async () => {
    const before = await snapshot();
    for (const escaped of ['\\ud800', '\\udfff', 'a\\udc00b', '\\ud83d', 'x\\ude00']) {
      const res = await rawJson(
        w.as.alice,
        '/api/v1/portal/conversations',
        Buffer.from(`{"text":"${escaped}"}`),
      );
      expect(res.statusCode, escaped).toBe(422);
      expect(res.json().error, escaped).toMatchObject({
        status: 422,
        code: 'invalid_text',
        field: 'text',
      });
    }
    const subject = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      Buffer.from('{"text":"fine","subject":"\\udbff"}'),
    );
    expect(subject.statusCode).toBe(422);
    expect(subject.json().error).toMatchObject({ code: 'invalid_text', field: 'subject' });
    const nested = await rawJson(
      w.as.admin,
      '/api/v1/admin/settings',
      Buffer.from('{"redFlagPhrases":["chest pain","\\ud800"]}'),
    );
    expect(nested.statusCode).toBe(422);
    expect(nested.json().error).toMatchObject({ code: 'invalid_text', field: 'redFlagPhrases.1' });
    const key = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      Buffer.from('{"text":"fine","\\ud800":"x"}'),
    );
    expect(key.statusCode).toBe(422);
    expect(key.json().error.code).toBe('invalid_text');
    expect(await snapshot()).toEqual(before);
  });

  it('accepts a surrogate pair written as escapes: it is one character', async () => {
    const res = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      Buffer.from('{"text":"smile \\ud83d\\ude00"}'),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().message.text).toBe('smile 😀');
  });

  it('refuses a body that is not UTF-8, and stores nothing', async () => {
    const before = await snapshot();
    const bodies = [
      Buffer.concat([Buffer.from('{"text":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      // An encoded surrogate (CESU-8) and an over-long encoding of "/".
      Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]),
      // Cut in the middle of a character.
      Buffer.concat([Buffer.from('{"text":"'), Buffer.from('€').subarray(0, 2), Buffer.from('"}')]),
    ];
    for (const body of bodies) {
      const res = await rawJson(w.as.alice, '/api/v1/portal/conversations', body);
      expect(res.statusCode, body.toString('hex')).toBe(422);
      expect(res.json().error, body.toString('hex')).toMatchObject({
        status: 422,
        code: 'invalid_text',
        field: 'text',
      });
    }
    const charset = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      bodies[0]!,
      'application/json; charset=utf-8',
    );
    expect(charset.statusCode).toBe(422);
    expect(await snapshot()).toEqual(before);
  });

  it('still stores a real U+FFFD typed by a person, and any valid UTF-8', async () => {
    const res = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      Buffer.from('{"text":"� stays, and so do café, 日本, 😀"}', 'utf8'),
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().message.text).toBe('� stays, and so do café, 日本, 😀');
  });
});

describe('the JSON body parser keeps what it replaced', () => {
  it('refuses an empty body, bad JSON, prototype poisoning and a too large body as before', async () => {
    const before = await snapshot();
    const url = '/api/v1/portal/conversations';
    const empty = await rawJson(w.as.alice, url, Buffer.alloc(0));
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.code).toBe('malformed_json');
    const bad = await rawJson(w.as.alice, url, Buffer.from('{"text": "unterminated'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('malformed_json');
    for (const poison of [
      '{"text":"hi","__proto__":{"isAdmin":true}}',
      '{"text":"hi","constructor":{"prototype":{"isAdmin":true}}}',
    ]) {
      const res = await rawJson(w.as.alice, url, Buffer.from(poison));
      expect(res.statusCode, poison).toBe(400);
      expect(res.json().error.code, poison).toBe('malformed_json');
    }
    const large = await rawJson(
      w.as.alice,
      url,
      Buffer.from(JSON.stringify({ text: 'x'.repeat(300 * 1024) })),
    );
    expect(large.statusCode).toBe(413);
    expect(large.json().error.code).toBe('payload_too_large');
    expect(await snapshot()).toEqual(before);
  });

  it('leaves multipart uploads to their own parser', async () => {
    const boundary = 'text-input-test-boundary';
    const pdf = '%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n';
    const body = [
      `--${boundary}`,
      'Content-Disposition: form-data; name="title"',
      '',
      'Letter é',
      `--${boundary}`,
      'Content-Disposition: form-data; name="file"; filename="letter.pdf"',
      'Content-Type: application/pdf',
      '',
      pdf,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/patients/${w.alice.id}/documents`,
      headers: {
        cookie: w.as.receptionist.cookie!,
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: body,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().title).toBe('Letter é');
  });

  it('reads a JSON body sent with a charset', async () => {
    const res = await rawJson(
      w.as.alice,
      '/api/v1/portal/conversations',
      Buffer.from('{"text":"with a charset é"}'),
      'application/json; charset=utf-8',
    );
    expect(res.statusCode).toBe(201);
    expect(res.json().message.text).toBe('with a charset é');
  });
});
