// The Python example of examples/: stubs generated from proto/ with grpc_tools, and a service that
// lets in the callers authd vouches for (ValidateToken over gRPC) after authd's gRPC health check
// (grpcio-health-checking's module, grpc_health.v1). It needs Debian's python3-grpcio and
// python3-grpc-tools (.ci/run installs them); without them this test fails and says so.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { type RunningExample, startExample } from "../../helpers/examples.js";

const run = promisify(execFile);

/** Debian's Python first (its packages are installed for it), then whatever python3 is first on PATH. */
const PYTHONS = ["/usr/bin/python3", "python3"];

async function pythonWithGrpc(): Promise<string> {
  for (const python of PYTHONS) {
    try {
      await run(python, ["-c", "import grpc, grpc_tools.protoc"]);
      return python;
    } catch {
      // not this one
    }
  }
  throw new Error(
    "the Python example needs grpc and grpc_tools for python3: apt-get install -y python3-grpcio python3-grpc-tools",
  );
}

let h: AccountsHarness;
let service: RunningExample;
let gen: string;

beforeAll(async () => {
  const python = await pythonWithGrpc();
  gen = fs.mkdtempSync(path.join(os.tmpdir(), "authd-python-gen-"));
  await run(python, ["examples/python-grpc/generate.py", gen], {
    cwd: path.resolve(import.meta.dirname, "../../.."),
  });
  h = await startAccountsHarness();
  service = await startExample(python, ["-u", "examples/python-grpc/service.py"], {
    AUTHD_GRPC_TARGET: new URL(h.server.url).host,
    AUTHD_PYTHON_GEN: gen,
    PORT: "0",
  });
}, 60_000);
afterAll(async () => {
  await service?.stop();
  await h?.close();
  if (gen) fs.rmSync(gen, { recursive: true, force: true });
});

async function hello(token?: string) {
  const res = await fetch(`${service.url}/hello`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: res.status === 200 ? await res.json() : null };
}

describe("examples/python-grpc", () => {
  it("generates session.proto's stubs and the health module without a package named grpc", () => {
    const files = fs.readdirSync(gen, { recursive: true }).map(String).sort();
    expect(files).toEqual(
      expect.arrayContaining([
        path.join("authd", "v1", "session_pb2_grpc.py"),
        path.join("grpc_health", "v1", "health_pb2_grpc.py"),
      ]),
    );
    expect(files.some((f) => f === "grpc" || f.startsWith(`grpc${path.sep}`))).toBe(false);
  });

  it("lets in the holder of an access token, by its subject", async () => {
    await h.signUp("python-example@example.com");
    const tokens = await h.login("python-example@example.com", PASSWORD);
    const userId = (await h.authed(tokens.accessToken).getCurrentUser({})).user?.id;
    expect(await hello(tokens.accessToken)).toEqual({ status: 200, body: { hello: userId, roles: [] } });
    await h.authed(tokens.accessToken).logout({});
    expect((await hello(tokens.accessToken)).status).toBe(401);
  });

  it("refuses no token and one that is not authd's", async () => {
    expect((await hello()).status).toBe(401);
    expect((await hello("not-a-token")).status).toBe(401);
  });
});
