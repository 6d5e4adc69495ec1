// The upstream's sign-in and consent pages: oidc-provider hands each authorization that needs the user
// to /interaction/<uid>, and these pages answer it. They are minimal HTML forms with labelled fields
// and no script, so headless Chromium fills them as a person would, and the HTTP-level driver
// (`signIn` in upstream-oidc.ts) finds the one form on each page by its data-prompt attribute.
import type http from "node:http";
import { escapeHtml, htmlPage, readForm } from "./pages.js";
import type { UpstreamUser } from "./upstream-oidc.js";
import type { Interaction, OidcProvider } from "./upstream-oidc-provider.js";

/** The password the sign-in page accepts from a user who has none of their own. */
export const UPSTREAM_PASSWORD = "upstream password";

/**
 * Answers a request under /interaction/: GET shows the page for the prompt oidc-provider is at (login,
 * then consent); POST .../login checks the email and password, POST .../confirm records the consent.
 * Cancel and Deny end the authorization with access_denied.
 */
export async function handleInteraction(
  provider: OidcProvider,
  users: UpstreamUser[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
  /** What follows /interaction/<uid>/: "login", "confirm", or nothing (the page itself). */
  step: string | undefined,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const client = await provider.Client.find(String(details.params.client_id));
  const clientName = client?.clientName ?? client?.clientId ?? "an application";
  const send = (status: number, html: string): void => {
    res.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    res.end(html);
  };
  const uid = details.uid;
  if (req.method === "GET" && step === undefined) {
    if (details.prompt.name === "login") return send(200, loginPage(uid, clientName));
    if (details.prompt.name === "consent") return send(200, consentPage(uid, clientName, details));
    return send(
      400,
      htmlPage("Sign-in error", `<p role="alert">Unknown prompt ${escapeHtml(details.prompt.name)}</p>`),
    );
  }
  const form = await readForm(req);
  if (req.method === "POST" && step === "login") {
    if (form.get("action") === "cancel") return abort(provider, req, res);
    const email = (form.get("email") ?? "").trim().toLowerCase();
    const user = users.find((u) => u.email.toLowerCase() === email);
    if (!user || form.get("password") !== (user.password ?? UPSTREAM_PASSWORD)) {
      return send(401, loginPage(uid, clientName, "Wrong email or password."));
    }
    return provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.sub, amr: ["pwd"] } },
      { mergeWithLastSubmission: false },
    );
  }
  if (req.method === "POST" && step === "confirm") {
    if (form.get("action") !== "allow") return abort(provider, req, res);
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grantAll(provider, details) } },
      { mergeWithLastSubmission: true },
    );
  }
  send(404, htmlPage("Not found", "<p>Not found</p>"));
}

/** The user said no: the client gets error=access_denied at its redirect_uri. */
function abort(provider: OidcProvider, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  return provider.interactionFinished(
    req,
    res,
    { error: "access_denied", error_description: "End-User aborted interaction" },
    { mergeWithLastSubmission: false },
  );
}

/** Grants what the consent prompt found missing (oidc-provider's own example does the same). */
async function grantAll(provider: OidcProvider, details: Interaction): Promise<string> {
  const missing = details.prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({
        accountId: details.session!.accountId,
        clientId: String(details.params.client_id),
      });
  if (!grant) throw new Error(`grant ${details.grantId} not found`);
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(" "));
  }
  return grant.save();
}

function loginPage(uid: string, clientName: string, error?: string): string {
  return htmlPage(
    "Sign in",
    `<h1>Sign in to continue to ${escapeHtml(clientName)}</h1>
${error ? `<p role="alert" id="error">${escapeHtml(error)}</p>` : ""}
<form method="post" action="/interaction/${uid}/login" data-prompt="login">
<p><label for="email">Email</label> <input id="email" name="email" type="email" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button type="submit" name="action" value="sign-in">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button></p>
</form>`,
  );
}

function consentPage(uid: string, clientName: string, details: Interaction): string {
  const scopes = String(details.params.scope ?? "")
    .split(" ")
    .filter(Boolean);
  return htmlPage(
    "Allow access",
    `<h1>Allow ${escapeHtml(clientName)} to know who you are?</h1>
<ul>${scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join("")}</ul>
<form method="post" action="/interaction/${uid}/confirm" data-prompt="consent">
<p><button type="submit" name="action" value="allow">Allow</button>
<button type="submit" name="action" value="deny">Deny</button></p>
</form>`,
  );
}
