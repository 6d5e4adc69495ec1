// What Login and LoginWithProvider share at the transport edge: the options and remembered device a
// request carries, and the answer (a second-factor challenge, or tokens — as cookies in cookie mode).

import type { Duration } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { AuthMethod, type SessionScope, type TokenPair } from "../../../gen/authd/v1/common_pb.js";
import type { MfaChallenge } from "../../../gen/authd/v1/mfa_pb.js";
import type { Clock } from "../../clock.js";
import type { LoginResult } from "../../domain/accounts/index.js";
import type { LoginOptions } from "../../domain/ports.js";
import { type CookieSettings, offeredDeviceToken, setSessionCookies } from "../../http/session-cookies.js";
import { requestInfo } from "../caller.js";
import { sessionScope } from "../session-scope.js";
import { toMfaChallengeMessage } from "./mfa.js";
import { toTokenPairMessage } from "./tokens.js";

interface SignInRequest {
  authMethod: AuthMethod;
  sessionDuration?: Duration;
  endSessions: SessionScope;
  deviceToken: string;
}

export interface SignInEdge {
  cookies: CookieSettings;
  clock: Clock;
}

/**
 * The session options and the remembered device (the field, else the device cookie, which counts only
 * from an origin allowed to use cookies) of a sign-in.
 */
export function fromSignInRequest(
  req: SignInRequest,
  ctx: HandlerContext,
  edge: SignInEdge,
): { deviceToken: string; options: LoginOptions } {
  return {
    deviceToken: offeredDeviceToken(
      req.deviceToken,
      requestInfo(ctx).cookies,
      ctx.requestHeader.get("origin"),
      edge.cookies,
    ),
    options: {
      durationSeconds: req.sessionDuration ? Number(req.sessionDuration.seconds) : undefined,
      authMethod: req.authMethod === AuthMethod.COOKIE ? "cookie" : "token",
      signOutOtherSessions: sessionScope(req.endSessions, "none", ["none", "others"]) === "others",
    },
  };
}

/** The answer to a sign-in; in cookie mode the tokens are set as cookies and kept out of the body. */
export function toSignInResponseMessage(
  result: LoginResult,
  ctx: HandlerContext,
  edge: SignInEdge,
  options: LoginOptions,
): { result: { case: "mfaChallenge"; value: MfaChallenge } | { case: "tokens"; value: TokenPair } } {
  if (result.kind === "challenge") {
    return { result: { case: "mfaChallenge", value: toMfaChallengeMessage(result.challenge) } };
  }
  const cookieMode = options.authMethod === "cookie";
  if (cookieMode) setSessionCookies(ctx, result.tokens, edge.cookies, edge.clock.now());
  return { result: { case: "tokens", value: toTokenPairMessage(result.tokens, !cookieMode) } };
}
