// A Node HTTP/2 load generator, one process of it per call. Used for what h2load cannot do (Refresh:
// each request needs the token the previous answer gave; Register: a new email per request) and, when
// h2load is not installed, for everything. Each of `connections` HTTP/2 connections runs `streams`
// loops, each with one request in flight. Prints one JSON line: count, errors, seconds, latencies (µs).
import http2 from "node:http2";

export interface LoadPlan {
  url: string;
  scenario: "fixed" | "refresh" | "register";
  /** For "fixed": the RPC path, its JSON body and extra headers. */
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  /** For "refresh": the refresh tokens to rotate, one loop each. */
  refreshTokens?: string[];
  connections: number;
  streams: number;
  seconds: number;
  warmup: number;
}

interface Reply {
  status: number;
  body: string;
}

function post(session: http2.ClientHttp2Session, path: string, body: string, headers = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/json",
      ...headers,
    });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve({ status, body: Buffer.concat(chunks).toString("utf8") }));
    stream.on("error", reject);
    stream.end(body);
  });
}

async function run(plan: LoadPlan) {
  const sessions = Array.from({ length: plan.connections }, () =>
    http2.connect(plan.url).on("error", (error) => {
      console.error(error);
      process.exit(1);
    }),
  );
  const warmupEnds = performance.now() + plan.warmup * 1000;
  const ends = warmupEnds + plan.seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let registered = 0;
  const next = nextRequest(plan);
  // CPU this generator uses during the measured window (not its start-up or warm-up).
  let cpuAtStart = process.cpuUsage();
  setTimeout(() => {
    cpuAtStart = process.cpuUsage();
  }, plan.warmup * 1000).unref();
  const loop = async (session: http2.ClientHttp2Session, slot: number) => {
    let state: string | undefined = plan.refreshTokens?.[slot];
    if (plan.scenario === "refresh" && state === undefined) return;
    for (;;) {
      const started = performance.now();
      if (started >= ends) return;
      const request = next(state, registered++);
      const reply = await post(session, request.path, request.body, request.headers);
      const done = performance.now();
      const ok = reply.status === 200;
      if (ok && plan.scenario === "refresh") {
        state = (JSON.parse(reply.body) as { tokens: { refreshToken: string } }).tokens.refreshToken;
      }
      if (started < warmupEnds) continue;
      if (ok) latencies.push((done - started) * 1000);
      else {
        errors++;
        if (errors <= 3) process.stderr.write(`${reply.status} ${reply.body.slice(0, 200)}\n`);
        if (plan.scenario === "refresh") return; // the chain is broken; do not hammer with a dead token
      }
    }
  };
  const loops: Promise<void>[] = [];
  let slot = 0;
  for (const session of sessions) {
    for (let i = 0; i < plan.streams; i++) loops.push(loop(session, slot++));
  }
  await Promise.all(loops);
  for (const session of sessions) session.close();
  const seconds = (performance.now() - warmupEnds) / 1000;
  const used = process.cpuUsage(cpuAtStart);
  const cpu = (used.user + used.system) / 1e6;
  process.stdout.write(`${JSON.stringify({ count: latencies.length, errors, seconds, cpu, latencies })}\n`);
}

function nextRequest(plan: LoadPlan) {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  return (state: string | undefined, n: number) => {
    switch (plan.scenario) {
      case "fixed":
        return { path: plan.path ?? "/", body: plan.body ?? "{}", headers: plan.headers };
      case "refresh":
        return { path: "/authd.v1.AuthService/Refresh", body: JSON.stringify({ refreshToken: state }) };
      case "register":
        return {
          path: "/authd.v1.AuthService/Register",
          body: JSON.stringify({
            email: `new-${tag}-${n}@bench.example`,
            password: "bench passphrase of quiet rivers",
          }),
        };
    }
  };
}

run(JSON.parse(process.argv[2] ?? "{}") as LoadPlan).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
