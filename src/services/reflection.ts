// gRPC server reflection (grpc.reflection.v1, and v1alpha for older clients): grpcurl, grpcui,
// Postman and `buf curl` without --schema ask the server which services it offers and for the
// descriptors of their files. The answers come from the descriptors authd was generated with
// (protobuf-es keeps them in gen/), for exactly the services registered on the router. Reflection
// reveals only the public contract, so it needs no credential (the authentication interceptor
// leaves a call without one anonymous; no reflection answer depends on the caller).
import {
  createFileRegistry,
  type DescFile,
  type DescService,
  type FileRegistry,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import * as v1 from "../../gen/grpc/reflection/v1/reflection_pb.js";
import * as v1alpha from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

/** What a client asks, as both versions spell it (their messages differ only in package). */
type MessageRequest =
  | { case: "fileByFilename"; value: string }
  | { case: "fileContainingSymbol"; value: string }
  | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
  | { case: "allExtensionNumbersOfType"; value: string }
  | { case: "listServices"; value: string }
  | { case: undefined; value?: undefined };

type MessageResponse =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/**
 * Registers both reflection services on `router`, answering for every service registered on it so
 * far and for reflection itself: call it after the others.
 */
export function registerReflection(router: ConnectRouter): void {
  const services = new Map<string, DescService>();
  for (const { service } of router.handlers) services.set(service.typeName, service);
  for (const service of [v1.ServerReflection, v1alpha.ServerReflection])
    services.set(service.typeName, service);
  const reflection = new Reflection([...services.values()]);
  router.service(v1.ServerReflection, { serverReflectionInfo: (requests) => reflection.answerAll(requests) });
  router.service(v1alpha.ServerReflection, {
    serverReflectionInfo: (requests) => reflection.answerAll(requests),
  });
}

export class Reflection {
  private readonly registry: FileRegistry;
  private readonly serviceNames: string[];
  /** Each file's serialized FileDescriptorProto, made once. */
  private readonly serialized = new Map<string, Uint8Array>();

  constructor(services: DescService[]) {
    this.serviceNames = services.map((s) => s.typeName).sort();
    // One registry over the services' files and everything they import (timestamp.proto, ...).
    this.registry = createFileRegistry(
      ...services.map(({ file }) =>
        createFileRegistry(file.proto, (name) => file.dependencies.find((d) => d.proto.name === name)),
      ),
    );
  }

  /** One answer per request, in order, on one stream (the files it already sent are not sent again). */
  async *answerAll<R extends { host: string; messageRequest: MessageRequest }>(requests: AsyncIterable<R>) {
    const sent = new Set<string>();
    for await (const request of requests) {
      yield {
        validHost: request.host,
        originalRequest: request,
        messageResponse: this.answer(request, sent),
      };
    }
  }

  private answer(
    { messageRequest: asked }: { messageRequest: MessageRequest },
    sent: Set<string>,
  ): MessageResponse {
    switch (asked.case) {
      case "listServices":
        return {
          case: "listServicesResponse",
          value: { service: this.serviceNames.map((name) => ({ name })) },
        };
      case "fileByFilename":
        return this.files(this.registry.getFile(asked.value), sent, `file "${asked.value}"`);
      case "fileContainingSymbol":
        return this.files(this.declaringFile(asked.value), sent, `symbol "${asked.value}"`);
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = asked.value;
        const extendee = this.registry.getMessage(containingType);
        const extension = extendee && this.registry.getExtensionFor(extendee, extensionNumber);
        return this.files(extension?.file, sent, `extension ${extensionNumber} of "${containingType}"`);
      }
      case "allExtensionNumbersOfType": {
        if (!this.registry.getMessage(asked.value)) return notFound(`message type "${asked.value}"`);
        const numbers: number[] = [];
        for (const type of this.registry) {
          if (type.kind === "extension" && type.extendee.typeName === asked.value) numbers.push(type.number);
        }
        return {
          case: "allExtensionNumbersResponse",
          value: { baseTypeName: asked.value, extensionNumber: numbers.sort((a, b) => a - b) },
        };
      }
      default:
        // connect-go and grpc-go answer this way too: the stream ends, since the request is broken.
        throw new ConnectError(
          "message_request: set one of file_by_filename, file_containing_symbol, file_containing_extension, all_extension_numbers_of_type, list_services",
          Code.InvalidArgument,
        );
    }
  }

  /**
   * The file that declares `symbol`: a service, message, enum or extension by its full name, or a
   * method, field, oneof or enum value by its parent's name and its own (an enum value is named in
   * the scope that holds its enum, as protobuf scopes them).
   */
  private declaringFile(symbol: string): DescFile | undefined {
    const type = this.registry.get(symbol);
    if (type) return type.file;
    const dot = symbol.lastIndexOf(".");
    const scope = symbol.slice(0, Math.max(dot, 0));
    const member = symbol.slice(dot + 1);
    const parent = this.registry.get(scope);
    switch (parent?.kind) {
      case "service":
        return parent.methods.some((m) => m.name === member) ? parent.file : undefined;
      case "message": {
        const named = [...parent.fields, ...parent.oneofs].some((f) => f.name === member);
        const value = parent.nestedEnums.some((e) => e.values.some((v) => v.name === member));
        return named || value ? parent.file : undefined;
      }
      case undefined:
        // A top-level enum's values are named in its package.
        return [...this.registry.files].find(
          (f) => f.proto.package === scope && f.enums.some((e) => e.values.some((v) => v.name === member)),
        );
      default:
        return undefined;
    }
  }

  /**
   * `file` first, then what it imports, transitively, as serialized FileDescriptorProtos; files
   * already sent on this stream are left out (the protocol allows it, and clients keep them).
   */
  private files(file: DescFile | undefined, sent: Set<string>, what: string): MessageResponse {
    if (!file) return notFound(what);
    const answer: Uint8Array[] = [];
    const queue = [file];
    const seen = new Set<string>();
    for (let next = queue.shift(); next; next = queue.shift()) {
      const name = next.proto.name;
      if (seen.has(name)) continue;
      seen.add(name);
      if (next === file || !sent.has(name)) answer.push(this.bytes(next));
      sent.add(name);
      queue.push(...next.dependencies);
    }
    return { case: "fileDescriptorResponse", value: { fileDescriptorProto: answer } };
  }

  private bytes(file: DescFile): Uint8Array {
    let bytes = this.serialized.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.serialized.set(file.proto.name, bytes);
    }
    return bytes;
  }
}

function notFound(what: string): MessageResponse {
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage: `${what} not found` } };
}
