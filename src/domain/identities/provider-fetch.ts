// Reading one JSON document from a provider (its discovery document or its JWKS) through the outbound
// port (OutboundHttp, domain/outbound.ts), which holds it to the one rule for requests to the outside:
// https to a public address (http and addresses on this machine or its network only with the
// development allowance; a cloud metadata address never), no redirects, and a deadline for the whole
// exchange, body included, with a cap on the bytes read. A provider (or whoever answers for it, or a
// discovery document naming somewhere else) cannot send authd into its own network, make it buffer an
// endless document, or hold a key fetch open forever: every sign-in with that provider waits on the
// one fetch in flight. Failures name the host at most, never a URL's path (it may carry a secret).
import { type OutboundHttp, OutboundRefused, OutboundUnavailable } from "../outbound.js";

/** Why a provider's keys cannot be had: the outbound refusal or failure, or what is wrong with a document. */
export type ProviderProblem =
  | OutboundRefused["reason"]
  | OutboundUnavailable["reason"]
  /** An answer outside 2xx. */
  | "status"
  /** Not UTF-8 JSON, or not the document it should be (no keys, another issuer, a bad jwks_uri). */
  | "document"
  /** No keys yet, and the last attempt to fetch them (which failed) was too recent to try again. */
  | "unfetched";

/** Thrown when the provider's keys cannot be had (unreachable, refused, or a malformed document). */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly reason: ProviderProblem,
    message: string,
  ) {
    super(message);
    this.name = "ProviderUnavailableError";
  }
}

/**
 * Reads one JSON document from a provider (its discovery document, its JWKS), or throws
 * ProviderUnavailableError. providerDocuments below is the one the wiring hands ProviderKeys.
 */
export type FetchJson = (url: string) => Promise<unknown>;

export const FETCH_TIMEOUT_MS = 5_000;
/** A JWKS or discovery document bigger than this is not a provider's. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

/** Provider documents read through `http`. */
export function providerDocuments(http: OutboundHttp): FetchJson {
  return async (url) => {
    let status: number;
    let body: Uint8Array;
    try {
      ({ status, body } = await http.request({
        method: "GET",
        url,
        headers: { accept: "application/json" },
        timeoutMs: FETCH_TIMEOUT_MS,
        maxBodyBytes: MAX_DOCUMENT_BYTES,
      }));
    } catch (error) {
      if (error instanceof OutboundRefused || error instanceof OutboundUnavailable) {
        throw new ProviderUnavailableError(error.reason, error.message);
      }
      throw error;
    }
    if (status < 200 || status > 299) throw new ProviderUnavailableError("status", `answered HTTP ${status}`);
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(body);
    } catch {
      throw new ProviderUnavailableError("document", "the answer is not UTF-8");
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderUnavailableError("document", "the answer is not JSON");
    }
  };
}
