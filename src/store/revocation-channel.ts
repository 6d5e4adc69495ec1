// Session revocations between replicas on PostgreSQL, by LISTEN/NOTIFY. The revoking transaction
// sends `pg_notify` itself, so the message goes out exactly when the revocation commits; every
// replica listens on one dedicated connection and forgets those sessions from its cache.
//
// A notification can be missed only while the listening connection is down. Two things bound that:
// - the listener sends itself a ping every PING_INTERVAL_MS on the same connection; PostgreSQL
//   delivers notifications in commit order, so once a ping sent at time t comes back, every
//   revocation that committed before t has arrived. `coveredUntil()` answers that t; the session
//   cache stops trusting entries older than REVOCATION_BOUND_MS when it falls behind (a connection
//   that died silently stops the pings) and reads them again;
// - each time the listener (re)connects, `listening` tells the cache to forget everything it holds,
//   since what was revoked while no one listened will never be announced.
import { randomUUID } from "node:crypto";
import pg from "pg";
import type { EntityManager } from "typeorm";
import type { Freshness } from "../domain/sessions/session-cache.js";

const CHANNEL = "authd_sessions_revoked";
const PING_INTERVAL_MS = 200;
const RECONNECT_DELAY_MS = 500;
/** Session ids per notification: a payload must stay under PostgreSQL's 8000 bytes. */
const IDS_PER_MESSAGE = 150;

export interface ChannelLogger {
  warn(fields: object, message: string): void;
}

/** What the channel tells the sessions of this replica. */
export interface RevocationEvents {
  /** These sessions were revoked by a committed transaction (on any replica). */
  revoked(sessionIds: string[]): void;
  /** LISTEN is (again) in place: anything cached before may have missed a revocation. */
  listening(): void;
}

export class RevocationChannel implements Freshness {
  private client: pg.Client | undefined;
  private covered = Number.NEGATIVE_INFINITY;
  private readonly pingTag = `ping:${randomUUID()}:`;
  private timer: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;
  private events: RevocationEvents | undefined;

  /**
   * Built before the sessions it serves (their cache asks it how fresh it is, `coveredUntil`); the
   * sessions subscribe once built, before `start`.
   */
  constructor(
    private readonly databaseUrl: string,
    private readonly logger: ChannelLogger,
  ) {}

  subscribe(events: RevocationEvents): void {
    this.events = events;
  }

  /** Sends the revocation with the caller's transaction: delivered if and when it commits. */
  static async publish(em: EntityManager, sessionIds: string[]): Promise<void> {
    for (let i = 0; i < sessionIds.length; i += IDS_PER_MESSAGE) {
      await em.query("SELECT pg_notify($1, $2)", [
        CHANNEL,
        sessionIds.slice(i, i + IDS_PER_MESSAGE).join(","),
      ]);
    }
  }

  coveredUntil(): number {
    return this.covered;
  }

  async start(): Promise<void> {
    if (!this.events) throw new Error("the revocation channel starts once the sessions subscribed");
    await this.connect();
    this.timer = setInterval(() => void this.ping(), PING_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnect);
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.databaseUrl,
      keepAlive: true,
      application_name: "authd revocations",
    });
    client.on("notification", (message) => this.received(message.payload ?? ""));
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.events?.listening();
    await this.ping();
  }

  private received(payload: string): void {
    if (payload.startsWith(this.pingTag)) {
      const sentAt = Number(payload.slice(this.pingTag.length));
      if (sentAt > this.covered) this.covered = sentAt;
      return;
    }
    if (payload.startsWith("ping:")) return; // another replica's
    this.events?.revoked(payload.split(",").filter((id) => id !== ""));
  }

  private async ping(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.query("SELECT pg_notify($1, $2)", [CHANNEL, `${this.pingTag}${performance.now()}`]);
    } catch (err) {
      this.lost(client, err);
    }
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.logger.warn({ err }, "revocation listener lost its connection; reconnecting");
    const retry = () => {
      this.reconnect = undefined;
      if (this.stopped) return;
      this.connect().catch((e: unknown) => {
        this.logger.warn({ err: e }, "revocation listener could not reconnect");
        this.reconnect = setTimeout(retry, RECONNECT_DELAY_MS);
      });
    };
    this.reconnect = setTimeout(retry, RECONNECT_DELAY_MS);
  }
}
