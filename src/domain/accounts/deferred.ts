// The account work the public "email me" RPCs record before answering and do after (after-reply.ts).
import type { Uses } from "./deps.js";
import { type ResetWork, sendPasswordReset } from "./password-flows.js";
import { createAccount, type RegisterWork } from "./registration.js";
import { issueVerification, type ResendWork } from "./verification.js";

export function handleAccountWork(
  deps: Uses<"afterReply" | "mail", "emailVerificationTtlSeconds" | "passwordResetTtlSeconds">,
): void {
  deps.afterReply.handle("register", (tx, work) => createAccount(deps, tx, work as RegisterWork));
  deps.afterReply.handle("resend_verification", (tx, work) =>
    issueVerification(deps, tx, work as ResendWork),
  );
  deps.afterReply.handle("password_reset", (tx, work) => sendPasswordReset(deps, tx, work as ResetWork));
}
