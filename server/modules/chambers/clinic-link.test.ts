import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minutes } from '../../lib/clock.js';
import { hasWebBuild } from '../../plugins/web.js';
import {
  createBand,
  createChamber,
  createPatient,
  createStaff,
  patientClient,
  staffClient,
  type TestChamber,
} from '../../test/factories.js';
import { client } from '../../test/http.js';
import { buildTestApp, type TestApp } from '../../test/test-app.js';
import { accountLinkUrl, portalClinicLink } from '../auth/account-links.js';

/**
 * Clinic links (issue 16): `/portal/c/<clinic code>/` opens that clinic's sign-in with its name
 * shown, found without a session; every portal email links there.
 */
describe('clinic links', () => {
  let t: TestApp;
  let c: TestChamber;
  let band: string;

  beforeAll(async () => {
    t = await buildTestApp();
    c = await createChamber(t);
    band = await createBand(t, c, { name: 'Online', messaging: true });
  });
  afterAll(() => t?.close());

  const anonymous = () => client(t.app);
  const setPassword = (token: string, password: string) =>
    anonymous().post('/api/v1/portal/password', { token, password });
  /** The newest email to this address, once the worker has sent what is due. */
  async function newestMailTo(email: string) {
    await t.deliverMail();
    const mail = [...t.outbox].reverse().find((m) => m.to === email);
    expect(mail, `an email to ${email}`).toBeTruthy();
    return mail!;
  }
  const tokenIn = (text: string, page: string) =>
    text.match(new RegExp(`${page}#token=([A-Za-z0-9_-]+)`))?.[1];

  describe("the clinic's name, without a session", () => {
    it('is found by the clinic code of the link, whatever its case', async () => {
      for (const code of [c.key, c.key.toUpperCase()]) {
        const res = await anonymous().get(
          `/api/v1/portal/clinic?chamber=${encodeURIComponent(code)}`,
        );
        expect(res.status, code).toBe(200);
        expect(res.body.name).toBe(`Clinic ${c.key}`);
        // Nothing about a person, and no session is started by asking.
        expect(JSON.stringify(res.body)).not.toMatch(/@/);
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('answers 404 not_found in the error shape for a code that is no clinic', async () => {
      for (const code of ['no-such-clinic', `${c.key}x`]) {
        const res = await anonymous().get(`/api/v1/portal/clinic?chamber=${code}`);
        expect(res.status, code).toBe(404);
        expect(res.body).toEqual({
          error: { status: 404, code: 'not_found', message: expect.any(String) },
        });
      }
    });
  });

  it.skipIf(!hasWebBuild())(
    'serves the Patient Portal under /portal/c/<code>/, its pages too (needs the web build)',
    async () => {
      const portal = await t.app.inject({ method: 'GET', url: '/portal/' });
      expect(portal.statusCode).toBe(200);
      for (const url of [
        `/portal/c/${c.key}/`,
        `/portal/c/${c.key}/set-password`,
        `/portal/c/${c.key}/forgotten-password`,
      ]) {
        const res = await t.app.inject({ method: 'GET', url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers['content-type'], url).toMatch(/^text\/html/);
        expect(res.body, url).toBe(portal.body);
      }
    },
  );

  it('builds portal links under the clinic link and staff links as before', () => {
    const base = 'https://portal.example';
    expect(portalClinicLink(base, 'demo')).toBe('https://portal.example/portal/c/demo/');
    expect(portalClinicLink(base, 'demo', 'inbox')).toBe(
      'https://portal.example/portal/c/demo/inbox',
    );
    expect(portalClinicLink(base, 'a/b?c')).toBe('https://portal.example/portal/c/a%2Fb%3Fc/');
    expect(portalClinicLink(base, undefined)).toBe('https://portal.example/portal/');
    expect(accountLinkUrl(base, { forStaff: false, chamberKey: 'demo' }, 'set-password', 'T')).toBe(
      'https://portal.example/portal/c/demo/set-password#token=T',
    );
    expect(accountLinkUrl(base, { forStaff: true, chamberKey: 'demo' }, 'set-password', 'T')).toBe(
      'https://portal.example/staff/set-password#token=T',
    );
  });

  describe('emails', () => {
    it('an invitation links to the set-password page of the clinic link, gives the code, and works', async () => {
      const p = await createPatient(t, c, { bandId: band, account: 'invited' });
      const mail = await newestMailTo(p.email);
      const page = `${t.config.publicUrl}/portal/c/${c.key}/set-password`;
      expect(mail.text).toContain(`${page}#token=`);
      expect(mail.text).toContain(`If the sign-in page asks for your clinic code, it is: ${c.key}`);

      const token = tokenIn(mail.text, page);
      expect((await setPassword(token!, 'a-fresh-password-81')).status).toBe(200);
      const res = await anonymous().post('/api/v1/portal/session', {
        chamber: c.key,
        email: p.email,
        password: 'a-fresh-password-81',
      });
      expect(res.status).toBe(200);
    });

    it('a reset links to the set-password page of the clinic link, and works', async () => {
      const p = await createPatient(t, c, { bandId: band });
      const asked = await anonymous().post('/api/v1/portal/password-reset', {
        chamber: c.key,
        email: p.email,
      });
      expect(asked.status).toBe(202);
      const mail = await newestMailTo(p.email);
      expect(mail.subject).toMatch(/Set a new password/);
      const page = `${t.config.publicUrl}/portal/c/${c.key}/set-password`;
      const token = tokenIn(mail.text, page);
      expect(token, mail.text).toBeTruthy();
      expect((await setPassword(token!, 'another-password-93')).status).toBe(200);
      // Not the old path (which keeps working for emails already sent: the token is all it needs).
      expect(mail.text).not.toContain(`${t.config.publicUrl}/portal/set-password`);
    });

    it("a staff user's invitation still links to the staff app", async () => {
      const admin = await staffClient(t, c, c.admin.email);
      const email = `link.checker@${c.key}.example`;
      const created = await admin.post('/api/v1/admin/users', { name: 'Link Checker', email });
      expect(created.status).toBe(201);
      const mail = await newestMailTo(email);
      expect(mail.text).toContain(`${t.config.publicUrl}/staff/set-password#token=`);
      expect(mail.text).not.toContain('/portal/');
    });

    it('the new shared items email links to the clinic link', async () => {
      const p = await createPatient(t, c, { bandId: band, consent: true });
      const staff = await createStaff(t, c, { name: 'Rita Links', roleIds: [c.builtInRoleId] });
      const admin = await staffClient(t, c, c.admin.email);
      const setting = await admin.patch('/api/v1/admin/settings', {
        sharedItemsEmailEnabled: true,
      });
      expect(setting.status, JSON.stringify(setting.body)).toBe(200);
      const rita = await staffClient(t, c, staff.email);
      const shared = await rita.post(`/api/v1/patients/${p.id}/conversations`, {
        text: 'Your results are in.',
        shareWithPatient: true,
        roleIds: [c.builtInRoleId],
      });
      expect(shared.status, JSON.stringify(shared.body)).toBe(201);
      // The email waits a few minutes to gather what is shared in a burst.
      t.clock.advance(minutes(30));
      const mail = await newestMailTo(p.email);
      expect(mail.subject).toMatch(/Something new/);
      expect(mail.text).toContain(`${t.config.publicUrl}/portal/c/${c.key}/`);
      expect(mail.text).not.toContain('Your results are in.');
      // Signing in from it works as from anywhere.
      expect((await patientClient(t, c, p.email)).cookie).toBeTruthy();
    });
  });
});
