// A Node backend that accepts authd's access tokens offline: it verifies each token's signature with
// the public keys authd publishes (its JWKS), and its claims, without calling authd per request.
// jose's createRemoteJWKSet fetches the keys once, caches them, and fetches again when a token names
// a key it has not seen (after `authd keys rotate`).
//
//   AUTHD_URL=http://127.0.0.1:8080 PORT=3000 npx tsx examples/node-jwks/server.ts
//   curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:3000/hello
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";

const authdUrl = (process.env.AUTHD_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");
// authd's iss claim is AUTHD_ISSUER, by default its public URL; its aud claim is AUTHD_AUDIENCE.
const issuer = process.env.AUTHD_ISSUER ?? authdUrl;
const audience = process.env.AUTHD_AUDIENCE ?? "authd";
const keys = createRemoteJWKSet(new URL(`${authdUrl}/.well-known/jwks.json`));

/** The account id (sub) of a valid access token; null for anything else. */
async function subjectOf(token: string): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer,
      audience,
      // Only authd's algorithm, and only access tokens: no other JWT of the same issuer passes.
      algorithms: ["EdDSA"],
      typ: "at+jwt",
    });
    return payload.sub ?? null;
  } catch (error) {
    // Expired, tampered, signed by another key, another issuer or audience: all are "not signed in".
    if (error instanceof errors.JOSEError) return null;
    throw error;
  }
}

async function hello(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  if (req.url !== "/hello") {
    res.writeHead(404).end();
    return;
  }
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? "")?.[1];
  const subject = token ? await subjectOf(token) : null;
  if (!subject) {
    res.writeHead(401, { "WWW-Authenticate": "Bearer" }).end();
    return;
  }
  res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ hello: subject }));
}

const server = http.createServer((req, res) => {
  hello(req, res).catch((error: unknown) => {
    console.error("request failed:", error instanceof Error ? error.message : error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close());
