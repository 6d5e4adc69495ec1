// The typed clients of every authd service over one transport, shared by the Node and browser entries.
import { type Client, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { AdminService } from "../gen/authd/v1/admin_pb.js";
import { AuthService } from "../gen/authd/v1/auth_pb.js";
import { MfaService } from "../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../gen/authd/v1/session_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";

export interface AuthdClients {
  auth: Client<typeof AuthService>;
  sessions: Client<typeof SessionService>;
  mfa: Client<typeof MfaService>;
  admin: Client<typeof AdminService>;
  health: Client<typeof Health>;
  /** The transport the clients share, for a client of a service added later. */
  transport: Transport;
}

/** A bearer access token, or a function that answers the current one (e.g. after a refresh). */
export type AccessToken = string | (() => string | undefined | Promise<string | undefined>);

export interface CommonOptions {
  /** Sent as `Authorization: Bearer <token>` on every call. */
  accessToken?: AccessToken;
  /** More interceptors (logging, retries, ...), run after the access token one. */
  interceptors?: Interceptor[];
}

export function bearerInterceptor(token: AccessToken): Interceptor {
  return (next) => async (req) => {
    const value = typeof token === "function" ? await token() : token;
    if (value) req.header.set("authorization", `Bearer ${value}`);
    return next(req);
  };
}

export function interceptorsFor(options: CommonOptions): Interceptor[] {
  const own = options.accessToken === undefined ? [] : [bearerInterceptor(options.accessToken)];
  return [...own, ...(options.interceptors ?? [])];
}

export function clientsFor(transport: Transport): AuthdClients {
  return {
    auth: createClient(AuthService, transport),
    sessions: createClient(SessionService, transport),
    mfa: createClient(MfaService, transport),
    admin: createClient(AdminService, transport),
    health: createClient(Health, transport),
    transport,
  };
}
