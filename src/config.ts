// The only module that reads process.env. Every variable is declared once in `variables`, with its
// default and description; README's configuration table lists the same names (a test checks it).
import os from "node:os";
import path from "node:path";
import { continueUrlAllowList } from "./config-continue-urls.js";
import { unknownVariables as findUnknownVariables, type UnknownVariable } from "./config-names.js";
import { HTTP_ALLOWANCE, type OidcProviderConfig, oidcProviders, plainHttpProblem } from "./config-oidc.js";
import {
  bool,
  ConfigError,
  ConfigErrors,
  databaseUrl,
  type HostPort,
  int,
  oneOf,
  optionalHostPort,
  optionalStr,
  optionalUrl,
  origins,
  type Parser,
  roleNames,
  str,
  url,
} from "./config-parsers.js";
import { listenAddressUrl, loopbackAppOrigins } from "./config-public-url.js";

export { ConfigError, ConfigErrors } from "./config-parsers.js";

import type { ContinueUrlRule } from "./domain/continue-url.js";

export type Environment = "development" | "production";
export type LogFormat = "auto" | "json" | "pretty";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  env: Environment;
  host: string;
  port: number;
  databaseUrl: string;
  publicUrl: string;
  /** AUTHD_PUBLIC_URL is unset: publicUrl is the listen address (config-public-url.ts), at the port bound. */
  publicUrlFromListenAddress: boolean;
  /** Loopback origins where the account app also works (development without AUTHD_PUBLIC_URL); else none. */
  localAppOrigins: string[];
  logLevel: LogLevel;
  logFormat: LogFormat;
  corsOrigins: string[];
  /** Proxies in front of authd that append to X-Forwarded-For; 0 trusts the header not at all. */
  trustedProxies: number;
  /** Deprecated spelling of trustedProxies: true counts as one proxy. */
  trustProxy: boolean;
  maxMessageBytes: number;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  idleTimeoutMs: number;
  dataDir: string;
  /** Master secret for encrypting signing keys; undefined means "generate one for development". */
  secret: string | undefined;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  sessionTtlSeconds: number;
  sessionMaxTtlSeconds: number;
  sessionIdleTimeoutSeconds: number;
  refreshReuseGraceSeconds: number;
  emailVerificationTtlSeconds: number;
  passwordResetTtlSeconds: number;
  confirmationTtlSeconds: number;
  /** How long a tenant made by RegisterCompany waits for its first admin to verify before it is released. */
  pendingTenantTtlSeconds: number;
  smtpUrl: string | undefined;
  mailFrom: string;
  revealAccounts: boolean;
  /** Roles a deployment declares besides the built-in admin, member and operator. */
  roles: string[];
  /** False lets Login sign in accounts whose email is not verified yet. */
  requireEmailVerification: boolean;
  /** Register answers the new account's tokens (needs requireEmailVerification false). */
  signInAtRegistration: boolean;
  captchaVerifyUrl: string | undefined;
  captchaSecret: string | undefined;
  passwordMinLength: number;
  argon2MemoryKib: number;
  argon2Iterations: number;
  argon2Parallelism: number;
  /** argon2 computations at once; 0 in the environment means the number of cores. */
  hashConcurrency: number;
  hashQueueLength: number;
  loginMaxFailuresPerAccount: number;
  loginMaxFailuresPerIp: number;
  lockoutSeconds: number;
  rateLimitWindowSeconds: number;
  registrationsPerIp: number;
  emailsPerAddress: number;
  emailsPerIp: number;
  smsWebhookUrl: string | undefined;
  smsWebhookSecret: string | undefined;
  /** Outbound HTTP may use http and reach loopback and private addresses (development only). */
  outboundAllowPrivate: boolean;
  trustedDeviceTtlSeconds: number;
  stepUpTtlSeconds: number;
  recoveryCodeRegenerations: number;
  outboxPollIntervalMs: number;
  outboxMaxAttempts: number;
  totpIssuer: string;
  /** Where a listener of its own serves /metrics; undefined: none. */
  metricsAddr: HostPort | undefined;
  /** Bearer token that opens /metrics on the main port; undefined: not served there. */
  metricsToken: string | undefined;
  /** OpenID Connect providers for LoginWithProvider (config-oidc.ts); empty: none. */
  oidcProviders: OidcProviderConfig[];
  /** Where emailed links may send the user afterwards (continue_url); empty: nowhere. */
  continueUrlAllowList: ContinueUrlRule[];
  /** The terms-of-service version Register must be given; undefined: any (or none). */
  requiredTermsVersion: string | undefined;
  /** The privacy-policy version Register must be given; undefined: any (or none). */
  requiredPrivacyVersion: string | undefined;
}

interface Variable<K extends keyof Config> {
  name: string;
  key: K;
  default: string | undefined;
  description: string;
  parse: Parser<Config[K]>;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous list of variables of different keys
export const variables: Variable<any>[] = [
  v(
    "AUTHD_ENV",
    "env",
    "development",
    "development or production. Production refuses to start without AUTHD_SECRET and marks cookies Secure.",
    oneOf("development", "production"),
  ),
  v("AUTHD_HOST", "host", "127.0.0.1", "Address to listen on.", str),
  v(
    "AUTHD_PORT",
    "port",
    "8080",
    "Port for gRPC, gRPC-Web, Connect and the HTTP routes (0 picks a free port).",
    int(0, 65535),
  ),
  v("AUTHD_DATA_DIR", "dataDir", "./data", "Folder for the SQLite database and the development secret.", str),
  v(
    "AUTHD_DATABASE_URL",
    "databaseUrl",
    "",
    "sqlite:<file> or postgres://user:pass@host/db. Empty: sqlite:<AUTHD_DATA_DIR>/authd.db.",
    (raw, name) => (raw === "" ? "" : databaseUrl(raw, name)),
  ),
  v(
    "AUTHD_PUBLIC_URL",
    "publicUrl",
    "",
    "Base URL of the account app and of the links in emails (verification, reset, ...); the session cookies are accepted from its origin. Empty: http://localhost:<port> (http://<AUTHD_HOST>:<port> when that is not a loopback or wildcard address), with the port authd really listens on (the one AUTHD_PORT=0 picked); in development the app then also works at http://127.0.0.1:<port> when authd listens there. Set it in production and wherever several replicas share a database.",
    (raw, name) => (raw === "" ? "" : url("http:", "https:")(raw, name)),
  ),
  v(
    "AUTHD_LOG_LEVEL",
    "logLevel",
    "info",
    "fatal, error, warn, info, debug, trace or silent.",
    oneOf("fatal", "error", "warn", "info", "debug", "trace", "silent"),
  ),
  v(
    "AUTHD_LOG_FORMAT",
    "logFormat",
    "auto",
    "json (one object per line), pretty (readable lines), or auto: pretty when stdout is a terminal, JSON otherwise.",
    oneOf("auto", "json", "pretty"),
  ),
  v(
    "AUTHD_CORS_ORIGINS",
    "corsOrigins",
    "",
    "Comma-separated browser origins allowed to call the API with cookies (empty: none). * lets any other origin call without credentials (no cookies, only bearer tokens).",
    origins,
  ),
  v(
    "AUTHD_TRUSTED_PROXIES",
    "trustedProxies",
    "0",
    "How many proxies in front of authd append the address they saw to X-Forwarded-For. The client IP is the entry that many from the right; entries further left are the client's own words and are ignored. 0: the socket's peer.",
    int(0, 10),
  ),
  v(
    "AUTHD_TRUST_PROXY",
    "trustProxy",
    "false",
    "Older switch: true means AUTHD_TRUSTED_PROXIES=1 (when that is not set).",
    bool,
  ),
  v(
    "AUTHD_MAX_MESSAGE_BYTES",
    "maxMessageBytes",
    String(64 * 1024),
    "Largest request message accepted, in bytes (after decompression); a larger one answers resource_exhausted before it is parsed.",
    int(1024, 16 * 1024 * 1024),
  ),
  v(
    "AUTHD_MAX_HEADER_BYTES",
    "maxHeaderBytes",
    String(16 * 1024),
    "Largest request header block accepted, in bytes (HTTP/1.1: answered 431; HTTP/2: the stream is refused).",
    int(1024, 1024 * 1024),
  ),
  v(
    "AUTHD_HEADERS_TIMEOUT_MS",
    "headersTimeoutMs",
    "10000",
    "A client must send its request headers (and, on a new connection, its first bytes) within this many milliseconds.",
    int(100, 300_000),
  ),
  v(
    "AUTHD_REQUEST_TIMEOUT_MS",
    "requestTimeoutMs",
    "30000",
    "A client must send its whole request within this many milliseconds; slower ones are cut off.",
    int(100, 600_000),
  ),
  v(
    "AUTHD_IDLE_TIMEOUT_MS",
    "idleTimeoutMs",
    "120000",
    "A connection with no traffic for this many milliseconds is closed (HTTP/2 sessions and HTTP/1.1 sockets).",
    int(100, 3_600_000),
  ),
  v(
    "AUTHD_SECRET",
    "secret",
    "",
    "Master secret (32+ characters) that encrypts signing keys at rest. Development generates one under AUTHD_DATA_DIR.",
    (raw, name) => {
      if (raw === "") return undefined;
      if (raw.length < 32) throw new ConfigError(name, "must be at least 32 characters");
      return raw;
    },
  ),
  v(
    "AUTHD_ISSUER",
    "issuer",
    "",
    "The iss claim of access tokens. Empty: AUTHD_PUBLIC_URL, or when that is empty http://localhost:<AUTHD_PORT> as configured (with AUTHD_PORT=0 too: a restart on another free port keeps the tokens it issued valid).",
    str,
  ),
  v("AUTHD_AUDIENCE", "audience", "authd", "The aud claim of access tokens.", str),
  v(
    "AUTHD_ACCESS_TOKEN_TTL",
    "accessTokenTtlSeconds",
    String(15 * 60),
    "Access token lifetime in seconds (15 minutes).",
    int(30, DAY),
  ),
  v(
    "AUTHD_SESSION_TTL",
    "sessionTtlSeconds",
    String(7 * DAY),
    "Default absolute session lifetime in seconds (7 days).",
    int(60, 30 * DAY),
  ),
  v(
    "AUTHD_SESSION_MAX_TTL",
    "sessionMaxTtlSeconds",
    String(30 * DAY),
    "Longest session a Login may ask for, in seconds (30 days).",
    int(60, 30 * DAY),
  ),
  v(
    "AUTHD_SESSION_IDLE_TIMEOUT",
    "sessionIdleTimeoutSeconds",
    String(DAY),
    "A session unused for this many seconds ends (24 hours).",
    int(60, 30 * DAY),
  ),
  v(
    "AUTHD_REFRESH_REUSE_GRACE",
    "refreshReuseGraceSeconds",
    "10",
    "Seconds during which the refresh token just rotated may be presented again (concurrent tabs) without revoking the session.",
    int(0, 300),
  ),
  v(
    "AUTHD_EMAIL_VERIFICATION_TTL",
    "emailVerificationTtlSeconds",
    String(DAY),
    "How long an email verification link works, in seconds (24 hours).",
    int(300, 7 * DAY),
  ),
  v(
    "AUTHD_PASSWORD_RESET_TTL",
    "passwordResetTtlSeconds",
    String(HOUR),
    "How long a password reset link works, in seconds (1 hour).",
    int(300, DAY),
  ),
  v(
    "AUTHD_CONFIRMATION_TTL",
    "confirmationTtlSeconds",
    String(HOUR),
    "How long a deactivation or deletion confirmation link works, in seconds (1 hour).",
    int(300, DAY),
  ),
  v(
    "AUTHD_PENDING_TENANT_TTL",
    "pendingTenantTtlSeconds",
    String(2 * DAY),
    "How long a company made by RegisterCompany stays pending, its slug held, waiting for its first admin to verify their email, in seconds (48 hours). Then the purge (every 10 minutes) deletes it with its unverified accounts, and the slug is free again.",
    int(HOUR, 30 * DAY),
  ),
  v(
    "AUTHD_SMTP_URL",
    "smtpUrl",
    "",
    "smtp:// or smtps:// URL of the mail server. Empty: messages are written to the log (development only).",
    optionalUrl("smtp:", "smtps:"),
  ),
  v("AUTHD_MAIL_FROM", "mailFrom", "authd <no-reply@localhost>", "From address of emails.", str),
  v(
    "AUTHD_REVEAL_ACCOUNTS",
    "revealAccounts",
    "false",
    "When true, CheckEmail answers whether an email is registered.",
    bool,
  ),
  v(
    "AUTHD_ROLES",
    "roles",
    "",
    "Comma list of extra roles tenant administrators may grant, besides the built-in admin and member (and operator, in the default tenant only). Role names: a-z, 0-9, _, -, :; 1 to 32 characters.",
    roleNames,
  ),
  v(
    "AUTHD_REQUIRE_EMAIL_VERIFICATION",
    "requireEmailVerification",
    "true",
    "When false, Login signs in accounts whose email is not verified yet (the verification link is still sent; the email second factor and provider sign-in still need a verified address).",
    bool,
  ),
  v(
    "AUTHD_SIGN_IN_AT_REGISTRATION",
    "signInAtRegistration",
    "false",
    "When true, Register creates the account before answering and answers its tokens; a taken email or username then answers ALREADY_EXISTS (Register stops being enumeration-safe). Needs AUTHD_REQUIRE_EMAIL_VERIFICATION=false.",
    bool,
  ),
  v(
    "AUTHD_CAPTCHA_VERIFY_URL",
    "captchaVerifyUrl",
    "",
    "hCaptcha/Turnstile-style siteverify URL (https at a public address: the outbound rule, security.md). When set with the secret, Register, ResendVerificationEmail and RequestPasswordReset need a valid captcha token.",
    optionalUrl("http:", "https:"),
  ),
  v(
    "AUTHD_CAPTCHA_SECRET",
    "captchaSecret",
    "",
    "Secret sent to the captcha siteverify endpoint.",
    optionalStr,
  ),
  v(
    "AUTHD_PASSWORD_MIN_LENGTH",
    "passwordMinLength",
    "8",
    "Shortest password accepted, in characters (NIST allows 8 with MFA; 15 when the password is the only factor).",
    int(8, 64),
  ),
  v(
    "AUTHD_ARGON2_MEMORY_KIB",
    "argon2MemoryKib",
    "19456",
    "argon2id memory cost in KiB (OWASP: 19 MiB). Hashes made with other parameters are upgraded at the next login.",
    int(1024, 1024 * 1024),
  ),
  v("AUTHD_ARGON2_ITERATIONS", "argon2Iterations", "2", "argon2id time cost.", int(1, 20)),
  v("AUTHD_ARGON2_PARALLELISM", "argon2Parallelism", "1", "argon2id lanes.", int(1, 16)),
  v(
    "AUTHD_HASH_CONCURRENCY",
    "hashConcurrency",
    "0",
    "argon2id hashes and verifications run at once (0: one per core, `os.availableParallelism()`). More only queue on libuv's thread pool, delay the database calls that share it, and hold 19 MiB each.",
    int(0, 1024),
  ),
  v(
    "AUTHD_HASH_QUEUE_LENGTH",
    "hashQueueLength",
    "128",
    "Password checks that may wait for a free hashing slot, first come first served; one more is answered Unavailable (the server is busy, retry) at once instead of waiting.",
    int(0, 100_000),
  ),
  v(
    "AUTHD_LOGIN_MAX_FAILURES",
    "loginMaxFailuresPerAccount",
    "10",
    "Consecutive failed logins that lock an account (NIST: at most 100).",
    int(1, 100),
  ),
  v(
    "AUTHD_LOGIN_MAX_FAILURES_PER_IP",
    "loginMaxFailuresPerIp",
    "50",
    "Failed logins from one IP address per rate-limit window.",
    int(1, 100000),
  ),
  v(
    "AUTHD_LOCKOUT_SECONDS",
    "lockoutSeconds",
    String(15 * 60),
    "How long a locked account stays locked, in seconds (a password reset also unlocks).",
    int(1, DAY),
  ),
  v(
    "AUTHD_RATE_LIMIT_WINDOW",
    "rateLimitWindowSeconds",
    String(HOUR),
    "Length of the rate-limit window in seconds.",
    int(1, DAY),
  ),
  v(
    "AUTHD_REGISTRATIONS_PER_IP",
    "registrationsPerIp",
    "20",
    "Registrations per IP address per window.",
    int(1, 100000),
  ),
  v(
    "AUTHD_EMAILS_PER_ADDRESS",
    "emailsPerAddress",
    "5",
    "Verification, reset and other emails requested per address per window.",
    int(1, 100000),
  ),
  v(
    "AUTHD_EMAILS_PER_IP",
    "emailsPerIp",
    "50",
    "Emails requested (and CheckEmail calls) per IP address per window.",
    int(1, 100000),
  ),
  v(
    "AUTHD_SMS_WEBHOOK_URL",
    "smsWebhookUrl",
    "",
    "URL that receives SMS as signed JSON POSTs (https at a public address: the outbound rule, security.md). Empty: SMS are written to the log (development only).",
    optionalUrl("http:", "https:"),
  ),
  v(
    "AUTHD_SMS_WEBHOOK_SECRET",
    "smsWebhookSecret",
    "",
    "Shared secret for the HMAC-SHA256 signature header of SMS webhooks.",
    optionalStr,
  ),
  v(
    "AUTHD_OUTBOUND_ALLOW_PRIVATE",
    "outboundAllowPrivate",
    "false",
    "Development and tests only (refused when AUTHD_ENV=production): outbound requests (provider discovery and keys, captcha, SMS webhook) may use http and reach loopback, private and link-local addresses (a webhook receiver or a provider on this machine), and those URLs may be configured with http; cloud metadata addresses stay refused. Off: https to public addresses only (security.md, Outbound requests).",
    bool,
  ),
  v(
    "AUTHD_TRUSTED_DEVICE_TTL",
    "trustedDeviceTtlSeconds",
    String(30 * DAY),
    "How long a remembered device skips the second factor, in seconds (30 days).",
    int(60, 365 * DAY),
  ),
  v(
    "AUTHD_STEP_UP_TTL",
    "stepUpTtlSeconds",
    String(10 * 60),
    "How long a second factor counts as recent for sensitive RPCs, in seconds; also how long a sign-in re-authenticates an account without a password.",
    int(30, DAY),
  ),
  v(
    "AUTHD_RECOVERY_CODE_REGENERATIONS",
    "recoveryCodeRegenerations",
    "5",
    "New sets of recovery codes per account per window (each costs ten argon2id hashes).",
    int(1, 1000),
  ),
  v(
    "AUTHD_OUTBOX_POLL_INTERVAL_MS",
    "outboxPollIntervalMs",
    "500",
    "How often each replica looks for emails and SMS to deliver, in milliseconds.",
    int(50, 60_000),
  ),
  v(
    "AUTHD_OUTBOX_MAX_ATTEMPTS",
    "outboxMaxAttempts",
    "12",
    "Delivery attempts of an email or SMS before it is marked failed (retries back off from 5 seconds, doubling, up to 1 hour).",
    int(1, 100),
  ),
  v(
    "AUTHD_TOTP_ISSUER",
    "totpIssuer",
    "authd",
    "Issuer name that authenticator apps show next to the account (the otpauth:// URI's issuer).",
    (raw, name) => {
      if (raw === "" || raw.length > 64 || raw.includes(":")) {
        throw new ConfigError(name, "must be 1 to 64 characters without a colon");
      }
      return raw;
    },
  ),
  v(
    "AUTHD_METRICS_ADDR",
    "metricsAddr",
    "",
    "host:port of a separate listener that serves Prometheus metrics at /metrics without a token, e.g. 127.0.0.1:9464 (keep it off public interfaces). Empty: no such listener.",
    optionalHostPort,
  ),
  v(
    "AUTHD_METRICS_TOKEN",
    "metricsToken",
    "",
    "When set (16+ characters), the main port serves /metrics to requests with `Authorization: Bearer <token>` (compared in constant time). Empty: /metrics is not on the main port.",
    (raw, name) => {
      if (raw === "") return undefined;
      if (raw.length < 16) throw new ConfigError(name, "must be at least 16 characters");
      return raw;
    },
  ),
  v(
    "AUTHD_OIDC_PROVIDERS",
    "oidcProviders",
    "",
    'OpenID Connect providers for LoginWithProvider, as JSON: `[{"name":"google","issuer":"https://accounts.google.com","client_ids":["..."],"jwks_url":"(optional)"}]`. The issuer and jwks_url use https (http only with AUTHD_OUTBOUND_ALLOW_PRIVATE); discovery and keys are fetched under the outbound rule (security.md). Empty: none.',
    oidcProviders,
  ),
  v(
    "AUTHD_CONTINUE_URL_ALLOWLIST",
    "continueUrlAllowList",
    "",
    "Comma-separated return URLs that continue_url may name (Register, RequestPasswordReset, ...): `https://app.example.com` allows any path there; `https://app.example.com/app` allows /app and what is under /app/ (not /app-x). Scheme, host and port must match exactly; no wildcards, user names, queries or fragments. Empty: every continue_url is refused.",
    continueUrlAllowList,
  ),
  v(
    "AUTHD_REQUIRED_TERMS_VERSION",
    "requiredTermsVersion",
    "",
    "When set, Register refuses a request whose accepted_terms_version is not exactly this (invalid_argument). Empty: not required.",
    optionalStr,
  ),
  v(
    "AUTHD_REQUIRED_PRIVACY_VERSION",
    "requiredPrivacyVersion",
    "",
    "When set, Register refuses a request whose accepted_privacy_version is not exactly this (invalid_argument). Empty: not required.",
    optionalStr,
  ),
];

function v<K extends keyof Config>(
  name: string,
  key: K,
  defaultValue: string | undefined,
  description: string,
  parse: Parser<Config[K]>,
): Variable<K> {
  return { name, key, default: defaultValue, description, parse };
}

/**
 * Reads and validates the configuration. Throws a ConfigError naming the bad variable, or, when
 * several are wrong, a ConfigErrors naming each of them: one start shows every mistake.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const errors: ConfigError[] = [];
  const config = {} as Record<string, unknown>;
  for (const variable of variables) {
    const raw = env[variable.name]?.trim() ?? variable.default ?? "";
    try {
      config[variable.key] = variable.parse(raw, variable.name);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      errors.push(error);
    }
  }
  const result = config as unknown as Config;
  if (result.hashConcurrency === 0) result.hashConcurrency = os.availableParallelism();
  if (result.databaseUrl === "") result.databaseUrl = `sqlite:${path.join(result.dataDir, "authd.db")}`;
  if (result.trustProxy && (env.AUTHD_TRUSTED_PROXIES ?? "").trim() === "") result.trustedProxies = 1;
  result.publicUrlFromListenAddress = result.publicUrl === "";
  if (result.publicUrlFromListenAddress) result.publicUrl = listenAddressUrl(result.host, result.port);
  result.localAppOrigins = localAppOrigins(result);
  // Taken before AUTHD_PORT=0 is resolved (listeningOn): the tokens' issuer stays the same when a
  // restart picks another free port, so tokens issued before the restart still validate.
  if (result.issuer === "") result.issuer = result.publicUrl?.replace(/\/$/, "");
  const unreadable = new Set(errors.map((error) => error.variable));
  /** A rule between variables, checked only when each of them could be read; names the first. */
  const rule = (names: [string, ...string[]], holds: boolean, message: string) => {
    if (!holds && !names.some((name) => unreadable.has(name)))
      errors.push(new ConfigError(names[0], message));
  };
  rule(
    ["AUTHD_HEADERS_TIMEOUT_MS", "AUTHD_REQUEST_TIMEOUT_MS"],
    result.headersTimeoutMs <= result.requestTimeoutMs,
    "must not exceed AUTHD_REQUEST_TIMEOUT_MS",
  );
  rule(
    ["AUTHD_SESSION_TTL", "AUTHD_SESSION_MAX_TTL"],
    result.sessionTtlSeconds <= result.sessionMaxTtlSeconds,
    "must not exceed AUTHD_SESSION_MAX_TTL",
  );
  rule(
    ["AUTHD_SECRET", "AUTHD_ENV"],
    !(result.env === "production" && result.secret === undefined),
    "is required when AUTHD_ENV=production",
  );
  // Tokens for an address nobody proved would bypass the verification the deployment asks for.
  rule(
    ["AUTHD_SIGN_IN_AT_REGISTRATION", "AUTHD_REQUIRE_EMAIL_VERIFICATION"],
    !(result.signInAtRegistration && result.requireEmailVerification),
    "needs AUTHD_REQUIRE_EMAIL_VERIFICATION=false",
  );
  rule(
    ["AUTHD_CAPTCHA_SECRET", "AUTHD_CAPTCHA_VERIFY_URL"],
    !(result.captchaVerifyUrl !== undefined && result.captchaSecret === undefined),
    "is required when AUTHD_CAPTCHA_VERIFY_URL is set",
  );
  rule(
    ["AUTHD_SMS_WEBHOOK_SECRET", "AUTHD_SMS_WEBHOOK_URL"],
    !(result.smsWebhookUrl !== undefined && result.smsWebhookSecret === undefined),
    "is required when AUTHD_SMS_WEBHOOK_URL is set",
  );
  // The allowance opens this machine and the private network to whoever chooses a URL authd calls.
  rule(
    ["AUTHD_OUTBOUND_ALLOW_PRIVATE", "AUTHD_ENV"],
    !(result.env === "production" && result.outboundAllowPrivate),
    "must not be true when AUTHD_ENV=production",
  );
  // Every URL authd calls follows the outbound rule (src/outbound/): plain http only with the allowance.
  const plainHttp = (value: string | undefined) =>
    !result.outboundAllowPrivate && value !== undefined && new URL(value).protocol === "http:";
  for (const [name, value] of [
    ["AUTHD_CAPTCHA_VERIFY_URL", result.captchaVerifyUrl],
    ["AUTHD_SMS_WEBHOOK_URL", result.smsWebhookUrl],
  ] as const) {
    rule([name, "AUTHD_OUTBOUND_ALLOW_PRIVATE"], !plainHttp(value), `must use https (${HTTP_ALLOWANCE})`);
  }
  // (Providers that could not be read are undefined, and already named in errors.)
  const providerProblem = result.outboundAllowPrivate
    ? undefined
    : plainHttpProblem(result.oidcProviders ?? []);
  rule(
    ["AUTHD_OIDC_PROVIDERS", "AUTHD_OUTBOUND_ALLOW_PRIVATE"],
    providerProblem === undefined,
    providerProblem ?? "",
  );
  // Development writes emails (links included) to the log instead; production must really send them.
  rule(
    ["AUTHD_SMTP_URL", "AUTHD_ENV"],
    !(result.env === "production" && result.smtpUrl === undefined),
    "is required when AUTHD_ENV=production",
  );
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  return result;
}

/**
 * The configuration of a server listening on `port`: with AUTHD_PUBLIC_URL unset, the public URL (and
 * so the app, emailed links and the JWKS address) names the port really bound, which AUTHD_PORT=0
 * only knows once it is bound.
 */
export function listeningOn(config: Config, port: number): Config {
  const listening = { ...config, port };
  if (config.publicUrlFromListenAddress) {
    listening.publicUrl = listenAddressUrl(config.host, port);
    listening.localAppOrigins = localAppOrigins(listening);
  }
  return listening;
}

/**
 * In development with the public URL taken from the listen address, the app keeps its session at the
 * loopback addresses authd listens on too; never in production, where the public URL is the one origin.
 */
function localAppOrigins(
  config: Pick<Config, "env" | "host" | "port" | "publicUrlFromListenAddress">,
): string[] {
  if (config.env !== "development" || !config.publicUrlFromListenAddress) return [];
  return loopbackAppOrigins(config.host, config.port);
}

/** The AUTHD_ variables of the environment that authd does not read, each with its likely meaning. */
export function unknownVariables(env: Record<string, string | undefined> = process.env): UnknownVariable[] {
  return findUnknownVariables(
    env,
    variables.map((variable) => variable.name),
  );
}
