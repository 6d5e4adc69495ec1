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
