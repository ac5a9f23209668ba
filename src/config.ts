// All configuration comes from environment variables and is validated here, once, at start-up.
// A bad value throws ConfigError whose message is one line naming the variable.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type AuthMode = 'open' | 'token';
export type LogFormat = 'auto' | 'json' | 'pretty';
/**
 * Which proxies may tell us the client's address (X-Forwarded-For), in Fastify's terms: false (none),
 * true (every hop: only when nothing but trusted proxies can reach the service), a number of hops, or
 * the addresses/CIDRs of the trusted proxies.
 */
export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * DATABASE_POOL_MODE: what sits between the service and PostgreSQL. `session` (a direct connection, or a
 * pooler in session mode): each connection keeps its session, so the time zone, statement timeout and
 * planner settings are sent once as startup parameters. `transaction` (PgBouncer in transaction mode,
 * CloudNativePG's Pooler): consecutive transactions may run on different server connections, so no
 * startup parameter is sent and every setting is made per transaction (src/db/postgres.ts).
 */
export type PoolMode = 'session' | 'transaction';

export type DatabaseConfig =
  | {
      kind: 'postgres';
      connectionString: string;
      poolMax: number;
      display: string;
      /** Absent: `session`. */
      poolMode?: PoolMode;
      /**
       * DATABASE_DIRECT_URL: a connection with a session of its own (PostgreSQL itself, or a session-mode
       * pool), for what needs one: LISTEN for live updates, migrations (a session-level advisory lock) and
       * the operator commands. Absent: connectionString.
       */
      directConnectionString?: string;
    }
  | { kind: 'embedded'; dataDir: string };

export interface Config {
  host: string;
  port: number;
  timezone: string;
  /** DAY_STARTS_AT, 'HH:MM' in APP_TIMEZONE: when an attendance day begins (src/domain/attendance-day.ts). */
  dayStartsAt: string;
  logLevel: LogLevel;
  /** `auto`: human-readable lines when stdout is a terminal, JSON otherwise. */
  logFormat: LogFormat;
  database: DatabaseConfig;
  migrateOnStart: boolean;
  shutdownDrainSeconds: number;
  /** How long `serve` waits for its first contact with PostgreSQL before it gives up (0: for ever). */
  databaseStartTimeoutSeconds: number;
  shutdownTimeoutSeconds: number;
  authMode: AuthMode;
  auth: AuthConfig;
  /** Operability (docs/OPERATIONS.md): separate metrics listener, HTTP limits, write rate limit. */
  metricsPort: number | undefined;
  trustProxy: TrustProxy;
  rateLimitWritesPerMinute: number;
  httpHeadersTimeoutSeconds: number;
  httpRequestTimeoutSeconds: number;
  /** Versioned check-in API: how far back a kiosk may date an entry, and the duplicate window. */
  checkins: { backdateWindowHours: number; duplicateWindowSeconds: number };
  /** Check-ins older than this many days are pruned daily (src/retention); undefined = kept forever. */
  retentionDays: number | undefined;
  /** Group commit of check-in writes (see src/checkins/checkin-writer.ts); maxRows 1 = one row per commit. */
  writeBatch: { windowMs: number; maxRows: number };
  /** Sign-in with OpenID Connect beside passwords (src/features/staff/oidc-*.ts); undefined = off. */
  oidc: OidcConfig | undefined;
  /** Webhooks (src/features/webhooks): may endpoints be on loopback, private or link-local addresses? */
  webhooks: { allowPrivateNetworks: boolean };
  /** E-mail (src/features/mail): SMTP_URL(_FILE) and MAIL_FROM; undefined = not configured, nothing is sent. */
  mail: MailConfig | undefined;
  /** ORGANISATION_NAME: how messages and their templates name the organisation. */
  organisationName: string;
  /** MAIL_LANGUAGE: the language of every e-mail message (src/features/mail/mail-templates.ts). */
  mailLanguage: 'en' | 'de';
}

/** Where e-mail goes out: an smtp:// or smtps:// URL (credentials allowed) and the sender address. */
export interface MailConfig {
  smtpUrl: URL;
  from: string;
}

/** OIDC_*: the provider, this client, and which claims give the username, role and led groups. */
export interface OidcConfig {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** A claim holding one of owner/manager/leader/viewer, or an array of them (the most powerful wins). */
  roleClaim: string;
  /** For a leader: a claim holding the ids of the groups they lead. */
  groupsClaim: string;
  /** The username; when absent, `email`, then `sub`. */
  usernameClaim: string;
  /** The public callback URL; undefined = derived from each request (scheme and host). */
  redirectUrl: URL | undefined;
}

/** Admin sign-in and sessions (src/auth). */
export interface AuthConfig {
  /** The first admin's name; with ADMIN_PASSWORD (when set) it creates the first admin once, on an empty database. */
  adminUsername: string;
  adminPassword: string | undefined;
  /** A gate token for automation (helm test, smoke tests) registered at start; BOOTSTRAP_API_TOKEN(_FILE). */
  bootstrapApiToken: string | undefined;
  /** `auto`: Secure cookies when the request came over HTTPS (directly or X-Forwarded-Proto: https). */
  cookieSecure: 'auto' | 'always' | 'never';
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** How often an open live-update stream is pinged and its session re-checked (LIVE_HEARTBEAT_SECONDS). */
  liveHeartbeatSeconds: number;
  signInMaxFailures: number;
  signInWindowMinutes: number;
  /** Password checks one client address may have evaluated per window, whatever the usernames. */
  signInMaxChecksPerAddress: number;
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const AUTH_MODES: readonly AuthMode[] = ['open', 'token'];

/** The value of `name`, or undefined when unset or blank (an empty value means "use the default"). */
function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Reads NAME, or the contents of the file named by NAME_FILE (Kubernetes/Docker secret mounts). */
function readSecret(env: Env, name: string): string | undefined {
  const direct = read(env, name);
  const file = read(env, `${name}_FILE`);
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError(name, `set either ${name} or ${name}_FILE, not both`);
  }
  if (file === undefined) return direct;
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`${name}_FILE`, `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

function optionalPort(env: Env, name: string): number | undefined {
  return read(env, name) === undefined ? undefined : integer(env, name, 0, 1, 65535);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY: true/false, a hop count, or a comma-separated list of addresses and CIDRs. */
function trustProxy(env: Env, name: string): TrustProxy {
  const raw = read(env, name);
  if (raw === undefined) return false;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 32) throw new ConfigError(name, `a hop count must be from 1 to 32 (got "${raw}")`);
    // Fastify's own meaning of a number: the nearest `hops` proxies are trusted.
    return (_address: string, hop: number) => hop < hops;
  }
  const lower = raw.toLowerCase();
  if (['true', 'yes', 'on'].includes(lower)) return true;
  if (['false', 'no', 'off'].includes(lower)) return false;
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (PROXY_NAMES.has(entry.toLowerCase())) continue;
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = net.isIP(address);
    const maxPrefix = family === 6 ? 128 : 32;
    if (family === 0 || rest.length > 0 || (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > maxPrefix))) {
      throw new ConfigError(
        name,
        `must be true, false, a hop count, or a comma-separated list of proxy addresses/CIDRs such as 10.0.0.0/8 (got "${entry}")`,
      );
    }
  }
  return entries.map((entry) => (PROXY_NAMES.has(entry.toLowerCase()) ? entry.toLowerCase() : entry));
}

function timezone(env: Env, name: string): string {
  const raw = read(env, name) ?? 'UTC';
  try {
    // Throws RangeError for names that are not in the IANA database known to this runtime.
    new Intl.DateTimeFormat('en-US', { timeZone: raw });
    return raw;
  } catch {
    throw new ConfigError(name, `must be an IANA time zone name such as Europe/Berlin (got "${raw}")`);
  }
}

/** A postgres:// URL from `name`, and how it may be shown (password masked). */
function postgresUrl(name: string, url: string): { connectionString: string; display: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(name, 'is not a valid URL (expected postgres://user:password@host:5432/name)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres:// or postgresql:// (got "${parsed.protocol}//")`);
  }
  parsed.password = parsed.password ? '***' : '';
  return { connectionString: url, display: parsed.toString() };
}

function dayStartsAt(env: Env, name: string): string {
  const raw = read(env, name) ?? '00:00';
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(raw)) {
    throw new ConfigError(name, `must be a time of day HH:MM from 00:00 to 23:59, such as 04:00 (got "${raw}")`);
  }
  return raw;
}

function database(env: Env): DatabaseConfig {
  const server = databaseServer(env);
  const poolMode = oneOf(env, 'DATABASE_POOL_MODE', ['session', 'transaction'] as const, 'session');
  const direct = read(env, 'DATABASE_DIRECT_URL');
  if (server.kind === 'embedded') {
    if (poolMode !== 'session')
      throw new ConfigError('DATABASE_POOL_MODE', 'transaction needs DATABASE_URL (a PostgreSQL server behind a pooler)');
    if (direct !== undefined) throw new ConfigError('DATABASE_DIRECT_URL', 'needs DATABASE_URL or DATABASE_HOSTNAME (a PostgreSQL server)');
    return server;
  }
  if (poolMode === 'transaction' && direct === undefined) {
    // DATABASE_URL is the pooler then: LISTEN through it would hear nothing, and a migration lock not hold.
    throw new ConfigError(
      'DATABASE_DIRECT_URL',
      'is required with DATABASE_POOL_MODE=transaction (a direct connection for live updates and migrations)',
    );
  }
  return {
    ...server,
    poolMode,
    directConnectionString: direct === undefined ? server.connectionString : postgresUrl('DATABASE_DIRECT_URL', direct).connectionString,
  };
}

function databaseServer(env: Env): DatabaseConfig {
  const url = read(env, 'DATABASE_URL');
  const hostname = read(env, 'DATABASE_HOSTNAME');
  const poolMax = integer(env, 'DATABASE_POOL_MAX', 10, 1, 1000);

  if (url !== undefined) return { kind: 'postgres', ...postgresUrl('DATABASE_URL', url), poolMax };

  if (hostname !== undefined) {
    // The seed's variables and defaults (myapp_db / postgres / postgres / 5432).
    const port = integer(env, 'DATABASE_PORT', 5432, 1, 65535);
    const name = read(env, 'DATABASE_NAME') ?? 'myapp_db';
    const user = read(env, 'DATABASE_USER') ?? 'postgres';
    const password = readSecret(env, 'DATABASE_PASSWORD') ?? 'postgres';
    const target = new URL('postgres://localhost');
    target.hostname = hostname;
    target.port = String(port);
    target.pathname = `/${encodeURIComponent(name)}`;
    target.username = encodeURIComponent(user);
    const display = target.toString();
    target.password = encodeURIComponent(password);
    return { kind: 'postgres', connectionString: target.toString(), poolMax, display };
  }

  return { kind: 'embedded', dataDir: path.resolve(read(env, 'DATA_DIR') ?? 'data') };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * AUTH_MODE's default: `open` (the seed's behaviour: anyone may write and read) only while the service
 * listens on a loopback address (HOST=127.0.0.1 or localhost), i.e. a laptop or a kiosk box nobody else
 * can reach. Listening on a network (HOST=0.0.0.0, the default, as in the image and the chart) defaults
 * to `token`; open access there must be asked for with AUTH_MODE=open.
 */
function authModeDefault(host: string): AuthMode {
  return LOOPBACK_HOSTS.has(host) ? 'open' : 'token';
}

function auth(env: Env): AuthConfig {
  const adminUsername = read(env, 'ADMIN_USERNAME') ?? 'admin';
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(adminUsername)) {
    throw new ConfigError('ADMIN_USERNAME', 'must be 1 to 64 letters, digits or . _ @ -');
  }
  const adminPassword = readSecret(env, 'ADMIN_PASSWORD');
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD', 'must be at least 12 characters long');
  }
  const bootstrapApiToken = readSecret(env, 'BOOTSTRAP_API_TOKEN');
  if (bootstrapApiToken !== undefined && !/^brn_[A-Za-z0-9_-]{43,64}$/.test(bootstrapApiToken)) {
    throw new ConfigError('BOOTSTRAP_API_TOKEN', 'must be brn_ followed by 43 to 64 letters, digits, _ or -');
  }
  return {
    adminUsername,
    adminPassword,
    bootstrapApiToken,
    cookieSecure: oneOf(env, 'COOKIE_SECURE', ['auto', 'always', 'never'] as const, 'auto'),
    sessionIdleMinutes: integer(env, 'SESSION_IDLE_MINUTES', 30, 1, 7 * 24 * 60),
    liveHeartbeatSeconds: integer(env, 'LIVE_HEARTBEAT_SECONDS', 20, 1, 300),
    sessionMaxHours: integer(env, 'SESSION_MAX_HOURS', 12, 1, 30 * 24),
    signInMaxFailures: integer(env, 'SIGNIN_MAX_FAILURES', 5, 1, 1000),
    signInWindowMinutes: integer(env, 'SIGNIN_WINDOW_MINUTES', 15, 1, 24 * 60),
    signInMaxChecksPerAddress: integer(env, 'SIGNIN_MAX_CHECKS_PER_ADDRESS', 20, 1, 100_000),
  };
}

/** An absolute URL: https, or http on a loopback host (a provider on this machine, as in tests). */
function oidcUrl(env: Env, name: string, raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL (got "${raw}")`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigError(name, `must be an https:// URL (http:// only on 127.0.0.1, ::1 or localhost) (got "${url.protocol}//")`);
  }
  if (url.username !== '' || url.password !== '' || url.hash !== '') {
    throw new ConfigError(name, 'must not contain credentials or a #fragment');
  }
  return url;
}

const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,128}$/;

function claimName(env: Env, name: string, fallback: string): string {
  const raw = read(env, name) ?? fallback;
  if (!CLAIM_NAME.test(raw)) throw new ConfigError(name, `must be a claim name: letters, digits or _ . : / - (got "${raw}")`);
  return raw;
}

/** OIDC_*: all optional; OIDC_ISSUER turns the feature on, and then the client id and secret are required. */
function oidc(env: Env): OidcConfig | undefined {
  const issuer = read(env, 'OIDC_ISSUER');
  const clientId = read(env, 'OIDC_CLIENT_ID');
  const clientSecret = readSecret(env, 'OIDC_CLIENT_SECRET');
  const redirect = read(env, 'OIDC_REDIRECT_URL');
  if (issuer === undefined) {
    const stray = [
      ['OIDC_CLIENT_ID', clientId],
      ['OIDC_CLIENT_SECRET', clientSecret],
      ['OIDC_REDIRECT_URL', redirect],
    ].find(([, value]) => value !== undefined);
    if (stray) throw new ConfigError('OIDC_ISSUER', `is required when ${stray[0]} is set (the OpenID Connect provider's issuer URL)`);
    return undefined;
  }
  const issuerUrl = oidcUrl(env, 'OIDC_ISSUER', issuer);
  if (issuerUrl.search !== '') throw new ConfigError('OIDC_ISSUER', 'must not contain a ?query');
  if (clientId === undefined) throw new ConfigError('OIDC_CLIENT_ID', 'is required when OIDC_ISSUER is set');
  if (clientSecret === undefined || clientSecret === '') {
    throw new ConfigError('OIDC_CLIENT_SECRET', 'is required when OIDC_ISSUER is set (or OIDC_CLIENT_SECRET_FILE)');
  }
  const redirectUrl = redirect === undefined ? undefined : oidcUrl(env, 'OIDC_REDIRECT_URL', redirect);
  if (redirectUrl !== undefined && (redirectUrl.pathname !== '/admin/oidc/callback' || redirectUrl.search !== '')) {
    throw new ConfigError('OIDC_REDIRECT_URL', `must end in /admin/oidc/callback, without a query (got "${redirectUrl.pathname}")`);
  }
  return {
    issuer: issuerUrl,
    clientId,
    clientSecret,
    roleClaim: claimName(env, 'OIDC_ROLE_CLAIM', 'barona_role'),
    groupsClaim: claimName(env, 'OIDC_GROUPS_CLAIM', 'barona_groups'),
    usernameClaim: claimName(env, 'OIDC_USERNAME_CLAIM', 'preferred_username'),
    redirectUrl,
  };
}

/** SMTP_URL(_FILE) and MAIL_FROM: both or neither (MAIL_FROM alone says nothing). */
function mail(env: Env): MailConfig | undefined {
  const raw = readSecret(env, 'SMTP_URL');
  const from = read(env, 'MAIL_FROM');
  if (from !== undefined && !/^(?:[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+\.[^<>@\s]+>)$/.test(from)) {
    throw new ConfigError(
      'MAIL_FROM',
      `must be an e-mail address, optionally with a name: "Barona <attendance@example.org>" (got "${from}")`,
    );
  }
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('SMTP_URL', 'must be a URL such as smtps://user:password@mail.example.org:465');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') {
    throw new ConfigError('SMTP_URL', `must start with smtp:// or smtps:// (got "${url.protocol}")`);
  }
  if (url.hostname === '') throw new ConfigError('SMTP_URL', 'must name the mail server');
  if (from === undefined) throw new ConfigError('MAIL_FROM', 'is required when SMTP_URL is set (the sender address)');
  return { smtpUrl: url, from };
}

function organisationName(env: Env): string {
  const raw = read(env, 'ORGANISATION_NAME') ?? 'Barona';
  if ([...raw].length > 100 || [...raw].some((c) => c.charCodeAt(0) < 0x20)) {
    throw new ConfigError('ORGANISATION_NAME', 'must be at most 100 characters on one line');
  }
  return raw;
}

/** MAIL_LANGUAGE: en (default) or de. */
function mailLanguage(env: Env): 'en' | 'de' {
  const raw = read(env, 'MAIL_LANGUAGE') ?? 'en';
  if (raw !== 'en' && raw !== 'de') throw new ConfigError('MAIL_LANGUAGE', `must be en (English) or de (German) (got "${raw}")`);
  return raw;
}

function retentionDays(env: Env): number | undefined {
  const raw = read(env, 'RETENTION_DAYS');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 36_500) {
    throw new ConfigError('RETENTION_DAYS', `must be a whole number of days from 1 to 36500, or unset to keep check-ins (got "${raw}")`);
  }
  return Number(raw);
}

export function loadConfig(env: Env = process.env): Config {
  const db = database(env);
  // All interfaces, as the brief says; access control is then on by default (authModeDefault), so a
  // service reachable from a network never accepts anonymous writes unless AUTH_MODE=open asks for it.
  const host = read(env, 'HOST') ?? '0.0.0.0';
  const headersTimeout = integer(env, 'HTTP_HEADERS_TIMEOUT_SECONDS', 10, 1, 3600);
  const requestTimeout = integer(env, 'HTTP_REQUEST_TIMEOUT_SECONDS', 30, 1, 3600);
  if (headersTimeout > requestTimeout) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_SECONDS', `must not exceed HTTP_REQUEST_TIMEOUT_SECONDS (${requestTimeout})`);
  }
  return {
    host,
    port: integer(env, 'PORT', 8000, 0, 65535),
    timezone: timezone(env, 'APP_TIMEZONE'),
    dayStartsAt: dayStartsAt(env, 'DAY_STARTS_AT'),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: oneOf(env, 'LOG_FORMAT', ['auto', 'json', 'pretty'] as const, 'auto'),
    database: db,
    migrateOnStart: boolean(env, 'MIGRATE_ON_START', db.kind === 'embedded'),
    shutdownDrainSeconds: integer(env, 'SHUTDOWN_DRAIN_SECONDS', 0, 0, 3600),
    databaseStartTimeoutSeconds: integer(env, 'DATABASE_START_TIMEOUT_SECONDS', 60, 0, 86_400),
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 10, 1, 3600),
    authMode: oneOf(env, 'AUTH_MODE', AUTH_MODES, authModeDefault(host)),
    auth: auth(env),
    metricsPort: optionalPort(env, 'METRICS_PORT'),
    trustProxy: trustProxy(env, 'TRUST_PROXY'),
    rateLimitWritesPerMinute: integer(env, 'RATE_LIMIT_WRITES_PER_MINUTE', 0, 0, 1_000_000),
    httpHeadersTimeoutSeconds: headersTimeout,
    httpRequestTimeoutSeconds: requestTimeout,
    checkins: {
      backdateWindowHours: integer(env, 'CHECKIN_BACKDATE_WINDOW_HOURS', 24, 0, 24 * 31),
      duplicateWindowSeconds: integer(env, 'DUPLICATE_WINDOW_SECONDS', 120, 0, 86_400),
    },
    retentionDays: retentionDays(env),
    writeBatch: {
      windowMs: integer(env, 'WRITE_BATCH_WINDOW_MS', 0, 0, 1000),
      maxRows: integer(env, 'WRITE_BATCH_MAX_ROWS', 100, 1, 10_000),
    },
    oidc: oidc(env),
    webhooks: { allowPrivateNetworks: boolean(env, 'WEBHOOK_ALLOW_PRIVATE_NETWORKS', false) },
    mail: mail(env),
    organisationName: organisationName(env),
    mailLanguage: mailLanguage(env),
  };
}
