// "Remember this device" in cookie mode, from a client that keeps cookies as a browser does (no
// browser runs here): VerifyChallenge keeps the device token out of the body and sets it as an
// HttpOnly cookie, which a later Login reads back to skip the second factor until the device is
// revoked. Bearer mode still answers the token in the body. The cookie counts only from an origin
// allowed to use cookies, as the session cookies do.
import { ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { AuthService } from "../../../gen/authd/v1/auth_pb.js";
import { AuthMethod } from "../../../gen/authd/v1/common_pb.js";
import { MfaService } from "../../../gen/authd/v1/mfa_pb.js";
import { appCode, type MfaHarness, PASSWORD, startMfaHarness } from "../../helpers/mfa.js";

const DEVICE_TTL = 7 * 24 * 3600;
const DEVICE_COOKIE = "__Host-authd_device";

/** A minimal browser cookie jar: sends what it holds, stores Set-Cookie, forgets Max-Age=0. */
class CookieJar {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line received, newest last. */
  readonly setCookieLines: string[] = [];

  readonly interceptor: Interceptor = (next) => async (req) => {
    if (this.cookies.size > 0) {
      req.header.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    try {
      const res = await next(req);
      this.store(res.header);
      return res;
    } catch (error) {
      if (error instanceof ConnectError) this.store(error.metadata);
      throw error;
    }
  };

  private store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      this.setCookieLines.push(line);
      const [pair = "", ...attributes] = line.split(";").map((p) => p.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const expired = attributes.some((a) => a.toLowerCase() === "max-age=0");
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

describe("remember this device in cookie mode", () => {
  let h: MfaHarness;
  let n = 0;

  beforeAll(async () => {
    h = await startMfaHarness({
      AUTHD_PUBLIC_URL: "https://auth.example.com",
      AUTHD_CORS_ORIGINS: "https://app.example.com",
      AUTHD_TRUSTED_DEVICE_TTL: String(DEVICE_TTL),
    });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** A browser with its cookie jar; `origin`, when given, is sent as the Origin of every request. */
  function browser(origin?: string) {
    const jar = new CookieJar();
    const withOrigin: Interceptor = (next) => (req) => {
      if (origin !== undefined) req.header.set("origin", origin);
      return next(req);
    };
    const transport = createConnectTransport({
      baseUrl: h.server.url,
      httpVersion: "1.1",
      interceptors: [withOrigin, jar.interceptor],
    });
    return { jar, auth: createClient(AuthService, transport), mfa: createClient(MfaService, transport) };
  }

  type Browser = ReturnType<typeof browser>;

  async function cookieLogin(b: Browser, email: string) {
    const res = await b.auth.login({ identifier: email, password: PASSWORD, authMethod: AuthMethod.COOKIE });
    return res.result;
  }

  /** Signs in with password then TOTP, in cookie mode, asking to remember the device. */
  async function rememberedSignIn(b: Browser, u: Awaited<ReturnType<MfaHarness["userWithTotp"]>>) {
    const first = await cookieLogin(b, u.email);
    if (first.case !== "mfaChallenge") throw new Error(`expected a challenge, got ${first.case}`);
    h.server.clock.advanceSeconds(30);
    return b.mfa.verifyChallenge({
      challengeId: first.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, h.server.clock.now()),
      rememberDevice: true,
    });
  }

  test("VerifyChallenge sets an HttpOnly __Host- device cookie for AUTHD_TRUSTED_DEVICE_TTL and keeps the token out of the body", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const b = browser();
    const res = await rememberedSignIn(b, u);
    expect(res.deviceToken).toBe("");
    expect(res.tokens?.accessToken).toBe("");
    expect(b.jar.cookies.get(DEVICE_COOKIE)).toMatch(/^dev_/);
    const line = b.jar.setCookieLines.find((l) => l.startsWith(`${DEVICE_COOKIE}=`)) as string;
    const attributes = line.split(";").map((p) => p.trim());
    expect(attributes).toEqual(
      expect.arrayContaining(["Path=/", `Max-Age=${DEVICE_TTL}`, "HttpOnly", "SameSite=Strict", "Secure"]),
    );
  });

  test("a later cookie-mode Login carrying the device cookie skips the second factor, also after sign-out", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const b = browser();
    await rememberedSignIn(b, u);
    await b.auth.logout({});
    expect(b.jar.cookies.has("__Host-authd_access")).toBe(false);
    expect(b.jar.cookies.get(DEVICE_COOKIE)).toMatch(/^dev_/);
    const again = await cookieLogin(b, u.email);
    expect(again.case).toBe("tokens");
    expect(b.jar.cookies.has("__Host-authd_access")).toBe(true);

    // Another account signing in from the same browser still gets its own second factor asked.
    const other = await h.userWithTotp(`device${++n}@example.com`);
    expect((await cookieLogin(b, other.email)).case).toBe("mfaChallenge");
  });

  test("a revoked device's cookie no longer skips the second factor", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const b = browser();
    await rememberedSignIn(b, u);
    const devices = await u.mfa.listTrustedDevices({});
    expect(devices.devices).toHaveLength(1);
    await u.mfa.revokeTrustedDevice({ deviceId: devices.devices[0]?.id as string });
    expect(b.jar.cookies.get(DEVICE_COOKIE)).toMatch(/^dev_/);
    expect((await cookieLogin(b, u.email)).case).toBe("mfaChallenge");
  });

  test("bearer mode still answers the device token in the body and sets no cookie", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const b = browser();
    const first = await b.auth.login({ identifier: u.email, password: PASSWORD });
    if (first.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    h.server.clock.advanceSeconds(30);
    const res = await b.mfa.verifyChallenge({
      challengeId: first.result.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, h.server.clock.now()),
      rememberDevice: true,
    });
    expect(res.deviceToken).toMatch(/^dev_/);
    expect(res.tokens?.accessToken).not.toBe("");
    expect(b.jar.setCookieLines).toEqual([]);
    const again = await b.auth.login({
      identifier: u.email,
      password: PASSWORD,
      deviceToken: res.deviceToken,
    });
    expect(again.result.case).toBe("tokens");
  });

  test("the device cookie is ignored from an origin that may not use cookies: a bearer-mode Login from it is asked for the second factor", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const remembered = browser();
    await rememberedSignIn(remembered, u);
    const deviceCookie = remembered.jar.cookies.get(DEVICE_COOKIE) as string;
    expect(deviceCookie).toMatch(/^dev_/);

    // The same cookie, sent from a page of another site: not a remembered device there.
    const evil = browser("https://evil.example");
    evil.jar.cookies.set(DEVICE_COOKIE, deviceCookie);
    const refused = await evil.auth.login({ identifier: u.email, password: PASSWORD });
    expect(refused.result.case).toBe("mfaChallenge");
    // The device is still trusted where cookies are allowed: the public URL's origin and the CORS list.
    for (const origin of ["https://auth.example.com", "https://app.example.com"]) {
      const allowed = browser(origin);
      allowed.jar.cookies.set(DEVICE_COOKIE, deviceCookie);
      const res = await allowed.auth.login({ identifier: u.email, password: PASSWORD });
      expect(res.result.case, origin).toBe("tokens");
    }
  });

  test("a device token in the request's field is honoured from any origin: it is the caller's own credential, not the browser's", async () => {
    const u = await h.userWithTotp(`device${++n}@example.com`);
    const first = await browser().auth.login({ identifier: u.email, password: PASSWORD });
    if (first.result.case !== "mfaChallenge") throw new Error("expected a challenge");
    h.server.clock.advanceSeconds(30);
    const verified = await browser().mfa.verifyChallenge({
      challengeId: first.result.value.challengeId,
      authenticatorId: u.totpId,
      code: appCode(u.secret, h.server.clock.now()),
      rememberDevice: true,
    });
    const res = await browser("https://evil.example").auth.login({
      identifier: u.email,
      password: PASSWORD,
      deviceToken: verified.deviceToken,
    });
    expect(res.result.case).toBe("tokens");
  });
});
