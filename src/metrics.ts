// Prometheus metrics: RPCs, sign-in outcomes, the outbox, the database pool and the process. They
// live in a registry of their own (never prom-client's global one), so two servers in one process,
// as in the tests, keep separate counts. Serving them is src/metrics-http.ts's job.
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "./clock.js";
import { DomainError } from "./domain/errors.js";
import type { Logger } from "./logger.js";
import { OutboxTable } from "./store/repositories/outbox.js";
import type { Store } from "./store/store.js";

/** What a Login call ended in, as counted by `authd_sign_ins_total`. */
export type SignInOutcome =
  | "success"
  | "mfa_required"
  | "wrong_password"
  | "locked"
  | "rate_limited"
  | "refused"
  | "invalid_request"
  | "error";

const LOGIN_PROCEDURE = "authd.v1.AuthService/Login";

/** Outbox counts are cached this long, so frequent scrapes cost one small query per interval. */
const OUTBOX_CACHE_MS = 5_000;

export interface Metrics {
  readonly registry: Registry;
  /** Counts and times every RPC; placed outermost, so it sees the final Connect code. */
  interceptor(): Interceptor;
  /** The exposition text and its content type. */
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const rpcs = new Counter({
    name: "authd_rpc_requests_total",
    help: "RPCs answered, by procedure and Connect code (ok, invalid_argument, unauthenticated, ...).",
    labelNames: ["procedure", "code"] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: "authd_rpc_duration_seconds",
    help: "Time to answer an RPC, by procedure (argon2 makes Login and Register the slow ones).",
    labelNames: ["procedure"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const signIns = new Counter({
    name: "authd_sign_ins_total",
    help: "Login calls by outcome: success, mfa_required, wrong_password (unknown accounts included), locked (the account was locked; answered like a wrong password), rate_limited (too many failures from the address), refused (unverified or deactivated), invalid_request, error.",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  registerOutboxGauges(registry, deps);
  registerPoolGauges(registry, deps.store);

  return {
    registry,
    interceptor: () => (next) => async (req) => {
      const procedure = `${req.service.typeName}/${req.method.name}`;
      const stopTimer = latency.startTimer({ procedure });
      try {
        const res = await next(req);
        rpcs.inc({ procedure, code: "ok" });
        if (procedure === LOGIN_PROCEDURE) signIns.inc({ outcome: loginSuccessOutcome(res.message) });
        return res;
      } catch (error) {
        const connectError = ConnectError.from(error);
        rpcs.inc({ procedure, code: codeName(connectError.code) });
        if (procedure === LOGIN_PROCEDURE) signIns.inc({ outcome: loginFailureOutcome(connectError) });
        throw error;
      } finally {
        stopTimer();
      }
    },
    async scrape() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/** The code as Connect spells it on the wire: ResourceExhausted → resource_exhausted. */
function codeName(code: Code): string {
  return (Code[code] ?? "unknown").replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();
}

function loginSuccessOutcome(message: unknown): SignInOutcome {
  const result = (message as { result?: { case?: string } }).result;
  return result?.case === "mfaChallenge" ? "mfa_required" : "success";
}

/**
 * The failure by its Connect code. A locked account answers exactly like a wrong password (so the
 * lock is no oracle); the domain error behind the answer says which it was.
 */
function loginFailureOutcome(error: ConnectError): SignInOutcome {
  switch (error.code) {
    case Code.Unauthenticated:
      return error.cause instanceof DomainError && error.cause.reason === "locked"
        ? "locked"
        : "wrong_password";
    case Code.ResourceExhausted:
      return "rate_limited";
    case Code.FailedPrecondition:
    case Code.PermissionDenied:
      return "refused";
    case Code.InvalidArgument:
      return "invalid_request";
    default:
      return "error";
  }
}

/**
 * Outbox depth, read on scrape with one grouped query over the (status, next_attempt_at) index. Sent
 * messages are not counted (they are history, not depth); failed ones stay until someone looks.
 */
function registerOutboxGauges(registry: Registry, deps: MetricsDeps): void {
  const depth = new Gauge({
    name: "authd_outbox_messages",
    help: "Emails and SMS in the outbox by state: pending (not tried yet), retrying (failed at least once, will be retried), failed (gave up).",
    labelNames: ["state"] as const,
    registers: [registry],
    collect: () => refresh(),
  });
  const oldest = new Gauge({
    name: "authd_outbox_oldest_pending_age_seconds",
    help: "Age of the oldest message still waiting for delivery (0 when none): a growing value means mail is not going out.",
    registers: [registry],
    collect: () => refresh(),
  });
  // Each gauge's collect awaits the same refresh (one query per scrape at most), which prom-client
  // awaits before writing the gauge.
  const up = new Gauge({
    name: "authd_database_up",
    help: "1 when the last metrics query reached the database, 0 when it failed.",
    registers: [registry],
    collect: () => refresh(),
  });
  let readAt = Number.NEGATIVE_INFINITY;
  let reading: Promise<void> | undefined;
  const read = async () => {
    // A plain read: on SQLite it runs on a reader connection, not in the queue of writes.
    const rows = await new OutboxTable(deps.store).backlog();
    const counts = { pending: 0, retrying: 0, failed: 0 };
    let oldestPending: number | undefined;
    for (const row of rows) {
      const n = Number(row.n);
      if (row.status === "failed") counts.failed += n;
      else {
        if (Number(row.retried) === 1) counts.retrying += n;
        else counts.pending += n;
        const created = Number(row.oldest);
        if (row.oldest !== null && (oldestPending === undefined || created < oldestPending)) {
          oldestPending = created;
        }
      }
    }
    for (const [state, n] of Object.entries(counts)) depth.set({ state }, n);
    oldest.set(oldestPending === undefined ? 0 : Math.max(0, (deps.clock.now() - oldestPending) / 1000));
  };
  const refresh = async () => {
    if (performance.now() - readAt < OUTBOX_CACHE_MS) return;
    reading ??= read()
      .then(
        () => {
          up.set(1);
          readAt = performance.now();
        },
        (err: unknown) => {
          up.set(0);
          deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, "metrics query failed");
        },
      )
      .finally(() => {
        reading = undefined;
      });
    await reading;
  };
}

/** The subset of pg.Pool that the pool gauges read. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

/**
 * Connection pool use (PostgreSQL). SQLite has one connection that the Store queues transactions on,
 * so there is no pool to report.
 */
function registerPoolGauges(registry: Registry, store: Store): void {
  if (store.dialect !== "postgres") return;
  const pool = () => (store.dataSource.driver as unknown as { master?: PgPool }).master;
  new Gauge({
    name: "authd_db_pool_connections",
    help: "PostgreSQL pool connections: total open, idle, and requests waiting for one.",
    labelNames: ["state"] as const,
    registers: [registry],
    collect() {
      const p = pool();
      if (!p) return;
      this.set({ state: "total" }, p.totalCount);
      this.set({ state: "idle" }, p.idleCount);
      this.set({ state: "waiting" }, p.waitingCount);
    },
  });
  new Gauge({
    name: "authd_db_pool_max_connections",
    help: "The most connections the PostgreSQL pool opens.",
    registers: [registry],
    collect() {
      const max = pool()?.options?.max;
      if (max !== undefined) this.set(max);
    },
  });
}
