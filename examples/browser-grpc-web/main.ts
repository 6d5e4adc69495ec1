// A page on its own origin that signs in to authd over gRPC-Web and shows who is signed in. It keeps
// the access token in memory only (a reload signs out): the session cookies are for pages on
// authd's own origin, and a token in localStorage is one script injection away from being stolen.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
// In another project: `@authd/client/web` (packages/client) exports the same generated code.
import { AuthService } from "../../gen/authd/v1/auth_pb.js";

// Set when the page is bundled (serve.ts): where authd is. authd must list this page's origin in
// AUTHD_CORS_ORIGINS.
declare const AUTHD_URL: string;

const auth = createClient(AuthService, createGrpcWebTransport({ baseUrl: AUTHD_URL }));

const form = document.getElementById("sign-in") as HTMLFormElement;
const status = document.getElementById("status") as HTMLParagraphElement;

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(form);
  status.textContent = "Signing in…";
  signIn(String(data.get("identifier")), String(data.get("password"))).then(
    (text) => {
      status.textContent = text;
    },
    (error: unknown) => {
      const e = ConnectError.from(error);
      // authd's messages are written for people; the same one for an unknown account and a wrong password.
      status.textContent =
        e.code === Code.Unauthenticated
          ? "Wrong email, username or password."
          : `Could not sign in: ${e.rawMessage}`;
    },
  );
});

async function signIn(identifier: string, password: string): Promise<string> {
  const res = await auth.login({ identifier, password });
  if (res.result.case !== "tokens") {
    return "This account has a second factor: this example stops here (see MfaService.VerifyChallenge).";
  }
  const { accessToken } = res.result.value;
  const { user } = await auth.getCurrentUser({}, { headers: { authorization: `Bearer ${accessToken}` } });
  return `Signed in as ${user?.email}.`;
}
