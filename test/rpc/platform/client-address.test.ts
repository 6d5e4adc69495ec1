// Which address a request is counted under: a client behind a proxy must not be able to choose its
// own rate-limit key with X-Forwarded-For.
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { SessionService } from "../../../gen/authd/v1/session_pb.js";
import { loadConfig } from "../../../src/config.js";
import { clientAddress, normalizeIp, rateLimitKeyFor } from "../../../src/http/client-address.js";
import { type AccountsHarness, expectCode, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";

describe("the client address behind trusted proxies", () => {
  it("takes the address the nearest trusted proxy saw, not the client's own entries on the left", () => {
    expect(clientAddress("10.0.0.9", "6.6.6.6, 203.0.113.7", 1)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.9", "6.6.6.6, 203.0.113.7, 10.0.0.8", 2)).toBe("203.0.113.7");
    expect(clientAddress("10.0.0.9", ["6.6.6.6", "203.0.113.7"], 1)).toBe("203.0.113.7");
  });

  it("takes the leftmost entry when there are fewer entries than trusted proxies", () => {
    expect(clientAddress("10.0.0.9", "203.0.113.7", 3)).toBe("203.0.113.7");
  });

  it("ignores X-Forwarded-For when no proxy is trusted", () => {
    expect(clientAddress("198.51.100.1", "203.0.113.7", 0)).toBe("198.51.100.1");
  });

  it("falls back to the socket's peer when the chosen entry is not an IP address", () => {
    for (const junk of ["unknown", "1.2.3.4:80", "<script>", "x".repeat(300), "999.1.1.1", ""]) {
      expect(clientAddress("198.51.100.1", `1.1.1.1, ${junk}`, 1)).toBe(
        junk === "" ? "1.1.1.1" : "198.51.100.1",
      );
    }
  });

  it("writes IPv4-mapped IPv6 as IPv4 and IPv6 in its canonical form", () => {
    expect(normalizeIp("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeIp("::FFFF:c000:0201")).toBe("192.0.2.1");
    expect(normalizeIp("2001:DB8:0:0:0:0:0:1")).toBe("2001:db8::1");
    expect(normalizeIp("fe80::1%eth0")).toBe("fe80::1");
    expect(clientAddress("::ffff:127.0.0.1", undefined, 0)).toBe("127.0.0.1");
  });

  it("counts IPv6 addresses by their /64 and IPv4 addresses one by one", () => {
    expect(rateLimitKeyFor("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKeyFor("2001:db8:1:2:bbbb::9")).toBe("2001:db8:1:2::/64");
    expect(rateLimitKeyFor("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(rateLimitKeyFor("192.0.2.1")).toBe("192.0.2.1");
  });

  it("reads AUTHD_TRUSTED_PROXIES, and the older AUTHD_TRUST_PROXY=true as one proxy", () => {
    expect(loadConfig({}).trustedProxies).toBe(0);
    expect(loadConfig({ AUTHD_TRUSTED_PROXIES: "2" }).trustedProxies).toBe(2);
    expect(loadConfig({ AUTHD_TRUST_PROXY: "true" }).trustedProxies).toBe(1);
    expect(loadConfig({ AUTHD_TRUST_PROXY: "true", AUTHD_TRUSTED_PROXIES: "0" }).trustedProxies).toBe(0);
    expect(() => loadConfig({ AUTHD_TRUSTED_PROXIES: "-1" })).toThrow("AUTHD_TRUSTED_PROXIES");
  });
});

describe("per-address limits behind one trusted proxy", () => {
  let h: AccountsHarness;
  beforeAll(async () => {
    h = await startAccountsHarness({ AUTHD_TRUSTED_PROXIES: "1", AUTHD_EMAILS_PER_IP: "2" });
  });
  afterAll(() => h.close());

  const checkEmailFrom = (forwardedFor: string) =>
    h.server
      .client(AuthService, "connect", { "x-forwarded-for": forwardedFor })
      .checkEmail({ email: "someone@example.com" });

  it("a client cannot escape the limit by writing its own X-Forwarded-For entries", async () => {
    // The proxy appends 203.0.113.10; the client invents a new address on the left each time.
    for (let i = 0; i < 2; i++) {
      await expectCode(checkEmailFrom(`6.6.6.${i}, 203.0.113.10`), Code.FailedPrecondition);
    }
    await expectCode(checkEmailFrom("6.6.6.99, 203.0.113.10"), Code.ResourceExhausted);
    // Another real client behind the same proxy still has its own allowance.
    await expectCode(checkEmailFrom("203.0.113.11"), Code.FailedPrecondition);
  });

  it("counts the addresses of one IPv6 /64 together", async () => {
    await expectCode(checkEmailFrom("2001:db8:5:6::1"), Code.FailedPrecondition);
    await expectCode(checkEmailFrom("2001:db8:5:6::2"), Code.FailedPrecondition);
    await expectCode(checkEmailFrom("2001:db8:5:6:ffff::3"), Code.ResourceExhausted);
  });

  it("records the real address for the session, not the client's claim", async () => {
    await h.signUp("proxied@example.com");
    const res = await h.server
      .client(AuthService, "connect", { "x-forwarded-for": "6.6.6.6, ::ffff:198.51.100.20" })
      .login({ identifier: "proxied@example.com", password: PASSWORD });
    if (res.result.case !== "tokens") throw new Error("expected tokens");
    const sessions = await h.server
      .client(SessionService, "connect", { authorization: `Bearer ${res.result.value.accessToken}` })
      .listSessions({});
    expect(sessions.sessions[0]?.ipAddress).toBe("198.51.100.20");
  });
});
