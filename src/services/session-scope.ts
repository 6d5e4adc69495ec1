// The one way requests say which sessions end (SessionScope), read at the transport edge. Each RPC
// gives its default for UNSPECIFIED and the values it accepts; any other answers InvalidArgument
// naming the field, so a client never gets a silent "nothing happened" for a scope an RPC ignores.
import { SessionScope } from "../../gen/authd/v1/common_pb.js";
import { invalidArgument } from "../domain/errors.js";

export type Scope = "current" | "others" | "all" | "none";

const scopes: Record<Exclude<SessionScope, SessionScope.UNSPECIFIED>, Scope> = {
  [SessionScope.CURRENT]: "current",
  [SessionScope.OTHERS]: "others",
  [SessionScope.ALL]: "all",
  [SessionScope.NONE]: "none",
};

const protoName = (scope: Scope) => `SESSION_SCOPE_${scope.toUpperCase()}`;

/** The scope a request asked for: `byDefault` when unspecified; one of `accepted` or InvalidArgument. */
export function sessionScope<S extends Scope>(value: SessionScope, byDefault: S, accepted: readonly S[]): S {
  if (value === SessionScope.UNSPECIFIED) return byDefault;
  const scope = scopes[value] as Scope | undefined;
  if (scope === undefined || !(accepted as readonly Scope[]).includes(scope)) {
    throw invalidArgument("end_sessions", `must be one of ${accepted.map(protoName).join(", ")}`);
  }
  return scope as S;
}
