// A Node backend that asks authd about every token it is given: SessionService.ValidateToken over
// gRPC, with the client generated from proto/. Unlike checking the signature offline
// (examples/node-jwks), this sees at once a session that was signed out or revoked, and it accepts
// API keys too; it costs one call to authd per request.
//
//   AUTHD_URL=http://127.0.0.1:8080 PORT=3001 npx tsx examples/node-grpc/server.ts
//   curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3001/hello
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
// In another project: `@authd/client` (packages/client) exports the same generated code.
import { SessionService, TokenKind } from "../../gen/authd/v1/session_pb.js";

const authd = createClient(
  SessionService,
  // gRPC over HTTP/2 without TLS, as on a private network; use https:// behind TLS.
  createGrpcTransport({ baseUrl: process.env.AUTHD_URL ?? "http://127.0.0.1:8080" }),
);

async function hello(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.url !== "/hello") {
    res.writeHead(404).end();
    return;
  }
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  // When authd cannot be reached the call throws and the request fails (500): nobody is let in.
  const answer = token ? await authd.validateToken({ token }, { timeoutMs: 5000 }) : undefined;
  if (!answer?.active) {
    res.writeHead(401, { "WWW-Authenticate": "Bearer" }).end();
    return;
  }
  res
    .writeHead(200, { "Content-Type": "application/json" })
    .end(JSON.stringify({ hello: answer.subject, kind: TokenKind[answer.kind], roles: answer.roles }));
}

const server = http.createServer((req, res) => {
  hello(req, res).catch((error: unknown) => {
    console.error("request failed:", error instanceof Error ? error.message : error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

server.listen(Number(process.env.PORT ?? 3001), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close());
