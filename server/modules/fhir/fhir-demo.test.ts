import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INTEGRATION, seedDemo } from '../../demo/demo-seed.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { fhirProblems } from './fhir-validator.js';
import { ALL, entriesOf, fhirGet, tokenRequest } from './fhir-test-support.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
  await seedDemo(t.db, t.config, t.clock);
});
afterAll(() => t?.close());

describe('the demo chamber', () => {
  it('has the client demo-integration with all scopes: the docs/fhir.md walk-through works', async () => {
    const token = await tokenRequest(t.app, {
      grant_type: 'client_credentials',
      client_id: DEMO_INTEGRATION.clientId,
      client_secret: DEMO_INTEGRATION.secret,
    });
    expect(token.status).toBe(200);
    expect(token.body.scope).toBe(ALL.join(' '));
    const access = token.body.access_token as string;

    const found = await fhirGet(t.app, access, '/fhir/R4/Patient?email=alice@patient.example');
    const alice = entriesOf(found.body)[0];
    expect(alice.name[0].text).toBe('Alice Archer');

    const messages = await fhirGet(
      t.app,
      access,
      `/fhir/R4/Communication?subject=Patient/${alice.id}&part-of:missing=false`,
    );
    expect(messages.status).toBe(200);
    expect(fhirProblems(messages.body)).toEqual([]);
    const texts = entriesOf(messages.body).map((c) => c.payload[0].contentString);
    expect(texts).toHaveLength(6);
    // What each thread is about: its topic as category, its subject as topic.text.
    const about = entriesOf(messages.body).map((c) => [c.category?.[0]?.text, c.topic?.text]);
    expect(about).toContainEqual(['Appointments', 'Thursday appointment']);
    expect(about).toContainEqual(['Prescriptions', undefined]);
    // The internal note of the demo is served: the client holds the internal scope.
    expect(texts).toContain(
      'Morning dizziness since the new prescription: usual in the first weeks at this dose. Doctors, please review at her next visit.',
    );
  });
});
