// `authd admin create --email EMAIL [--tenant SLUG] [--operator]`: creates (or promotes) a tenant
// administrator and prints a single-use link that sets its password (see
// src/domain/tenants/admin-bootstrap.ts). Nothing secret is read from the command line.
import { createApp } from "./app.js";
import type { Config } from "./config.js";
import { tokenLink } from "./delivery/templates.js";
import { DomainError } from "./domain/errors.js";
import type { Logger } from "./logger.js";

export interface AdminCreateOptions {
  email: string;
  /** The tenant's slug (`default` unless --tenant says otherwise). */
  tenant: string;
  operator: boolean;
}

/** Runs `authd admin create` (src/cli.ts read its options); answers the exit code. */
export async function adminCommand(
  values: AdminCreateOptions,
  config: Config,
  logger: Logger,
): Promise<number> {
  const app = await createApp(config, { logger });
  try {
    const admin = await app.tenants.createAdmin({
      tenantSlug: values.tenant,
      email: values.email,
      operator: values.operator,
    });
    logger.info(
      { userId: admin.userId, tenant: values.tenant, roles: admin.roles, created: admin.created },
      admin.created ? "administrator created" : "administrator promoted",
    );
    const minutes = Math.round(config.passwordResetTtlSeconds / 60);
    process.stderr.write(
      `Give this single-use link to ${values.email}; it sets the password and works for ${minutes} minutes:\n`,
    );
    process.stdout.write(`${tokenLink(config.publicUrl, "/reset-password", admin.token)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof DomainError) {
      console.error(`authd admin create: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    await app.close();
  }
}
