// The generated clients over gRPC-Web, same origin. The session lives in authd's HttpOnly cookies
// (Login with AUTH_METHOD_COOKIE), which the browser sends with every request; this code never sees
// a token. The access cookie is short-lived: when a call is refused for want of a credential, the
// refresh cookie is exchanged once (Refresh rotates both cookies) and the call is tried again.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";

/** RPCs that do not use the session, so a refusal there is never about a missing access cookie. */
const NO_REFRESH = new Set(["Login", "Refresh", "VerifyChallenge", "DeliverChallenge", "Logout"]);

/** authd's answer when an RPC that needs a caller got none (an expired access cookie is dropped). */
const MISSING_CREDENTIAL = /needs an access token|not signed in/;

let refreshing: Promise<boolean> | undefined;

/** Exchanges the refresh cookie for new cookies; false when there is no usable session. */
function refreshSession(): Promise<boolean> {
  refreshing ??= auth
    .refresh({})
    .then(
      () => true,
      () => false,
    )
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

const refreshOnce: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (error) {
    const e = ConnectError.from(error);
    const retry =
      e.code === Code.Unauthenticated &&
      MISSING_CREDENTIAL.test(e.rawMessage) &&
      !NO_REFRESH.has(req.method.name) &&
      (await refreshSession());
    if (!retry) throw error;
    return next(req);
  }
};

const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  interceptors: [refreshOnce],
});

export const auth = createClient(AuthService, transport);
export const mfa = createClient(MfaService, transport);
export const sessions = createClient(SessionService, transport);
