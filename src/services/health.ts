import type { ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { notFound } from "../domain/errors.js";

/** Services a health check may name; the empty name means the server as a whole. */
const KNOWN = new Set([
  "",
  "authd.v1.AuthService",
  "authd.v1.SessionService",
  "authd.v1.MfaService",
  "authd.v1.AdminService",
]);

export function healthService(isHealthy: () => Promise<boolean>): Partial<ServiceImpl<typeof Health>> {
  return {
    async check(req) {
      if (!KNOWN.has(req.service)) throw notFound(`service: unknown service "${req.service}"`);
      const status = (await isHealthy())
        ? HealthCheckResponse_ServingStatus.SERVING
        : HealthCheckResponse_ServingStatus.NOT_SERVING;
      return { status };
    },
  };
}
