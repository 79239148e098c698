/**
 * The contract between a workload and the runtime.
 *
 * A workload supplies a `Handler`: given one consumed record, it returns the records to write
 * (`Output[]`, possibly empty: handled, nothing to write) or a `DeadLetter` saying why the record
 * cannot be handled. The runtime does everything else: it produces the outputs (acks=-1, idempotent),
 * resolves the source offset only after they are acknowledged, dead-letters, retries, commits.
 *
 * A handler may be async (a sink call). It may throw:
 * - `PermanentError`: the record is dead-lettered at once (reason `handler-rejected`);
 * - `RetryableError`: retried with capped exponential backoff (at least its `retryAfterMs`) without
 *   limit, until the handler succeeds or the worker stops (the record stays unresolved, so it is not
 *   committed); for a sink that must get the record (an alert), never a dead letter for being down;
 * - anything else: retried with backoff up to KLAXON_MAX_ATTEMPTS, then dead-lettered
 *   (reason `handler-failed`).
 */

/** Kafka header values as the runtime passes them on. */
export type HeaderValue = Buffer | string;

/** One consumed record, as a handler sees it. */
export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  /** The offset, as kafkajs gives it (a decimal string). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Header name → value (the last one when a name repeats). */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** Record timestamp, ms since the epoch as a decimal string. */
  readonly timestamp: string;
}

/** One record to write. */
export interface Output {
  readonly topic: string;
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

/** A handler's verdict that a record cannot be handled: it goes to the dead-letter topic. */
export class DeadLetter {
  /**
   * @param reason short machine-readable cause, kebab-case (`not-json`, `no-namespace`); a metric label
   * @param detail a human sentence (the `klaxon.error` header)
   */
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {}
}

/** Thrown by a handler for a failure that no retry can fix. */
export class PermanentError extends Error {
  constructor(
    message: string,
    readonly reason: string = 'handler-rejected',
  ) {
    super(message);
    this.name = 'PermanentError';
  }
}

/**
 * Thrown by a handler for a failure that only time fixes (a sink down, 5xx, 429): the runtime calls
 * the handler again with the same record, after the backoff delay or `retryAfterMs` (whichever is
 * longer), heartbeating meanwhile, for as long as it takes; KLAXON_MAX_ATTEMPTS does not apply. A
 * handler that delivers to several places remembers what already succeeded for the record (same
 * topic, partition and offset) so a retry does not deliver it twice.
 */
export class RetryableError extends Error {
  constructor(
    message: string,
    /** Wait at least this long before the next call (e.g. a Retry-After header). */
    readonly retryAfterMs: number = 0,
  ) {
    super(message);
    this.name = 'RetryableError';
  }
}

export type HandlerResult = readonly Output[] | DeadLetter;

export type Handler = (record: SourceRecord) => HandlerResult | Promise<HandlerResult>;

export function isDeadLetter(result: HandlerResult): result is DeadLetter {
  return result instanceof DeadLetter;
}

/** Byte length of a key or value. */
export function byteLength(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}
