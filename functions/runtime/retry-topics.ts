/**
 * Retry topics, the Kafka side (the pattern of kafkajs-async-retry: a topic per destination, its own
 * consumer group): parking a record in a retry topic, and consuming a retry topic in order.
 *
 * Guarantees:
 * - `park` resolves with the record's offset only once every in-sync replica has it (acks=-1,
 *   idempotent producer); it rejects otherwise, and the caller keeps the source record unresolved.
 * - A retry consumer hands each record to `handle`, in offset order, and moves on only when the
 *   verdict is `done` or `dead-letter` (the dead letter acknowledged first). On `retry` it waits
 *   (capped exponential backoff with jitter, at least the verdict's `retryAfterMs`, heartbeating) and
 *   asks again about the SAME record: a partition is never skipped past an undelivered record. Each
 *   record's offset is committed once it is done, so a restart re-delivers at most the one record in
 *   hand (at-least-once).
 * - `stop()` ends waits at once; a `handle` in flight is abandoned (its record stays uncommitted).
 * - A retry consumer that crashed for good calls `onFatal` (the process then stops and exits 1).
 */
import { Admin, Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { RuntimeConfig } from './config';
import { buildDeadLetter } from './dead-letter';
import type { SourceRecord } from './handler';
import type { KafkaClientSecurity } from './kafka-security';
import { kafkaClient, reliableProducer } from './kafka-admin';
import { toSourceRecord } from './kafka-records';
import type { Logger } from './logger';
import { backoffDelay, sleep } from './retry';

/** What to do with a record of a retry topic. */
export type RetryVerdict =
  | { readonly kind: 'done' }
  | { readonly kind: 'retry'; readonly detail: string; readonly retryAfterMs: number }
  | { readonly kind: 'dead-letter'; readonly reason: string; readonly detail: string };

/** One record to park. */
export interface ParkRecord {
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

export interface RetryConsumerOptions {
  /** The retry topic (one partition keeps one order). */
  readonly topic: string;
  /** Its own consumer group (so its lag is not the main group's). */
  readonly groupId: string;
  /** Delivers one record; called again for the same record after a `retry`. Never throws (a throw is a `retry`). */
  handle(record: SourceRecord, attempt: number): Promise<RetryVerdict>;
  /** Called once a record is done or dead-lettered, with its offset. */
  delivered?(offset: number): void;
}

/** The offsets of one retry topic's partition 0 and of its group. */
export interface RetryTopicOffsets {
  readonly topic: string;
  /** First offset still in the topic. */
  readonly start: number;
  /** The next offset to be written. */
  readonly end: number;
  /** The group's committed offset; -1 when none, or not asked for (the topic is empty). */
  readonly committed: number;
}

export interface RetryTopicsOptions {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  readonly security?: KafkaClientSecurity;
  /** Called once if a retry consumer crashed for good. */
  readonly onFatal?: (error: Error) => void;
}

export class RetryTopics {
  private readonly kafka: Kafka;
  private producer: Promise<Producer> | undefined;
  private admin: Promise<Admin> | undefined;
  private readonly consumers: Consumer[] = [];
  private readonly stopping = new AbortController();
  private readonly log: Logger;

  constructor(private readonly options: RetryTopicsOptions) {
    const { config } = options;
    this.log = options.logger.child({ component: 'retry-topics' });
    this.kafka = kafkaClient({ clientId: `${config.clientId}-retry`, brokers: config.brokers, security: options.security, logLevel: config.logLevel, logger: this.log });
  }

  /** Aborted once `stop()` is called. */
  get signal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Writes `record` to `topic` (acks=-1); its offset. Rejects when the broker did not take it. */
  async park(topic: string, record: ParkRecord): Promise<number> {
    const producer = await this.connectProducer();
    try {
      const [meta] = await producer.send({ topic, acks: -1, messages: [{ key: record.key, value: record.value, headers: record.headers }] });
      return Number(meta.baseOffset ?? meta.offset ?? -1);
    } catch (e) {
      this.resetProducer();
      throw e;
    }
  }

  /** Starts a consumer of one retry topic in its own group (returns at once). */
  consume(options: RetryConsumerOptions): void {
    const { config } = this.options;
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      maxWaitTimeInMs: 1000,
    });
    this.consumers.push(consumer);
    consumer.on(consumer.events.CRASH, (e) => {
      if (e.payload.restart || this.stopping.signal.aborted) return;
      this.log.error('retry consumer crashed for good', { topic: options.topic, error: e.payload.error });
      this.options.onFatal?.(e.payload.error);
    });
    const run = async (): Promise<void> => {
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({ eachBatchAutoResolve: false, autoCommit: true, eachBatch: (p) => this.eachBatch(p, options) });
    };
    run().catch((e: unknown) => {
      if (this.stopping.signal.aborted) return;
      this.log.error('retry consumer failed to start', { topic: options.topic, error: e });
      this.options.onFatal?.(e as Error);
    });
  }

  /** The offsets of partition 0 of each topic and its group's commit. */
  async offsets(topics: ReadonlyArray<{ readonly topic: string; readonly groupId: string }>): Promise<RetryTopicOffsets[]> {
    const admin = await this.connectAdmin();
    return Promise.all(
      topics.map(async ({ topic, groupId }) => {
        const p0 = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === 0);
        const [start, end] = [Number(p0?.low ?? 0), Number(p0?.high ?? 0)];
        // An empty topic holds nothing to deliver whatever its group committed: the group's offsets
        // (about 250 ms for a group the broker has not seen, on the path of a new replica's first alert) are not asked for.
        if (end <= start) return { topic, start, end, committed: -1 };
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const c0 = committed?.partitions.find((p) => p.partition === 0);
        return { topic, start, end, committed: Number(c0?.offset ?? -1) };
      }),
    );
  }

  /** Stops every retry consumer (leaving its group), the producer and the admin client. Never rejects. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.consumers.map((c) => c.disconnect().catch((e: unknown) => this.log.warn('retry consumer disconnect failed', { error: e }))));
    const [producer, admin] = [this.producer, this.admin];
    this.producer = undefined;
    this.admin = undefined;
    await Promise.all([producer?.then((p) => p.disconnect()).catch(() => undefined), admin?.then((a) => a.disconnect()).catch(() => undefined)]);
  }

  private async eachBatch(p: EachBatchPayload, options: RetryConsumerOptions): Promise<void> {
    const { batch } = p;
    for (const message of batch.messages) {
      if (!p.isRunning() || p.isStale() || this.stopping.signal.aborted) return;
      const record = toSourceRecord(batch.topic, batch.partition, message);
      if (!(await this.settle(record, p, options))) return;
      p.resolveOffset(message.offset);
      await p.commitOffsetsIfNecessary(p.uncommittedOffsets());
      options.delivered?.(Number(message.offset));
    }
  }

  /** Asks `handle` about `record` until it is done or dead-lettered; false when stopped first. */
  private async settle(record: SourceRecord, p: EachBatchPayload, options: RetryConsumerOptions): Promise<boolean> {
    const { config } = this.options;
    for (let attempt = 1; ; attempt++) {
      const verdict = await this.unlessStopped(options.handle(record, attempt).catch((e: Error): RetryVerdict => ({ kind: 'retry', detail: e.message, retryAfterMs: 0 })));
      if (verdict === undefined) return false;
      if (verdict.kind === 'done') return true;
      if (verdict.kind === 'dead-letter') return this.deadLetter(record, verdict, p);
      const delay = Math.max(verdict.retryAfterMs, backoffDelay(attempt, { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs }));
      this.log.debug('parked record not delivered; retrying the same record', { topic: record.topic, offset: record.offset, attempt, delayMs: delay, detail: verdict.detail });
      if (!(await this.wait(delay, p))) return false;
    }
  }

  /** Writes the dead letter of `record` (retrying until the broker takes it); false when stopped first. */
  private async deadLetter(record: SourceRecord, verdict: { readonly reason: string; readonly detail: string }, p: EachBatchPayload): Promise<boolean> {
    const { config } = this.options;
    const dl = buildDeadLetter(
      record,
      { reason: verdict.reason, error: verdict.detail, workload: config.clientId, time: new Date() },
      { topic: config.deadLetterTopic, maxValueBytes: config.deadLetterMaxValueBytes },
    );
    for (let attempt = 1; ; attempt++) {
      try {
        const producer = await this.connectProducer();
        await producer.send({ topic: dl.topic, acks: -1, messages: [{ key: dl.key, value: dl.value, headers: dl.headers }] });
        this.log.info('dead-lettered', { topic: record.topic, partition: record.partition, offset: record.offset, reason: verdict.reason, error: verdict.detail });
        return true;
      } catch (e) {
        this.resetProducer();
        this.log.warn('dead letter of a parked record not written; retrying', { attempt, error: e });
        if (!(await this.wait(backoffDelay(attempt, { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs }), p))) return false;
      }
    }
  }

  /** Sleeps `ms`, heartbeating; false when stopped or the batch went stale meanwhile. */
  private async wait(ms: number, p: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if (this.stopping.signal.aborted || !p.isRunning() || p.isStale()) return false;
      const left = until - Date.now();
      if (left <= 0) return true;
      await sleep(Math.min(left, this.options.config.heartbeatIntervalMs), this.stopping.signal);
      await p.heartbeat();
    }
  }

  /** `work`, or undefined once `stop()` is called first. */
  private unlessStopped<T>(work: Promise<T>): Promise<T | undefined> {
    const signal = this.stopping.signal;
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(undefined);
      signal.addEventListener('abort', onAbort, { once: true });
      void work.then((v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      });
    });
  }

  /** A new producer (and producer id) for the next try: see worker.ts on re-sends after a failure. */
  private resetProducer(): void {
    const failed = this.producer;
    this.producer = undefined;
    void failed?.then((p) => p.disconnect()).catch(() => undefined);
  }

  private connectProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      const producer = reliableProducer(this.kafka);
      await producer.connect();
      return producer;
    })().catch((e: unknown) => {
      this.producer = undefined;
      throw e;
    });
    return this.producer;
  }

  private connectAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })().catch((e: unknown) => {
      this.admin = undefined;
      throw e;
    });
    return this.admin;
  }
}
