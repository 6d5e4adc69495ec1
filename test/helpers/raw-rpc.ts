// Raw gRPC and gRPC-Web requests, for tests that send what no generated client would: broken
// frames, wrong flags, oversized bodies.
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";

/** A gRPC / gRPC-Web length-prefixed frame. */
export function frame(flags: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + payload.byteLength);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, payload.byteLength);
  out.set(payload, 5);
  return out;
}

/** Sends one gRPC request over HTTP/2 and answers its grpc-status and grpc-message. */
export async function grpcCall(
  url: string,
  path: string,
  body: Uint8Array,
  headers: http2.OutgoingHttpHeaders = {},
) {
  const session = http2.connect(url);
  try {
    return await new Promise<{ status: string | undefined; message: string | undefined }>(
      (resolve, reject) => {
        const stream = session.request({
          ":method": "POST",
          ":path": path,
          "content-type": "application/grpc",
          te: "trailers",
          ...headers,
        });
        let headerStatus: { status?: string; message?: string } = {};
        stream.on("response", (h) => {
          headerStatus = { status: h["grpc-status"] as string, message: h["grpc-message"] as string };
        });
        stream.on("trailers", (t) =>
          resolve({
            status: t["grpc-status"] as string,
            message: decodeURIComponent(String(t["grpc-message"] ?? "")),
          }),
        );
        stream.on("data", () => undefined);
        stream.on("end", () => resolve({ status: headerStatus.status, message: headerStatus.message }));
        stream.on("error", reject);
        stream.end(body);
      },
    );
  } finally {
    session.close();
  }
}

/** Reads the grpc-status out of a gRPC-Web response body's trailer frame. */
export function grpcWebStatus(body: Uint8Array): string | undefined {
  let offset = 0;
  while (offset + 5 <= body.byteLength) {
    const flags = body[offset] ?? 0;
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const payload = body.subarray(offset + 5, offset + 5 + length);
    if (flags & 0x80) return /grpc-status:\s*(\d+)/i.exec(new TextDecoder().decode(payload))?.[1];
    offset += 5 + length;
  }
  return undefined;
}

export type WireProtocol = "connect-json" | "connect-proto" | "grpc" | "grpc-web";
export const wireProtocols: WireProtocol[] = ["connect-json", "connect-proto", "grpc", "grpc-web"];

/** The Connect name of a gRPC status number ("3" → "invalid_argument", "0" → "ok"). */
export function codeName(status: number): string {
  if (status === 0) return "ok";
  const name = Code[status];
  if (name === undefined) return `status ${status}`;
  return name.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}

/** How an HTTP status without an RPC status reads (the gRPC spec's mapping, 4xx kept apart). */
function fromHttpStatus(status: number): string {
  if (status === 200) return "ok";
  if (status >= 400 && status < 500) return `http ${status}`;
  return `http ${status} (server error)`;
}

/** An RPC's outcome (see RawRpcClient) and its error message, "" when there is none. */
export interface RawAnswer {
  outcome: string;
  message: string;
}

/** The error message of a gRPC-Web trailer frame, "" when there is none. */
function grpcWebMessage(body: Uint8Array): string {
  let offset = 0;
  while (offset + 5 <= body.byteLength) {
    const flags = body[offset] ?? 0;
    const length = new DataView(body.buffer, body.byteOffset + offset + 1, 4).getUint32(0);
    const payload = body.subarray(offset + 5, offset + 5 + length);
    if (flags & 0x80)
      return decodeMessage(/grpc-message:\s*(.*)/i.exec(new TextDecoder().decode(payload))?.[1]);
    offset += 5 + length;
  }
  return "";
}

function decodeMessage(raw: string | undefined): string {
  try {
    return decodeURIComponent((raw ?? "").trim());
  } catch {
    return raw ?? "";
  }
}

/**
 * Sends raw request bodies over any of the four wire formats and answers the outcome as a Connect
 * code name ("ok", "invalid_argument", ...), or "http 4xx" for an answer from below the RPC layer.
 * Each call gives up after `timeoutMs` and reports "hang".
 */
export class RawRpcClient {
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async call(
    protocol: WireProtocol,
    path: string,
    body: Uint8Array,
    headers: Record<string, string> = {},
    /** When true, `body` is sent as the whole HTTP body: gRPC and gRPC-Web frames included. */
    prefixed = false,
  ): Promise<string> {
    return (await this.answer(protocol, path, body, headers, prefixed)).outcome;
  }

  /** As `call`, with the error message of the answer. */
  async answer(
    protocol: WireProtocol,
    path: string,
    body: Uint8Array,
    headers: Record<string, string> = {},
    prefixed = false,
  ): Promise<RawAnswer> {
    const framed = prefixed ? body : frame(0, body);
    switch (protocol) {
      case "connect-json":
        return this.connect(path, "application/json", body, headers);
      case "connect-proto":
        return this.connect(path, "application/proto", body, headers);
      case "grpc":
        return this.grpc(path, framed, headers);
      case "grpc-web":
        return this.grpcWeb(path, framed, headers);
    }
  }

  close(): void {
    this.session?.close();
  }

  private async connect(
    path: string,
    contentType: string,
    body: Uint8Array,
    headers: Record<string, string>,
  ): Promise<RawAnswer> {
    const res = await this.fetch(path, { "content-type": contentType, ...headers }, body);
    if (typeof res === "string") return { outcome: res, message: "" };
    if (res.status === 200) return { outcome: "ok", message: "" };
    const text = new TextDecoder().decode(res.body);
    try {
      const error = JSON.parse(text) as { code?: unknown; message?: unknown };
      if (typeof error.code === "string") {
        return { outcome: error.code, message: typeof error.message === "string" ? error.message : "" };
      }
    } catch {
      // not a Connect error body: judge by the HTTP status
    }
    return { outcome: fromHttpStatus(res.status), message: "" };
  }

  private async grpcWeb(path: string, body: Uint8Array, headers: Record<string, string>): Promise<RawAnswer> {
    const res = await this.fetch(
      path,
      { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...headers },
      body,
    );
    if (typeof res === "string") return { outcome: res, message: "" };
    const inHeader = res.headers.get("grpc-status");
    if (inHeader !== null) {
      return {
        outcome: codeName(Number(inHeader)),
        message: decodeMessage(res.headers.get("grpc-message") ?? ""),
      };
    }
    const status = grpcWebStatus(res.body);
    return status === undefined
      ? { outcome: fromHttpStatus(res.status), message: "" }
      : { outcome: codeName(Number(status)), message: grpcWebMessage(res.body) };
  }

  private async fetch(
    path: string,
    headers: Record<string, string>,
    body: Uint8Array,
  ): Promise<{ status: number; headers: Headers; body: Uint8Array } | string> {
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method: "POST",
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) };
    } catch (error) {
      if ((error as Error).name === "TimeoutError") return "hang";
      const cause = (error as Error).cause as { code?: string; message?: string } | undefined;
      return `transport error: ${(error as Error).message} (${cause?.code ?? ""} ${cause?.message ?? ""})`;
    }
  }

  private grpc(path: string, body: Uint8Array, headers: Record<string, string>): Promise<RawAnswer> {
    if (!this.session || this.session.closed || this.session.destroyed) {
      // Room for the large bodies the tests send (Node counts queued outbound data against it).
      this.session = http2.connect(this.baseUrl, { maxSessionMemory: 1000 });
      this.session.on("error", () => undefined);
    }
    const session = this.session;
    return new Promise((resolve) => {
      const stream = session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        ...headers,
      });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve({ outcome: "hang", message: "" });
      }, this.timeoutMs);
      let httpStatus = 0;
      let headerStatus: string | undefined;
      let headerMessage: string | undefined;
      const finish = (status: string | undefined, message: string | undefined) => {
        clearTimeout(timer);
        // Answered before the whole body was sent (too large, say): stop sending, as gRPC
        // clients do, instead of holding the stream open.
        if (!stream.writableFinished && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve({
          outcome: status === undefined ? fromHttpStatus(httpStatus) : codeName(Number(status)),
          message: decodeMessage(message),
        });
      };
      stream.on("response", (h) => {
        httpStatus = Number(h[":status"]);
        headerStatus = h["grpc-status"] as string | undefined;
        headerMessage = h["grpc-message"] as string | undefined;
      });
      stream.on("trailers", (t) =>
        finish(t["grpc-status"] as string | undefined, t["grpc-message"] as string | undefined),
      );
      stream.on("data", () => undefined);
      stream.on("end", () => finish(headerStatus, headerMessage));
      stream.on("error", (e: Error) => {
        clearTimeout(timer);
        resolve({ outcome: `transport error: ${e.message}`, message: "" });
      });
      stream.end(body);
    });
  }
}
