import { pino } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config.js";

export type Logger = pino.Logger;

// Field names that may carry a credential. pino blanks them wherever they appear in a log line, as
// a second line of defence: code should not log them in the first place.
const SECRET_FIELDS = [
  "password",
  "newPassword",
  "oldPassword",
  "currentPassword",
  "token",
  "accessToken",
  "refreshToken",
  "deviceToken",
  "code",
  "secret",
  "apiKey",
  "authorization",
  "cookie",
  "captchaToken",
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  const paths = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);
  paths.push('req.headers["x-api-key"]', 'req.headers["set-cookie"]');
  const options: pino.LoggerOptions = {
    level,
    base: { service: "authd" },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths, censor: "[redacted]" },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The same logger without redaction, for the one line per RPC (src/interceptors/logging.ts) only.
 * pino runs redaction on every field of every line (the `*.field` paths make each top-level field go
 * through a wildcard redactor): about 8 % of the CPU time of a cheap RPC such as Health/Check. Redaction
 * matches by field name, and the rpc line's fields are authd's own, flat strings and numbers
 * (requestId, procedure, ip, rpcCode, ms), none named like a secret: redaction can never change that
 * line, so skipping it changes no output. test/logs.test.ts pins the line's fields, so a field added
 * to it is seen in review. Everything else keeps the redacting logger.
 */
export function withoutRedaction(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/**
 * Where the command line writes its log: one JSON object per line for log collectors, or, for a person
 * at a terminal, one coloured line per event (`auto` picks by whether stdout is a terminal). Both are
 * written synchronously, so the lines before a `process.exit` are not lost.
 */
export function consoleDestination(format: LogFormat): pino.DestinationStream {
  const readable = format === "pretty" || (format === "auto" && process.stdout.isTTY === true);
  if (!readable) return pino.destination({ dest: 1, sync: true });
  return pretty({
    destination: 1,
    sync: true,
    colorize: process.stdout.isTTY === true,
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service",
    singleLine: true,
  });
}
