// Health/Check and /healthz answer from this probe instead of querying the database per request: a
// health check under load must not add load, and a load balancer polling it must not queue behind
// real work. The probe runs a trivial transaction every PROBE_INTERVAL_MS; the answer is at most that
// old. A probe that does not finish within PROBE_TIMEOUT_MS counts as a failure.
const PROBE_INTERVAL_MS = 1_000;
const PROBE_TIMEOUT_MS = 5_000;

export class HealthProbe {
  private healthy = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly check: () => Promise<unknown>) {}

  /** Probes once (so the first answer is real), then keeps probing in the background. */
  async start(): Promise<void> {
    await this.probe();
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  isHealthy(): boolean {
    return this.healthy;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    this.healthy = false;
  }

  private probe(): Promise<void> {
    this.running ??= this.attempt().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async attempt(): Promise<void> {
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error("health probe timed out")), PROBE_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.check(), expired]);
      this.healthy = true;
    } catch {
      this.healthy = false;
    } finally {
      clearTimeout(timeout);
    }
  }
}
