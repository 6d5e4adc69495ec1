// Fixtures for the session and token tests: users inserted straight into the database and sessions
// created through the domain, as Login would.
import { randomUUID } from "node:crypto";
import argon2 from "argon2";
import type { IssuedTokens } from "../../src/domain/sessions/index.js";
import { DEFAULT_TENANT_ID } from "../../src/domain/tenants/records.js";
import { UserEntity } from "../../src/store/entities/user.js";
import type { RpcServer } from "./server.js";
import { inTransaction } from "./transaction.js";

export const PASSWORD = "correct horse battery staple";

export interface TestUser {
  id: string;
  email: string;
}

export async function createUser(
  server: RpcServer,
  options: { tenantId?: string; roles?: string[]; password?: string } = {},
): Promise<TestUser> {
  const id = randomUUID();
  const email = `user-${id.slice(0, 8)}@example.com`;
  const passwordHash = await argon2.hash((options.password ?? PASSWORD).normalize("NFKC"), {
    type: argon2.argon2id,
    memoryCost: 1024,
    timeCost: 1,
    parallelism: 1,
  });
  const now = server.clock.now();
  await server.db.transaction(async (em) => {
    const user = em.create(UserEntity, {
      id,
      email,
      emailVerified: true,
      username: null,
      status: "active",
      tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
      roles: options.roles ?? [],
      settings: {},
      passwordHash,
      createdAt: now,
      updatedAt: now,
    });
    await em.save(user);
  });
  return { id, email };
}

export function signIn(
  server: RpcServer,
  userId: string,
  options: { durationSeconds?: number; amr?: string[]; userAgent?: string } = {},
): Promise<IssuedTokens> {
  return inTransaction(server.db, (tx) =>
    server.internals.sessions.create(tx, {
      userId,
      amr: options.amr ?? ["pwd"],
      client: { ip: "127.0.0.1", rateLimitKey: "127.0.0.1", userAgent: options.userAgent ?? "vitest" },
      durationSeconds: options.durationSeconds,
    }),
  );
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
