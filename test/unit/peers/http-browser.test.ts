// The HTTP-level browser the redirect-flow tests drive providers with: its cookie jar keeps what a
// browser keeps (per host, not per port; by path; removed when expired), it follows redirects as a
// browser does, stops where it is told, and submits a page's form.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { HttpBrowser } from "../../helpers/peers/http-browser.js";
import { readForm } from "../../helpers/peers/pages.js";

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

const servers: http.Server[] = [];

/** A server on 127.0.0.1 answering by path; every request's method, path, cookies and body are kept. */
async function serve(routes: Record<string, Route>) {
  const seen: { method: string; path: string; cookie: string; body: string }[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = req.method === "POST" ? (await readForm(req)).toString() : "";
    seen.push({ method: req.method ?? "", path: url.pathname, cookie: req.headers.cookie ?? "", body });
    const route = routes[url.pathname];
    if (route) await route(req, res);
    else res.writeHead(404).end();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const redirect =
  (status: number, location: string, headers: Record<string, string | string[]> = {}): Route =>
  (_req, res) => {
    res.writeHead(status, { location, ...headers }).end();
  };
const page =
  (html: string, headers: Record<string, string | string[]> = {}): Route =>
  (_req, res) => {
    res.writeHead(200, { "content-type": "text/html", ...headers }).end(html);
  };

let a: Awaited<ReturnType<typeof serve>>;
let b: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  a = await serve({
    "/set": page("set", {
      "set-cookie": ["site=1; Path=/; HttpOnly", "deep=2; Path=/only", "gone=3; Path=/; Max-Age=0"],
    }),
    "/only/here": page("here"),
    "/elsewhere": page("elsewhere"),
    "/forget": page("forget", { "set-cookie": "site=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT" }),
    "/see-other": redirect(303, "/landing"),
    "/temporary": redirect(307, "/landing"),
    "/away": redirect(302, "http://127.0.0.1:9/callback?code=abc"),
    "/landing": page("landed"),
    "/form": page(
      '<form method="post" action="/submit?x=1&amp;y=2"><button name="go" value="1">Go</button></form>',
    ),
    "/submit": redirect(303, "/landing"),
  });
  b = await serve({ "/": page("b") });
});

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("cookies go back to their host on any port, by path, and not once expired", async () => {
  const browser = new HttpBrowser();
  await browser.follow(`${a.url}/set`);
  await browser.follow(`${a.url}/elsewhere`);
  expect(a.seen.at(-1)?.cookie).toBe("site=1");
  await browser.follow(`${a.url}/only/here`);
  expect(a.seen.at(-1)?.cookie).toBe("deep=2; site=1");
  // Browsers key cookies by host name, not port: another server on 127.0.0.1 receives them too.
  await browser.follow(`${b.url}/`);
  expect(b.seen.at(-1)?.cookie).toBe("site=1");
  await browser.follow(`${a.url}/forget`);
  await browser.follow(`${a.url}/elsewhere`);
  expect(a.seen.at(-1)?.cookie).toBe("");
});

test("a 303 continues with a GET; a 307 repeats the POST and its body", async () => {
  const browser = new HttpBrowser();
  const init = {
    method: "POST",
    body: "k=v",
    headers: { "content-type": "application/x-www-form-urlencoded" },
  };
  const seeOther = await browser.follow(`${a.url}/see-other`, { init });
  expect(seeOther.body).toBe("landed");
  expect(a.seen.at(-1)).toMatchObject({ method: "GET", path: "/landing" });
  await browser.follow(`${a.url}/temporary`, { init });
  expect(a.seen.at(-1)).toMatchObject({ method: "POST", path: "/landing", body: "k=v" });
});

test("it stops before a URL the test does not want fetched, and answers it", async () => {
  const browser = new HttpBrowser();
  const landing = await browser.follow(`${a.url}/away`, { stop: (next) => next.origin !== a.url });
  expect(landing.response).toBeUndefined();
  expect(landing.url.href).toBe("http://127.0.0.1:9/callback?code=abc");
});

test("submit posts the page's form to its action, entities decoded, with the fields given", async () => {
  const browser = new HttpBrowser();
  const form = await browser.follow(`${a.url}/form`);
  const after = await browser.submit(form, { go: "1", name: "Ada Lovelace" });
  expect(after.body).toBe("landed");
  const posted = a.seen.find((s) => s.path === "/submit");
  expect(posted).toMatchObject({ method: "POST", body: "go=1&name=Ada+Lovelace" });
  expect(browser.history).toContain(`POST ${a.url}/submit?x=1&y=2`);
});
