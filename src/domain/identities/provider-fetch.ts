// Reading one JSON document from a provider (its discovery document or its JWKS): no redirects, a
// deadline for the whole exchange, body included, and a cap on the bytes read. The body is read as a
// stream and dropped the moment it passes the cap, so a provider (or whoever answers for it) cannot
// make authd buffer an endless document or hold a key fetch open forever: every sign-in with that
// provider waits on the one fetch in flight. It is the FetchJson the wiring hands ProviderKeys
// (provider-keys.ts), and the one file of the domain that reaches the network and sets a timer
// itself, until the outbound HTTP port takes its place (test/architecture.test.ts names it).

/** Thrown when the provider's keys cannot be had (unreachable, or a malformed document). */
export class ProviderUnavailableError extends Error {}

export const FETCH_TIMEOUT_MS = 5_000;
/** A JWKS or discovery document bigger than this is not a provider's. */
export const MAX_DOCUMENT_BYTES = 256 * 1024;

export async function fetchJson(url: string): Promise<unknown> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new ProviderUnavailableError(`fetching ${url} took too long`)),
    FETCH_TIMEOUT_MS,
  );
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        signal: deadline.signal,
        redirect: "error",
        headers: { accept: "application/json" },
      });
    } catch (error) {
      throw new ProviderUnavailableError(`fetching ${url} failed: ${(error as Error).message}`);
    }
    if (!response.ok) {
      void response.body?.cancel().catch(() => undefined);
      throw new ProviderUnavailableError(`fetching ${url} answered ${response.status}`);
    }
    const text = await readCapped(response, deadline.signal, url);
    try {
      return JSON.parse(text);
    } catch {
      throw new ProviderUnavailableError(`${url} is not JSON`);
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The body as UTF-8 text, refused past MAX_DOCUMENT_BYTES or once `signal` aborts. */
async function readCapped(response: Response, signal: AbortSignal, url: string): Promise<string> {
  const tooLarge = () => new ProviderUnavailableError(`${url} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_DOCUMENT_BYTES) {
    void response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  // Node's fetch does not always end a body read when its signal aborts (with `redirect: "error"`
  // a read can wait forever): the reader is cancelled by hand, which closes the connection.
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (error) {
        throw signal.aborted
          ? signal.reason
          : new ProviderUnavailableError(`reading ${url} failed: ${error}`);
      }
      if (signal.aborted) throw signal.reason;
      if (chunk.done) break;
      size += chunk.value.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        stop();
        throw tooLarge();
      }
      chunks.push(chunk.value);
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new ProviderUnavailableError(`${url} is not UTF-8`);
  }
}
