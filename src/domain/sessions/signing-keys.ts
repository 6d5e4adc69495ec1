// The keys that sign access tokens. Ed25519 key pairs are generated on first start and kept in the
// database, so every replica signs and verifies with the same keys; the private half is encrypted
// with AES-256-GCM under a key derived from AUTHD_SECRET, so a database dump alone cannot mint
// tokens. Rotation adds a new active key and retires the old one, whose public half stays in the
// JWKS until every token it may have signed has expired. Withdrawal (a key believed compromised)
// deletes the key at once: every replica stops verifying its tokens within REVOCATION_BOUND_MS.
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Clock } from "../../clock.js";
import type { AuditContext } from "../audit.js";
import { notFound } from "../errors.js";
import type { Repositories, SigningKeyRepositories } from "../persistence.js";
import { SecretBox } from "../secret-box.js";
import type { SigningKeyRecord } from "../signing-key-persistence.js";
import type { Transaction, UnitOfWork } from "../unit-of-work.js";
import { commit } from "../unit-of-work.js";
import { REVOCATION_BOUND_MS } from "./session-cache.js";

export const SIGNING_ALGORITHM = "EdDSA";

/**
 * How long a replica keeps using its cached view of the keys. Another replica's rotation is picked up
 * for signing within this time, so a retired key stays published this much longer than the access
 * token lifetime.
 */
const CACHE_MS = 60_000;
/** Who changes keys when no request does: the operator's command line. */
const OPERATOR: AuditContext = { ip: "", userAgent: "authd keys (command line)" };
/**
 * Whatever the clock says, the keys are read again once the view is this old (monotonic time, as the
 * session cache measures its bound): a key withdrawn on another replica (or by `authd keys retire`)
 * stops verifying here within the bound the session cache states for a revoked session.
 */
const WITHDRAWAL_BOUND_MS = REVOCATION_BOUND_MS;
/**
 * A token whose kid is not cached makes the keys be read again at most this often, so tokens with
 * made-up kids cannot turn into a database query each, while a key another replica just created
 * still verifies within this time.
 */
const UNKNOWN_KID_RELOAD_MS = 1_000;

/** AUTHD_SECRET, or in development a random secret generated once and kept in `<dataDir>/secret`. */
/** `secret`: AUTHD_SECRET; `dataDir`: where the development secret is kept without one. */
export function resolveMasterSecret(config: { secret: string | undefined; dataDir: string }): string {
  if (config.secret !== undefined) return config.secret;
  const file = path.join(config.dataDir, "secret");
  fs.mkdirSync(config.dataDir, { recursive: true });
  try {
    // "wx": never overwrite a secret another process wrote first.
    fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const secret = fs.readFileSync(file, "utf8").trim();
  if (secret.length < 32) throw new Error(`${file} holds a secret shorter than 32 characters`);
  return secret;
}

interface PublicKey {
  kid: string;
  jwk: JWK;
  key: CryptoKey;
  createdAt: number;
  retiredAt: number | null;
}

export class SigningKeys {
  /** Seals private JWKs; the kid is the associated data, so sealed keys cannot be swapped between rows. */
  private readonly box: SecretBox;
  private publicKeys = new Map<string, PublicKey>();
  private active: { kid: string; privateKey: CryptoKey } | undefined;
  private loadedAt = Number.NEGATIVE_INFINITY;
  /** performance.now() at the last load. */
  private loadedAtMonotonic = Number.NEGATIVE_INFINITY;
  /**
   * Changes whenever a key that verified tokens stops doing so (retired past its publication, or
   * gone): whoever remembers verified tokens must then forget them.
   */
  keySetVersion = 0;
  /** Monotonic time of the last reload an unknown kid caused (real time, not the injected clock). */
  private unknownKidReloadAt = Number.NEGATIVE_INFINITY;
  /** The reload in progress, shared by every caller that finds the cache stale meanwhile. */
  private reloading: Promise<void> | undefined;

  constructor(
    private readonly uow: UnitOfWork<SigningKeyRepositories>,
    private readonly clock: Clock,
    private readonly accessTokenTtlSeconds: number,
    masterSecret: string,
  ) {
    this.box = SecretBox.fromMasterSecret(masterSecret, "authd/v1 signing-key encryption");
  }

  /** Creates the first key when the database has none, and loads the keys. Called at start-up. */
  async init(): Promise<void> {
    await this.uow.run(async (tx) => {
      // Replicas starting together on an empty database create one first key, not several.
      await tx.signingKeys.lockFirstKey();
      if ((await tx.signingKeys.countActive()) === 0) await this.insertKey(tx);
      return commit(undefined);
    });
    await this.reload();
  }

  /** Adds a new active key and retires the others. Answers the new kid. */
  async rotate(by: AuditContext = OPERATOR): Promise<string> {
    const kid = await this.uow.run(async (tx) => {
      const now = this.clock.now();
      await tx.signingKeys.retireActive(now);
      const current = await this.insertKey(tx);
      await tx.audit.record(now, "signing_key.rotated", null, by, { kid: current });
      return commit(current);
    });
    await this.reload();
    return kid;
  }

  /**
   * Withdraws a key at once, for a key believed compromised: the current key when `kid` is not
   * given. A withdrawn current key is replaced by a new one first; the withdrawn key is deleted
   * (its sealed private half with it), so it leaves the JWKS and no token it signed verifies any
   * more, here at once and on every replica within WITHDRAWAL_BOUND_MS. Sessions are untouched:
   * their next Refresh gets an access token signed by the current key. Answers the withdrawn and
   * the current kid.
   */
  async withdraw(kid?: string, by: AuditContext = OPERATOR): Promise<{ withdrawn: string; current: string }> {
    const result = await this.uow.run(async (tx) => {
      // Serialised with a replica creating a first key and with another withdrawal (PostgreSQL).
      await tx.signingKeys.lockFirstKey();
      const rows = await tx.signingKeys.listNewestFirst();
      const target =
        kid === undefined ? rows.find((r) => r.retiredAt === null) : rows.find((r) => r.kid === kid);
      if (!target)
        throw notFound(
          kid === undefined
            ? "there is no current signing key"
            : `no signing key has kid "${kid.slice(0, 64)}"`,
        );
      let current = rows.find((r) => r.retiredAt === null && r.kid !== target.kid)?.kid;
      if (target.retiredAt === null) {
        await tx.signingKeys.retireActive(this.clock.now());
        current = await this.insertKey(tx);
      }
      await tx.signingKeys.delete(target.kid);
      if (current === undefined) throw new Error("no current signing key after a withdrawal");
      await tx.audit.record(this.clock.now(), "signing_key.withdrawn", null, by, {
        kid: target.kid,
        current,
      });
      return commit({ withdrawn: target.kid, current });
    });
    await this.reload();
    return result;
  }

  /** Reads the keys again when the cached view is stale; at once otherwise. */
  async refreshIfStale(): Promise<void> {
    if (this.isStale()) await this.reloadOnce();
  }

  /**
   * The key that signs new tokens. Inside a transaction, pass it: on SQLite a second
   * transaction would wait for the first one forever.
   */
  async signingKey(
    reads?: Pick<Repositories, "signingKeys">,
  ): Promise<{ kid: string; privateKey: CryptoKey }> {
    if (!this.active || this.isStale()) await (reads ? this.reload(reads) : this.reloadOnce());
    if (!this.active) throw new Error("no active signing key");
    return this.active;
  }

  /**
   * The public key for a token's `kid`, or null; from memory. The kid is untrusted input: it is only
   * ever a map key. A kid missing from the cache reloads the keys, shared by concurrent callers and
   * at most once per UNKNOWN_KID_RELOAD_MS: a key another replica just created verifies at once (or,
   * while made-up kids are arriving, within that time), and made-up kids cost no query each.
   */
  async verificationKey(kid: string): Promise<CryptoKey | null> {
    if (kid.length === 0 || kid.length > 64) return null;
    if (this.isStale()) await this.reloadOnce();
    let found = this.publicKeys.get(kid);
    if (!found && performance.now() - this.unknownKidReloadAt >= UNKNOWN_KID_RELOAD_MS) {
      this.unknownKidReloadAt = performance.now();
      await this.reloadOnce();
      found = this.publicKeys.get(kid);
    }
    return found && this.isPublished(found) ? found.key : null;
  }

  private reloadOnce(): Promise<void> {
    this.reloading ??= this.reload().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  /** The JWKS document: every key whose tokens may still be unexpired. Read from the database. */
  async jwks(): Promise<{ keys: object[] }> {
    await this.reload();
    const keys = [...this.publicKeys.values()].sort((a, b) => b.createdAt - a.createdAt);
    return { keys: keys.map((k) => k.jwk) };
  }

  /**
   * The cache is stale after CACHE_MS by the clock (a rotation's retirement times are the clock's),
   * when the clock went backwards, or after WITHDRAWAL_BOUND_MS of real time.
   */
  private isStale(): boolean {
    const age = this.clock.now() - this.loadedAt;
    if (age >= CACHE_MS || age < 0) return true;
    return performance.now() - this.loadedAtMonotonic >= WITHDRAWAL_BOUND_MS;
  }

  private isPublished(key: { retiredAt: number | null }): boolean {
    if (key.retiredAt === null) return true;
    return this.clock.now() < key.retiredAt + this.accessTokenTtlSeconds * 1000 + CACHE_MS;
  }

  private async reload(reads?: Pick<Repositories, "signingKeys">): Promise<void> {
    const read = (r: Pick<Repositories, "signingKeys">) => r.signingKeys.listNewestFirst();
    const rows = reads ? await read(reads) : await this.uow.read(read);
    const published = new Map<string, PublicKey>();
    for (const row of rows) {
      if (!this.isPublished(row)) continue;
      published.set(row.kid, this.publicKeys.get(row.kid) ?? (await this.toPublicKey(row)));
      // Keep a retired key's latest state (its retiredAt may have just been set).
      const entry = published.get(row.kid);
      if (entry) entry.retiredAt = row.retiredAt;
    }
    // Newest unretired key signs; two replicas creating a first key at once both stay valid.
    const newest = rows.find((r) => r.retiredAt === null);
    if (newest && this.active?.kid !== newest.kid) {
      const privateJwk = JSON.parse(this.openPrivateJwk(newest)) as JWK;
      this.active = {
        kid: newest.kid,
        privateKey: (await importJWK(privateJwk, SIGNING_ALGORITHM)) as CryptoKey,
      };
    }
    for (const kid of this.publicKeys.keys()) {
      if (!published.has(kid)) {
        this.keySetVersion++;
        break;
      }
    }
    this.publicKeys = published;
    this.loadedAt = this.clock.now();
    this.loadedAtMonotonic = performance.now();
  }

  private openPrivateJwk(row: SigningKeyRecord): string {
    try {
      return this.box.open(row.privateJwkEncrypted, row.kid);
    } catch {
      throw new Error(
        `signing key ${row.kid} cannot be decrypted: AUTHD_SECRET differs from the one that encrypted it`,
      );
    }
  }

  private async toPublicKey(row: SigningKeyRecord): Promise<PublicKey> {
    const jwk = JSON.parse(row.publicJwk) as JWK;
    const key = (await importJWK(jwk, SIGNING_ALGORITHM)) as CryptoKey;
    return { kid: row.kid, jwk, key, createdAt: row.createdAt, retiredAt: row.retiredAt };
  }

  private async insertKey(tx: Transaction<SigningKeyRepositories>): Promise<string> {
    const kid = randomUUID();
    const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALGORITHM, {
      crv: "Ed25519",
      extractable: true,
    });
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: SIGNING_ALGORITHM, use: "sig" };
    const privateJwk = await exportJWK(privateKey);
    await tx.signingKeys.insert({
      kid,
      algorithm: SIGNING_ALGORITHM,
      publicJwk: JSON.stringify(publicJwk),
      privateJwkEncrypted: this.box.seal(JSON.stringify(privateJwk), kid),
      createdAt: this.clock.now(),
      retiredAt: null,
    });
    return kid;
  }
}
