// The little HTML and form handling the peers' pages share: a page with nothing to load (no script,
// no style sheet, so nothing a test browser could fail to fetch), escaping, and urlencoded bodies.
import type http from "node:http";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete page: `body` is HTML the caller has escaped. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body><main>
${body}
</main></body>
</html>
`;
}

/** Reads an application/x-www-form-urlencoded body (up to 64 KiB: these are test pages' forms). */
export async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65536) throw new Error("form body over 64 KiB");
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString("utf8"));
}
