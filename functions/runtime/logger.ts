/**
 * A tiny JSON-lines logger: one object per line, `time`, `level`, `msg`, then bound and call
 * fields. Errors become `{ name, message, type?, stack }`. No global instance: the lifecycle creates
 * one and passes it down.
 */

import { LOG_LEVELS, LogLevel } from '../contracts/workload-env';

export { LOG_LEVELS, type LogLevel };

export type LogFields = Readonly<Record<string, unknown>>;

/** Where lines go; `process.stdout.write` by default. */
export type LogSink = (line: string) => void;

export class Logger {
  private readonly threshold: number;

  constructor(
    readonly level: LogLevel = 'info',
    private readonly bindings: LogFields = {},
    private readonly sink: LogSink = (line) => process.stdout.write(line),
  ) {
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger {
    return new Logger(this.level, { ...this.bindings, ...fields }, this.sink);
  }

  isEnabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.isEnabled(level)) return;
    const entry: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...this.bindings };
    if (fields) {
      for (const [k, v] of Object.entries(fields)) entry[k] = v instanceof Error ? serializeError(v) : v;
    }
    let line: string;
    try {
      line = JSON.stringify(entry);
    } catch {
      line = JSON.stringify({ time: entry.time, level, msg, note: 'fields not serializable' });
    }
    this.sink(`${line}\n`);
  }
}

/** A plain object for an error, keeping kafkajs's `type`, `retriable` and the cause chain. */
export function serializeError(e: unknown, depth = 0): unknown {
  if (!(e instanceof Error)) return e;
  const err = e as Error & { type?: unknown; retriable?: unknown; cause?: unknown };
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if (err.type !== undefined) out.type = err.type;
  if (err.retriable !== undefined) out.retriable = err.retriable;
  if (err.cause !== undefined && err.cause !== e && depth < 3) out.cause = serializeError(err.cause, depth + 1);
  if (depth === 0 && err.stack) out.stack = err.stack;
  return out;
}
