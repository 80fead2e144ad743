import { isIP } from 'node:net';
import path from 'node:path';

/** Which parts of the product a process runs: HTTP, background jobs, or both. */
export type ProcessRole = 'web' | 'worker' | 'all';

/** Everything the product reads from its environment, parsed and checked once. */
export interface Config {
  host: string;
  port: number;
  /** Folder for the embedded database, dev mail and uploaded files. */
  dataDir: string;
  /**
   * Where patient documents are stored (default DATA_DIR/documents); with `s3` set, only uploads
   * on their way to the bucket wait here (`.incoming`).
   */
  documentsDir: string;
  /** Documents in an S3-compatible bucket instead of `documentsDir` (PORTAL_S3_BUCKET set). */
  s3: S3Settings | undefined;
  /** Largest document accepted, in bytes. */
  maxUploadBytes: number;
  /** PostgreSQL connection string; when absent the embedded database in `dataDir` is used. */
  databaseUrl: string | undefined;
  /** Size of the PostgreSQL connection pool. */
  databasePoolSize: number;
  /** SMTP server for outgoing email; when absent, email is written as .eml files. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The address people use to reach the product; used in email links and for cookie security. */
  publicUrl: string;
  /** Cookies get `Secure` and the `__Host-` prefix when the public address is https. */
  secureCookies: boolean;
  /**
   * Which `X-Forwarded-*` to believe (Fastify's trustProxy): none, all (true: the client's own
   * header counts too), the last n proxies' entries, or entries added by these addresses.
   */
  trustProxy: boolean | number | string[];
  sessionIdleMinutes: number;
  sessionAbsoluteHours: number;
  /** Items shared within this window make one "something new" email. */
  sharedItemsEmailDelaySeconds: number;
  workerPollMs: number;
  /**
   * A message's notifications are written in its own transaction up to this many members of its
   * roles; beyond, by the job worker just after (issue 18).
   */
  notificationsInlineLimit: number;
  /**
   * The audit rows of reads wait for the WAL flush as every commit does (true), or not (false,
   * the default: docs/decisions/0007-read-audit-commit.md). Writes always wait.
   */
  auditReadsDurable: boolean;
  /** Live events: how often streams get a heartbeat and their session is checked again. */
  eventsHeartbeatMs: number;
  /** Live events: how often new messages are looked for even without a NOTIFY. */
  eventsPollMs: number;
  /** Sign-in and reset requests allowed per address per minute. */
  signInRateLimitPerMinute: number;
  logLevel: string;
  role: ProcessRole;
  /**
   * Apply pending migrations at start-up (PORTAL_MIGRATE, default true). With false, a process
   * whose schema is behind refuses to start; the restricted database role never migrates.
   */
  migrate: boolean;
  /**
   * The key that encrypts stored secrets (authenticator app secrets, the single sign-on client
   * secret): PORTAL_SECRET_KEY, 32 bytes as base64 or hex. Absent: a key kept in
   * DATA_DIR/secret.key, made on first use (fine for one machine; several web processes must
   * share PORTAL_SECRET_KEY).
   */
  secretKey: Buffer | undefined;
}

/** Where document bytes live when PORTAL_S3_BUCKET is set: an S3-compatible bucket. */
export interface S3Settings {
  bucket: string;
  /** An S3-compatible service's address (MinIO, Ceph, ...); absent: AWS S3 in `region`. */
  endpoint: string | undefined;
  region: string;
  /** Address the bucket in the path (`host/bucket/key`) rather than the host name. */
  forcePathStyle: boolean;
  /** Absent: the AWS SDK's default credential chain (AWS_* variables, profile, instance role). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Written before every key, `<prefix><chamber id>/<document id>`: empty or ending in `/`. */
  prefix: string;
}

/** Raised when the environment holds invalid settings; lists every problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n- ${problems.join('\n- ')}`);
  }
}

function intIn(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return value;
}

function optionalUrl(
  env: NodeJS.ProcessEnv,
  name: string,
  protocols: string[],
  problems: string[],
): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    const url = new URL(raw);
    if (!protocols.includes(url.protocol)) {
      problems.push(`${name} must start with ${protocols.join(' or ')}`);
    }
    return raw;
  } catch {
    problems.push(`${name} is not a valid URL`);
    return undefined;
  }
}

/** PORTAL_SECRET_KEY: 32 bytes written as 64 hex digits or as base64. */
function secretKeyFrom(value: string | undefined, problems: string[]): Buffer | undefined {
  if (value === undefined || value === '') return undefined;
  const key = /^[0-9a-fA-F]{64}$/.test(value)
    ? Buffer.from(value, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(value)
      ? Buffer.from(value, 'base64')
      : undefined;
  if (key?.length !== 32) {
    problems.push(
      'PORTAL_SECRET_KEY must be 32 random bytes as 64 hex digits or base64 (e.g. `openssl rand -base64 32`)',
    );
    return undefined;
  }
  return key;
}

const S3_VARIABLES = [
  'PORTAL_S3_ENDPOINT',
  'PORTAL_S3_REGION',
  'PORTAL_S3_ACCESS_KEY_ID',
  'PORTAL_S3_SECRET_ACCESS_KEY',
  'PORTAL_S3_FORCE_PATH_STYLE',
  'PORTAL_S3_PREFIX',
];

/** PORTAL_S3_*: the bucket for documents, or undefined to keep them in PORTAL_DOCUMENTS_DIR. */
function s3From(env: NodeJS.ProcessEnv, problems: string[]): S3Settings | undefined {
  const value = (name: string) =>
    env[name] === undefined || env[name] === '' ? undefined : env[name];
  const bucket = value('PORTAL_S3_BUCKET');
  if (bucket === undefined) {
    const stray = S3_VARIABLES.filter((name) => value(name) !== undefined);
    if (stray.length > 0) {
      problems.push(
        `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but PORTAL_S3_BUCKET is not: set it to keep documents in object storage, or remove ${stray.length === 1 ? 'it' : 'them'}`,
      );
    }
    return undefined;
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    problems.push(
      `PORTAL_S3_BUCKET must be a bucket name: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit (got "${bucket}")`,
    );
  }
  const endpoint = optionalUrl(env, 'PORTAL_S3_ENDPOINT', ['http:', 'https:'], problems);
  const region = value('PORTAL_S3_REGION') ?? 'us-east-1';
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(region)) {
    problems.push(
      `PORTAL_S3_REGION must be a region name such as eu-west-1 (letters, digits and hyphens; got "${region}")`,
    );
  }
  const pathStyle = value('PORTAL_S3_FORCE_PATH_STYLE');
  if (pathStyle !== undefined && pathStyle !== 'true' && pathStyle !== 'false') {
    problems.push(`PORTAL_S3_FORCE_PATH_STYLE must be true or false (got "${pathStyle}")`);
  }
  const accessKeyId = value('PORTAL_S3_ACCESS_KEY_ID');
  const secretAccessKey = value('PORTAL_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push(
      "PORTAL_S3_ACCESS_KEY_ID and PORTAL_S3_SECRET_ACCESS_KEY go together: set both, or neither to use the AWS SDK's own credentials (AWS_* variables, a profile, an instance role)",
    );
  }
  // Keys are `<prefix><chamber id>/<document id>`: the prefix is folder names, nothing else.
  const prefix = (value('PORTAL_S3_PREFIX') ?? '').replace(/\/?$/, '/').replace(/^\/$/, '');
  if (prefix.length > 200 || !/^([A-Za-z0-9_-][A-Za-z0-9._-]*\/)*$/.test(prefix)) {
    problems.push(
      `PORTAL_S3_PREFIX must be folder names of letters, digits, dots, hyphens and underscores separated by "/", at most 200 characters, such as portal/documents/ (got "${env.PORTAL_S3_PREFIX}")`,
    );
  }
  return {
    bucket,
    endpoint,
    region,
    // An S3-compatible service is usually reached by path; AWS S3 by the bucket's host name.
    forcePathStyle: pathStyle === undefined ? endpoint !== undefined : pathStyle === 'true',
    credentials:
      accessKeyId !== undefined && secretAccessKey !== undefined
        ? { accessKeyId, secretAccessKey }
        : undefined,
    prefix,
  };
}

/**
 * PORTAL_TRUST_PROXY: `false` (default), `true` (every X-Forwarded-For entry, the client's own
 * included), a number of proxy hops (1: the address the nearest proxy added, which a client
 * cannot write), or a comma-separated list of the proxies' addresses or CIDR ranges.
 */
function trustProxyFrom(raw: string | undefined, problems: string[]): boolean | number | string[] {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 10) return hops;
  } else {
    const list = value.split(',').map((a) => a.trim());
    const address = (a: string) => {
      const [ip, prefix, ...rest] = a.split('/');
      const version = isIP(ip ?? '');
      if (version === 0 || rest.length > 0) return false;
      if (prefix === undefined) return true;
      return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
    };
    if (list.length > 0 && list.every(address)) return list;
  }
  problems.push(
    `PORTAL_TRUST_PROXY must be true, false, a number of proxies from 1 to 10, or the proxies' addresses (e.g. 127.0.0.1,10.0.0.0/8) (got "${value}")`,
  );
  return false;
}

/**
 * Reads the configuration from environment variables (the only place that does) and
 * command-line arguments; defaults make the demo work on a new machine.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): Config {
  const problems: string[] = [];
  const port = intIn(env, 'PORT', 3000, 1, 65535, problems);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  const publicUrl =
    optionalUrl(env, 'PORTAL_PUBLIC_URL', ['http:', 'https:'], problems) ??
    `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const roleArg = argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) ?? 'all';
  if (!['web', 'worker', 'all'].includes(roleArg)) {
    problems.push(`--role must be web, worker or all (got "${roleArg}")`);
  }
  const dataDir = path.resolve(env.DATA_DIR && env.DATA_DIR !== '' ? env.DATA_DIR : './data');
  const config: Config = {
    host,
    port,
    dataDir,
    documentsDir: path.resolve(
      env.PORTAL_DOCUMENTS_DIR && env.PORTAL_DOCUMENTS_DIR !== ''
        ? env.PORTAL_DOCUMENTS_DIR
        : path.join(dataDir, 'documents'),
    ),
    s3: s3From(env, problems),
    maxUploadBytes: intIn(env, 'PORTAL_MAX_UPLOAD_MB', 10, 1, 100, problems) * 1024 * 1024,
    databaseUrl: optionalUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], problems),
    databasePoolSize: intIn(env, 'PORTAL_DATABASE_POOL_SIZE', 10, 1, 200, problems),
    smtpUrl: optionalUrl(env, 'SMTP_URL', ['smtp:', 'smtps:'], problems),
    mailFrom:
      env.PORTAL_MAIL_FROM && env.PORTAL_MAIL_FROM !== ''
        ? env.PORTAL_MAIL_FROM
        : 'Patient Portal <no-reply@portal.invalid>',
    publicUrl: publicUrl.replace(/\/+$/, ''),
    secureCookies: publicUrl.startsWith('https:'),
    trustProxy: trustProxyFrom(env.PORTAL_TRUST_PROXY, problems),
    sessionIdleMinutes: intIn(env, 'PORTAL_SESSION_IDLE_MINUTES', 15, 1, 24 * 60, problems),
    sessionAbsoluteHours: intIn(env, 'PORTAL_SESSION_ABSOLUTE_HOURS', 12, 1, 24 * 30, problems),
    sharedItemsEmailDelaySeconds: intIn(
      env,
      'PORTAL_SHARED_ITEMS_EMAIL_DELAY_SECONDS',
      300,
      0,
      24 * 3600,
      problems,
    ),
    workerPollMs: intIn(env, 'PORTAL_WORKER_POLL_MS', 1000, 50, 60_000, problems),
    notificationsInlineLimit: intIn(
      env,
      'PORTAL_NOTIFICATIONS_INLINE_LIMIT',
      100,
      0,
      100_000,
      problems,
    ),
    eventsHeartbeatMs: intIn(env, 'PORTAL_EVENTS_HEARTBEAT_MS', 20_000, 100, 300_000, problems),
    eventsPollMs: intIn(env, 'PORTAL_EVENTS_POLL_MS', 5_000, 100, 300_000, problems),
    signInRateLimitPerMinute: intIn(env, 'PORTAL_SIGN_IN_RATE_LIMIT', 20, 1, 100_000, problems),
    logLevel: env.PORTAL_LOG_LEVEL && env.PORTAL_LOG_LEVEL !== '' ? env.PORTAL_LOG_LEVEL : 'info',
    role: roleArg as ProcessRole,
    migrate: env.PORTAL_MIGRATE !== 'false',
    auditReadsDurable: env.PORTAL_AUDIT_READS_DURABLE === 'true',
    secretKey: secretKeyFrom(env.PORTAL_SECRET_KEY, problems),
  };
  for (const name of ['PORTAL_MIGRATE', 'PORTAL_AUDIT_READS_DURABLE']) {
    if (!['', 'true', 'false', undefined].includes(env[name])) {
      problems.push(`${name} must be true or false (got "${env[name]}")`);
    }
  }
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(config.logLevel)) {
    problems.push('PORTAL_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
