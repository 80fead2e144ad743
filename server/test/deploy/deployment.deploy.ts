import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from '../../../e2e/support/browser.js';
import { loadConfig } from '../../config.js';
import { fromPostgres } from '../../db/connect.js';
import { DEMO_PASSWORD, seedDemo } from '../../demo/demo-seed.js';
import { systemClock } from '../../lib/clock.js';
import { freePort, WORKER_READY } from '../processes.js';
import { startS3Server, type S3TestServer } from '../s3.js';
import { startSmtpServer, type SmtpCapture } from '../smtp.js';
import { findNginx, makeCertificate, startNginx, substitute, type NginxProcess } from './nginx.js';
import { readEnvironmentFile, readServiceUnit } from './units.js';

// A real deployment, as docs/operations.md ("A deployment behind nginx") tells an operator to
// run it: Debian's nginx with deploy/nginx/portal.conf in front (TLS, round robin), two web
// processes and a worker started from deploy/systemd/*.service with deploy/portal.env, one
// PostgreSQL database migrated by `npm run migrate -- --grant`, documents in an S3-compatible
// bucket. Everything on 127.0.0.1; the browser journey goes through nginx, and each response
// says which web process answered (X-Upstream, the test's one addition to the nginx config).

const root = path.resolve(import.meta.dirname, '..', '..', '..');
const deploy = (...parts: string[]) => path.join(root, 'deploy', ...parts);
const nginxBinary = findNginx();
if (!nginxBinary) {
  console.warn(
    'The deployment test is skipped: nginx is not installed (`apt-get install nginx`; .ci/run installs it).',
  );
}

/**
 * What the patient attaches: a PNG of 1.5 MB (above nginx's default limit), as the server reads
 * it: the signature, a header chunk and one data chunk of random bytes.
 */
const PHOTO = (() => {
  const size = 1.5 * 1024 * 1024;
  const head = Buffer.from(
    '89504e470d0a1a0a0000000d494844520000000100000001080600000000000000',
    'hex',
  );
  const data = Buffer.alloc(8);
  data.writeUInt32BE(size - head.length - 8);
  data.write('IDAT', 4, 'latin1');
  return Buffer.concat([head, data, randomBytes(size - head.length - data.length)]);
})();
const TEXT = `Can I bring my referral letter to Thursday's appointment? (${randomUUID().slice(0, 8)})`;
/** Polling runs every 15 s; anything faster than this came over the live events stream. */
const LIVE = { timeout: 5000, interval: 100 };

interface Product {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
  dataDir: string;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** The web process nginx passed the request to ('web-1', 'web-2'), or '' when none. */
  by: string;
}

describe.skipIf(!nginxBinary)('a deployment behind nginx: two web processes and a worker', () => {
  let work: string;
  let nginxDir: string | undefined;
  let admin: pg.Client;
  let owner: pg.Client | undefined;
  let dbName: string;
  let appUrl: string;
  let s3: S3TestServer;
  let smtp: SmtpCapture;
  let nginx: NginxProcess | undefined;
  let certificate: string;
  let base: string;
  let httpsPort: number;
  let httpPort: number;
  let siteEnv: Record<string, string>;
  const products: Product[] = [];
  const webByAddress = new Map<string, string>();
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  let chamberId: string;

  const killAll = () => {
    for (const p of products) if (p.child.exitCode === null) p.child.kill('SIGKILL');
    nginx?.kill();
  };

  /** What went on, for a failure message: the tail of each process's output and nginx's log. */
  const logs = () =>
    [...products.map((p) => `--- ${p.name}\n${p.log().slice(-3000)}`), nginx?.log().slice(-4000)]
      .filter(Boolean)
      .join('\n');

  /**
   * The web process that answered, from X-Upstream (`$upstream_addr`): the last address, when
   * nginx tried one that failed before it ('' when none answered).
   */
  const processOf = (header: string | string[] | undefined) =>
    webByAddress.get(
      String(header ?? '')
        .split(', ')
        .at(-1)!,
    ) ?? '';

  /** A request to nginx from Node, as `from` (another loopback address: another client). */
  function viaNginx(
    pathname: string,
    options: {
      method?: string;
      json?: unknown;
      headers?: Record<string, string>;
      from?: string;
      port?: number;
      tls?: boolean;
    } = {},
  ): Promise<Answer> {
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const tls = options.tls ?? true;
    return new Promise((resolve, reject) => {
      const req = (tls ? https : http).request(
        {
          host: '127.0.0.1',
          port: options.port ?? httpsPort,
          path: pathname,
          method: options.method ?? 'GET',
          localAddress: options.from ?? '127.0.0.1',
          agent: false,
          ...(tls ? { ca: certificate } : {}),
          headers: {
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              body: Buffer.concat(chunks),
              by: processOf(res.headers['x-upstream']),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** The session cookie of a sign-in through nginx (`name=value`). */
  async function apiSignIn(kind: 'staff' | 'portal', email: string, from: string) {
    const res = await viaNginx(`/api/v1/${kind}/session`, {
      method: 'POST',
      json: { chamber: 'demo', email, password: DEMO_PASSWORD },
      from,
    });
    expect(res.status, res.body.toString()).toBe(200);
    return String(res.headers['set-cookie']).split(';')[0]!;
  }

  /** Starts a service as its unit says (ExecStart, Environment, EnvironmentFile, WorkingDirectory). */
  async function startService(unitFile: string, instance?: string): Promise<Product> {
    const unit = readServiceUnit(deploy('systemd', unitFile), instance);
    const [node, ...args] = unit.execStart;
    expect(node).toBe('/usr/bin/node');
    expect(args.slice(0, 2)).toEqual(['--enable-source-maps', 'dist/server/main.js']);
    expect(unit.workingDirectory).toBe('/srv/portal');
    expect(unit.environmentFiles).toEqual(['/etc/portal/portal.env']);
    // systemd makes /var/lib/<StateDirectory> for the service's user: DATA_DIR is that folder.
    expect(unit.environment.DATA_DIR).toBe(`/var/lib/${unit.stateDirectory}`);
    const dataDir = path.join(work, 'state', unit.stateDirectory!);
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Settings from EnvironmentFile= override Environment= (systemd.exec): the file must not
    // set what each unit sets for itself.
    expect(Object.keys(unit.environment).filter((k) => k in siteEnv)).toEqual([]);
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ...unit.environment,
      ...siteEnv,
      DATA_DIR: dataDir,
    };
    const name = instance
      ? `web-${products.filter((p) => p.name.startsWith('web')).length + 1}`
      : 'worker';
    let output = '';
    // /srv/portal is this checkout; dist/server/main.js the bundle `npm run build` makes.
    const child = spawn(process.execPath, [args[0]!, inject('deployBundle'), ...args.slice(2)], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    const product: Product = { name, child, exited, log: () => output, dataDir };
    products.push(product);
    const until = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${output}`);
      if (Date.now() > until) throw new Error(`${name} did not start: ${output}`);
      if (instance) {
        const ok = await fetch(`http://127.0.0.1:${env.PORT}/api/v1/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return product;
      } else if (output.includes(WORKER_READY)) return product;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  beforeAll(async () => {
    process.once('exit', killAll);
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-deploy-'));

    // One PostgreSQL database, migrated by its owner as docs/operations.md says; the product
    // runs as the restricted role.
    const adminUrl = inject('postgresUrl');
    admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    dbName = `portal_deploy_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
    const ownerUrl = new URL(adminUrl);
    ownerUrl.pathname = `/${dbName}`;
    const app = new URL(inject('postgresAppUrl'));
    app.pathname = `/${dbName}`;
    appUrl = app.toString();
    const migrate = await run(
      'npm',
      ['run', '--silent', 'migrate', '--', '--grant', app.username],
      {
        DATABASE_URL: ownerUrl.toString(),
      },
    );
    expect(migrate.code, migrate.output).toBe(0);
    owner = new pg.Client({ connectionString: ownerUrl.toString() });
    await owner.connect();

    const shipped = readEnvironmentFile(deploy('portal.env'));
    s3 = await startS3Server({ prefix: shipped.PORTAL_S3_PREFIX });
    smtp = await startSmtpServer();
    const cert = makeCertificate(work);
    certificate = cert.pem;
    httpsPort = await freePort();
    httpPort = await freePort();
    base = `https://127.0.0.1:${httpsPort}`;
    // deploy/portal.env with this machine's addresses and secrets; the rest as shipped.
    const kept = ['PORTAL_MIGRATE', 'PORTAL_TRUST_PROXY', 'PORTAL_MAIL_FROM', 'PORTAL_S3_PREFIX'];
    const local: Record<string, string> = {
      DATABASE_URL: appUrl,
      PORTAL_PUBLIC_URL: base,
      PORTAL_SECRET_KEY: randomBytes(32).toString('base64'),
      SMTP_URL: smtp.url,
      ...s3.env,
      // Every role counts as large: the desks' notifications come from the worker process,
      // as a `notification` event after the message (issue 18, part 2).
      PORTAL_NOTIFICATIONS_INLINE_LIMIT: '0',
    };
    expect(Object.keys(shipped).filter((k) => !(k in local) && !kept.includes(k))).toEqual([]);
    expect(s3.env.PORTAL_S3_PREFIX).toBe(shipped.PORTAL_S3_PREFIX);
    siteEnv = { ...shipped, ...local };

    // The demo chamber (an operator would run `npm run chamber`), as the product's role.
    const seeding = fromPostgres(appUrl, 2);
    await seedDemo(
      seeding.db,
      loadConfig({ ...siteEnv, DATA_DIR: path.join(work, 'seed') }),
      systemClock,
    );
    await seeding.close();
    chamberId = (await owner.query(`select id from chambers where key = 'demo'`)).rows[0].id;

    const webPorts = [await freePort(), await freePort()];
    for (const port of webPorts) {
      await startService('portal-web@.service', String(port));
      webByAddress.set(`127.0.0.1:${port}`, `web-${webByAddress.size + 1}`);
    }
    await startService('portal-worker.service');

    // Not inside `work`: as root, nginx runs as www-data, which must reach its folder.
    nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'portal-nginx-'));
    fs.copyFileSync(cert.cert, path.join(nginxDir, 'cert.pem'));
    fs.copyFileSync(cert.key, path.join(nginxDir, 'key.pem'));
    const site = substitute(fs.readFileSync(deploy('nginx', 'portal.conf'), 'utf8'), [
      { from: 'server 127.0.0.1:3001;', to: `server 127.0.0.1:${webPorts[0]};` },
      { from: 'server 127.0.0.1:3002;', to: `server 127.0.0.1:${webPorts[1]};` },
      { from: 'listen 80;', to: `listen 127.0.0.1:${httpPort};` },
      { from: 'listen [::]:80;', to: '# (no IPv6: loopback only)' },
      { from: 'listen 443 ssl http2;', to: `listen 127.0.0.1:${httpsPort} ssl http2;` },
      { from: 'listen [::]:443 ssl http2;', to: '# (no IPv6: loopback only)' },
      {
        from: '/etc/letsencrypt/live/portal.example.org/fullchain.pem',
        to: path.join(nginxDir, 'cert.pem'),
      },
      {
        from: '/etc/letsencrypt/live/portal.example.org/privkey.pem',
        to: path.join(nginxDir, 'key.pem'),
      },
    ]);
    nginx = await startNginx({ binary: nginxBinary!, dir: nginxDir, site, port: httpsPort });
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.cleanup().catch(() => undefined);
    await Promise.all(products.map((p) => stopProduct(p, 10_000)));
    await nginx?.stop();
    await s3?.close();
    await smtp?.close();
    await owner?.end();
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    for (const dir of [work, nginxDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
    process.removeListener('exit', killAll);
  }, 60_000);

  /** A browser context of its own (its own cookies), as another person on another machine. */
  async function person(viewport: { width: number; height: number }) {
    const context: BrowserContext = await browser!.newContext({
      viewport,
      ignoreHTTPSErrors: true,
      acceptDownloads: true,
      timezoneId: 'Europe/London',
    });
    const page = await context.newPage();
    // Which web process holds each live-events stream this page opened, in order.
    const streams: string[] = [];
    // What the page asked and was answered, by which process: for a failure message.
    const traffic: string[] = [];
    page.on('response', (r) => {
      const { pathname } = new URL(r.url());
      const by = processOf(r.headers()['x-upstream']);
      if (pathname === '/api/v1/events') streams.push(by);
      traffic.push(`${r.request().method()} ${pathname} ${r.status()} ${by}`);
    });
    page.on('requestfailed', (r) => {
      traffic.push(`${r.method()} ${new URL(r.url()).pathname} failed: ${r.failure()?.errorText}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') traffic.push(`console error: ${m.text()}`);
    });
    /** Why the page is stuck: its traffic, its alerts and the processes' logs. */
    const explain = async (error: unknown) =>
      new Error(
        `${String(error)}\n--- traffic\n${traffic.join('\n')}\n--- alerts\n${(await page.getByRole('alert').allInnerTexts()).join('\n')}\n${logs()}`,
      );
    return { context, page, streams, explain };
  }

  async function signIn(page: Page, appName: 'portal' | 'staff', email: string) {
    await page.goto(`${base}/${appName}/?clinic=demo`);
    await page.getByLabel('Email').fill(email);
    await page.locator('input[type=password]').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('nginx shares requests between both web processes over https and sends http to https', async () => {
    const served = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await viaNginx('/api/v1/health');
      expect(res.status).toBe(200);
      served.push(res.by);
    }
    expect(new Set(served), logs()).toEqual(new Set(['web-1', 'web-2']));
    const page = await viaNginx('/portal/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['strict-transport-security']).toBeDefined();
    const plain = await viaNginx('/portal/', { tls: false, port: httpPort });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://127.0.0.1/portal/');
  });

  let reception: Awaited<ReturnType<typeof person>>[];
  let uploaded: { id: string; by: string };

  it('a patient writes in the portal; reception, signed in on both processes, sees it arrive live', async () => {
    const adminCookie = await apiSignIn('staff', 'admin@riverside.example', '127.0.0.2');
    const allowed = await viaNginx('/api/v1/admin/settings', {
      method: 'PATCH',
      json: { patientAttachmentsEnabled: true },
      headers: { cookie: adminCookie },
      from: '127.0.0.2',
    });
    expect(allowed.status, allowed.body.toString()).toBe(200);

    // Reception at two desks; their streams held by the two web processes.
    reception = [];
    for (let i = 0; i < 2; i += 1) {
      const desk = await person({ width: 1280, height: 800 });
      await signIn(desk.page, 'staff', 'reception@riverside.example');
      await desk.page.getByRole('list', { name: 'Notifications' }).waitFor();
      await expect.poll(() => desk.streams.length, LIVE).toBeGreaterThan(0);
      reception.push(desk);
    }
    const [one, two] = reception as [(typeof reception)[0], (typeof reception)[0]];
    for (let tries = 0; two.streams.at(-1) === one.streams.at(-1); tries += 1) {
      expect(tries, 'the second desk never got a stream on the other process').toBeLessThan(10);
      // Round robin: a request in between moves the next page load's stream along. One or two
      // by turns: a reload's own requests (fewer once assets are cached) may be odd or even.
      for (let i = 0; i <= tries % 2; i += 1) await viaNginx('/api/v1/health');
      const before = two.streams.length;
      await two.page.reload();
      await expect.poll(() => two.streams.length, LIVE).toBeGreaterThan(before);
    }
    expect(new Set([one.streams.at(-1), two.streams.at(-1)])).toEqual(new Set(['web-1', 'web-2']));

    const alice = await person({ width: 390, height: 844 });
    alice.page.on('filechooser', () => undefined);
    const answers: Record<string, { by: string; body: () => Promise<unknown> }> = {};
    alice.page.on('response', (r) => {
      const { pathname } = new URL(r.url());
      if (r.request().method() === 'POST' && pathname.startsWith('/api/v1/portal/')) {
        answers[pathname] = {
          by: processOf(r.headers()['x-upstream']),
          body: () => r.json(),
        };
      }
    });
    await signIn(alice.page, 'portal', 'alice@patient.example');
    await alice.page.getByRole('link', { name: 'New message' }).last().click();
    // Appointments go to Reception.
    await alice.page.getByRole('radio', { name: 'Appointments' }).check();
    await alice.page.getByRole('textbox', { name: /Your message/ }).fill(TEXT);
    await alice.page
      .getByTestId('attach-input')
      .setInputFiles({ name: 'referral.png', mimeType: 'image/png', buffer: PHOTO });
    await alice.page
      .getByRole('list', { name: 'Files to send' })
      .getByText('referral.png')
      .waitFor();
    await alice.page.getByRole('button', { name: 'Send', exact: true }).click();
    await alice.page.waitForURL(/\/portal\/inbox\/[0-9a-f-]{36}$/).catch(async (error) => {
      throw await alice.explain(error);
    });
    const sent = Date.now();

    for (const desk of reception) {
      const card = desk.page.getByRole('listitem').filter({ hasText: TEXT });
      await expect.poll(() => card.count(), LIVE).toBe(1);
      expect(await card.innerText()).toContain('New message from Alice Archer');
    }
    const upload = answers['/api/v1/portal/documents'];
    const send = answers['/api/v1/portal/conversations'];
    // The cards came from the notifications the worker wrote after the send.
    const sentId = ((await send!.body()) as { message: { id: string } }).message.id;
    const fannedOut = await owner!.query(
      `select state from jobs where kind = 'notification_fan_out' and payload ->> 'messageId' = $1`,
      [sentId],
    );
    expect(fannedOut.rows).toEqual([{ state: 'done' }]);
    expect(upload, 'the upload went through nginx').toBeDefined();
    expect(send, 'the send went through nginx').toBeDefined();
    uploaded = { id: ((await upload!.body()) as { id: string }).id, by: upload!.by };
    // Neither desk reconnected meanwhile: the streams that heard it are the two processes.
    expect(new Set([one.streams.at(-1), two.streams.at(-1)])).toEqual(new Set(['web-1', 'web-2']));
    console.log(
      `deployment: uploaded through ${upload!.by}, sent through ${send!.by}; heard live on web-1 and web-2 within ${Date.now() - sent} ms of the page showing it sent`,
    );
  });

  it('the document uploaded through one process downloads through the other, from the bucket', async () => {
    const desk = reception[0]!;
    await desk.page
      .getByRole('listitem')
      .filter({ hasText: TEXT })
      .getByRole('link', { name: 'New message from Alice Archer' })
      .click();
    const message = desk.page
      .getByRole('article', { name: /^Message from Alice Archer/ })
      .filter({ hasText: TEXT });
    const link = message.getByRole('list', { name: 'Attached file' }).getByRole('link', {
      name: 'referral',
    });
    await link.waitFor();
    const href = (await link.getAttribute('href'))!;
    expect(href).toContain(uploaded.id);

    // As the browser downloads it: the same link, the same session.
    const [download] = await Promise.all([desk.page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe('referral.png');
    expect(fs.readFileSync((await download.path())!).equals(PHOTO)).toBe(true);

    // Pinned: asked again with the page's session until the other process answers.
    let other: Awaited<ReturnType<BrowserContext['request']['get']>> | undefined;
    for (let i = 0; i < 6 && !other; i += 1) {
      const res = await desk.context.request.get(`${base}${href}`);
      expect(res.status()).toBe(200);
      if (processOf(res.headers()['x-upstream']) !== uploaded.by) other = res;
    }
    expect(other, `no download was served by the process other than ${uploaded.by}`).toBeDefined();
    expect((await other!.body()).equals(PHOTO)).toBe(true);

    // The bytes are in the bucket, under the shipped prefix, and on no web process's disk.
    const key = `${siteEnv.PORTAL_S3_PREFIX}${chamberId}/${uploaded.id}`;
    expect(await s3.keys()).toContain(key);
    expect((await s3.read(key))!.equals(PHOTO)).toBe(true);
    for (const p of products) {
      const files = fs
        .readdirSync(p.dataDir, { recursive: true, encoding: 'utf8' })
        .filter((f) => fs.statSync(path.join(p.dataDir, f)).isFile());
      expect(
        files.filter((f) => f.includes(uploaded.id)),
        p.name,
      ).toEqual([]);
    }
  });

  it('the sign-in limit holds across both processes: failures on either are counted together', async () => {
    const limit = loadConfig(siteEnv).signInRateLimitPerMinute;
    // Fixed windows aligned on the clock's minutes: start early in one, so all fall in it.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));
    const attempt = (from: string, headers: Record<string, string> = {}, email?: string) =>
      viaNginx('/api/v1/staff/session', {
        method: 'POST',
        json: {
          chamber: 'demo',
          email: email ?? `nobody-${randomUUID().slice(0, 8)}@riverside.example`,
          password: email ? DEMO_PASSWORD : 'not-the-password-1',
        },
        headers,
        from,
      });
    const refused: string[] = [];
    for (let i = 0; i < limit; i += 1) {
      const res = await attempt('127.0.0.3');
      expect(res.status, res.body.toString()).toBe(401);
      refused.push(res.by);
    }
    expect(refused.filter((by) => by === 'web-1').length).toBeGreaterThan(0);
    expect(refused.filter((by) => by === 'web-2').length).toBeGreaterThan(0);
    // The next attempt is refused by whichever process gets it.
    const limited = new Set<string>();
    for (let i = 0; i < 6 && limited.size < 2; i += 1) {
      const res = await attempt('127.0.0.3');
      expect(res.status, `attempt ${limit + i + 1}, ${res.by}`).toBe(429);
      expect(JSON.parse(res.body.toString()).error.code).toBe('too_many_requests');
      limited.add(res.by);
    }
    expect(limited).toEqual(new Set(['web-1', 'web-2']));
    // A forged X-Forwarded-For buys nothing (nginx sets it), nor does the right password.
    expect((await attempt('127.0.0.3', { 'x-forwarded-for': '203.0.113.9' })).status).toBe(429);
    expect((await attempt('127.0.0.3', {}, 'reception@riverside.example')).status).toBe(429);
    // Another address has its own allowance.
    expect((await attempt('127.0.0.4')).status).toBe(401);
    // Both processes saw the client's address, not nginx's, in X-Forwarded-For.
    const rows = await owner!.query(
      `select count(*)::int as n from audit_events
        where action = 'staff.sign_in_failed' and ip = '127.0.0.3'`,
    );
    expect(rows.rows[0].n).toBe(limit);
  });

  it('the worker seals the audit rows written through both processes; npm run audit:verify passes', async () => {
    const unsealed = async () =>
      (
        await owner!.query(
          `select count(*)::int as n from audit_events e
            where not exists (select 1 from audit_seals s
                               where s.chamber_id = e.chamber_id and s.audit_event_id = e.id)`,
        )
      ).rows[0].n as number;
    await expect.poll(unsealed, { timeout: 20_000, interval: 200 }).toBe(0);
    const sealed = await owner!.query(
      `select count(*)::int as n from audit_events e
         join audit_seals s on s.chamber_id = e.chamber_id and s.audit_event_id = e.id
        where e.action = 'staff.sign_in_failed' and e.ip = '127.0.0.3'`,
    );
    expect(sealed.rows[0].n).toBe(loadConfig(siteEnv).signInRateLimitPerMinute);
    const runs = await owner!.query('select count(*)::int as n from audit_seal_runs');
    expect(runs.rows[0].n).toBeGreaterThan(0);

    const verify = await run('npm', ['run', '--silent', 'audit:verify'], {
      DATABASE_URL: appUrl,
    });
    expect(verify.code, verify.output).toBe(0);
    expect(verify.output).toMatch(/demo: intact, \d+ rows/);
    expect(verify.output).not.toContain('not sealed yet');
  });

  it('stopped one at a time (systemctl stop), each process exits 0 and nginx sends everything to the one left', async () => {
    const [web1, web2, worker] = products as [Product, Product, Product];
    expect(await stopProduct(web1, 30_000)).toBe(0);
    for (let i = 0; i < 3; i += 1) {
      const res = await viaNginx('/api/v1/health');
      expect(res.status).toBe(200);
      expect(res.by).toBe('web-2');
    }
    expect(await stopProduct(web2, 30_000)).toBe(0);
    expect(await stopProduct(worker, 30_000)).toBe(0);
    expect((await viaNginx('/api/v1/health')).status).toBe(502);
  });
});

/** SIGTERM, as `systemctl stop` sends; SIGKILL after `graceMs`. Answers the exit code. */
async function stopProduct(p: Product, graceMs: number): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** Runs a command as an operator would, from the project's folder; answers its exit code and output. */
function run(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
