import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import type {
  SecondFactorDue,
  SignInOptions,
  SsoSettings,
  SsoSettingsChanges,
} from '../../../common/contract/staff-identity.js';
import type { StaffSession } from '../../../common/contract/auth.js';
import { invalid, type AppError } from '../../errors.js';
import { minutes } from '../../lib/clock.js';
import { ssoConfigured } from '../chambers/single-sign-on.policy.js';
import type { ServiceContext } from '../../lib/context.js';
import { createSecretBox } from '../../lib/secret-box.js';
import { hashToken } from '../../lib/tokens.js';
import type { AnonymousActor, StaffActor } from '../auth/actor.js';
import type { AuthService } from '../auth/auth.service.js';
import { findStaffByEmail } from '../auth/auth.repository.js';
import { insertAuditEvents } from '../audit/audit.repository.js';
import { audit, auditEntry, auditRead } from '../audit/audit.service.js';
import { findChamber, findChamberByKey } from '../chambers/chamber.repository.js';
import { relyingParty } from '../../lib/relying-party.js';
import {
  insertChallenge,
  takeChallengeByValue,
} from '../staff-identity/second-factor.repository.js';
import { clearSso, deleteSsoRequests, updateSso } from './sso.repository.js';

type Chamber = NonNullable<Awaited<ReturnType<typeof findChamber>>>;

/** How long a sign-in may stay at the provider before its answer is refused. */
export const SSO_REQUEST_MS = minutes(10);
/** Seconds the provider has to answer each request (discovery, token, userinfo). */
export const PROVIDER_TIMEOUT_S = 5;
/** How long a provider's discovered metadata is reused before it is fetched again. */
const METADATA_REUSE_MS = minutes(5);
/** The scopes asked for: the email (and whether it is verified) is what users are matched by. */
const SCOPE = 'openid email profile';

/**
 * Why a single sign-on was refused, as its audit row (`staff.sso_refused`) and the staff app's
 * `?sso_error=` name it.
 */
export type SsoRefusal =
  | 'not_configured'
  | 'wrong_state'
  | 'wrong_nonce'
  | 'provider_error'
  | 'email_not_verified'
  | 'unknown_user'
  | 'inactive'
  | 'locked';

export type SsoSignIn =
  | {
      ok: true;
      token: string;
      expiresAt: Date;
      session: StaffSession | SecondFactorDue;
    }
  | {
      ok: false;
      reason: SsoRefusal;
      /** For the server log only (never the browser nor the audit): what the provider said. */
      detail?: string;
    };

export type SsoStart =
  | {
      ok: true;
      /** The provider's authorization endpoint with this request's parameters. */
      url: string;
      /** Ties the provider's answer to this browser (the route keeps it in a cookie). */
      binding: string;
    }
  | { ok: false; reason: SsoRefusal; detail?: string };

/**
 * RFC 8176 authentication method references by kind of factor: something the user knows, has,
 * or is. Values that are no factor of their own (geo, rba, mca, wia, user) count for nothing.
 */
const FACTOR_KIND: Record<string, 'knows' | 'has' | 'is'> = {
  pwd: 'knows',
  pin: 'knows',
  kba: 'knows',
  hwk: 'has',
  swk: 'has',
  otp: 'has',
  sms: 'has',
  tel: 'has',
  sc: 'has',
  pop: 'has',
  fpt: 'is',
  face: 'is',
  iris: 'is',
  retina: 'is',
  vbm: 'is',
};

/** `acr` values that name a multi-factor sign-in (besides any whose last part is `mfa`). */
const MULTI_FACTOR_ACR = new Set([
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
  'https://refeds.org/profile/mfa',
  'urn:okta:loa:2fa:any',
  'phr',
  'phrh',
]);

/**
 * Rule 19: whether the provider reports a multi-factor sign-in, which then counts as the second
 * factor: `amr` holds `mfa`, or methods of two different kinds (e.g. `pwd` and `otp`, `hwk` and
 * `pin`, `swk` and `fpt`); or `acr` is one of the multi-factor policies above or ends in `mfa`.
 */
export function isMultiFactor(amr: unknown, acr: unknown): boolean {
  const methods = Array.isArray(amr) ? amr.filter((m): m is string => typeof m === 'string') : [];
  if (methods.includes('mfa')) return true;
  const kinds = new Set(methods.map((m) => FACTOR_KIND[m]).filter((k) => k !== undefined));
  if (kinds.size >= 2) return true;
  if (typeof acr !== 'string') return false;
  return MULTI_FACTOR_ACR.has(acr) || acr.split(/[:/#]/).at(-1) === 'mfa';
}

/** The hosts an issuer may be reached on over plain http: this machine only (tests, trials). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The issuer as a URL, or a 422 naming what is wrong with it. */
function checkIssuer(raw: string): URL {
  const refuse = (message: string) => invalid('validation_failed', message, 'issuer');
  const url = URL.parse(raw.trim());
  if (!url) throw refuse('The issuer must be a URL, such as https://login.example.com.');
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)))
    throw refuse(
      'The issuer must be an https:// URL (http:// only on this machine: 127.0.0.1, ::1, localhost).',
    );
  if (url.username || url.password || url.search || url.hash)
    throw refuse('The issuer must not contain a user name, password, query or fragment.');
  return url;
}

/** What went wrong talking to the provider, for the server log (no token or claim in it). */
function describeError(error: unknown): string {
  if (error instanceof oidc.ResponseBodyError)
    return `${error.status} ${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof oidc.AuthorizationResponseError)
    return `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
  if (error instanceof oidc.WWWAuthenticateChallengeError)
    return `${error.status} ${error.message}`;
  if (error instanceof oidc.ClientError) return `${error.code ?? 'error'}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The ID token's nonce is not the one this sign-in sent. */
function isNonceMismatch(error: unknown): boolean {
  const cause =
    error instanceof oidc.ClientError ? (error.cause as { cause?: unknown }) : undefined;
  const details = cause?.cause as { claim?: unknown } | undefined;
  return error instanceof oidc.ClientError && details?.claim === 'nonce';
}

/** The token endpoint refused the client's credentials (as opposed to the code). */
function isInvalidClient(error: unknown): boolean {
  return (
    (error instanceof oidc.ResponseBodyError && error.error === 'invalid_client') ||
    (error instanceof oidc.WWWAuthenticateChallengeError && error.status === 401)
  );
}

/** The message an admin sees when the provider cannot be looked up. */
function unreachable(issuer: URL, error: unknown): AppError {
  const code = error instanceof oidc.ClientError ? error.code : undefined;
  const body =
    error instanceof oidc.ClientError
      ? (error.cause as { body?: { issuer?: unknown } } | undefined)?.body
      : undefined;
  const reason =
    code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
      ? `it names its issuer ${typeof body?.issuer === 'string' ? `"${body.issuer}"` : 'differently'}: enter the issuer exactly as the provider spells it`
      : code === 'OAUTH_TIMEOUT'
        ? `it did not answer within ${PROVIDER_TIMEOUT_S} seconds`
        : code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' || code === 'OAUTH_RESPONSE_IS_NOT_JSON'
          ? 'no OpenID Connect discovery document was found there'
          : 'it could not be reached';
  return invalid(
    'sso_issuer_unreachable',
    `The provider at ${issuer.origin} was not found (${reason}). Check the issuer URL; it must answer ${new URL('.well-known/openid-configuration', issuer.href.endsWith('/') ? issuer : `${issuer.href}/`).href}.`,
    'issuer',
  );
}

/** A chamber's provider as a sign-in uses it. */
interface Provider {
  configuration: oidc.Configuration;
  /** How the client secret is sent: HTTP Basic, or in the form body. */
  method: 'basic' | 'post';
  issuer: URL;
  clientId: string;
  secret: string;
}

/** Single sign-on with OpenID Connect (rule 19): settings, the sign-in page's options, sign-in. */
export function createSsoService(ctx: ServiceContext, auth: AuthService) {
  const { db, clock, config } = ctx;
  const box = createSecretBox(config);
  const redirectUri = `${config.publicUrl}/api/v1/staff/sso/callback`;
  const passkeys = relyingParty(config).available;

  /**
   * The provider's metadata and the client, by OpenID discovery (the issuer in the document
   * must be the one asked for); the client sends its secret with HTTP Basic.
   */
  async function discover(
    issuer: URL,
    clientId: string,
    secret: string,
  ): Promise<oidc.Configuration> {
    return oidc.discovery(issuer, clientId, undefined, oidc.ClientSecretBasic(secret), {
      timeout: PROVIDER_TIMEOUT_S,
      // Plain http is allowed only on a loopback host (checkIssuer).
      execute: issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : [],
    });
  }

  /** The same provider with the client's secret sent in the form body (client_secret_post). */
  function withSecretInBody(
    configuration: oidc.Configuration,
    issuer: URL,
    clientId: string,
    secret: string,
  ): oidc.Configuration {
    const other = new oidc.Configuration(
      configuration.serverMetadata(),
      clientId,
      undefined,
      oidc.ClientSecretPost(secret),
    );
    other.timeout = PROVIDER_TIMEOUT_S;
    if (issuer.protocol === 'http:') oidc.allowInsecureRequests(other);
    return other;
  }

  /** Which way of sending the client secret to try first, from the provider's metadata. */
  function authMethods(configuration: oidc.Configuration): ('basic' | 'post')[] {
    const offered = configuration.serverMetadata().token_endpoint_auth_methods_supported;
    if (!offered) return ['basic', 'post'];
    const methods: ('basic' | 'post')[] = [];
    if (offered.includes('client_secret_basic')) methods.push('basic');
    if (offered.includes('client_secret_post')) methods.push('post');
    return methods.length > 0 ? methods : ['basic'];
  }

  // Discovered providers by chamber, reused for a few minutes while the settings stay the same:
  // a sign-in asks twice (start, callback).
  const providers = new Map<string, { at: number; settings: string; provider: Provider }>();
  const settingsOf = (chamber: Chamber) =>
    [chamber.ssoIssuer, chamber.ssoClientId, chamber.ssoClientSecret].join('\n');
  const remember = (chamber: Chamber, provider: Provider) =>
    providers.set(chamber.id, { at: performance.now(), settings: settingsOf(chamber), provider });

  /** The chamber's provider (discovered, or reused from a recent sign-in). */
  async function providerOf(chamber: Chamber): Promise<Provider> {
    const known = providers.get(chamber.id);
    if (
      known &&
      known.settings === settingsOf(chamber) &&
      performance.now() - known.at < METADATA_REUSE_MS
    )
      return known.provider;
    const issuer = new URL(chamber.ssoIssuer!);
    const clientId = chamber.ssoClientId!;
    const secret = box.open(chamber.ssoClientSecret!);
    const discovered = await discover(issuer, clientId, secret);
    const method = authMethods(discovered)[0]!;
    const provider: Provider = {
      configuration:
        method === 'post' ? withSecretInBody(discovered, issuer, clientId, secret) : discovered,
      method,
      issuer,
      clientId,
      secret,
    };
    remember(chamber, provider);
    return provider;
  }

  /** Records a refused single sign-on (rule 6), naming the user when one was found. */
  async function refuse(
    chamber: Chamber | undefined,
    anon: AnonymousActor,
    reason: SsoRefusal,
    who: { userId?: string; label?: string } = {},
    detail?: string,
  ): Promise<{ ok: false; reason: SsoRefusal; detail?: string }> {
    if (chamber) {
      await insertAuditEvents(db, [
        auditEntry(
          chamber.id,
          anon,
          clock(),
          {
            action: 'staff.sso_refused',
            ...(who.userId ? { subjectType: 'user', subjectId: who.userId } : {}),
            details: { reason },
          },
          who.label?.slice(0, 254),
        ),
      ]);
    }
    return { ok: false, reason, ...(detail === undefined ? {} : { detail }) };
  }

  /** The chamber's settings as the Security screen shows them (never the secret). */
  function present(chamber: Chamber): SsoSettings {
    return {
      configured: ssoConfigured(chamber),
      issuer: chamber.ssoIssuer,
      clientId: chamber.ssoClientId,
      clientSecretSet: chamber.ssoClientSecret !== null,
      name: chamber.ssoName,
      allowPasswordSignIn: chamber.ssoAllowPasswordSignIn,
      redirectUri,
    };
  }

  async function chamberOf(actor: StaffActor): Promise<Chamber> {
    const chamber = await findChamber(db, actor.chamberId);
    if (!chamber) throw new Error('the session names no chamber');
    return chamber;
  }

  return {
    /** Admin > Configuration > Security > Single sign-on (audited as a read of settings). */
    async settings(actor: StaffActor): Promise<SsoSettings> {
      const chamber = await chamberOf(actor);
      await auditRead(ctx, actor, clock(), {
        action: 'settings.viewed',
        subjectType: 'chamber',
        subjectId: actor.chamberId,
        details: { section: 'single_sign_on' },
      });
      return present(chamber);
    },

    /**
     * Saves single sign-on after looking the provider up (OpenID discovery, its issuer must be
     * the one given); the client secret is stored sealed. Nothing is saved when the lookup fails.
     */
    async save(actor: StaffActor, input: SsoSettingsChanges): Promise<SsoSettings> {
      const chamber = await chamberOf(actor);
      const issuer = checkIssuer(input.issuer);
      const clientId = input.clientId.trim();
      if (clientId === '') throw invalid('validation_failed', 'Enter the client id.', 'clientId');
      let saved: string | undefined;
      if (chamber.ssoClientSecret !== null) {
        try {
          saved = box.open(chamber.ssoClientSecret);
        } catch {
          // Sealed with another key (PORTAL_SECRET_KEY changed): it must be entered again.
        }
      }
      const secret = input.clientSecret ?? saved;
      if (secret === undefined) {
        throw invalid(
          'validation_failed',
          chamber.ssoClientSecret === null
            ? 'Enter the client secret the provider gave for this application.'
            : "The saved client secret cannot be read with this server's key (PORTAL_SECRET_KEY): enter it again.",
          'clientSecret',
        );
      }
      let configuration: oidc.Configuration;
      try {
        configuration = await discover(issuer, clientId, secret);
      } catch (error) {
        throw unreachable(issuer, error);
      }
      const discovered = configuration.serverMetadata().issuer;
      if (/[{}]/.test(discovered)) {
        // Microsoft's multi-tenant addresses (common, organizations) vouch for any tenant's users.
        throw invalid(
          'validation_failed',
          'This address lets users of any organisation sign in: use the issuer of your own tenant or organisation.',
          'issuer',
        );
      }
      const name = input.name?.trim() || null;
      const secretChanged = input.clientSecret !== undefined && input.clientSecret !== saved;
      const now = clock();
      const sso = {
        // As the provider spells it: ID tokens must name exactly this issuer.
        issuer: discovered,
        clientId,
        name,
        allowPasswordSignIn: input.allowPasswordSignIn,
      };
      await db.transaction(async (tx) => {
        await updateSso(
          tx,
          chamber.id,
          { ...sso, ...(secretChanged ? { sealedSecret: box.seal(secret) } : {}) },
          now,
        );
        await audit(tx, actor, now, {
          action: 'settings.sso_updated',
          subjectType: 'chamber',
          subjectId: chamber.id,
          details: { ...sso, secretChanged },
        });
      });
      return present((await findChamber(db, chamber.id))!);
    },

    /** Removes single sign-on: staff sign in with passwords again. */
    async remove(actor: StaffActor): Promise<void> {
      const chamber = await chamberOf(actor);
      if (chamber.ssoIssuer === null && chamber.ssoClientSecret === null) return;
      const now = clock();
      await db.transaction(async (tx) => {
        await clearSso(tx, chamber.id, now);
        await deleteSsoRequests(tx, chamber.id);
        await audit(tx, actor, now, {
          action: 'settings.sso_removed',
          subjectType: 'chamber',
          subjectId: chamber.id,
          details: { issuer: chamber.ssoIssuer, clientId: chamber.ssoClientId },
        });
      });
    },

    /**
     * What the staff sign-in page offers for a clinic code. An unknown code answers as a clinic
     * with nothing configured does.
     */
    async signInOptions(chamberKey: string): Promise<SignInOptions> {
      const key = chamberKey.trim().toLowerCase();
      const chamber = await findChamberByKey(db, key);
      if (!chamber || !ssoConfigured(chamber)) {
        return { singleSignOn: null, passwordSignIn: true, passkeys };
      }
      return {
        singleSignOn: {
          name: chamber.ssoName ?? new URL(chamber.ssoIssuer!).host,
          startUrl: `/api/v1/staff/sso/start?chamber=${encodeURIComponent(key)}`,
        },
        passwordSignIn: chamber.ssoAllowPasswordSignIn,
        passkeys,
      };
    },

    /**
     * Starts a sign-in at the chamber's provider: a state, a nonce and a PKCE verifier (S256),
     * kept for 10 minutes (the verifier sealed, the state only as its hash).
     */
    async start(anon: AnonymousActor, chamberKey: string): Promise<SsoStart> {
      const chamber = await findChamberByKey(db, chamberKey.trim().toLowerCase());
      if (!chamber || !ssoConfigured(chamber)) return { ok: false, reason: 'not_configured' };
      let configuration: oidc.Configuration;
      try {
        configuration = (await providerOf(chamber)).configuration;
      } catch (error) {
        return refuse(chamber, anon, 'provider_error', {}, describeError(error));
      }
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const verifier = oidc.randomPKCECodeVerifier();
      const now = clock();
      await insertChallenge(db, {
        chamberId: chamber.id,
        id: randomUUID(),
        purpose: 'sso',
        challenge: hashToken(state),
        secret: box.seal(verifier),
        nonce,
        createdAt: now,
        expiresAt: new Date(now.getTime() + SSO_REQUEST_MS),
      });
      const url = oidc.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        response_type: 'code',
        state,
        nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      return { ok: true, url: url.href, binding: `${chamber.id}.${state}` };
    },

    /**
     * The provider's answer: the request is taken by its state (once), must come back to the
     * browser that started it, and the code is exchanged with the PKCE verifier and the nonce
     * checked. The user is the one whose email the provider verified, in that chamber only;
     * nobody is created. A multi-factor sign-in at the provider counts as the second factor.
     */
    async finish(
      anon: AnonymousActor,
      params: URLSearchParams,
      binding: string | undefined,
    ): Promise<SsoSignIn> {
      const now = clock();
      const state = params.get('state') ?? undefined;
      const [boundChamberId, boundState] = binding?.split('.') ?? [];
      const challenge =
        state && state.length <= 200
          ? await takeChallengeByValue(db, 'sso', hashToken(state), now)
          : undefined;
      const chamberId =
        challenge?.chamberId ??
        (boundChamberId && /^[0-9a-f-]{36}$/i.test(boundChamberId) ? boundChamberId : undefined);
      const chamber = chamberId ? await findChamber(db, chamberId) : undefined;
      if (
        !challenge ||
        !state ||
        boundState !== state ||
        boundChamberId !== challenge.chamberId ||
        !challenge.secret ||
        !challenge.nonce
      ) {
        return refuse(chamber, anon, 'wrong_state');
      }
      if (!chamber || !ssoConfigured(chamber)) return refuse(chamber, anon, 'not_configured');
      if (params.has('error')) {
        return refuse(
          chamber,
          anon,
          'provider_error',
          {},
          `the provider answered ${params.get('error')}`,
        );
      }

      const currentUrl = new URL(redirectUri);
      for (const [name, value] of params) currentUrl.searchParams.append(name, value);
      let provider: Provider;
      let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
      try {
        provider = await providerOf(chamber);
        const checks = {
          expectedState: state,
          expectedNonce: challenge.nonce,
          pkceCodeVerifier: box.open(challenge.secret),
          idTokenExpected: true,
        };
        try {
          tokens = await oidc.authorizationCodeGrant(provider.configuration, currentUrl, checks);
        } catch (error) {
          // Providers differ in how they want the secret, and a refused client does not use the
          // code up: the other way is tried once, and kept when it works.
          if (
            !isInvalidClient(error) ||
            provider.method !== 'basic' ||
            !authMethods(provider.configuration).includes('post')
          )
            throw error;
          const { issuer, clientId, secret } = provider;
          provider = {
            ...provider,
            configuration: withSecretInBody(provider.configuration, issuer, clientId, secret),
            method: 'post',
          };
          tokens = await oidc.authorizationCodeGrant(provider.configuration, currentUrl, checks);
          remember(chamber, provider);
        }
      } catch (error) {
        return refuse(
          chamber,
          anon,
          isNonceMismatch(error) ? 'wrong_nonce' : 'provider_error',
          {},
          describeError(error),
        );
      }

      const claims = tokens.claims();
      if (!claims) return refuse(chamber, anon, 'provider_error', {}, 'no ID token');
      let email: unknown = claims.email;
      let verified: unknown = claims.email_verified;
      // Most providers give the email in the userinfo answer only, unless asked otherwise.
      if (email === undefined || verified === undefined) {
        try {
          const info = await oidc.fetchUserInfo(
            provider.configuration,
            tokens.access_token,
            claims.sub,
          );
          email = info.email ?? email;
          verified = info.email_verified ?? verified;
        } catch (error) {
          return refuse(chamber, anon, 'provider_error', {}, describeError(error));
        }
      }
      const label = typeof email === 'string' ? email : undefined;
      // Some providers send the flag as a string.
      if (verified !== true && verified !== 'true') {
        return refuse(chamber, anon, 'email_not_verified', { label });
      }
      const user =
        typeof email === 'string' && email.length <= 254
          ? await findStaffByEmail(db, chamber.id, email.trim())
          : undefined;
      if (!user) return refuse(chamber, anon, 'unknown_user', { label });
      const who = { userId: user.id, label: user.name };
      if (!user.active) return refuse(chamber, anon, 'inactive', who);
      if (user.lockedUntil && user.lockedUntil > now) return refuse(chamber, anon, 'locked', who);

      const signedIn = await auth.openStaffSession({
        anon,
        chamber,
        user: { id: user.id, name: user.name, email: user.email, isAdmin: user.isAdmin },
        method: 'sso',
        secondFactor: isMultiFactor(claims.amr, claims.acr) ? 'sso_mfa' : null,
      });
      return { ok: true, ...signedIn };
    },
  };
}

export type SsoService = ReturnType<typeof createSsoService>;
