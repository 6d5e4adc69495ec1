// `authd admin create --tenant SLUG --email EMAIL [--operator]`: creates (or promotes) a tenant
// administrator and prints a single-use link that sets its password (see
// src/domain/tenants/admin-bootstrap.ts). Nothing secret is read from the command line.
import { parseArgs } from "node:util";
import { createApp } from "./app.js";
import type { Config } from "./config.js";
import { tokenLink } from "./delivery/templates.js";
import { DomainError } from "./domain/errors.js";
import type { Logger } from "./logger.js";

const ADMIN_USAGE = `usage: authd admin create --tenant SLUG --email EMAIL [--operator]
  Creates an administrator of the tenant (or gives an existing account the admin role) and prints
  a single-use link that sets its password. --operator (default tenant only) also lets it manage
  tenants.`;

/** Runs `authd admin ...`; answers the exit code. */
export async function adminCommand(args: string[], config: Config, logger: Logger): Promise<number> {
  let values: { tenant?: string; email?: string; operator?: boolean };
  try {
    if (args[0] !== "create") throw new Error(`unknown command "admin ${args.join(" ")}"`);
    ({ values } = parseArgs({
      args: args.slice(1),
      options: {
        tenant: { type: "string", default: "default" },
        email: { type: "string" },
        operator: { type: "boolean", default: false },
      },
      strict: true,
    }));
    if (!values.email) throw new Error("--email is required");
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : error}\n${ADMIN_USAGE}`);
    return 2;
  }
  const app = await createApp(config, { logger });
  try {
    const admin = await app.tenants.createAdmin({
      tenantSlug: values.tenant ?? "default",
      email: values.email,
      operator: values.operator ?? false,
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
