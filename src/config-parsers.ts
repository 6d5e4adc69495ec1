// Parsers of environment variable values: each turns the raw text into a typed value or throws a
// ConfigError that names the variable.
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

/**
 * Every mistake of one configuration, so that a start names them all rather than one per attempt.
 * `variable` is the first one's; the message has a line per mistake.
 */
export class ConfigErrors extends ConfigError {
  constructor(readonly errors: ConfigError[]) {
    super(errors[0]?.variable ?? "", "");
    this.message = errors.map((error) => error.message).join("\n");
    this.name = "ConfigErrors";
  }
}

export type Parser<T> = (raw: string, name: string) => T;

export const str: Parser<string> = (raw) => raw;
export const optionalStr: Parser<string | undefined> = (raw) => (raw === "" ? undefined : raw);

export function int(min: number, max: number): Parser<number> {
  return (raw, name) => {
    if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
    const value = Number(raw);
    if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
    return value;
  };
}

export const bool: Parser<boolean> = (raw, name) => {
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
};

export function oneOf<T extends string>(...allowed: T[]): Parser<T> {
  return (raw, name) => {
    if (!(allowed as string[]).includes(raw)) {
      throw new ConfigError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
    }
    return raw as T;
  };
}

export function url(...protocols: string[]): Parser<string> {
  return (raw, name) => {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      throw new ConfigError(name, "must be an absolute URL");
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `must use ${protocols.join(" or ")}`);
    }
    return raw;
  };
}

export function optionalUrl(...protocols: string[]): Parser<string | undefined> {
  const parse = url(...protocols);
  return (raw, name) => (raw === "" ? undefined : parse(raw, name));
}

export const databaseUrl: Parser<string> = (raw, name) => {
  if (raw.startsWith("postgres://") || raw.startsWith("postgresql://"))
    return url("postgres:", "postgresql:")(raw, name);
  if (raw.startsWith("sqlite:")) return raw;
  throw new ConfigError(name, "must be a sqlite:<file> path or a postgres:// URL");
};

export const origins: Parser<string[]> = (raw, name) => {
  const list = raw
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  // An Origin header is scheme://host[:port]; a configured "https://app.example/" must match it too.
  return list.map((origin) =>
    origin === "*" ? origin : new URL(url("http:", "https:")(origin, name)).origin,
  );
};

/** A comma list of role names: lower-case letters, digits, '_', '-' and ':'; 1 to 32 characters each. */
export const roleNames: Parser<string[]> = (raw, name) => {
  const list = raw
    .split(",")
    .map((r) => r.trim())
    .filter((r) => r !== "");
  for (const role of list) {
    if (!/^[a-z0-9][a-z0-9_:-]{0,31}$/.test(role)) {
      throw new ConfigError(
        name,
        `"${role.slice(0, 40)}" is not a role name (a-z, 0-9, _, -, :; 1 to 32 characters)`,
      );
    }
  }
  return [...new Set(list)];
};

export interface HostPort {
  host: string;
  port: number;
}

/** `host:port`, `[ipv6]:port` or an empty value (off). */
export const optionalHostPort: Parser<HostPort | undefined> = (raw, name) => {
  if (raw === "") return undefined;
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d+)$/.exec(raw);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (!host || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError(name, `must be host:port (for example 127.0.0.1:9464), got "${raw}"`);
  }
  return { host, port };
};
