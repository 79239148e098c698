/**
 * Dead-letter messages: the original key and value (the value truncated when too large), the
 * original headers, and `klaxon.*` headers saying why and where from.
 *
 * Size policy: a value longer than KLAXON_DEAD_LETTER_MAX_VALUE_BYTES (default 512 KiB, so it fits
 * a dead-letter topic with Kafka's default 1 MiB max.message.bytes) is cut to that many bytes and
 * `klaxon.value-truncated: true` is set; `klaxon.value-bytes` keeps the full size, and the source
 * topic/partition/offset headers say where the whole record can still be read. If the dead-letter
 * topic rejects even that (a smaller max.message.bytes), the runtime sends the headers alone
 * (`headersOnly`). Pure module.
 */
import { HeaderValue, SourceRecord, byteLength } from './handler';

/** Header names of a dead-letter record. */
export const DeadLetterHeaders = {
  REASON: 'klaxon.reason',
  ERROR: 'klaxon.error',
  SOURCE_TOPIC: 'klaxon.source-topic',
  SOURCE_PARTITION: 'klaxon.source-partition',
  SOURCE_OFFSET: 'klaxon.source-offset',
  SOURCE_TIMESTAMP: 'klaxon.source-timestamp',
  WORKLOAD: 'klaxon.workload',
  TIME: 'klaxon.time',
  VALUE_BYTES: 'klaxon.value-bytes',
  VALUE_TRUNCATED: 'klaxon.value-truncated',
} as const;

/** Reasons the runtime itself gives (workloads add their own through `DeadLetter`). */
export const RuntimeReasons = {
  /** The handler threw `PermanentError`. */
  HANDLER_REJECTED: 'handler-rejected',
  /** The handler kept throwing for KLAXON_MAX_ATTEMPTS attempts. */
  HANDLER_FAILED: 'handler-failed',
  /** The broker refused an output for good (MESSAGE_TOO_LARGE, INVALID_RECORD, ...). */
  PRODUCE_REJECTED: 'produce-rejected',
  /** An output topic did not exist for KLAXON_MAX_ATTEMPTS attempts. */
  TOPIC_MISSING: 'topic-missing',
} as const;

/** What the dead-letter message says besides the record itself. */
export interface DeadLetterInfo {
  readonly reason: string;
  readonly error: string;
  readonly workload: string;
  readonly time: Date;
}

export interface DeadLetterMessage {
  readonly topic: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, HeaderValue>;
}

/** Longest `klaxon.error` header kept. */
export const MAX_ERROR_HEADER_CHARS = 2000;

/**
 * The dead-letter message for `record`. `maxValueBytes` bounds the value; `headersOnly` drops it
 * (the fallback when the dead-letter topic refused the truncated one).
 */
export function buildDeadLetter(
  record: SourceRecord,
  info: DeadLetterInfo,
  options: { readonly topic: string; readonly maxValueBytes: number; readonly headersOnly?: boolean },
): DeadLetterMessage {
  const size = byteLength(record.value);
  const limit = options.headersOnly ? 0 : options.maxValueBytes;
  const truncated = size > limit;
  const value = record.value === null ? null : truncated ? record.value.subarray(0, limit) : record.value;
  const error = info.error.length > MAX_ERROR_HEADER_CHARS ? `${info.error.slice(0, MAX_ERROR_HEADER_CHARS)}…` : info.error;
  return {
    topic: options.topic,
    key: record.key,
    value,
    headers: {
      ...record.headers,
      [DeadLetterHeaders.REASON]: info.reason,
      [DeadLetterHeaders.ERROR]: error,
      [DeadLetterHeaders.SOURCE_TOPIC]: record.topic,
      [DeadLetterHeaders.SOURCE_PARTITION]: String(record.partition),
      [DeadLetterHeaders.SOURCE_OFFSET]: record.offset,
      [DeadLetterHeaders.SOURCE_TIMESTAMP]: record.timestamp,
      [DeadLetterHeaders.WORKLOAD]: info.workload,
      [DeadLetterHeaders.TIME]: info.time.toISOString(),
      [DeadLetterHeaders.VALUE_BYTES]: String(size),
      [DeadLetterHeaders.VALUE_TRUNCATED]: String(truncated),
    },
  };
}
