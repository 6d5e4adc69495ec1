"""A Python service that lets in the callers authd vouches for: each request's bearer token is
checked with SessionService.ValidateToken over gRPC, with stubs generated from authd's proto/
(generate.py). Before it serves, it waits for authd's gRPC health check.

    python3 examples/python-grpc/generate.py
    AUTHD_GRPC_TARGET=127.0.0.1:8080 PORT=8000 python3 examples/python-grpc/service.py
    curl -H "Authorization: Bearer $ACCESS_TOKEN" http://127.0.0.1:8000/hello
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.environ.get("AUTHD_PYTHON_GEN", os.path.join(os.path.dirname(__file__), "gen")))

import grpc  # noqa: E402
from authd.v1 import session_pb2, session_pb2_grpc  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402  (grpcio-health-checking's module)

# gRPC over HTTP/2 without TLS, as on a private network; grpc.secure_channel behind TLS.
channel = grpc.insecure_channel(os.environ.get("AUTHD_GRPC_TARGET", "127.0.0.1:8080"))
sessions = session_pb2_grpc.SessionServiceStub(channel)


def wait_for_authd() -> None:
    health = health_pb2_grpc.HealthStub(channel)
    request = health_pb2.HealthCheckRequest(service="authd.v1.SessionService")
    answer = health.Check(request, timeout=30, wait_for_ready=True)
    if answer.status != health_pb2.HealthCheckResponse.SERVING:
        sys.exit("authd's SessionService is not serving")


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/hello":
            self.send_error(404)
            return
        authorization = self.headers.get("Authorization", "")
        token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
        if not token:
            self.refuse()
            return
        try:
            answer = sessions.ValidateToken(session_pb2.ValidateTokenRequest(token=token), timeout=5)
        except grpc.RpcError as error:
            # authd unreachable, or the request refused: nobody is let in.
            self.log_error("ValidateToken failed: %s", error.code())
            self.send_error(500)
            return
        if not answer.active:
            self.refuse()
            return
        body = json.dumps({"hello": answer.subject, "roles": list(answer.roles)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def refuse(self) -> None:
        self.send_response(401)
        self.send_header("WWW-Authenticate", "Bearer")
        self.send_header("Content-Length", "0")
        self.end_headers()


def main() -> None:
    wait_for_authd()
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "8000"))), Hello)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
