// API keys: made from a signed-in session that re-authenticates (the password, and a recent second
// factor where the account has one), then used by scripts and servers in place of a session.

import { API_KEY_REPOSITORIES } from "../domain/persistence.js";
import { ApiKeys } from "../domain/sessions/api-keys.js";
import type { Infrastructure } from "./infrastructure.js";
import type { Wired } from "./wired.js";

export function wireApiKeys(infra: Pick<Infrastructure, "clock" | "unitOfWork" | "reauth">): Wired<ApiKeys> {
  const apiKeys = new ApiKeys({
    uow: infra.unitOfWork(API_KEY_REPOSITORIES),
    clock: infra.clock,
    reauth: infra.reauth,
  });
  return { face: apiKeys, closers: [], jobs: [] };
}
