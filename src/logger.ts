import { pino } from "pino";
import type { LogLevel } from "./config.js";

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
