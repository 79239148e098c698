/**
 * Retry policy: capped exponential backoff with full jitter, and the classification of produce
 * errors into "retry until it works" and "this record can never be written". Pure, except `sleep`.
 */

export interface BackoffPolicy {
  /** Delay of the first retry, before jitter. */
  readonly initialMs: number;
  /** Cap of the delay, before jitter. */
  readonly maxMs: number;
}

/**
 * The delay before retry number `attempt` (1-based): `min(max, initial * 2^(attempt-1))`, scaled by
 * a jitter factor in [0.5, 1) drawn from `random` — so retries of many workers spread out, and a
 * delay is never below half its step nor above the cap.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(step * (0.5 + 0.5 * random()));
}

/** How to treat a failed produce. */
export type ProduceFailure =
  /** The broker or network is down or busy: retry the same records until it works. */
  | 'transient'
  /** Some record can never be written as it is (too large, invalid, topic not allowed): find it, dead-letter it. */
  | 'permanent'
  /** An output topic does not exist: retry a few times (it may be being created), then dead-letter. */
  | 'topic-missing';

/** Kafka error types that no retry of the same record can fix. */
export const PERMANENT_PRODUCE_ERRORS: ReadonlySet<string> = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
]);

const TOPIC_MISSING_ERRORS: ReadonlySet<string> = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

/** The Kafka error types (`.type` of kafkajs protocol errors) found in an error and its causes. */
export function errorTypes(error: unknown): string[] {
  const types: string[] = [];
  const seen = new Set<unknown>();
  const visit = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== 'object' || seen.has(e) || depth > 8) return;
    seen.add(e);
    const o = e as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
    if (typeof o.type === 'string') types.push(o.type);
    visit(o.cause, depth + 1);
    visit(o.originalError, depth + 1);
    if (Array.isArray(o.errors)) for (const inner of o.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return types;
}

/** Classifies an error thrown by `producer.send`/`sendBatch`. */
export function classifyProduceError(error: unknown): ProduceFailure {
  const types = errorTypes(error);
  if (types.some((t) => PERMANENT_PRODUCE_ERRORS.has(t))) return 'permanent';
  if (types.some((t) => TOPIC_MISSING_ERRORS.has(t))) return 'topic-missing';
  return 'transient';
}

/** The most telling error type, for a header or a metric label; the error name when it has none. */
export function errorLabel(error: unknown): string {
  const types = errorTypes(error);
  const telling = types.find((t) => PERMANENT_PRODUCE_ERRORS.has(t) || TOPIC_MISSING_ERRORS.has(t)) ?? types[0];
  if (telling) return telling;
  return error instanceof Error ? error.name : 'Error';
}

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
