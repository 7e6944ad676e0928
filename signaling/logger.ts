/**
 * A small structured logger: one line per event, with a fixed message and key=value fields, as
 * readable text (`2026-11-25T08:40:01.123Z INFO  seat claimed cluster=demo seat=2`) or as JSON
 * lines (`{"time":…,"level":"info","msg":"seat claimed","cluster":"demo","seat":2}`) for log
 * collectors. Messages are fixed phrases and the variable parts are fields, so lines can be
 * grepped and counted.
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

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

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
  const threshold = RANK[options.level];
  const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields: LogFields = {}) => {
    if (RANK[level] < threshold) return;
    const time = now().toISOString();
    write(options.format === 'json' ? jsonLine(time, level, message, fields) : textLine(time, level, message, fields));
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger({ level: 'silent', format: 'text', write: () => {} });

function jsonLine(time: string, level: string, message: string, fields: LogFields): string {
  const record: Record<string, unknown> = { time, level, msg: message };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value;
  return JSON.stringify(record);
}

function textLine(time: string, level: string, message: string, fields: LogFields): string {
  const parts = [time, level.toUpperCase().padEnd(5), message];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(' ');
}

/** Quotes a value only when it would otherwise be ambiguous (spaces, quotes, `=`, empty). */
function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  return value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value;
}
