// The port through which the domain asks for anything on the outside over HTTP: a provider's
// discovery document and keys, a captcha verdict, a webhook delivery. The domain never calls fetch()
// itself; src/outbound/ implements this port and holds every request to one rule: https only, no
// loopback, private, link-local or metadata address (checked when the connection is made, for the
// address actually connected to), no redirects, and bounded time and size.

export interface OutboundRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole exchange, body included, ends after this long: name resolution, connect, TLS, headers, body. */
  timeoutMs: number;
  /** A response body larger than this is not read on: the connection is dropped. */
  maxBodyBytes: number;
}

export interface OutboundResponse {
  /** Never a 3xx: a redirect is OutboundUnavailable("redirect"). */
  status: number;
  /** Lower-case names; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface OutboundHttp {
  /** Sends one request; throws OutboundRefused or OutboundUnavailable, never anything else. */
  request(request: OutboundRequest): Promise<OutboundResponse>;
  /**
   * Whether `url` may be called, as far as can be told now (its scheme, its name, where the name
   * resolves today): for refusing a URL when it is configured. A later request checks again when it
   * connects, since what the name resolves to can change in between.
   */
  check(url: string): Promise<void>;
}

/** Why a request was refused before anything was sent. */
export type RefusalReason =
  /** Not an absolute http(s) URL. */
  | "url"
  /** http (or another scheme) where https is required. */
  | "scheme"
  /** The host is, or resolves to, an address outside the public internet (or a metadata service). */
  | "address";

/** The request is not allowed: nothing was sent. Retrying the same URL fails the same way. */
export class OutboundRefused extends Error {
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
    this.name = "OutboundRefused";
  }
}

/** Why an allowed request got no usable answer. */
export type UnavailableReason =
  /** The deadline passed (resolving, connecting, waiting for headers, or reading the body). */
  | "timeout"
  /** The name did not resolve, the connection failed or broke, TLS failed, or the answer was not HTTP. */
  | "connection"
  /** The body passed maxBodyBytes, or the header block the parser's limit. */
  | "too-large"
  /** A 3xx answer: redirects are never followed. */
  | "redirect";

/** The request was allowed but got no usable answer; another attempt later may succeed. */
export class OutboundUnavailable extends Error {
  constructor(
    readonly reason: UnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "OutboundUnavailable";
  }
}
