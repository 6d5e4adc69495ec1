// The command line's grammar: each command's words, options and help, read with Node's own
// `util.parseArgs`. It reads no configuration, so `--help` and `--version` answer whatever the
// environment holds, and a command's help never runs the command. main.ts runs what it answers.
import { parseArgs } from "node:util";
import { REVOCATION_BOUND_MS } from "./domain/sessions/session-cache.js";

interface OptionSpec {
  type: "string" | "boolean";
  /** How the value shows in the usage (`--kid KID`); string options only. */
  value?: string;
  required?: boolean;
  default?: string | boolean;
  description: string;
}

interface CommandSpec {
  /** The words that name the command: `["keys", "retire"]`. */
  words: string[];
  /** One line for the list of commands. */
  summary: string;
  /** What the command's own help says beneath its usage line. */
  details: string;
  options: Record<string, OptionSpec>;
}

export type CommandName = "serve" | "migrate" | "keys rotate" | "keys retire" | "admin create";
export type OptionValues = Record<string, string | boolean | undefined>;

export type Invocation =
  /** Run the command with its options. */
  | { kind: "run"; command: CommandName; values: OptionValues }
  /** Print the text on stdout and exit 0 (help, the version). */
  | { kind: "print"; text: string }
  /** Print the text on stderr and exit 2 (a mistake on the command line). */
  | { kind: "refuse"; text: string };

const COMMANDS: CommandSpec[] = [
  {
    words: ["serve"],
    summary: "start the server (the default command)",
    details:
      "Starts the server on AUTHD_HOST:AUTHD_PORT (applying pending migrations first) and prints where the\n" +
      "account app, the JWKS and the health check are. SIGTERM or SIGINT lets requests in flight finish,\n" +
      "then exits 0.",
    options: {},
  },
  {
    words: ["migrate"],
    summary: "apply pending database migrations and exit",
    details: "Applies the migrations the database has not had yet, then exits.",
    options: {},
  },
  {
    words: ["keys", "rotate"],
    summary: "add a new signing key; the old one verifies until its tokens expire",
    details:
      "Adds a new signing key and makes it current; the old one still verifies until its tokens\n" +
      "expire. Prints the kid of the current key.",
    options: {},
  },
  {
    words: ["keys", "retire"],
    summary: "withdraw the current (or the named) signing key at once, if compromised",
    details:
      "Withdraws the current key (or the one named by --kid) at once, for a key believed compromised:\n" +
      "a new key becomes current, the old one leaves the JWKS and its access tokens stop validating\n" +
      `on every replica within ${REVOCATION_BOUND_MS / 1000} s; sessions stay, and their next Refresh gets a token signed\n` +
      "by the new key. Prints the kid of the current key.",
    options: {
      kid: { type: "string", value: "KID", description: "the key to withdraw (default: the current one)" },
    },
  },
  {
    words: ["admin", "create"],
    summary: "create (or promote) a tenant administrator; prints a set-password link",
    details:
      "Creates an administrator of the tenant (or gives an existing account the admin role) and prints\n" +
      "a single-use link that sets its password.",
    options: {
      email: {
        type: "string",
        value: "EMAIL",
        required: true,
        description: "the administrator's email address",
      },
      tenant: {
        type: "string",
        value: "SLUG",
        default: "default",
        description: "the tenant's slug (default: default)",
      },
      operator: {
        type: "boolean",
        default: false,
        description: "also let it manage tenants (default tenant only)",
      },
    },
  },
];

const nameOf = (spec: CommandSpec) => spec.words.join(" ") as CommandName;

/** `keys retire [--kid KID]`: required options first, optional ones in brackets. */
function synopsis(spec: CommandSpec): string {
  const entries = Object.entries(spec.options);
  const shown = [...entries.filter(([, o]) => o.required), ...entries.filter(([, o]) => !o.required)];
  const parts = shown.map(([name, option]) => {
    const text = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
    return option.required ? text : `[${text}]`;
  });
  return [nameOf(spec), ...parts].join(" ");
}

const HELP_COLUMN = 28;
const row = (left: string, right: string) =>
  left.length + 4 <= HELP_COLUMN
    ? `  ${left.padEnd(HELP_COLUMN - 2)}${right}`
    : `  ${left}\n${" ".repeat(HELP_COLUMN)}${right}`;

/** The help of `authd` itself: every command, and the options that work everywhere. */
export function usage(): string {
  return [
    "usage: authd [COMMAND] [OPTIONS]",
    "",
    "Commands:",
    ...COMMANDS.map((spec) => row(synopsis(spec), spec.summary)),
    row("help [COMMAND]", "print this text, or a command's help"),
    "",
    "Options:",
    row("-h, --help", "print the help (after a command: that command's)"),
    row("-v, --version", "print authd's version"),
    "",
    "Configuration comes from AUTHD_* environment variables (see docs/configuration.md).",
  ].join("\n");
}

/** The usage lines of the commands (`keys`: both keys commands). */
function usageLines(specs: CommandSpec[]): string[] {
  return specs.map((spec, i) => `${i === 0 ? "usage: authd " : "       authd "}${synopsis(spec)}`);
}

/** The help of the commands: their usage, what each does, and its options. */
function commandHelp(specs: CommandSpec[]): string {
  const lines = usageLines(specs);
  for (const spec of specs) {
    lines.push("");
    if (specs.length > 1) lines.push(`${nameOf(spec)}:`);
    lines.push(spec.details);
    const options = Object.entries(spec.options);
    if (options.length > 0) {
      lines.push("", "Options:");
      for (const [name, option] of options) {
        const left = option.type === "string" ? `--${name} ${option.value ?? "VALUE"}` : `--${name}`;
        lines.push(row(left, option.required ? `${option.description} (required)` : option.description));
      }
    }
  }
  lines.push("", "Configuration comes from AUTHD_* environment variables (see docs/configuration.md).");
  return lines.join("\n");
}

/** A mistake in a command's arguments: the mistake, the command's usage, and where its help is. */
function refuseFor(specs: CommandSpec[], message: string): Invocation {
  const words = specs.length === 1 ? nameOf(specs[0] as CommandSpec) : (specs[0]?.words[0] ?? "");
  return refuse(message, [...usageLines(specs), `Run "authd help ${words}" for details.`].join("\n"));
}

/**
 * The commands `args` names: the one its leading words spell exactly, or else every command whose
 * first word it starts with (`keys` alone: both keys commands).
 */
function lookUp(args: string[]): { specs: CommandSpec[]; exact: boolean } {
  const exact = COMMANDS.find((spec) => spec.words.every((word, i) => args[i] === word));
  if (exact) return { specs: [exact], exact: true };
  return { specs: COMMANDS.filter((spec) => spec.words[0] === args[0]), exact: false };
}

const isHelp = (arg: string) => arg === "--help" || arg === "-h";

/** Reads the command line (without node and the script): what to run, or what to print. */
export function parseCommandLine(argv: string[], version: string): Invocation {
  const [first, ...rest] = argv;
  if (first === "--version" || first === "-v") return { kind: "print", text: `authd ${version}` };
  if (first === undefined) return run(["serve"]);
  if (isHelp(first) || (first === "help" && rest.length === 0)) return { kind: "print", text: usage() };
  if (first === "help") {
    const { specs } = lookUp(rest);
    if (specs.length === 0) return refuse(`unknown command "${rest.join(" ")}"`, usage());
    return { kind: "print", text: commandHelp(specs) };
  }
  // Options without a command belong to the default command, serve.
  return run(first.startsWith("-") ? ["serve", ...argv] : argv);
}

function run(argv: string[]): Invocation {
  const { specs, exact } = lookUp(argv);
  const spec = specs[0];
  if (!spec) return refuse(`unknown command "${argv[0]}"`, usage());
  const args = argv.slice(exact ? spec.words.length : 1);
  if (args.some(isHelp)) return { kind: "print", text: commandHelp(specs) };
  if (!exact) {
    const which = specs.map((s) => s.words.slice(1).join(" ")).join(" or ");
    const next = args[0];
    return refuseFor(
      specs,
      next === undefined || next.startsWith("-")
        ? `"${argv[0]}" needs a command: ${which}`
        : `unknown command "${argv[0]} ${next}"`,
    );
  }
  let values: OptionValues;
  try {
    const options = Object.fromEntries(
      Object.entries(spec.options).map(([name, option]) => [
        name,
        option.default === undefined ? { type: option.type } : { type: option.type, default: option.default },
      ]),
    );
    ({ values } = parseArgs({ args, options, strict: true, allowPositionals: false }) as {
      values: OptionValues;
    });
  } catch (error) {
    return refuseFor(specs, error instanceof Error ? error.message : String(error));
  }
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.required && values[name] === undefined) {
      return refuseFor(specs, `--${name} is required`);
    }
    if (values[name] === "") return refuseFor(specs, `--${name} must not be empty`);
  }
  return { kind: "run", command: nameOf(spec), values };
}

function refuse(message: string, help: string): Invocation {
  return { kind: "refuse", text: `authd: ${message}\n${help}` };
}
