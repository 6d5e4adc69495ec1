// Bundles main.ts with esbuild (as a real app's build would) and serves the page on its own origin.
//
//   AUTHD_URL=http://127.0.0.1:8080 PORT=5173 npx tsx examples/browser-grpc-web/serve.ts
//
// authd must allow this origin: AUTHD_CORS_ORIGINS=http://127.0.0.1:5173.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { build } from "esbuild";

const here = import.meta.dirname;
const authdUrl = (process.env.AUTHD_URL ?? "http://127.0.0.1:8080").replace(/\/$/, "");

const bundle = await build({
  entryPoints: [path.join(here, "main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  write: false,
  define: { AUTHD_URL: JSON.stringify(authdUrl) },
  logLevel: "warning",
});
const files: Record<string, { type: string; body: string | Uint8Array }> = {
  "/": { type: "text/html; charset=utf-8", body: fs.readFileSync(path.join(here, "index.html"), "utf8") },
  "/main.js": { type: "text/javascript; charset=utf-8", body: bundle.outputFiles[0]?.contents ?? "" },
};

const server = http.createServer((req, res) => {
  const file = files[(req.url ?? "/").split("?")[0] ?? "/"];
  if (!file) {
    res.writeHead(404).end();
    return;
  }
  res
    .writeHead(200, {
      "Content-Type": file.type,
      // Scripts from this origin only; calls to this origin and authd's.
      "Content-Security-Policy": `default-src 'self'; connect-src 'self' ${authdUrl}`,
    })
    .end(file.body);
});

server.listen(Number(process.env.PORT ?? 5173), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close());
