"""Generates the Python modules of this example from authd's proto/, with grpc_tools (Debian:
python3-grpc-tools; or pip's grpcio-tools).

    python3 examples/python-grpc/generate.py [OUTPUT_DIR]      # default: examples/python-grpc/gen

Only the files a backend needs for ValidateToken: authd/v1/session.proto and what it imports.
(auth.proto, mfa.proto and admin.proto use proto3 `optional` fields, which need protoc 3.15 or
later: Debian 12's python3-grpc-tools 1.14 bundles an older protoc. With a newer grpcio-tools they
compile the same way.)

The health check comes from grpcio-health-checking's module, grpc_health.v1. Generating
proto/grpc/health/v1/health.proto as it lies would make a package named `grpc`, which hides the
grpc library itself. Where grpcio-health-checking is not installed (Debian packages no version of
it), this generates the same module under the same name, grpc_health.v1, from authd's copy of the
protocol.
"""

import os
import sys

import grpc_tools
from grpc_tools import protoc

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.normpath(os.path.join(HERE, "..", "..", "proto"))
WELL_KNOWN = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")


def generate(out: str, include: str, files: list[str]) -> None:
    args = ["protoc", f"-I{include}", f"-I{WELL_KNOWN}", f"--python_out={out}", f"--grpc_python_out={out}"]
    if protoc.main(args + files) != 0:
        sys.exit(f"protoc failed for {', '.join(files)}")


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "gen")
    os.makedirs(out, exist_ok=True)
    generate(out, PROTO, ["authd/v1/common.proto", "authd/v1/session.proto"])
    try:
        import grpc_health.v1.health_pb2_grpc  # noqa: F401  (grpcio-health-checking)
    except ImportError:
        # protoc's -IVIRTUAL=DIRECTORY: the file is known as grpc_health/v1/health.proto.
        generate(out, f"grpc_health/v1={PROTO}/grpc/health/v1", ["grpc_health/v1/health.proto"])
    print(f"generated into {out}")


if __name__ == "__main__":
    main()
