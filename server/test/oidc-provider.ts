import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real OpenID Connect provider (`oidc-provider`) on 127.0.0.1 for the single sign-on tests
 * (rule 19): one confidential client that authenticates with HTTP Basic (the usual default), a
 * second that must send its secret in the body, and accounts whose claims a test sets. Its login
 * and consent screens are replaced by a handler the test drives over HTTP: `signIn` follows an
 * authorization URL as a browser would, logs the given account in (with its `amr` and `acr`),
 * grants the scopes, and answers the URL the provider sends the browser back to.
 */

/** The claims an account signs in with. */
export interface TestAccount {
  email?: string;
  email_verified?: boolean;
  name?: string;
  /** RFC 8176 authentication method references reported in the ID token. */
  amr?: string[];
  acr?: string;
}

export interface TestOidcProvider {
  issuer: string;
  /** The client authenticating with HTTP Basic (client_secret_basic). */
  clientId: string;
  clientSecret: string;
  /** The client that must send its secret in the form body (client_secret_post): HTTP Basic is refused. */
  postClientId: string;
  postClientSecret: string;
  /** Adds an account; answers its id (short, unique in this provider). */
  addAccount(account: TestAccount): string;
  /**
   * Follows `authorizationUrl` through the provider's login and consent as `accountId` would
   * (or refuses, as a user pressing Cancel would: `{ deny: true }`); answers the redirect URI
   * with the code (or error), state and iss the provider sent the browser to.
   */
  signIn(authorizationUrl: string, who: string | { deny: true }): Promise<URL>;
  /** The requests the provider answered, by path (to show a flow did reach it). */
  hits: Map<string, number>;
  stop(): Promise<void>;
}

/** What the tests use of oidc-provider (it ships no TypeScript types). */
interface Interaction {
  uid: string;
  prompt: { name: string };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
}
interface ProviderInstance {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<Interaction>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    options?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: new (fields: { accountId: string; clientId: string }) => {
    addOIDCScope(scope: string): void;
    save(): Promise<string>;
  };
}
type ProviderConstructor = new (issuer: string, configuration: object) => ProviderInstance;

const REQUEST_TIMEOUT_MS = 5_000;
const MAX_HOPS = 10;

/** Starts a provider on a free loopback port whose single client redirects to `redirectUri`. */
export async function startOidcProvider(options: {
  redirectUri: string;
}): Promise<TestOidcProvider> {
  // A module name in a variable: the package has no types, so it is typed by hand above.
  const specifier = 'oidc-provider';
  const { Provider } = (await import(specifier)) as { Provider: ProviderConstructor };

  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const accounts = new Map<string, TestAccount>();
  let accountCount = 0;
  const clientSecret = randomBytes(24).toString('base64url');
  const postClientSecret = randomBytes(24).toString('base64url');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'portal',
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: 'portal-post',
        client_secret: postClientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', use: 'sig' }] },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    // acr and amr in every ID token, as identity providers that report them do (oidc-provider
    // puts them in only when asked for, by default); email and name reach the client through
    // the userinfo endpoint, as with most providers.
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
      openid: ['sub', 'acr', 'amr', 'auth_time'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
    },
    findAccount: (_ctx: unknown, sub: string) => {
      const account = accounts.get(sub);
      if (!account) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          ...(account.email === undefined ? {} : { email: account.email }),
          ...(account.email_verified === undefined
            ? {}
            : { email_verified: account.email_verified }),
          ...(account.name === undefined ? {} : { name: account.name }),
        }),
      };
    },
  });

  /** The login and consent screens: the test names the account in the query (`?login=`). */
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse) {
    const query = new URL(req.url ?? '/', issuer).searchParams;
    const details = await provider.interactionDetails(req, res);
    if (query.get('deny') === '1') {
      await provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId =
      details.prompt.name === 'login' ? query.get('login') : details.session?.accountId;
    const account = accountId ? accounts.get(accountId) : undefined;
    if (!accountId || !account) {
      res.statusCode = 400;
      res.end('unknown account');
      return;
    }
    const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      {
        ...(details.prompt.name === 'login'
          ? {
              login: {
                accountId,
                ...(account.amr ? { amr: account.amr } : {}),
                ...(account.acr ? { acr: account.acr } : {}),
              },
            }
          : {}),
        consent: { grantId },
      },
      { mergeWithLastSubmission: false },
    );
  }

  const hits = new Map<string, number>();
  const handle = provider.callback();
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    // Like providers that hold a client to the one way of authenticating it was registered with
    // (oidc-provider itself takes either): the form-body client may not use HTTP Basic.
    if (path === '/token' && req.headers.authorization?.startsWith('Basic ')) {
      const basic = Buffer.from(req.headers.authorization.slice(6), 'base64').toString('utf8');
      if (decodeURIComponent(basic.slice(0, basic.indexOf(':'))) === 'portal-post') {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: 'invalid_client',
            error_description: 'this client must send its secret in the request body',
          }),
        );
        return;
      }
    }
    if (path.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    handle(req, res);
  });

  return {
    issuer,
    clientId: 'portal',
    clientSecret,
    postClientId: 'portal-post',
    postClientSecret,
    hits,
    addAccount(account) {
      accountCount += 1;
      const id = `a${accountCount}`;
      accounts.set(id, account);
      return id;
    },
    async signIn(authorizationUrl, who) {
      const jar = new Map<string, string>();
      let url = new URL(authorizationUrl);
      for (let hop = 0; hop < MAX_HOPS; hop += 1) {
        if (url.href.startsWith(options.redirectUri)) return url;
        if (url.origin !== issuer) throw new Error(`left the provider for ${url.href}`);
        if (url.pathname.startsWith('/interaction/')) {
          if (typeof who === 'string') url.searchParams.set('login', who);
          else url.searchParams.set('deny', '1');
        }
        const res = await fetch(url, {
          redirect: 'manual',
          headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        for (const set of res.headers.getSetCookie()) {
          const [pair] = set.split(';');
          const at = pair!.indexOf('=');
          jar.set(pair!.slice(0, at), pair!.slice(at + 1));
        }
        const location = res.headers.get('location');
        if (res.status < 300 || res.status >= 400 || !location) {
          throw new Error(
            `the provider answered ${res.status} at ${url.pathname}: ${await res.text()}`,
          );
        }
        await res.arrayBuffer();
        url = new URL(location, url);
      }
      throw new Error('too many redirects at the provider');
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
