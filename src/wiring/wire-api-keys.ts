// API keys: made from a signed-in session after the password (and, with a second factor, a recent
// step-up: MFA, wired before), then used by scripts and servers in place of a session.
import { ApiKeys } from "../domain/api-keys.js";
import { API_KEY_REPOSITORIES } from "../domain/persistence.js";
import type { StepUpCheck } from "../domain/ports.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

export function wireApiKeys(
  infra: Pick<Infrastructure, "clock" | "unitOfWork" | "passwords">,
  needs: { stepUp: StepUpCheck },
): Wired<ApiKeys> {
  const apiKeys = new ApiKeys({
    uow: infra.unitOfWork(API_KEY_REPOSITORIES),
    clock: infra.clock,
    passwords: infra.passwords,
    stepUp: needs.stepUp,
  });
  return { face: apiKeys, closers: [], jobs: [] };
}
