// Registers every service on the Connect router. Methods a service does not implement yet answer
// Unimplemented (connect-es does that for methods missing from the implementation).
import type { ConnectRouter } from "@connectrpc/connect";
import { AdminService } from "../gen/authd/v1/admin_pb.js";
import { AuthService } from "../gen/authd/v1/auth_pb.js";
import { MfaService } from "../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../gen/authd/v1/session_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import type { App } from "./app.js";
import { adminService } from "./services/admin-service.js";
import { accountHandlers } from "./services/auth-service.js";
import { authSessionHandlers } from "./services/auth-session-handlers.js";
import { healthService } from "./services/health.js";
import { identityHandlers } from "./services/identity-handlers.js";
import { mfaService } from "./services/mfa-service.js";
import { registerReflection } from "./services/reflection.js";
import { sessionService } from "./services/session-service.js";

/**
 * What the services are built from: the features, never the process-wide parts (the store, the
 * outbox, the password hasher). Each service gets the features it needs.
 */
export type RouteFeatures = Pick<
  App,
  | "config"
  | "clock"
  | "sessions"
  | "accounts"
  | "identities"
  | "mfa"
  | "tenants"
  | "administration"
  | "isHealthy"
>;

export function createRoutes(app: RouteFeatures) {
  const cookies = {
    env: app.config.env,
    publicUrl: app.config.publicUrl,
    corsOrigins: app.config.corsOrigins,
    localAppOrigins: app.config.localAppOrigins,
    trustedDeviceTtlSeconds: app.config.trustedDeviceTtlSeconds,
  };
  const { clock, sessions } = app;
  return (router: ConnectRouter) => {
    router.service(
      Health,
      healthService(() => app.isHealthy()),
    );
    router.service(AuthService, {
      ...accountHandlers({ accounts: app.accounts, cookies, clock }),
      ...authSessionHandlers({ sessions, cookies, clock }),
      ...identityHandlers({ identities: app.identities, cookies, clock }),
    });
    router.service(SessionService, sessionService({ sessions }));
    router.service(MfaService, mfaService({ mfa: app.mfa, cookies, clock }));
    router.service(AdminService, adminService({ tenants: app.tenants, administration: app.administration }));
    // Last: it describes every service registered above.
    registerReflection(router);
  };
}
