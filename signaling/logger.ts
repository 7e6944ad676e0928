import { pino, type Logger as PinoLogger } from 'pino';

/**
 * The signaling server's structured logging, on pino (the Node convention): one line per event,
 * a fixed message and key=value fields, as JSON lines for log collectors
 * (`{"level":"info","time":…,"cluster":"demo","seat":2,"msg":"seat claimed"}`) or as readable text
 * (`2026-11-25T08:40:01.123Z INFO  seat claimed cluster=demo seat=2`), which is the same record
 * rewritten. Messages are fixed phrases and the variable parts are fields, so lines can be grepped
 * and counted. The rest of the server sees only the small `Logger` interface below.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  readonly format: LogFormat;
  /** Where lines go; stderr by default so that stdout stays free for whatever embeds the server. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

export function createLogger(options: LoggerOptions): Logger {
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const lines = options.format === 'json' ? write : (line: string) => write(textLine(line));
  const logger: PinoLogger = pino(
    {
      level: options.level,
      base: undefined,
      timestamp: () => `,"time":${JSON.stringify(now().toISOString())}`,
      formatters: { level: (label) => ({ level: label }) },
    },
    // pino writes each record as one JSON line; this destination hands it on without the newline.
    { write: (record: string) => lines(record.endsWith('\n') ? record.slice(0, -1) : record) },
  );
  return {
    debug: (message, fields) => logger.debug(fields ?? {}, message),
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ level: 'silent', format: 'text', write: () => {} });

/** A pino record as a readable line: time, level, message, then the fields in the order given. */
function textLine(record: string): string {
  const { time, level, msg, ...fields } = JSON.parse(record) as Record<string, string | number | boolean | null>;
  const parts = [String(time), String(level).toUpperCase().padEnd(5), String(msg ?? '')];
  for (const [key, value] of Object.entries(fields)) parts.push(`${key}=${formatValue(value)}`);
  return parts.join(' ');
}

/** Quotes a value only when it would otherwise be ambiguous (spaces, quotes, `=`, empty). */
function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}
