/**
 * The output side of the Kafka loop: sends the outputs of handled source records and says, record by
 * record in source order, when each is resolved (acknowledged, or dead-lettered and the dead letter
 * acknowledged). The consumer loop (worker.ts) hands it the records of one fetched batch at once.
 *
 * - One produce request (`sendBatch`, acks=-1) per fetched batch. It is split into chunks only where
 *   one topic's bytes in it would pass `maxTopicBytes` (the output topics' `max.message.bytes`,
 *   1 MiB by default, bounds each partition's record batch; a topic's bytes bound each of its
 *   partitions') or the chunk would pass `maxRecords`. A record larger than that goes alone.
 * - A chunk that fails transiently is retried (backoff, heartbeats) until acknowledged or stopped.
 *   One that fails for a record-bound reason is re-sent record by record to find the culprit, which
 *   is dead-lettered (`produce-rejected`); a missing topic is retried `maxAttempts` times, then the
 *   record is dead-lettered (`topic-missing`) and the topic taken as missing for MISSING_TOPIC_TTL_MS.
 *   A dead letter refused by its topic is sent as headers alone; refused again, it is retried forever.
 * - After any failed send the producer is replaced (a new producer id), so a re-send is never taken
 *   for a sequence duplicate.
 *
 * Pure of kafkajs: the producer and the waiting are passed in, so the logic runs against a fake
 * producer in unit tests (test/functions/runtime/sender.test.ts).
 */
import type { ProducerBatch } from 'kafkajs';
import { DeadLetterMessage, RuntimeReasons } from './dead-letter';
import { Output, SourceRecord, byteLength } from './handler';
import type { Logger } from './logger';
import { classifyProduceError, errorLabel } from './retry';

/** How long a topic found missing is taken as missing without asking the broker again. */
export const MISSING_TOPIC_TTL_MS = 5 * 60_000;

/** Bytes a record costs in a record batch besides its key, value and headers (varints, attributes). */
export const RECORD_OVERHEAD_BYTES = 24;

export type OutputMessage = Output | DeadLetterMessage;

/** One handled source record on its way: what to send for it, and why (dead letter) if so. */
export interface Pending {
  readonly record: SourceRecord;
  messages: readonly OutputMessage[];
  deadLetter?: { readonly reason: string; readonly error: string };
  /** `performance.now()` when the record was taken. */
  readonly startedAt: number;
}

/** The part of a kafkajs Producer the sender uses. */
export interface BatchProducer {
  sendBatch(batch: ProducerBatch): Promise<unknown>;
}

/** The batch in hand: whether to go on, and waiting that heartbeats and ends on a stop. */
export interface SendTurn {
  /** False once the worker stops or the group membership is lost. */
  active(): boolean;
  /** Awaits `work`, heartbeating; throws StoppedWaiting when the worker stops first. */
  wait<T>(work: Promise<T>): Promise<T>;
  /** Waits the backoff delay of `attempt`; false when the worker should stop. */
  backoff(attempt: number): Promise<boolean>;
  /** Called once per chunk (in source order) with the records it resolved. */
  resolved(chunk: readonly Pending[]): void;
}

/** The worker stopped while waiting on a send or a handler call: the record stays unresolved. */
export class StoppedWaiting extends Error {
  constructor() {
    super('stopped while waiting');
    this.name = 'StoppedWaiting';
  }
}

export interface SenderOptions {
  /** The producer to send with (connected; the same one until `resetProducer`). */
  producer(): Promise<BatchProducer>;
  /** Drops the producer, so the next `producer()` makes a new one (a new producer id). */
  resetProducer(): Promise<void>;
  /** Bytes of one topic's messages in one produce request. */
  readonly maxTopicBytes: number;
  /** Source records in one produce request. */
  readonly maxRecords: number;
  /** Attempts for a missing output topic before the record is dead-lettered. */
  readonly maxAttempts: number;
  /** Turns `pending` into a dead letter (sets `deadLetter` and `messages`). */
  deadLetter(pending: Pending, reason: string, error: string, headersOnly: boolean): void;
  /** Counts a retry by kind: produce, topic-missing, dead-letter. */
  retried(kind: 'produce' | 'topic-missing' | 'dead-letter'): void;
  readonly log: Logger;
  /** Clock for the missing-topic memory. @default Date.now */
  readonly now?: () => number;
}

/** Bytes of one message in a record batch (key, value, headers, overhead). */
export function messageBytes(m: OutputMessage): number {
  let n = RECORD_OVERHEAD_BYTES + byteLength(m.value) + byteLength(m.key);
  const headers = m.headers;
  if (headers !== undefined) {
    for (const name in headers) n += name.length + byteLength(headers[name]) + 2;
  }
  return n;
}

/**
 * Splits `pending` (in order) into chunks: a chunk ends before a record whose messages would take one
 * topic past `maxTopicBytes`, or the chunk past `maxRecords` records. Every chunk holds at least one record.
 */
export function planChunks(pending: readonly Pending[], maxTopicBytes: number, maxRecords: number): Pending[][] {
  // The common case, without a map per record: the whole batch is under the limits.
  if (pending.length <= maxRecords) {
    let total = 0;
    for (const p of pending) for (const m of p.messages) total += messageBytes(m);
    if (total <= maxTopicBytes) return pending.length > 0 ? [pending as Pending[]] : [];
  }
  const chunks: Pending[][] = [];
  let chunk: Pending[] = [];
  let bytes = new Map<string, number>();
  const single = new Map<string, number>();
  for (const p of pending) {
    let mine: Map<string, number>;
    if (p.messages.length === 1) {
      mine = single;
      single.clear();
      single.set(p.messages[0].topic, messageBytes(p.messages[0]));
    } else {
      mine = new Map<string, number>();
      for (const m of p.messages) mine.set(m.topic, (mine.get(m.topic) ?? 0) + messageBytes(m));
    }
    let over = chunk.length >= maxRecords;
    if (!over && chunk.length > 0) {
      for (const [topic, n] of mine) {
        if ((bytes.get(topic) ?? 0) + n > maxTopicBytes) {
          over = true;
          break;
        }
      }
    }
    if (over) {
      chunks.push(chunk);
      chunk = [];
      bytes = new Map();
    }
    chunk.push(p);
    for (const [topic, n] of mine) bytes.set(topic, (bytes.get(topic) ?? 0) + n);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** The sendBatch argument for `messages`: grouped by topic, order kept, messages passed as they are. */
export function toProducerBatch(messages: readonly OutputMessage[]): ProducerBatch {
  const byTopic = new Map<string, OutputMessage[]>();
  for (const m of messages) {
    const list = byTopic.get(m.topic);
    if (list === undefined) byTopic.set(m.topic, [m]);
    else list.push(m);
  }
  const topicMessages: NonNullable<ProducerBatch['topicMessages']> = [];
  for (const [topic, list] of byTopic) topicMessages.push({ topic, messages: list as never });
  return { acks: -1, topicMessages };
}

export class OutputSender {
  /** Output topics found missing → until when they are taken as missing. */
  private readonly missingTopics = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly options: SenderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The first topic of `messages` found missing recently, if any. */
  missingTopic(messages: readonly OutputMessage[]): string | undefined {
    if (this.missingTopics.size === 0) return undefined;
    const now = this.now();
    for (const m of messages) if ((this.missingTopics.get(m.topic) ?? 0) > now) return m.topic;
    return undefined;
  }

  /** Sends the outputs of `pending` (in order); true when every record is resolved, false when stopped first. */
  async send(pending: readonly Pending[], turn: SendTurn): Promise<boolean> {
    for (const chunk of planChunks(pending, this.options.maxTopicBytes, this.options.maxRecords)) {
      if (!(await this.flush(chunk, turn))) return false;
    }
    return true;
  }

  /** Sends a chunk in one request; true when every record in it is resolved. */
  private async flush(chunk: Pending[], turn: SendTurn): Promise<boolean> {
    const { log } = this.options;
    const messages: OutputMessage[] = [];
    for (const p of chunk) for (const m of p.messages) messages.push(m);
    for (let attempt = 1; messages.length > 0; attempt++) {
      if (!turn.active()) return false;
      try {
        await this.sendMessages(messages, turn);
        break;
      } catch (e) {
        if (e instanceof StoppedWaiting) return false;
        await this.options.resetProducer();
        if (classifyProduceError(e) !== 'transient') {
          log.warn('a chunk was refused for a record-bound reason; sending record by record', { records: chunk.length, error: e });
          for (const p of chunk) {
            if (!(await this.flushOne(p, turn))) return false;
          }
          return true;
        }
        this.options.retried('produce');
        log.warn('produce failed; retrying', { attempt, records: chunk.length, error: e });
        if (!(await turn.backoff(attempt))) return false;
      }
    }
    turn.resolved(chunk);
    return true;
  }

  /** Sends one record's messages until acknowledged, dead-lettering it when it can never be written. */
  private async flushOne(pending: Pending, turn: SendTurn): Promise<boolean> {
    const { log, maxAttempts } = this.options;
    let missing = 0;
    let headersOnly = false;
    for (let attempt = 1; ; attempt++) {
      if (!turn.active()) return false;
      const known = pending.deadLetter ? undefined : this.missingTopic(pending.messages);
      if (known) this.options.deadLetter(pending, RuntimeReasons.TOPIC_MISSING, `topic '${known}' does not exist (found missing recently)`, false);
      try {
        if (pending.messages.length > 0) await this.sendMessages(pending.messages, turn);
        turn.resolved([pending]);
        return true;
      } catch (e) {
        if (e instanceof StoppedWaiting) return false;
        await this.options.resetProducer();
        const failure = classifyProduceError(e);
        const where = { topic: pending.record.topic, partition: pending.record.partition, offset: pending.record.offset };
        if (failure === 'transient') {
          this.options.retried('produce');
          log.warn('produce failed; retrying', { ...where, attempt, error: e });
        } else if (pending.deadLetter === undefined) {
          if (failure === 'topic-missing' && ++missing < maxAttempts) {
            this.options.retried('topic-missing');
            log.warn('output topic missing; retrying', { ...where, attempt, error: e });
          } else {
            const reason = failure === 'topic-missing' ? RuntimeReasons.TOPIC_MISSING : RuntimeReasons.PRODUCE_REJECTED;
            const topics = new Set(pending.messages.map((m) => m.topic));
            // Only a record with one output topic tells for sure which topic is missing.
            if (failure === 'topic-missing' && topics.size === 1) this.missingTopics.set([...topics][0], this.now() + MISSING_TOPIC_TTL_MS);
            log.warn('output refused; dead-lettering the record', { ...where, reason, error: e });
            this.options.deadLetter(pending, reason, describeError(e), false);
            attempt = 0;
            continue;
          }
        } else if (!headersOnly && failure === 'permanent') {
          log.warn('dead-letter topic refused the dead letter; sending headers only', { ...where, error: e });
          headersOnly = true;
          this.options.deadLetter(pending, pending.deadLetter.reason, pending.deadLetter.error, true);
          attempt = 0;
          continue;
        } else {
          this.options.retried('dead-letter');
          log.error('the dead-letter topic refuses records; retrying (nothing is dropped)', { ...where, attempt, error: e });
        }
        if (!(await turn.backoff(attempt))) return false;
      }
    }
  }

  /** One produce request for `messages`, waited on with heartbeats. */
  private async sendMessages(messages: readonly OutputMessage[], turn: SendTurn): Promise<void> {
    const batch = toProducerBatch(messages);
    await turn.wait(
      (async () => {
        const producer = await this.options.producer();
        await producer.sendBatch(batch);
      })(),
    );
  }
}

/** `LABEL: message` of an error, for the `klaxon.error` header. */
export function describeError(e: unknown): string {
  const label = errorLabel(e);
  const message = e instanceof Error ? e.message : String(e);
  return message.startsWith(label) ? message : `${label}: ${message}`;
}
