// The one way authd sends HTTP to the outside (the domain's OutboundHttp port), on node:http and
// node:https:
// - https only; the development allowance (AUTHD_OUTBOUND_ALLOW_PRIVATE) also allows http;
// - no loopback, private, link-local, metadata or other special address (address-policy.ts). The
//   check runs in the socket's own `lookup`, on the addresses the connection is then made to, so a
//   name that resolved to a public address when a URL was checked and to 127.0.0.1 a moment later
//   (DNS rebinding) is still refused; an IP literal, which Node connects to without a lookup, is
//   checked before the request starts;
// - redirects are never followed: a 3xx is OutboundUnavailable("redirect"), for a webhook a failed
//   delivery and for a provider document an unavailable provider (the caller's rule applies to the
//   URL it chose, not to wherever the answer points);
// - one deadline for the whole exchange (resolving, connecting, TLS, headers, body), so a server
//   that trickles its body a byte at a time is cut too; the body is streamed and the socket destroyed
//   the moment it passes maxBodyBytes (a larger Content-Length is refused before reading); the
//   header block is bounded by the parser.
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import {
  type OutboundHttp,
  OutboundRefused,
  type OutboundRequest,
  type OutboundResponse,
  OutboundUnavailable,
} from "../domain/outbound.js";
import { addressProblem, hostnameProblem } from "./address-policy.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (dns.lookup by default). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardedHttpOptions {
  /** The development allowance: http, and loopback or private addresses (never a metadata service). */
  allowPrivate: boolean;
  /** How host names are resolved; tests give one that answers what they need. */
  resolve?: Resolver;
  /** Certificates to trust besides Node's bundled authorities (a test's own TLS server). */
  extraCa?: string[];
  /** The largest response header block read, in bytes (16 KiB by default). */
  maxHeaderBytes?: number;
}

const systemResolve: Resolver = async (hostname) => {
  const found = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

export function createGuardedHttp(options: GuardedHttpOptions): OutboundHttp {
  const { allowPrivate } = options;
  const resolve = options.resolve ?? systemResolve;
  const ca = options.extraCa ? [...tls.rootCertificates, ...options.extraCa] : undefined;
  const maxHeaderSize = options.maxHeaderBytes ?? 16 * 1024;

  /** Every address `hostname` resolves to, or a refusal when any one of them is not allowed. */
  const resolveChecked = async (hostname: string): Promise<ResolvedAddress[]> => {
    const nameProblem = hostnameProblem(hostname, allowPrivate);
    if (nameProblem) throw new OutboundRefused("address", nameProblem);
    const found = await resolve(hostname);
    if (found.length === 0)
      throw Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" });
    // One refused address refuses the name: a name that mixes a public address with a private one
    // is not a service on the internet, and the connection could land on either.
    for (const { address } of found) {
      const problem = addressProblem(address, allowPrivate);
      if (problem)
        throw new OutboundRefused("address", `${hostname} resolves to a refused address: ${problem}`);
    }
    return found;
  };

  // Called by the socket itself, just before it connects, with the name of the URL.
  const lookup: net.LookupFunction = (hostname, lookupOptions, callback) => {
    resolveChecked(hostname).then(
      (found) => {
        const family = { 4: 4, 6: 6, IPv4: 4, IPv6: 6 }[lookupOptions.family ?? 0] as 4 | 6 | undefined;
        const wanted = family ? found.filter((a) => a.family === family) : found;
        const first = wanted[0];
        if (!first)
          return callback(
            Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: "ENOTFOUND" }),
            "",
          );
        if (lookupOptions.all) return callback(null, wanted);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };

  return {
    async check(url) {
      const { host, literal } = target(url, allowPrivate);
      if (literal) return;
      try {
        await resolveChecked(host);
      } catch (error) {
        if (error instanceof OutboundRefused) throw error;
        throw new OutboundUnavailable("connection", `${host} does not resolve`, { cause: error });
      }
    },

    async request(request) {
      const { url, host } = target(request.url, allowPrivate);
      return send(request, url, {
        hostname: host,
        // A connection of its own, closed after the answer: every request resolves and is checked anew.
        agent: false,
        lookup,
        maxHeaderSize,
        ...(ca ? { ca } : {}),
      });
    },
  };
}

/** One exchange under the deadline and the cap; `connection` says how to connect (host, lookup, TLS). */
function send(
  request: OutboundRequest,
  url: URL,
  connection: https.RequestOptions,
): Promise<OutboundResponse> {
  const origin = `${url.protocol}//${url.host}`;
  const body = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : request.body;
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) {
    headers["content-length"] = String(body.byteLength);
  }
  return new Promise((settle, fail) => {
    const client = (url.protocol === "https:" ? https : http).request({
      ...connection,
      method: request.method,
      protocol: url.protocol,
      port: url.port === "" ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      auth:
        url.username === ""
          ? undefined
          : `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
      headers,
    });
    let done = false;
    const finish = (error: Error | undefined, response?: OutboundResponse) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      if (error) {
        client.destroy(); // the socket goes with it: nothing more is read
        fail(error);
      } else settle(response as OutboundResponse);
    };
    const deadline = setTimeout(() => {
      finish(new OutboundUnavailable("timeout", `${origin} did not answer within ${request.timeoutMs} ms`));
    }, request.timeoutMs);
    client.on("error", (error) => finish(error instanceof OutboundRefused ? error : broken(origin, error)));
    client.on("response", (response) => readAnswer(response, origin, request.maxBodyBytes, finish));
    client.end(body);
  });
}

/** Reads an answer's body up to `maxBodyBytes`, then calls `finish` once. */
function readAnswer(
  response: http.IncomingMessage,
  origin: string,
  maxBodyBytes: number,
  finish: (error: Error | undefined, response?: OutboundResponse) => void,
): void {
  const status = response.statusCode ?? 0;
  if (status >= 300 && status < 400) {
    const error = new OutboundUnavailable(
      "redirect",
      `${origin} answered ${status}, a redirect (not followed)`,
    );
    finish(error);
    return;
  }
  const tooLarge = () =>
    new OutboundUnavailable("too-large", `${origin} answered more than ${maxBodyBytes} bytes`);
  if (Number(response.headers["content-length"] ?? 0) > maxBodyBytes) {
    finish(tooLarge());
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  response.on("data", (chunk: Buffer) => {
    size += chunk.byteLength;
    if (size > maxBodyBytes) return finish(tooLarge());
    chunks.push(chunk);
  });
  response.on("end", () => {
    finish(undefined, { status, headers: flatten(response.headers), body: Buffer.concat(chunks) });
  });
  response.on("error", (error) => finish(broken(origin, error)));
  response.on("close", () => {
    if (!response.complete) {
      finish(new OutboundUnavailable("connection", `${origin} closed before the end of its answer`));
    }
  });
}

interface Target {
  url: URL;
  /** The host without the brackets of an IPv6 literal. */
  host: string;
  /** The host is an IP address (Node connects to it without a lookup: it is checked here). */
  literal: boolean;
}

/** The URL parsed and held to the rule as far as it can be without resolving its name. */
function target(raw: string, allowPrivate: boolean): Target {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundRefused("url", "the URL is not absolute");
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:")) {
    throw new OutboundRefused("scheme", `${url.protocol}//${url.host} is refused: only https is allowed`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") throw new OutboundRefused("url", "the URL has no host");
  const literal = net.isIP(host) !== 0;
  const problem = literal ? addressProblem(host, allowPrivate) : hostnameProblem(host, allowPrivate);
  if (problem) throw new OutboundRefused("address", problem);
  return { url, host, literal };
}

/** A failure below HTTP as OutboundUnavailable (the parser's header limit as too-large). */
function broken(origin: string, error: NodeJS.ErrnoException): OutboundUnavailable {
  const reason = error.code === "HPE_HEADER_OVERFLOW" ? "too-large" : "connection";
  return new OutboundUnavailable(reason, `${origin}: ${error.message}`, { cause: error });
}

function flatten(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}
