// `authd admin create` as an operator runs it (a child process), then the printed link used
// through a real server on the same database: the new administrator sets a password, signs in,
// and (with --operator) manages tenants. On SQLite and PostgreSQL.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, expect, it } from "vitest";
import { AdminService } from "../../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { forEachDatabase } from "../../helpers/databases.js";
import { startTestServer } from "../../helpers/server.js";
import { bearer } from "../../helpers/sessions.js";

const root = path.resolve(import.meta.dirname, "../../..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
const SECRET = "a test master secret of at least 32 characters";
const NEW_PASSWORD = "a brand new admin passphrase";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function adminCreate(databaseUrl: string, args: string[]) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "authd-admin-cli-"));
  dirs.push(dataDir);
  return spawnSync(tsx, ["src/main.ts", "admin", "create", ...args], {
    cwd: root,
    env: {
      ...process.env,
      AUTHD_DATA_DIR: dataDir,
      AUTHD_DATABASE_URL: databaseUrl,
      AUTHD_SECRET: SECRET,
      AUTHD_PUBLIC_URL: "https://auth.example.com/",
      AUTHD_LOG_LEVEL: "warn",
    },
    encoding: "utf8",
  });
}

/** The token of the one link the command printed on stdout. */
function linkToken(stdout: string): string {
  const match = /^https:\/\/auth\.example\.com\/reset-password\?token=([A-Za-z0-9_-]{43})$/m.exec(stdout);
  expect(match, stdout).not.toBeNull();
  return match?.[1] ?? "";
}

forEachDatabase("authd admin create", (database) => {
  it("creates an operator whose printed link sets the password; it then signs in and manages tenants", async () => {
    const url = await database.url();
    const result = adminCreate(url, ["--email", "Boss@Example.com", "--operator"]);
    expect(result.status, result.stderr).toBe(0);
    const token = linkToken(result.stdout);
    // Promoting the same account again prints a new link and voids the first.
    const again = adminCreate(url, ["--tenant", "default", "--email", "boss@example.com", "--operator"]);
    expect(again.status, again.stderr).toBe(0);
    const secondToken = linkToken(again.stdout);

    const server = await startTestServer({ AUTHD_DATABASE_URL: url, AUTHD_SECRET: SECRET });
    try {
      server.clock.set(Date.now());
      const auth = server.client(AuthService);
      const refused = await auth.resetPassword({ token, newPassword: NEW_PASSWORD }).catch((e) => e);
      expect(ConnectError.from(refused).code).not.toBe(Code.Internal);
      expect(refused).toBeInstanceOf(Error);
      await auth.resetPassword({ token: secondToken, newPassword: NEW_PASSWORD });
      // Single use.
      const reused = await auth
        .resetPassword({ token: secondToken, newPassword: NEW_PASSWORD })
        .catch((e) => e);
      expect(reused).toBeInstanceOf(Error);

      const login = await auth.login({ identifier: "boss@example.com", password: NEW_PASSWORD });
      if (login.result.case !== "tokens") throw new Error("expected tokens");
      const accessToken = login.result.value.accessToken;
      const validated = await server.client(SessionService).validateToken({ token: accessToken });
      expect([...validated.roles].sort()).toEqual(["admin", "operator"]);
      const admin = server.client(AdminService, "connect", bearer(accessToken));
      const { tenant } = await admin.createTenant({ slug: "first-co", name: "First" });
      expect(tenant?.slug).toBe("first-co");
    } finally {
      await server.close();
    }

    // An admin of that tenant: no operator role, and --operator is refused outside default.
    const tenantAdmin = adminCreate(url, ["--tenant", "first-co", "--email", "lead@first.example"]);
    expect(tenantAdmin.status, tenantAdmin.stderr).toBe(0);
    linkToken(tenantAdmin.stdout);
    const notThere = adminCreate(url, ["--tenant", "first-co", "--email", "x@first.example", "--operator"]);
    expect(notThere.status).toBe(1);
    expect(notThere.stderr).toContain("default tenant");
    expect(notThere.stdout).not.toContain("token=");
  }, 120_000);

  it.runIf(database.kind === "sqlite")(
    "refuses a missing email or an unknown tenant without printing a link",
    async () => {
      const url = await database.url();
      const noEmail = adminCreate(url, []);
      expect(noEmail.status).toBe(2);
      expect(noEmail.stderr).toContain("--email is required");
      const unknown = adminCreate(url, ["--tenant", "nope-co", "--email", "a@example.com"]);
      expect(unknown.status).toBe(1);
      expect(unknown.stderr).toContain('no tenant "nope-co"');
      expect(unknown.stdout).not.toContain("token=");
    },
    60_000,
  );
});
