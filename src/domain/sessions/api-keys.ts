// API keys for scripts and servers. A key reads `authd_<id>_<secret>`: the id finds the row, the
// 256-bit secret is compared in constant time with the stored SHA-256, and the secret itself is shown
// once, at creation. A key is limited to the scopes it was given (see API_KEY_SCOPES).
import { randomBytes } from "node:crypto";
import type { Clock } from "../../clock.js";
import { invalidArgument, notFound } from "../errors.js";
import { keysetQuery, type Page, type PageRequest, toPage } from "../paging.js";
import type { ApiKeyRecord, ApiKeyRepositories, UserRecord } from "../persistence.js";
import type { ClientInfo } from "../ports.js";
import type { Reauthenticator } from "../reauthentication.js";
import { hashSecret, randomToken, safeEqual } from "../secrets.js";
import { commit, type Transaction, type UnitOfWork } from "../unit-of-work.js";

/** The scopes an API key can hold; each RPC a key may call names the one it needs. */
export const API_KEY_SCOPES: Record<string, string> = {
  "profile:read": "read the account (GetCurrentUser)",
  "profile:write": "change the account's profile and settings",
  "profile:personal":
    "with profile:read or profile:write, also the personal fields (birth date, gender, marital status, nationality, residency, ID number, postal address)",
  "sessions:read": "list the account's sessions",
  "sessions:write": "revoke the account's sessions",
  admin: "act as the account's administrator role (AdminService); the account must hold it too",
};

const KEY_PATTERN = /^authd_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;
/** 9999-12-31T23:59:59.999Z: the latest expiry a key may have, in epoch ms. */
const LATEST_EXPIRY = 253_402_300_799_999;
/** last_used_at is written at most this often per key, so authenticated traffic does not write on every call. */
const LAST_USED_WRITE_MS = 60_000;

export interface NewApiKey {
  name: string;
  scopes: string[];
  /** Epoch ms, or undefined for no expiry. */
  expiresAt: number | undefined;
}

/** A new key: its row, and the key itself, shown this once. */
export interface CreatedApiKey {
  key: ApiKeyRecord;
  secret: string;
}

export interface AuthenticatedKey {
  key: ApiKeyRecord;
  user: UserRecord;
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith("authd_");
}

export interface ApiKeyDeps {
  uow: UnitOfWork<ApiKeyRepositories>;
  clock: Clock;
  /**
   * A key outlives the session that made it: making one re-authenticates (the password, and a
   * recent second factor where the account has one; see reauthentication.ts).
   */
  reauth: Reauthenticator;
}

export class ApiKeys {
  private readonly uow: UnitOfWork<ApiKeyRepositories>;
  private readonly clock: Clock;

  constructor(private readonly deps: ApiKeyDeps) {
    this.uow = deps.uow;
    this.clock = deps.clock;
  }

  /** Creates a key after checking the account password again; answers the row and the key, once. */
  async create(
    caller: { userId: string; sessionId: string },
    password: string,
    input: NewApiKey,
    client: ClientInfo,
  ): Promise<CreatedApiKey> {
    const { userId } = caller;
    const now = this.clock.now();
    const name = input.name.trim();
    if (name.length === 0 || [...name].length > 100)
      throw invalidArgument("name", "must be 1 to 100 characters");
    if (/\p{Cc}/u.test(name)) throw invalidArgument("name", "must not contain control characters");
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0) throw invalidArgument("scopes", "at least one scope is required");
    for (const scope of scopes) {
      if (!Object.hasOwn(API_KEY_SCOPES, scope)) {
        throw invalidArgument(
          "scopes",
          `unknown scope "${scope.slice(0, 64)}"; known: ${Object.keys(API_KEY_SCOPES).join(", ")}`,
        );
      }
    }
    if (input.expiresAt !== undefined && input.expiresAt <= now) {
      throw invalidArgument("expire_time", "must be in the future");
    }
    // PostgreSQL's bigint (and a Date) cannot hold any time a Timestamp can name: refuse it here
    // rather than fail in the database with Internal.
    if (input.expiresAt !== undefined && !(input.expiresAt <= LATEST_EXPIRY)) {
      throw invalidArgument("expire_time", "must be before the year 10000");
    }
    // argon2 runs before the transaction, never inside it.
    await this.deps.reauth.confirm(caller, password);
    const id = randomBytes(12).toString("hex");
    const secret = `authd_${id}_${randomToken(32)}`;
    return this.uow.run(async (tx) => {
      const key: ApiKeyRecord = {
        id,
        userId,
        name,
        prefix: `authd_${id}`,
        secretHash: hashSecret(secret),
        scopes,
        createdAt: now,
        expiresAt: input.expiresAt ?? null,
        lastUsedAt: null,
        revokedAt: null,
      };
      await tx.apiKeys.insert(key);
      await tx.audit.record(now, "api_key.created", userId, client, { apiKeyId: id, scopes });
      return commit({ key, secret });
    });
  }

  /** The key and its owner when `raw` is a usable key; null for every failure. */
  async authenticate(raw: string): Promise<AuthenticatedKey | null> {
    const match = KEY_PATTERN.exec(raw);
    if (!match) return null;
    const id = match[1] as string;
    const now = this.clock.now();
    // Read beside the write queue; the last-use write, at most once a minute per key, on its own.
    const found = await this.uow.read(async (reads) => {
      const key = await reads.apiKeys.findById(id);
      if (!key || !safeEqual(hashSecret(raw), key.secretHash)) return null;
      if (key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) return null;
      const user = await reads.users.findById(key.userId);
      return user?.status === "active" ? { key, user } : null;
    });
    if (found && (found.key.lastUsedAt === null || now - found.key.lastUsedAt >= LAST_USED_WRITE_MS)) {
      found.key.lastUsedAt = now;
      await this.uow.run(async (tx) => commit(await tx.apiKeys.noteLastUse(id, now)));
    }
    return found;
  }

  /** One page of the user's keys, newest first, revoked ones included. */
  async listPage(userId: string, request: PageRequest): Promise<Page<ApiKeyRecord>> {
    const query = keysetQuery("api_keys", request);
    const rows = await this.uow.read((reads) => reads.apiKeys.pageOfUser(userId, query));
    return toPage("api_keys", query, rows, (k) => k);
  }

  async get(userId: string, id: string): Promise<ApiKeyRecord> {
    checkId(id);
    const key = await this.uow.read((reads) => reads.apiKeys.findOfUser(userId, id));
    if (!key) throw notFound("API key not found");
    return key;
  }

  /** Revokes one of the user's keys; revoking a revoked key changes nothing. */
  async revoke(userId: string, id: string, client: ClientInfo): Promise<void> {
    checkId(id);
    const now = this.clock.now();
    await this.uow.run(async (tx) => {
      const key = await tx.apiKeys.findOfUser(userId, id);
      if (!key) throw notFound("API key not found");
      if (key.revokedAt !== null) return commit(undefined);
      await tx.apiKeys.revoke(id, now);
      await tx.audit.record(now, "api_key.revoked", userId, client, { apiKeyId: id });
      return commit(undefined);
    });
  }

  /** Revokes every key of a user, in the caller's transaction (deactivation, deletion). */
  async revokeAll(tx: Transaction<ApiKeyRepositories>, userId: string): Promise<void> {
    await tx.apiKeys.revokeAllOfUser(userId, this.clock.now());
  }
}

function checkId(id: string): void {
  if (id === "") throw invalidArgument("api_key_id", "is required");
  if (!/^[0-9a-f]{24}$/.test(id)) throw invalidArgument("api_key_id", "is not an API key id");
}
