// Hostile input: every unary RPC of every service gets random messages built from its schema, wrong
// JSON types, invalid UTF-8, and mutated or random bytes, over Connect JSON, Connect binary, gRPC and
// gRPC-Web, as an anonymous client, with a forged token, as a signed-in user, as a tenant's admin and
// as an operator. Every answer must be a client-error code (never internal, unknown or unavailable,
// and never unimplemented: every RPC the contract declares is served), none may hang, and the server
// must stay healthy. The schema-built messages must reach every handler: for each RPC, some of them
// must get past authentication (an answer other than unauthenticated, permission_denied or "too
// large to read"), and the file prints how many did.
// AUTHD_FUZZ_RUNS raises the number of runs per RPC and protocol (the default keeps the file under a
// minute on two cores).
import {
  create,
  type DescField,
  type DescMessage,
  type DescService,
  ScalarType,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/authd/v1/admin_pb.js";
import { AuthService } from "../../gen/authd/v1/auth_pb.js";
import { MfaService } from "../../gen/authd/v1/mfa_pb.js";
import { SessionService } from "../../gen/authd/v1/session_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { DEFAULT_TENANT_ID } from "../../src/domain/tenants/records.js";
import { frame, RawRpcClient, type WireProtocol, wireProtocols } from "../helpers/raw-rpc.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { bearer, createUser, PASSWORD, signIn } from "../helpers/sessions.js";

/** Runs per RPC and protocol of the schema-built messages; the broken bytes get a third of them. */
const RUNS = Number(process.env.AUTHD_FUZZ_RUNS ?? "12");
const SERVICES: DescService[] = [AuthService, SessionService, MfaService, AdminService, Health];
/**
 * Codes that mean "the server failed", not "the client was wrong"; and unimplemented, which for an
 * RPC the contract declares means the server does not serve it.
 */
const SERVER_FAILURES = [
  "internal",
  "unknown",
  "unavailable",
  "data_loss",
  "deadline_exceeded",
  "unimplemented",
];
/** The answers of a call that stopped before the handler's own checks. */
const STOPPED_AT_AUTHENTICATION = ["unauthenticated", "permission_denied"];
/** A message too large to be read at all: answered before authentication, by the transport. */
const TOO_LARGE = /larger than configured readMaxBytes/;

let server: TestServer;
let client: RawRpcClient;
/** The user id of each signed-in kind of caller. */
const callerIds: Partial<Record<Caller, string>> = {};
/**
 * Values that mean something to this server (the callers' password, another account's id and
 * address, a tenant's slug and id), so that random messages now and then get past the checks a
 * random string never passes. The callers' own ids are not among them: an operator fuzzing
 * DeleteUser must not delete the fuzzers.
 */
const known: string[] = [];

beforeAll(async () => {
  server = await startTestServer({
    // High enough that random traffic reaches the handlers instead of stopping at a limit.
    AUTHD_REGISTRATIONS_PER_IP: "100000",
    AUTHD_EMAILS_PER_IP: "100000",
    AUTHD_EMAILS_PER_ADDRESS: "100000",
    AUTHD_LOGIN_MAX_FAILURES_PER_IP: "100000",
  });
  client = new RawRpcClient(server.url, 15_000);
  const acme = await server.app.tenants.create({ slug: "acme", name: "Acme" }, null, {
    ip: "127.0.0.1",
    rateLimitKey: "127.0.0.1",
    userAgent: "vitest",
  });
  callerIds.user = (await createUser(server)).id;
  callerIds["tenant admin"] = (await createUser(server, { tenantId: acme.id, roles: ["admin"] })).id;
  callerIds.operator = (await createUser(server, { tenantId: DEFAULT_TENANT_ID, roles: ["operator"] })).id;
  const member = await createUser(server, { tenantId: acme.id, roles: ["member"] });
  known.push(PASSWORD, member.id, member.email, acme.slug, acme.id, DEFAULT_TENANT_ID, "member", "admin");
});
afterAll(async () => {
  client?.close();
  await server?.close();
});

// ---- Arbitraries ----

const INJECTIONS = [
  "' OR '1'='1",
  '"; DROP TABLE users; --',
  "$" + "{jndi:ldap://example.com/a}",
  "<script>alert(1)</script>",
  "../../../../etc/passwd",
  "\u0000",
  "admin\u0000@example.com",
  "{{7*7}}",
  "\r\nSet-Cookie: x=y",
  "x<victim@example.com>",
  '"victim@example.com"',
  "victim@example.com,",
  "\u202egnp.exe",
  "１２３４５６",
  "😀".repeat(200),
  "NaN",
  "-1",
  "9".repeat(400),
  "%00%0d%0a",
  "\\",
];

const base64url = fc.string({
  unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
  maxLength: 64,
});

/** Tokens of every shape authd hands out or checks: JWTs, id.secret pairs, API keys, codes. */
const tokenShapes = fc.oneof(
  fc.tuple(base64url, base64url, base64url).map((parts) => parts.join(".")),
  fc.constant("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0."),
  fc.tuple(fc.uuid(), base64url).map(([id, secret]) => `${id}.${secret}`),
  fc.tuple(fc.constantFrom("ak_", "sk_", "rt_", ""), base64url).map(([p, s]) => p + s),
  fc.stringMatching(/^\d{1,10}$/),
  fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), maxLength: 80 }),
);

const hostileString = fc.oneof(
  { weight: 1, arbitrary: fc.nat().map((i) => known[i % known.length] ?? "") },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constantFrom(...INJECTIONS) },
  { weight: 2, arbitrary: tokenShapes },
  { weight: 1, arbitrary: fc.emailAddress() },
  // Longer than any column, and now and then longer than the largest message accepted (which is
  // refused before authentication, so not too often: the handlers are what is fuzzed).
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        { weight: 9, arbitrary: fc.integer({ min: 256, max: 8192 }) },
        fc.integer({ min: 8193, max: 100_000 }),
      )
      .map((n) => "a".repeat(n)),
  },
);

/** Any value of a scalar type; `small` keeps strings and bytes short (for huge collections). */
function scalarArb(type: ScalarType, small = false): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return small ? fc.string({ maxLength: 8 }) : hostileString;
    case ScalarType.BYTES:
      return fc.uint8Array({ maxLength: small ? 8 : 256 });
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.integer();
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.integer({ min: 0, max: 0xffffffff });
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
    case ScalarType.FLOAT:
      return fc.float();
    case ScalarType.DOUBLE:
      return fc.double();
  }
}

/** Sizes of repeated and map fields: mostly small, now and then huge. */
const collectionSize = { maxLength: 5 } as const;
const hugeCount = fc.integer({ min: 1000, max: 5000 });

function singleArb(field: DescField, depth: number): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalarArb(field.scalar);
    case "enum":
      return fc.oneof(
        fc.constantFrom(...field.enum.values.map((v) => v.number)),
        fc.integer({ min: -3, max: 1000 }),
      );
    case "message":
      return messageArb(field.message, depth + 1);
    case "list": {
      const element = (small: boolean) =>
        field.listKind === "scalar"
          ? scalarArb(field.scalar, small)
          : field.listKind === "enum"
            ? fc.integer({ min: 0, max: 10 })
            : small
              ? fc.constant({})
              : messageArb(field.message, depth + 1);
      return fc.oneof(
        { weight: 4, arbitrary: fc.array(element(false), collectionSize) },
        {
          weight: 1,
          arbitrary: hugeCount.chain((n) => fc.array(element(true), { minLength: n, maxLength: n })),
        },
      );
    }
    case "map": {
      const value = (small: boolean) =>
        field.mapKind === "scalar"
          ? scalarArb(field.scalar, small)
          : field.mapKind === "enum"
            ? fc.integer({ min: 0, max: 10 })
            : small
              ? fc.constant({})
              : messageArb(field.message, depth + 1);
      const key =
        field.mapKey === ScalarType.STRING ? hostileString : fc.integer({ min: 0, max: 1000 }).map(String);
      return fc.oneof(
        { weight: 4, arbitrary: fc.dictionary(key, value(false), { maxKeys: 5 }) },
        {
          weight: 1,
          arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), value(true), {
            minKeys: 1000,
            maxKeys: 2000,
          }),
        },
      );
    }
  }
}

/** A random init object for `desc`: any subset of its fields, one case of each oneof. */
function messageArb(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  if (depth > 3) return fc.constant({});
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      parts[member.localName] = fc.oneof(
        ...member.fields.map((f) => singleArb(f, depth).map((value) => ({ case: f.localName, value }))),
      );
    } else {
      parts[member.localName] = singleArb(member, depth);
    }
  }
  return fc.record(parts, { requiredKeys: [] });
}

/** JSON whose fields have the right names and any type at all. */
function wrongTypesJson(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of desc.fields) parts[field.jsonName] = fc.jsonValue({ maxDepth: 2 });
  return fc
    .oneof(fc.record(parts, { requiredKeys: [] }), fc.jsonValue({ maxDepth: 3 }))
    .map((value) => new TextEncoder().encode(JSON.stringify(value)));
}

/** Binary with invalid UTF-8 in every string field. */
function invalidUtf8Binary(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const invalid = fc.constantFrom(
    [0xff],
    [0xc0, 0x80],
    [0xed, 0xa0, 0x80],
    [0xe2, 0x82],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  );
  const stringFields = desc.fields.filter((f) => f.fieldKind === "scalar" && f.scalar === ScalarType.STRING);
  return fc
    .array(invalid, { minLength: stringFields.length, maxLength: stringFields.length })
    .map((bytes) => {
      const writer = new BinaryWriter();
      stringFields.forEach((field, i) => {
        writer.tag(field.number, WireType.LengthDelimited).bytes(new Uint8Array(bytes[i] ?? [0xff]));
      });
      return writer.finish();
    });
}

/** A valid encoding with bytes flipped, dropped or inserted, or bytes that were never a message. */
function brokenBinary(desc: DescMessage): fc.Arbitrary<Uint8Array> {
  const mutated = fc
    .tuple(
      messageArb(desc),
      fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("flip", "drop", "insert")),
        {
          minLength: 1,
          maxLength: 6,
        },
      ),
    )
    .map(([init, mutations]) => {
      const bytes = [...encodeBinary(desc, init)];
      for (const [at, byte, op] of mutations) {
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        if (op === "flip") bytes[i] = byte;
        else if (op === "drop") bytes.splice(i, 1);
        else bytes.splice(i, 0, byte);
      }
      return new Uint8Array(bytes);
    });
  return fc.oneof(mutated, fc.uint8Array({ maxLength: 512 }));
}

/** Whole HTTP bodies for gRPC / gRPC-Web: frames with odd flags, lying lengths, several frames. */
const brokenFrames = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 64 }))
    .map(([flags, p]) => frame(flags, p)),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.nat(0xffffffff)).map(([payload, length]) => {
    const f = frame(0, payload);
    new DataView(f.buffer).setUint32(1, length);
    return f;
  }),
  fc
    .array(fc.uint8Array({ maxLength: 16 }), { minLength: 2, maxLength: 4 })
    .map((payloads) => Buffer.concat(payloads.map((p) => frame(0, p)))),
  fc.uint8Array({ maxLength: 8 }),
);

/** Whether a gRPC / gRPC-Web body is exactly one whole message frame (no trailer flag). */
function oneMessageFrame(body: Uint8Array): boolean {
  if (body.byteLength < 5 || ((body[0] ?? 0) & 0x80) !== 0) return false;
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(1) === body.byteLength - 5;
}

function encodeBinary(desc: DescMessage, init: Record<string, unknown>): Uint8Array {
  // biome-ignore lint/suspicious/noExplicitAny: a random init object of a runtime-chosen message type
  return toBinary(desc, create(desc, init as any));
}

function encodeJson(desc: DescMessage, init: Record<string, unknown>): Uint8Array | undefined {
  try {
    // biome-ignore lint/suspicious/noExplicitAny: as above
    return new TextEncoder().encode(toJsonString(desc, create(desc, init as any)));
  } catch {
    return undefined; // a value JSON cannot carry (a Timestamp out of range): binary covers it
  }
}

// ---- Who is calling ----

type Caller = "anonymous" | "forged" | "user" | "tenant admin" | "operator";
const CALLERS: Caller[] = ["anonymous", "forged", "user", "tenant admin", "operator"];
/** Signed-in callers more often than not: the handlers behind authentication are the ones to reach. */
const callers = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Caller>("anonymous") },
  { weight: 1, arbitrary: fc.constant<Caller>("forged") },
  { weight: 2, arbitrary: fc.constant<Caller>("user") },
  { weight: 2, arbitrary: fc.constant<Caller>("tenant admin") },
  { weight: 2, arbitrary: fc.constant<Caller>("operator") },
);

async function headersFor(caller: Caller, forged: string): Promise<Record<string, string>> {
  if (caller === "anonymous") return {};
  if (caller === "forged") return { authorization: `Bearer ${forged}` };
  // A fresh session each time: a random Logout or RevokeAllSessions must not end the next run's.
  return bearer((await signIn(server, callerIds[caller] as string)).accessToken);
}

// ---- How far the schema-built messages got ----

interface Reach {
  calls: number;
  /** Calls answered with anything but unauthenticated, permission_denied or "too large", by caller. */
  pastAuthentication: Record<Caller, number>;
  codes: Map<string, number>;
}

const reach = new Map<string, Reach>();

function recordReach(rpc: string, caller: Caller, outcome: string, message: string): void {
  let r = reach.get(rpc);
  if (!r) {
    const zero = Object.fromEntries(CALLERS.map((c) => [c, 0])) as Record<Caller, number>;
    r = { calls: 0, pastAuthentication: zero, codes: new Map() };
    reach.set(rpc, r);
  }
  r.calls++;
  r.codes.set(outcome, (r.codes.get(outcome) ?? 0) + 1);
  const stopped = STOPPED_AT_AUTHENTICATION.includes(outcome) || TOO_LARGE.test(message);
  if (!stopped) r.pastAuthentication[caller]++;
}

// ---- The properties ----

const unaryMethods = SERVICES.flatMap((service) =>
  service.methods
    .filter((method) => method.methodKind === "unary")
    .map((method) => ({ name: `${service.typeName}/${method.name}`, method })),
);

async function expectClientError(outcome: string, what: string, allowed: string[] = []): Promise<void> {
  expect(outcome, what).not.toBe("hang");
  expect(outcome, what).not.toMatch(/transport error|server error/);
  if (allowed.includes(outcome)) return;
  expect(SERVER_FAILURES, `${what} answered ${outcome}`).not.toContain(outcome);
}

describe.each(wireProtocols)("hostile input over %s", (protocol: WireProtocol) => {
  const binary = protocol !== "connect-json";

  it.each(unaryMethods)(
    "$name answers random messages built from its schema with client errors",
    async ({ name, method }) => {
      await fc.assert(
        fc.asyncProperty(messageArb(method.input), callers, tokenShapes, async (init, caller, forged) => {
          const body = binary ? encodeBinary(method.input, init) : encodeJson(method.input, init);
          if (body === undefined) return;
          const { outcome, message } = await client.answer(
            protocol,
            `/${name}`,
            body,
            await headersFor(caller, forged),
          );
          await expectClientError(
            outcome,
            `${name} as ${caller} with ${JSON.stringify(init, replacer).slice(0, 300)} (${message.slice(0, 200)})`,
          );
          recordReach(name, caller, outcome, message);
        }),
        { numRuns: RUNS },
      );
    },
  );

  it.each(unaryMethods)("$name answers broken bytes with client errors", async ({ name, method }) => {
    const bodies = binary
      ? fc.oneof(brokenBinary(method.input), invalidUtf8Binary(method.input))
      : fc.oneof(
          wrongTypesJson(method.input),
          fc.uint8Array({ maxLength: 256 }),
          invalidUtf8Binary(method.input).map((b) =>
            Buffer.concat([Buffer.from('{"x":"'), b, Buffer.from('"}')]),
          ),
        );
    await fc.assert(
      fc.asyncProperty(bodies, callers, tokenShapes, async (body, caller, forged) => {
        const outcome = await client.call(protocol, `/${name}`, body, await headersFor(caller, forged));
        await expectClientError(
          outcome,
          `${name} as ${caller} with bytes ${Buffer.from(body).toString("hex").slice(0, 200)}`,
        );
      }),
      { numRuns: Math.max(3, Math.round(RUNS / 3)) },
    );
  });

  if (protocol === "grpc" || protocol === "grpc-web") {
    it("answers broken frames with client errors", async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...unaryMethods), brokenFrames, async (target, body) => {
          const outcome = await client.call(protocol, `/${target.name}`, body, {}, true);
          await expectClientError(
            outcome,
            `${target.name} with frames ${Buffer.from(body).toString("hex").slice(0, 200)}`,
            // gRPC's answer to a unary call with no message or several (its status-code table:
            // "request cardinality violation"); for exactly one message it would mean "not served".
            oneMessageFrame(body) ? [] : ["unimplemented"],
          );
        }),
        { numRuns: RUNS * 10 },
      );
    });
  }
});

describe("after the hostile input", () => {
  it("every RPC's own checks were reached: schema-built calls got past authentication", () => {
    const rows = unaryMethods.map(({ name }) => {
      const r = reach.get(name);
      const past = r ? CALLERS.reduce((sum, c) => sum + r.pastAuthentication[c], 0) : 0;
      const byCaller = r ? CALLERS.map((c) => `${c} ${r.pastAuthentication[c]}`).join(", ") : "";
      const codes = r ? [...r.codes].map(([code, n]) => `${code} ${n}`).join(", ") : "";
      return {
        name,
        calls: r?.calls ?? 0,
        past,
        line: `${name}: ${past}/${r?.calls ?? 0} past authentication (${byCaller}); ${codes}`,
      };
    });
    console.log(
      `hostile input, how far the schema-built messages got:\n${rows.map((r) => r.line).join("\n")}`,
    );
    const unreached = rows.filter((r) => r.past === 0).map((r) => r.name);
    expect(unreached.join(", "), "RPCs whose every call stopped at authentication").toBe("");
  });

  it("the server is still healthy over every protocol", async () => {
    for (const protocol of ["connect", "grpc", "grpc-web"] as const) {
      const res = await server.client(Health, protocol).check({});
      expect(res.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    }
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Uint8Array) return `bytes(${value.byteLength})`;
  if (typeof value === "string" && value.length > 40) return `${value.slice(0, 40)}…(${value.length})`;
  return value;
}
