// What an unknown path gets. Connect clients read HTTP 404 as Unimplemented; gRPC and gRPC-Web
// clients expect a proper status, so they get a "trailers-only" answer with grpc-status 12.
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

export const answerUnknownRoute: NonNullable<ConnectNodeAdapterOptions["fallback"]> = (req, res) => {
  const contentType = String(req.headers["content-type"] ?? "");
  const message = `unknown procedure ${(req.url ?? "").split("?")[0]}`;
  if (contentType.startsWith("application/grpc")) {
    res.statusCode = 200;
    res.setHeader("content-type", contentType.split(";")[0] ?? contentType);
    res.setHeader("grpc-status", "12");
    res.setHeader("grpc-message", encodeURIComponent(message));
    res.end();
    return;
  }
  res.statusCode = 404;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify({ code: "unimplemented", message }));
};
