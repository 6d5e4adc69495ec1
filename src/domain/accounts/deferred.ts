// The account work the public "email me" RPCs record before answering and do after (after-reply.ts).
import type { AccountDeps } from "./deps.js";
import { type ResetWork, sendPasswordReset } from "./password-flows.js";
import { createAccount, issueVerification, type RegisterWork, type ResendWork } from "./registration.js";

export function handleAccountWork(deps: AccountDeps): void {
  deps.afterReply.handle("register", (em, work) => createAccount(deps, em, work as RegisterWork));
  deps.afterReply.handle("resend_verification", (em, work) =>
    issueVerification(deps, em, work as ResendWork),
  );
  deps.afterReply.handle("password_reset", (em, work) => sendPasswordReset(deps, em, work as ResetWork));
}
