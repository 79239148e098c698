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
