// Raw gRPC and gRPC-Web requests, for tests that send what no generated client would: broken
// frames, wrong flags, oversized bodies.
import http2 from "node:http2";

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
