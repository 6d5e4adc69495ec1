// The reference server: connect-node answering grpc.health.v1.Health/Check with no work at all, on
// cleartext HTTP/2 like authd. What authd adds to a request is measured against this.
// Prints its port on stdout once listening.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";

const handler = connectNodeAdapter({
  routes: (router) =>
    router.service(Health, {
      check: () => ({ status: HealthCheckResponse_ServingStatus.SERVING }),
    }),
});
const server = http2.createServer(handler);
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
