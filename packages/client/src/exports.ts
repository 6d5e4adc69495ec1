// What both entries re-export: the shared client types, the services, messages and enums.

export { Code, ConnectError } from "@connectrpc/connect";
export * from "../gen/authd/v1/admin_pb.js";
export * from "../gen/authd/v1/auth_pb.js";
export * from "../gen/authd/v1/common_pb.js";
export * from "../gen/authd/v1/mfa_pb.js";
export * from "../gen/authd/v1/session_pb.js";
export * from "../gen/grpc/health/v1/health_pb.js";
export { type AccessToken, type AuthdClients, bearerInterceptor } from "./clients.js";
