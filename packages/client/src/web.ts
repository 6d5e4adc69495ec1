// authd's clients for the browser: gRPC-Web or Connect over fetch, from @connectrpc/connect-web
// (install it beside this package). Browsers cannot speak plain gRPC.
//
//   import { createAuthdClient } from "@authd/client/web";
//   const authd = createAuthdClient(location.origin, { protocol: "grpc-web" });
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { type AuthdClients, type CommonOptions, clientsFor, interceptorsFor } from "./clients.js";

export type WebProtocol = "grpc-web" | "connect";

export interface AuthdWebClientOptions extends CommonOptions {
  /** gRPC-Web by default. */
  protocol?: WebProtocol;
  /**
   * Whether the browser sends authd's session cookies: "same-origin" (the default) when the page is
   * served by authd or its origin, "include" for a page on another origin listed in AUTHD_CORS_ORIGINS.
   */
  credentials?: RequestCredentials;
}

export function createAuthdClient(baseUrl: string, options: AuthdWebClientOptions = {}): AuthdClients {
  const interceptors = interceptorsFor(options);
  const credentials = options.credentials ?? "same-origin";
  const fetchWithCredentials: typeof fetch = (input, init) => fetch(input, { ...init, credentials });
  switch (options.protocol ?? "grpc-web") {
    case "grpc-web":
      return clientsFor(createGrpcWebTransport({ baseUrl, interceptors, fetch: fetchWithCredentials }));
    case "connect":
      return clientsFor(createConnectTransport({ baseUrl, interceptors, fetch: fetchWithCredentials }));
    default:
      throw new Error(`unknown protocol "${options.protocol}": use grpc-web or connect`);
  }
}

export * from "./exports.js";
