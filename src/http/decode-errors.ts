// A request whose message does not decode is the client's mistake: connect-go answers
// invalid_argument. connect-es 2.x answers `internal: parse binary: ...` for a protobuf body or
// frame that does not parse (and internal for a compressed frame it cannot decompress), and it does
// so before any interceptor runs. This wrapper rewrites exactly those answers to invalid_argument,
// in each protocol's own encoding: the Connect JSON error body, the gRPC trailer, the gRPC-Web
// trailer frame. test/decode-errors.test.ts pins the library messages it recognises.
import { Code } from "@connectrpc/connect";
import type {
  UniversalHandler,
  UniversalServerRequest,
  UniversalServerResponse,
} from "@connectrpc/connect/protocol";

const DECODE_FAILURES = [
  /^parse binary: /,
  /^received compressed envelope, but do not know how to decompress/,
  /^decompression failed/,
];

const GRPC_INTERNAL = String(Code.Internal);
const GRPC_INVALID_ARGUMENT = String(Code.InvalidArgument);
const GRPC_WEB_TRAILER_FLAG = 0x80;

export function isDecodeFailure(message: string): boolean {
  return DECODE_FAILURES.some((pattern) => pattern.test(message));
}

/** Told about a request that did not decode (the RPC itself never ran, nor its interceptors). */
export type DecodeFailureListener = (req: UniversalServerRequest, message: string) => void;
type OnDecodeFailure = (message: string) => void;

export function answerDecodeFailuresAsInvalidArgument(
  handler: UniversalHandler,
  listener: DecodeFailureListener,
): UniversalHandler {
  const wrapped = async (req: UniversalServerRequest) => {
    const res = await handler(req);
    const onDecodeFailure = (message: string) => listener(req, message);
    const contentType = req.header.get("content-type") ?? "";
    if (contentType.startsWith("application/grpc-web")) return fixGrpcWeb(res, onDecodeFailure);
    if (contentType.startsWith("application/grpc")) return fixGrpc(res, onDecodeFailure);
    return fixConnectUnary(res, onDecodeFailure);
  };
  return Object.assign(wrapped, {
    protocolNames: handler.protocolNames,
    service: handler.service,
    method: handler.method,
    requestPath: handler.requestPath,
    allowedMethods: handler.allowedMethods,
    supportedContentType: handler.supportedContentType,
  });
}

/** Connect unary: an error is a JSON body {code, message} with an HTTP status. */
async function fixConnectUnary(
  res: UniversalServerResponse,
  onDecodeFailure: OnDecodeFailure,
): Promise<UniversalServerResponse> {
  if (res.status !== 500 || !res.body) return res;
  const bytes = await readAll(res.body);
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = JSON.parse(new TextDecoder().decode(bytes)) as typeof error;
  } catch {
    error = undefined;
  }
  const message = typeof error?.message === "string" ? error.message : "";
  if (error?.code !== "internal" || !isDecodeFailure(message)) return { ...res, body: once(bytes) };
  onDecodeFailure(message);
  const body = new TextEncoder().encode(JSON.stringify({ ...error, code: "invalid_argument" }));
  const header = new Headers(res.header);
  header.set("content-length", String(body.byteLength));
  return { ...res, status: 400, header, body: once(body) };
}

/** gRPC: the status is in the trailers, which are sent after the body. */
function fixGrpc(res: UniversalServerResponse, onDecodeFailure: OnDecodeFailure): UniversalServerResponse {
  const { trailer, body } = res;
  if (!trailer) return res;
  const fix = () => {
    const message = decodeGrpcMessage(trailer.get("grpc-message") ?? "");
    if (trailer.get("grpc-status") === GRPC_INTERNAL && isDecodeFailure(message)) {
      trailer.set("grpc-status", GRPC_INVALID_ARGUMENT);
      onDecodeFailure(message);
    }
  };
  if (!body) {
    fix();
    return res;
  }
  return {
    ...res,
    body: (async function* () {
      yield* body;
      fix();
    })(),
  };
}

/** gRPC-Web: the trailers are the body's last frame (flag 0x80), as HTTP/1 header lines. */
function fixGrpcWeb(res: UniversalServerResponse, onDecodeFailure: OnDecodeFailure): UniversalServerResponse {
  const { body } = res;
  if (!body) return res;
  return {
    ...res,
    body: (async function* () {
      for await (const chunk of body) yield fixGrpcWebTrailerFrame(chunk, onDecodeFailure);
    })(),
  };
}

function fixGrpcWebTrailerFrame(chunk: Uint8Array, onDecodeFailure: OnDecodeFailure): Uint8Array {
  if (chunk.byteLength < 5 || chunk[0] !== GRPC_WEB_TRAILER_FLAG) return chunk;
  const length = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(1);
  if (length !== chunk.byteLength - 5) return chunk;
  const lines = new TextDecoder().decode(chunk.subarray(5)).split("\r\n");
  const value = (name: string) =>
    lines
      .find((l) => l.toLowerCase().startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim() ?? "";
  const message = decodeGrpcMessage(value("grpc-message"));
  if (value("grpc-status") !== GRPC_INTERNAL || !isDecodeFailure(message)) return chunk;
  onDecodeFailure(message);
  const fixed = lines
    .map((l) => (l.toLowerCase().startsWith("grpc-status:") ? `grpc-status: ${GRPC_INVALID_ARGUMENT}` : l))
    .join("\r\n");
  const text = new TextEncoder().encode(fixed);
  const frame = new Uint8Array(5 + text.byteLength);
  frame[0] = GRPC_WEB_TRAILER_FLAG;
  new DataView(frame.buffer).setUint32(1, text.byteLength);
  frame.set(text, 5);
  return frame;
}

function decodeGrpcMessage(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* once(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  yield bytes;
}
