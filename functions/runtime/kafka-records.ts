/**
 * kafkajs messages as handlers see them, and kafkajs's own log lines routed into the JSON logger.
 */
import { IHeaders, KafkaMessage, logLevel as KafkaLogLevel } from 'kafkajs';
import { HeaderValue, SourceRecord } from './handler';
import { LogLevel, Logger } from './logger';

/** The handler's view of a kafkajs message. */
export function toSourceRecord(topic: string, partition: number, message: KafkaMessage): SourceRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    headers: flattenHeaders(message.headers),
    timestamp: message.timestamp,
  };
}

const NO_HEADERS: Readonly<Record<string, HeaderValue>> = Object.freeze({});

/** kafkajs headers (values may repeat as arrays) → name → last value (one shared empty object when none). */
export function flattenHeaders(headers: IHeaders | undefined): Readonly<Record<string, HeaderValue>> {
  if (!headers) return NO_HEADERS;
  let out: Record<string, HeaderValue> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) (out ??= {})[name] = last;
  }
  return out ?? NO_HEADERS;
}

/** kafkajs's level for each LOG_LEVEL. */
export const KAFKA_LOG_LEVELS: Record<LogLevel, KafkaLogLevel> = {
  debug: KafkaLogLevel.DEBUG,
  info: KafkaLogLevel.INFO,
  warn: KafkaLogLevel.WARN,
  error: KafkaLogLevel.ERROR,
};

/** Routes kafkajs's own log lines into the JSON logger. */
export function kafkaLogCreator(logger: Logger) {
  const levels: Record<number, LogLevel> = {
    [KafkaLogLevel.ERROR]: 'error',
    [KafkaLogLevel.WARN]: 'warn',
    [KafkaLogLevel.INFO]: 'info',
    [KafkaLogLevel.DEBUG]: 'debug',
  };
  return () =>
    ({ namespace, level, log }: { namespace: string; level: number; log: { message: string } & Record<string, unknown> }) => {
      const { message, timestamp: _ts, logger: _l, ...fields } = log;
      logger.log(levels[level] ?? 'info', message, { namespace, ...fields });
    };
}
