// Captcha verification against a local HTTP server playing the hCaptcha / Turnstile siteverify API,
// called through the outbound port with the development allowance (the server is on loopback).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaptchaVerifier } from "../../src/domain/captcha.js";
import { createLogger } from "../../src/logger.js";
import { createGuardedHttp } from "../../src/outbound/guarded-http.js";

const logger = createLogger("silent");
const requests: Array<{ contentType: string; form: URLSearchParams }> = [];
let provider: http.Server;
let url: string;

beforeAll(async () => {
  provider = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const form = new URLSearchParams(body);
      requests.push({ contentType: req.headers["content-type"] ?? "", form });
      const token = form.get("response");
      if (token === "hang") return; // never answers
      if (token === "boom") {
        res.writeHead(500).end("oops");
        return;
      }
      if (token === "garbage") {
        res.writeHead(200, { "Content-Type": "text/html" }).end("<html>");
        return;
      }
      const success = form.get("secret") === "s3cret" && token === "good-token";
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify(
          success ? { success: true } : { success: false, "error-codes": ["invalid-input-response"] },
        ),
      );
    });
  });
  await new Promise<void>((resolve) => provider.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/siteverify`;
});
afterAll(async () => {
  provider.closeAllConnections();
  await new Promise((resolve) => provider.close(resolve));
});

/** What the wiring hands the verifier, with AUTHD_OUTBOUND_ALLOW_PRIVATE=true. */
const outbound = createGuardedHttp({ allowPrivate: true });

describe("captcha", () => {
  it("accepts a token the provider says is valid, sending secret, token and IP as a form", async () => {
    const captcha = createCaptchaVerifier({ verifyUrl: url, secret: "s3cret", logger, http: outbound });
    expect(await captcha.verify("good-token", "203.0.113.7")).toBe(true);
    const last = requests.at(-1);
    expect(last?.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(last?.form ?? [])).toEqual({
      secret: "s3cret",
      response: "good-token",
      remoteip: "203.0.113.7",
    });
  });

  it("refuses a token the provider says is invalid", async () => {
    const captcha = createCaptchaVerifier({ verifyUrl: url, secret: "s3cret", logger, http: outbound });
    expect(await captcha.verify("bad-token", "203.0.113.7")).toBe(false);
    const wrongSecret = createCaptchaVerifier({ verifyUrl: url, secret: "other", logger, http: outbound });
    expect(await wrongSecret.verify("good-token", "203.0.113.7")).toBe(false);
  });

  it("refuses a missing token without asking the provider", async () => {
    const captcha = createCaptchaVerifier({ verifyUrl: url, secret: "s3cret", logger, http: outbound });
    const before = requests.length;
    expect(await captcha.verify("", "203.0.113.7")).toBe(false);
    expect(await captcha.verify("   ", "203.0.113.7")).toBe(false);
    expect(requests.length).toBe(before);
  });

  it("refuses when the provider errs, answers nonsense, does not answer in time, or cannot be reached", async () => {
    const captcha = createCaptchaVerifier({
      verifyUrl: url,
      secret: "s3cret",
      logger,
      http: outbound,
      timeoutMs: 200,
    });
    expect(await captcha.verify("boom", "203.0.113.7")).toBe(false);
    expect(await captcha.verify("garbage", "203.0.113.7")).toBe(false);
    expect(await captcha.verify("hang", "203.0.113.7")).toBe(false);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = createCaptchaVerifier({
      verifyUrl: `http://127.0.0.1:${port}/siteverify`,
      secret: "s3cret",
      logger,
      http: outbound,
    });
    expect(await unreachable.verify("good-token", "203.0.113.7")).toBe(false);
  });

  it("accepts everything when not configured", async () => {
    const captcha = createCaptchaVerifier({
      verifyUrl: undefined,
      secret: undefined,
      logger,
      http: outbound,
    });
    expect(await captcha.verify("", "203.0.113.7")).toBe(true);
  });
});
