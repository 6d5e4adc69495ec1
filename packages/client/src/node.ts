// authd's clients for Node: gRPC (HTTP/2), gRPC-Web or Connect, from @connectrpc/connect-node.
//
//   import { createAuthdClient } from "@authd/client";
//   const authd = createAuthdClient("http://127.0.0.1:8080", { protocol: "grpc" });
//   const res = await authd.auth.login({ identifier: "ada@example.com", password });
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { type AuthdClients, type CommonOptions, clientsFor, interceptorsFor } from "./clients.js";

export type Protocol = "grpc" | "grpc-web" | "connect";

export interface AuthdClientOptions extends CommonOptions {
  /** gRPC by default: HTTP/2, binary, what server-to-server callers use. */
  protocol?: Protocol;
}

export function createAuthdClient(baseUrl: string, options: AuthdClientOptions = {}): AuthdClients {
  const interceptors = interceptorsFor(options);
  switch (options.protocol ?? "grpc") {
    case "grpc":
      return clientsFor(createGrpcTransport({ baseUrl, interceptors }));
    case "grpc-web":
      return clientsFor(createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }));
    case "connect":
      return clientsFor(createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors }));
    default:
      throw new Error(`unknown protocol "${options.protocol}": use grpc, grpc-web or connect`);
  }
}

export * from "./exports.js";
