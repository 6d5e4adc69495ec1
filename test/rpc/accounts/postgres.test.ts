// The account flows on PostgreSQL: the writes of the account repository (profile changes with
// their JSON settings, the conditional password replacement, an email move) persist there as on
// SQLite, read back by a later request.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AccountsHarness,
  expectCode,
  PASSWORD,
  startAccountsHarness,
  tokenFrom,
} from "../../helpers/accounts.js";
import { createTestDatabase } from "../../helpers/postgres.js";

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let h: AccountsHarness;

beforeAll(async () => {
  db = await createTestDatabase();
  h = await startAccountsHarness({ AUTHD_DATABASE_URL: db.url });
});
afterAll(async () => {
  await h.close();
  await db.drop();
});

describe("accounts on PostgreSQL", () => {
  it("keeps profile changes and settings, and reads them back in a later request", async () => {
    await h.signUp("pg-profile@example.com");
    const api = h.authed((await h.login("pg-profile@example.com")).accessToken);
    await api.updateCurrentUser({
      firstName: "Ada",
      username: "ada",
      currentPassword: PASSWORD,
      settings: { theme: "dark", lang: "en" },
    });
    await api.updateCurrentUser({ removeSettings: ["lang"], settings: { beta: "1" } });
    const { user } = await api.getCurrentUser({});
    expect(user).toMatchObject({ firstName: "Ada", username: "ada" });
    expect(user?.settings).toEqual({ theme: "dark", beta: "1" });
    await h.login("ada");
  });

  it("refuses a username another account holds, by name", async () => {
    await h.signUp("pg-first@example.com", PASSWORD, "taken");
    await h.signUp("pg-second@example.com");
    const api = h.authed((await h.login("pg-second@example.com")).accessToken);
    await expectCode(
      api.updateCurrentUser({ username: "taken", currentPassword: PASSWORD }),
      Code.AlreadyExists,
      /username/,
    );
  });

  it("changes the password only with the current one; the old one stops working", async () => {
    await h.signUp("pg-password@example.com");
    const api = h.authed((await h.login("pg-password@example.com")).accessToken);
    const newPassword = "a different long passphrase";
    await expectCode(
      api.changePassword({ currentPassword: "not the password", newPassword }),
      Code.Unauthenticated,
      /current_password/,
    );
    await api.changePassword({ currentPassword: PASSWORD, newPassword });
    await expectCode(
      h.auth.login({ identifier: "pg-password@example.com", password: PASSWORD }),
      Code.Unauthenticated,
    );
    await h.login("pg-password@example.com", newPassword);
  });

  it("moves the account to a new address once the emailed link is followed", async () => {
    await h.signUp("pg-old@example.com");
    const api = h.authed((await h.login("pg-old@example.com")).accessToken);
    await api.updateCurrentUser({ email: "pg-new@example.com", currentPassword: PASSWORD });
    await h.auth.verifyEmail({ token: tokenFrom(await h.mailTo("pg-new@example.com", /confirm|verify/i)) });
    expect((await api.getCurrentUser({})).user?.email).toBe("pg-new@example.com");
    await h.login("pg-new@example.com");
  });
});
