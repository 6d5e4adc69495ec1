// The generated clients as another project uses them: packages/client is packed, installed into a
// separate temporary project the way a user would (`npm install <tarball>`), and a plain .mjs script
// there calls a running authd over gRPC.
import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";

const root = path.resolve(import.meta.dirname, "../../..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
let h: AccountsHarness;
let work: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "authd-client-"));
  h = await startAccountsHarness();
  await h.signUp("ada@example.com");
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

const CALLER = `
import { Code, ConnectError, createAuthdClient, HealthCheckResponse_ServingStatus } from "@authd/client";

const [baseUrl, identifier, password] = process.argv.slice(2);
const authd = createAuthdClient(baseUrl, { protocol: "grpc" });
const health = await authd.health.check({});
const login = await authd.auth.login({ identifier, password });
if (login.result.case !== "tokens") throw new Error("expected tokens");
const me = createAuthdClient(baseUrl, { protocol: "grpc", accessToken: login.result.value.accessToken });
const user = await me.auth.getCurrentUser({});
let wrongPassword;
try {
  await authd.auth.login({ identifier, password: "not the password" });
} catch (error) {
  wrongPassword = Code[ConnectError.from(error).code];
}
console.log(JSON.stringify({ health: HealthCheckResponse_ServingStatus[health.status], email: user.user?.email, wrongPassword }));
`;

describe("@authd/client", () => {
  it("installs from its tarball into another project and calls authd over gRPC from Node", async () => {
    // `npm pack` runs the package's prepack script, which builds it.
    const pack = spawnSync(npm, ["pack", "--json", "--pack-destination", work], {
      cwd: path.join(root, "packages", "client"),
      encoding: "utf8",
    });
    expect(pack.status, pack.stderr).toBe(0);
    const [{ filename, files }] = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as [
      { filename: string; files: { path: string }[] },
    ];
    const paths = files.map((f) => f.path);
    for (const file of [
      "dist/src/node.js",
      "dist/src/node.d.ts",
      "dist/src/web.js",
      "dist/gen/authd/v1/auth_pb.js",
    ]) {
      expect(paths).toContain(file);
    }

    const project = path.join(work, "consumer");
    fs.mkdirSync(project);
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "module" }),
    );
    // Its dependencies come from npm's cache where they can (the project's own install filled it).
    const install = spawnSync(
      npm,
      ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(work, filename)],
      { cwd: project, encoding: "utf8" },
    );
    expect(install.status, install.stderr).toBe(0);
    expect(install.stderr).not.toMatch(/npm warn/i);

    fs.writeFileSync(path.join(project, "call.mjs"), CALLER);
    // Asynchronously: the server under test runs in this process and must keep answering.
    const run = await promisify(execFile)(
      process.execPath,
      ["call.mjs", h.server.url, "ada@example.com", PASSWORD],
      { cwd: project, encoding: "utf8", timeout: 60_000 },
    );
    expect(JSON.parse(run.stdout)).toEqual({
      health: "SERVING",
      email: "ada@example.com",
      wrongPassword: "Unauthenticated",
    });
  }, 180_000);
});
