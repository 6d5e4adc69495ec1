// gRPC server reflection: the tools that discover a server's services by asking it (grpcurl, grpcui,
// Postman, `buf curl` without --schema) find authd's. Tested with `buf curl` (a Go client, from the
// @bufbuild/buf package) and with a JavaScript client: the generated reflection client over
// connect-node's gRPC transport, decoding the descriptors it receives with protobuf-es. No test
// sends a credential: reflection reveals only the public contract.
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { create, createFileRegistry, type DescFile, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { file_authd_v1_session, SessionService } from "../../../gen/authd/v1/session_pb.js";
import {
  ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { type AccountsHarness, PASSWORD, startAccountsHarness } from "../../helpers/accounts.js";
import { frame, grpcCall } from "../../helpers/raw-rpc.js";

const run = promisify(execFile);
const buf = path.resolve(import.meta.dirname, "../../..", "node_modules", ".bin", "buf");

const AUTHD_SERVICES = [
  "authd.v1.AdminService",
  "authd.v1.AuthService",
  "authd.v1.MfaService",
  "authd.v1.SessionService",
];

let harness: AccountsHarness;

beforeAll(async () => {
  harness = await startAccountsHarness({ AUTHD_MAX_MESSAGE_BYTES: "4096" });
});
afterAll(() => harness.close());

/** `buf curl` over gRPC (HTTP/2 without TLS), with no schema: everything it knows comes from reflection. */
async function bufCurl(...args: string[]): Promise<string> {
  const { stdout } = await run(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...args], {
    timeout: 20_000,
  });
  return stdout;
}

/** Sends `requests` on one reflection stream and answers the responses, in order. */
async function reflect(
  requests: Omit<ServerReflectionRequest, "$typeName">[],
): Promise<ServerReflectionResponse[]> {
  const client = createClient(ServerReflection, harness.server.transport("grpc"));
  const responses: ServerReflectionResponse[] = [];
  async function* send() {
    for (const request of requests) yield create(ServerReflectionRequestSchema, request);
  }
  for await (const response of client.serverReflectionInfo(send())) responses.push(response);
  return responses;
}

/** The files of a file_descriptor_response, decoded. */
function filesOf(response: ServerReflectionResponse) {
  if (response.messageResponse.case !== "fileDescriptorResponse")
    throw new Error(`expected files, got ${response.messageResponse.case}`);
  return response.messageResponse.value.fileDescriptorProto.map((bytes) =>
    fromBinary(FileDescriptorProtoSchema, bytes),
  );
}

function errorOf(response: ServerReflectionResponse) {
  if (response.messageResponse.case !== "errorResponse")
    throw new Error(`expected an error, got ${response.messageResponse.case}`);
  return response.messageResponse.value;
}

describe("buf curl, with no schema, learns authd's contract from reflection", () => {
  it("lists authd's services, the health check and reflection itself", async () => {
    const services = (await bufCurl("--list-services", harness.server.url)).trim().split("\n");
    expect(services).toEqual(
      expect.arrayContaining([
        ...AUTHD_SERVICES,
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]),
    );
  });

  it("lists the methods of every service", async () => {
    const methods = (await bufCurl("--list-methods", harness.server.url)).trim().split("\n");
    expect(methods).toEqual(
      expect.arrayContaining([
        "authd.v1.SessionService/ValidateToken",
        "authd.v1.AuthService/Login",
        "authd.v1.AdminService/ListUsers",
        "grpc.health.v1.Health/Check",
      ]),
    );
  });

  it("calls Health/Check", async () => {
    const out = await bufCurl(
      "--data",
      '{"service":"authd.v1.SessionService"}',
      `${harness.server.url}/grpc.health.v1.Health/Check`,
    );
    expect(JSON.parse(out)).toEqual({ status: "SERVING" });
  });

  it("calls ValidateToken with a real access token and reads the answer as JSON", async () => {
    await harness.signUp("reflected@example.com");
    const tokens = await harness.login("reflected@example.com", PASSWORD);
    const out = await bufCurl(
      "--data",
      JSON.stringify({ token: tokens.accessToken }),
      `${harness.server.url}/authd.v1.SessionService/ValidateToken`,
    );
    const answer = JSON.parse(out) as Record<string, unknown>;
    expect(answer).toMatchObject({ active: true, kind: "TOKEN_KIND_ACCESS_TOKEN" });
    expect(answer.subject).toEqual(expect.any(String));
  });
});

describe("the generated reflection client over connect-node's gRPC transport", () => {
  it("lists the services", async () => {
    const [response] = await reflect([{ host: "", messageRequest: { case: "listServices", value: "" } }]);
    expect(response?.messageResponse.case).toBe("listServicesResponse");
    const names =
      response?.messageResponse.case === "listServicesResponse"
        ? response.messageResponse.value.service.map((s) => s.name)
        : [];
    expect(names).toEqual(expect.arrayContaining([...AUTHD_SERVICES, "grpc.health.v1.Health"]));
    expect(response?.originalRequest?.messageRequest.case).toBe("listServices");
  });

  it("resolves a service to its file and dependencies, which protobuf-es decodes to the same contract", async () => {
    const [response] = await reflect([
      { host: "", messageRequest: { case: "fileContainingSymbol", value: "authd.v1.SessionService" } },
    ]);
    const files = filesOf(response as ServerReflectionResponse);
    // The file that declares the symbol comes first, then what it imports, transitively.
    expect(files.map((f) => f.name)).toEqual(
      expect.arrayContaining([
        "authd/v1/session.proto",
        "authd/v1/common.proto",
        "google/protobuf/timestamp.proto",
      ]),
    );
    expect(files[0]?.name).toBe("authd/v1/session.proto");
    // A FileDescriptorSet lists a file after the files it imports.
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: [...files].reverse() }));
    const service = registry.getService("authd.v1.SessionService");
    expect(service?.methods.map((m) => m.name)).toEqual(SessionService.methods.map((m) => m.name));
    const validate = service?.methods.find((m) => m.name === "ValidateToken");
    expect(validate?.input.fields.map((f) => f.name)).toEqual(["token"]);
    // Byte for byte the descriptor authd was generated from.
    const sent = toBinary(FileDescriptorProtoSchema, files[0] as DescFile["proto"]);
    expect(Buffer.from(sent)).toEqual(
      Buffer.from(toBinary(FileDescriptorProtoSchema, file_authd_v1_session.proto)),
    );
  });

  it("resolves a method, a message and a nested enum to the file that declares them", async () => {
    const responses = await reflect(
      [
        "authd.v1.SessionService.ValidateToken",
        "authd.v1.ValidateTokenResponse",
        "grpc.health.v1.HealthCheckResponse.ServingStatus",
      ].map((value) => ({ host: "", messageRequest: { case: "fileContainingSymbol" as const, value } })),
    );
    expect(responses.map((r) => filesOf(r)[0]?.name)).toEqual([
      "authd/v1/session.proto",
      "authd/v1/session.proto",
      "grpc/health/v1/health.proto",
    ]);
  });

  it("answers a file by its name, and leaves out dependencies it already sent on the stream", async () => {
    const [first, second] = await reflect([
      { host: "", messageRequest: { case: "fileByFilename", value: "authd/v1/session.proto" } },
      { host: "", messageRequest: { case: "fileByFilename", value: "authd/v1/mfa.proto" } },
    ]);
    expect(filesOf(first as ServerReflectionResponse).map((f) => f.name)).toContain("authd/v1/common.proto");
    const again = filesOf(second as ServerReflectionResponse).map((f) => f.name);
    expect(again[0]).toBe("authd/v1/mfa.proto");
    expect(again).not.toContain("authd/v1/common.proto");
  });

  it("answers NOT_FOUND, on a stream that goes on, for a symbol, file or extension nothing matches", async () => {
    const responses = await reflect([
      { host: "", messageRequest: { case: "fileContainingSymbol", value: "authd.v1.NoSuchService" } },
      { host: "", messageRequest: { case: "fileByFilename", value: "authd/v1/nope.proto" } },
      {
        host: "",
        messageRequest: {
          case: "fileContainingExtension",
          value: {
            $typeName: "grpc.reflection.v1.ExtensionRequest",
            containingType: "authd.v1.User",
            extensionNumber: 1000,
          },
        },
      },
      { host: "", messageRequest: { case: "allExtensionNumbersOfType", value: "authd.v1.Nope" } },
      { host: "", messageRequest: { case: "listServices", value: "" } },
    ]);
    for (const response of responses.slice(0, 4)) {
      const error = errorOf(response);
      expect(error.errorCode).toBe(Code.NotFound);
      expect(error.errorMessage).not.toBe("");
    }
    expect(responses[4]?.messageResponse.case).toBe("listServicesResponse");
  });

  it("answers the extension numbers of a known message: none, since authd declares no extensions", async () => {
    const [response] = await reflect([
      { host: "", messageRequest: { case: "allExtensionNumbersOfType", value: "authd.v1.User" } },
    ]);
    expect(response?.messageResponse).toEqual({
      case: "allExtensionNumbersResponse",
      value: expect.objectContaining({ baseTypeName: "authd.v1.User", extensionNumber: [] }),
    });
  });

  it("refuses a request that asks nothing with INVALID_ARGUMENT", async () => {
    const error = await reflect([{ host: "", messageRequest: { case: undefined } }]).catch((e: unknown) =>
      ConnectError.from(e),
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).rawMessage).toMatch(/message_request/);
  });

  it("answers the older v1alpha protocol too", async () => {
    const client = createClient(v1alpha.ServerReflection, harness.server.transport("grpc"));
    async function* send() {
      yield create(v1alpha.ServerReflectionRequestSchema, {
        messageRequest: { case: "fileContainingSymbol", value: "authd.v1.AuthService" },
      });
    }
    const responses: v1alpha.ServerReflectionResponse[] = [];
    for await (const response of client.serverReflectionInfo(send())) responses.push(response);
    expect(responses[0]?.messageResponse.case).toBe("fileDescriptorResponse");
    const names =
      responses[0]?.messageResponse.case === "fileDescriptorResponse"
        ? responses[0].messageResponse.value.fileDescriptorProto.map(
            (bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name,
          )
        : [];
    expect(names[0]).toBe("authd/v1/auth.proto");
  });
});

describe("a reflection stream meets the limits of every RPC", () => {
  const path = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";

  it("answers INVALID_ARGUMENT for a request that does not decode", async () => {
    const { status } = await grpcCall(harness.server.url, path, frame(0, new Uint8Array([0x3a, 0xff, 0xff])));
    expect(status).toBe(String(Code.InvalidArgument));
  });

  it("answers RESOURCE_EXHAUSTED for a request over AUTHD_MAX_MESSAGE_BYTES", async () => {
    const tooLong = new Uint8Array(4097);
    const { status } = await grpcCall(harness.server.url, path, frame(0, tooLong));
    expect(status).toBe(String(Code.ResourceExhausted));
  });
});
