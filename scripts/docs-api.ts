// The API reference, rendered from the comments in proto/ (which buf lint requires on every element):
// `buf build` writes the descriptors with their source comments, and this walks them with protobuf-es.
import { execFileSync } from "node:child_process";
import path from "node:path";
import {
  createFileRegistry,
  type DescEnum,
  type DescField,
  type DescFile,
  type DescMessage,
  fromBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

const root = path.resolve(import.meta.dirname, "..");

/** The leading comment of the element at `sourcePath` in `file`, as one paragraph. */
function comment(file: DescFile, sourcePath: number[]): string {
  const location = file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === sourcePath.length && l.path.every((n, i) => n === sourcePath[i]),
  );
  return (location?.leadingComments ?? "")
    .split("\n")
    .map((line) => line.trim())
    .join(" ")
    .trim();
}

/** Source paths by field number of FileDescriptorProto and DescriptorProto (descriptor.proto). */
const MESSAGE = 4;
const ENUM = 5;
const SERVICE = 6;
const FIELD = 2;
const NESTED = 3;
const NESTED_ENUM = 4;
const METHOD = 2;
const ENUM_VALUE = 2;

function fieldType(field: DescField): string {
  const scalar = (f: DescField): string => {
    const named = f.message ?? f.enum;
    if (named) return link(named.typeName, named.name);
    return f.proto.typeName ? f.proto.typeName : (typeNames[f.proto.type] ?? "?");
  };
  if (field.fieldKind === "list") return `repeated ${scalar(field)}`;
  if (field.fieldKind === "map") return `map<${typeNames[field.mapKey] ?? "?"}, …>`;
  return scalar(field);
}

// FieldDescriptorProto.Type numbers to proto names.
const typeNames: Record<number, string> = {
  1: "double",
  2: "float",
  3: "int64",
  4: "uint64",
  5: "int32",
  8: "bool",
  9: "string",
  12: "bytes",
  13: "uint32",
  17: "sint32",
  18: "sint64",
};

const anchor = (typeName: string) => typeName.toLowerCase().replaceAll(".", "");

/** A link to a type documented on this page; other packages' types (google.protobuf) are plain. */
const link = (typeName: string, name: string) =>
  typeName.startsWith("authd.") ? `[${name}](#${anchor(typeName)})` : `\`${typeName}\``;

function renderMessage(file: DescFile, message: DescMessage, at: number[], out: string[]): void {
  out.push(`### ${message.typeName}`, "", comment(file, at), "");
  for (const field of message.fields) {
    const oneof = field.oneof ? ` (one of \`${field.oneof.name}\`)` : "";
    const text = comment(file, [...at, FIELD, message.proto.field.indexOf(field.proto)]);
    out.push(`- \`${field.name}\` ${fieldType(field)}${oneof}: ${text}`);
  }
  if (message.fields.length > 0) out.push("");
  message.nestedMessages.forEach((nested, i) => {
    renderMessage(file, nested, [...at, NESTED, i], out);
  });
  message.nestedEnums.forEach((nested, i) => {
    renderEnum(file, nested, [...at, NESTED_ENUM, i], out);
  });
}

function renderEnum(file: DescFile, desc: DescEnum, at: number[], out: string[]): void {
  out.push(`### ${desc.typeName}`, "", comment(file, at), "");
  desc.values.forEach((value, i) => {
    out.push(`- \`${value.name}\`: ${comment(file, [...at, ENUM_VALUE, i])}`);
  });
  out.push("");
}

export function renderApi(): string {
  const bytes = execFileSync(path.join(root, "node_modules", ".bin", "buf"), ["build", "proto", "-o", "-"], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const files = [...registry.files]
    .filter((f) => f.name.startsWith("authd/"))
    .sort((a, b) => a.name.localeCompare(b.name));
  const out = [
    "# API reference",
    "",
    "<!-- Generated from the comments in proto/ by `npm run docs`: edit them there. -->",
    "",
    "Every RPC is served over gRPC, gRPC-Web and Connect on one port; with Connect JSON it is a POST of",
    "JSON to `/<package>.<Service>/<Method>`. The contract is `proto/authd/v1/`.",
    "",
  ];
  out.push("## Services", "");
  for (const file of files) {
    file.services.forEach((service, i) => {
      out.push(`### ${service.typeName}`, "", comment(file, [SERVICE, i]), "");
      service.methods.forEach((method, j) => {
        const input = link(method.input.typeName, method.input.name);
        const output = link(method.output.typeName, method.output.name);
        out.push(`- **${method.name}**(${input}) → ${output}: ${comment(file, [SERVICE, i, METHOD, j])}`);
      });
      out.push("");
    });
  }
  out.push("## Messages and enums", "");
  for (const file of files) {
    file.messages.forEach((message, i) => {
      renderMessage(file, message, [MESSAGE, i], out);
    });
    file.enums.forEach((desc, i) => {
      renderEnum(file, desc, [ENUM, i], out);
    });
  }
  return `${out
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}
