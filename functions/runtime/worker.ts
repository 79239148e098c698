/**
 * The Kafka loop, written once for every workload.
 *
 * Guarantees (at-least-once, nothing lost, nothing stuck):
 * - A source offset is resolved only after the record is fully handled: every output produced and
 *   acknowledged by all in-sync replicas (acks=-1, idempotent producer), or the record dead-lettered
 *   and the dead letter acknowledged. Offsets are resolved in order; kafkajs commits resolved offsets
 *   (`commitOffsetsIfNecessary` after each batch, and on stop).
 * - The consumer loop (here) hands the records of one fetched batch, handled in order, to the output
 *   sender (sender.ts): one produce request per fetched batch, split only where one topic's bytes
 *   would pass KLAXON_PRODUCE_CHUNK_BYTES (below the topics' max.message.bytes) or the records
 *   KLAXON_PRODUCE_CHUNK_RECORDS. A chunk that fails transiently (broker down, leader moving,
 *   timeouts) is retried with capped exponential backoff and jitter, heartbeating meanwhile, until it
 *   is acknowledged or the consumer stops. A chunk that fails for a record-bound reason
 *   (MESSAGE_TOO_LARGE, INVALID_RECORD, ...) is re-sent record by record to find the culprit, which
 *   is dead-lettered (`produce-rejected`).
 * - Async handler calls (a sink call) of up to `handlerConcurrency` records run at once (the
 *   workload's choice; 1 by default): the loop handles the next records meanwhile and takes the
 *   calls' outcomes, retries included, oldest first, so records are still resolved in source order.
 * - Per record the loop allocates only what the handler needs: a synchronous handler is called
 *   without a Promise or a heartbeat per record (a heartbeat every KLAXON_HEARTBEAT_INTERVAL_MS of
 *   handling), metrics are counted once per batch or chunk.
 * - After any failed send the producer is replaced (new producer id), so a re-send of records that
 *   the broker may already have half-written is never mistaken for, or rejected as, a sequence
 *   duplicate. The price is a possible duplicate in the output: consumers must tolerate repeats.
 * - A missing output topic is retried KLAXON_MAX_ATTEMPTS times, then the record is dead-lettered
 *   (`topic-missing`), and for MISSING_TOPIC_TTL_MS later records for that topic are dead-lettered
 *   at once (so a missing topic costs one record's retries, not every record's). If the dead-letter topic refuses a truncated dead letter, the headers alone are
 *   sent; if it refuses that too (missing, not allowed), the runtime retries forever and says so in
 *   the log: dropping would lose the record.
 * - A handler that throws `RetryableError` (a sink down) is called again for the same record, after
 *   the backoff delay or the error's `retryAfterMs`, heartbeating meanwhile, without limit, until it
 *   succeeds or the worker stops; the record stays unresolved (not committed) all that time. Before
 *   the first such wait, the records handled before it are sent, resolved and committed.
 * - On stop (SIGTERM) retry loops end at once. A send or an async handler call in flight gets half
 *   of KLAXON_SHUTDOWN_TIMEOUT_MS to finish (so a clean stop under load writes nothing it does not
 *   commit), then is abandoned (kafkajs's own produce retries take ~9 s against a refusing broker,
 *   longer than the stop bound). Unhandled records stay unresolved (they are consumed again after a
 *   restart), resolved offsets are committed, the group is left.
 * - Rebalances are not held up by retries: a heartbeat made while waiting (backoff, a slow send or
 *   handler call) that finds the group rebalancing or the membership gone (REBALANCE_IN_PROGRESS,
 *   ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, NOT_COORDINATOR) ends the batch: records not yet handled
 *   stay unresolved, and eachBatch rethrows the heartbeat's error so kafkajs commits what is resolved
 *   and rejoins at once. Otherwise a member stuck retrying would stall the whole group's rebalance
 *   until the rebalance timeout, then lose its partitions while still writing their records.
 * - Memory: a fetch holds at most KLAXON_FETCH_MAX_BYTES (KLAXON_FETCH_MAX_PARTITION_BYTES per
 *   partition; one record batch larger than that still comes whole), one fetch per broker is in hand.
 *
 * One file of about 480 lines, a third of it this header: the loop reads top to bottom against the
 * guarantees above. The output sender (sender.ts) and the batch bookkeeping (batch-turn.ts) are apart.
 */
import { performance } from 'perf_hooks';
import { Consumer, EachBatchPayload, Kafka, Producer } from 'kafkajs';
import { BatchTurn } from './batch-turn';
import { RuntimeConfig } from './config';
import { RuntimeReasons, buildDeadLetter } from './dead-letter';
import { HandlerResult, Handler, PermanentError, RetryableError, SourceRecord, isDeadLetter } from './handler';
import { HealthState } from './health';
import type { KafkaClientSecurity } from './kafka-security';
import { reliableProducer, workloadKafka } from './kafka-admin';
import { toSourceRecord } from './kafka-records';
import { Logger } from './logger';
import { RuntimeMetrics } from './metrics';
import { backoffDelay, sleep } from './retry';
import { OutputSender, Pending, SendTurn, StoppedWaiting, describeError } from './sender';

export { MEMBERSHIP_ERRORS, isMembershipError } from './batch-turn';
export { flattenHeaders, toSourceRecord } from './kafka-records';
export { MISSING_TOPIC_TTL_MS } from './sender';

export interface WorkerOptions {
  readonly config: RuntimeConfig;
  readonly handler: Handler;
  readonly logger: Logger;
  readonly metrics: RuntimeMetrics;
  readonly health: HealthState;
  /** Called once if the consumer crashed for good (kafkajs will not restart it). */
  readonly onFatal?: (error: Error) => void;
  /** TLS and SASL of the Kafka client (kafka-security.ts). @default - PLAINTEXT */
  readonly security?: KafkaClientSecurity;
  /**
   * Records of a batch whose async handler calls may run at once (the outcomes are still taken, and
   * the records resolved, in source order). @default 1 (each call awaited before the next record)
   */
  readonly handlerConcurrency?: number;
}

/** The first call's outcome handed to the slow path: a Promise, or what it threw. */
type Attempt = { readonly returned: Promise<HandlerResult> } | { readonly error: unknown } | undefined;

/** A record whose handler call is still running (or threw): its outcome is taken in source order. */
class InFlight {
  constructor(
    readonly record: SourceRecord,
    readonly startedAt: number,
    readonly first: Attempt,
  ) {}
}

export class KafkaWorker {
  private readonly kafka: Kafka;
  private readonly consumer: Consumer;
  private producer: Producer | undefined;
  private readonly stopping = new AbortController();
  private restartsInARow = 0;
  private readonly sender: OutputSender;
  private fatal = false;
  private readonly log: Logger;
  private readonly concurrency: number;

  constructor(private readonly options: WorkerOptions) {
    const { config } = options;
    this.log = options.logger;
    this.concurrency = options.handlerConcurrency ?? 1;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new Error(`handlerConcurrency ${this.concurrency}: must be a whole number of at least 1`);
    this.kafka = workloadKafka(config, options.security, options.logger);
    this.consumer = this.kafka.consumer({
      groupId: config.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: config.sessionTimeoutMs,
      heartbeatInterval: config.heartbeatIntervalMs,
      // Short idle fetches, so a stop (which waits for the fetch in flight) is quick.
      maxWaitTimeInMs: 1000,
      maxBytes: config.fetchMaxBytes,
      maxBytesPerPartition: config.fetchMaxPartitionBytes,
      retry: {
        restartOnFailure: async (error: Error) => {
          this.restartsInARow += 1;
          const restart = this.restartsInARow <= config.maxRestarts;
          this.log.error('consumer crashed', { error, restart, restartsInARow: this.restartsInARow });
          return restart;
        },
      },
    });
    this.sender = new OutputSender({
      producer: () => this.connectProducer(),
      resetProducer: () => this.disconnectProducer(),
      maxTopicBytes: config.produceChunkBytes,
      maxRecords: config.produceChunkRecords,
      maxAttempts: config.maxAttempts,
      deadLetter: (pending, reason, error, headersOnly) => void this.deadLettered(pending, reason, error, headersOnly),
      retried: (kind) => options.metrics.retries.inc({ kind }),
      log: this.log,
    });
    this.watchConsumer();
  }

  /** Resolves once the consumer has joined its group; rejects if it crashed for good first. */
  start(): Promise<void> {
    const { config } = this.options;
    return new Promise<void>((resolve, reject) => {
      const offJoin = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        offJoin();
        offCrash();
        resolve();
      });
      const offCrash = this.consumer.on(this.consumer.events.CRASH, (event) => {
        if (event.payload.restart) return;
        offJoin();
        offCrash();
        reject(event.payload.error);
      });
      const run = async (): Promise<void> => {
        await this.connectProducer();
        await this.consumer.connect();
        await this.consumer.subscribe({ topics: [config.sourceTopic], fromBeginning: true });
        await this.consumer.run({
          eachBatchAutoResolve: false,
          autoCommit: true,
          eachBatch: (payload) => this.eachBatch(payload),
        });
      };
      run().catch((e: unknown) => {
        offJoin();
        offCrash();
        reject(e);
      });
    });
  }

  /**
   * Stops consuming (waits for the batch in hand, which ends its retries at once), commits resolved
   * offsets, leaves the group and disconnects. Never rejects.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    try {
      await this.consumer.stop();
    } catch (e) {
      this.log.warn('consumer stop failed', { error: e });
    }
    try {
      await this.consumer.disconnect();
    } catch (e) {
      this.log.warn('consumer disconnect failed', { error: e });
    }
    await this.disconnectProducer();
  }

  private watchConsumer(): void {
    const { health, metrics } = this.options;
    const c = this.consumer;
    c.on(c.events.GROUP_JOIN, (e) => {
      health.onJoin();
      metrics.joined.set(1);
      this.log.info('joined group', { groupId: e.payload.groupId, memberId: e.payload.memberId, assignment: e.payload.memberAssignment });
    });
    c.on(c.events.HEARTBEAT, () => health.onHeartbeat());
    const left = (why: string) => () => {
      health.onLeave();
      metrics.joined.set(0);
      this.log.debug('not a group member', { why });
    };
    c.on(c.events.REBALANCING, left('rebalancing'));
    c.on(c.events.DISCONNECT, left('disconnected'));
    c.on(c.events.STOP, left('stopped'));
    c.on(c.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics) {
        for (const p of t.partitions) metrics.committedOffset.set({ topic: t.topic, partition: String(p.partition) }, Number(p.offset));
      }
    });
    c.on(c.events.CRASH, (e) => {
      metrics.crashes.inc({ restart: String(e.payload.restart) });
      health.onLeave();
      metrics.joined.set(0);
      if (e.payload.restart || this.fatal || this.stopping.signal.aborted) return;
      this.fatal = true;
      health.onDead(e.payload.error.message);
      this.log.error('consumer crashed for good', { error: e.payload.error });
      this.options.onFatal?.(e.payload.error);
    });
  }

  // -------------------------------------------------------------------------------------------
  // The batch loop

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const turn = new BatchTurn(p, this.stopping.signal, this.log);
    const done = await this.handleBatch(turn);
    // A lost membership: kafkajs commits the resolved offsets, then rejoins (see the module comment).
    if (turn.lost) throw turn.lost;
    if (done) await p.commitOffsetsIfNecessary();
  }

  /**
   * Handles the batch's records, then sends their outputs in source order; true when every one is
   * resolved. Up to `handlerConcurrency` async handler calls (sink calls) run at once: the loop goes
   * on to the next records while they run, and takes their outcomes (retries included) oldest first.
   */
  private async handleBatch(turn: BatchTurn): Promise<boolean> {
    const { config, metrics } = this.options;
    const { batch } = turn.payload;
    const messages = batch.messages;
    if (messages.length === 0) return true;
    metrics.recordsIn.inc({ topic: batch.topic }, messages.length);
    const sendTurn = this.sendTurn(turn);
    // Handled, in source order, not yet sent.
    let pendings: Pending[] = [];
    // Behind the oldest handler call still running: each entry in source order after every pending
    // (entries before `next` are taken; an index, not shift(), keeps taking them linear).
    const behind: Array<Pending | InFlight> = [];
    let next = 0;
    let running = 0;
    // Before waiting on a RetryableError, the records handled so far are resolved and committed:
    // they are not handled again if this one takes long or the worker stops meanwhile.
    const settle = async (): Promise<boolean> => {
      if (pendings.length === 0) return true;
      if (!(await this.sender.send(pendings, sendTurn))) return false;
      pendings = [];
      try {
        await turn.payload.commitOffsetsIfNecessary(turn.payload.uncommittedOffsets());
      } catch (e) {
        this.log.debug('commit before a long retry failed; the offsets stay resolved', { error: e });
      }
      return true;
    };
    // Takes the outcome of the oldest running call (retrying it as needed), then what followed it.
    const takeOldest = async (): Promise<boolean> => {
      const oldest = behind[next++] as InFlight;
      running -= 1;
      const pending = await this.handle(oldest.record, turn, sendTurn, settle, oldest.startedAt, oldest.first);
      if (pending === undefined) return false;
      pendings.push(pending);
      while (next < behind.length && !(behind[next] instanceof InFlight)) pendings.push(behind[next++] as Pending);
      if (next === behind.length) behind.length = next = 0;
      return true;
    };
    let lastBeat = Date.now();
    for (let i = 0; i < messages.length; i++) {
      if (!turn.active()) return false;
      const record = toSourceRecord(batch.topic, batch.partition, messages[i]);
      const startedAt = performance.now();
      let first: Attempt;
      try {
        const returned = this.options.handler(record);
        if (returned instanceof Promise) first = { returned };
        else (next < behind.length ? behind : pendings).push(this.accepted(record, returned, startedAt));
      } catch (error) {
        first = { error };
      }
      if (first !== undefined) {
        // The slow path: an async handler (a sink call) or a handler that threw.
        if ('returned' in first) first.returned.catch(() => undefined); // taken later; no unhandled rejection meanwhile
        behind.push(new InFlight(record, startedAt, first));
        running += 1;
        if (running >= this.concurrency && !(await takeOldest())) return false;
      }
      // A long batch heartbeats now and then (kafkajs throttles heartbeats to the interval).
      if (Date.now() - lastBeat >= config.heartbeatIntervalMs) {
        await turn.heartbeat();
        lastBeat = Date.now();
      }
    }
    while (next < behind.length) if (!(await takeOldest())) return false;
    return this.sender.send(pendings, sendTurn);
  }

  /** What to send for a handler's result (a dead letter when it said so or an output topic is missing). */
  private accepted(record: SourceRecord, result: HandlerResult, startedAt: number): Pending {
    if (isDeadLetter(result)) return this.deadLettered({ record, messages: [], startedAt }, result.reason, result.detail);
    const missing = this.sender.missingTopic(result);
    if (missing !== undefined) {
      return this.deadLettered({ record, messages: [], startedAt }, RuntimeReasons.TOPIC_MISSING, `topic '${missing}' does not exist (found missing recently)`);
    }
    return { record, messages: result, startedAt };
  }

  /**
   * Runs the handler with retries, starting from the outcome of its first call; the messages to send
   * for the record, or undefined if stopped.
   */
  private async handle(record: SourceRecord, turn: BatchTurn, sendTurn: SendTurn, settle: () => Promise<boolean>, startedAt: number, first: Attempt): Promise<Pending | undefined> {
    const { config, handler, metrics } = this.options;
    let retryable = 0;
    let next: Attempt = first;
    for (let attempt = 1; ; attempt++) {
      try {
        const returned = next === undefined ? handler(record) : 'error' in next ? Promise.reject(next.error) : next.returned;
        next = undefined;
        // A slow async handler (a sink call) must not cost the group membership.
        const result = returned instanceof Promise ? await sendTurn.wait(returned) : returned;
        return this.accepted(record, result, startedAt);
      } catch (e) {
        if (e instanceof StoppedWaiting) return undefined;
        if (e instanceof PermanentError) return this.deadLettered({ record, messages: [], startedAt }, e.reason, e.message);
        if (e instanceof RetryableError) {
          // Without limit: only the handler (success, dead letter) or a stop ends this loop.
          retryable += 1;
          attempt -= 1;
          metrics.retries.inc({ kind: 'handler-retryable' });
          this.log.warn('handler asked for a retry; retrying until it succeeds', { ...where(record), retry: retryable, retryAfterMs: e.retryAfterMs, error: e.message });
          if (retryable === 1 && !(await settle())) return undefined;
          if (!(await this.backoff(retryable, turn, e.retryAfterMs))) return undefined;
          continue;
        }
        if (attempt >= config.maxAttempts) {
          return this.deadLettered({ record, messages: [], startedAt }, RuntimeReasons.HANDLER_FAILED, describeError(e));
        }
        metrics.retries.inc({ kind: 'handler' });
        this.log.warn('handler failed; retrying', { ...where(record), attempt, error: e });
        if (!(await this.backoff(attempt, turn))) return undefined;
      }
    }
  }

  /** Turns `pending` into a dead letter: the message for the dead-letter topic. */
  private deadLettered(pending: Pending, reason: string, error: string, headersOnly = false): Pending {
    const { config } = this.options;
    pending.deadLetter = { reason, error };
    pending.messages = [
      buildDeadLetter(
        pending.record,
        { reason, error, workload: config.clientId, time: new Date() },
        { topic: config.deadLetterTopic, maxValueBytes: config.deadLetterMaxValueBytes, headersOnly },
      ),
    ];
    return pending;
  }

  /** The sender's view of the batch in hand. */
  private sendTurn(turn: BatchTurn): SendTurn {
    return {
      active: () => turn.active(),
      wait: (work) => this.withHeartbeats(turn, work),
      backoff: (attempt) => this.backoff(attempt, turn),
      resolved: (chunk) => this.resolve(chunk, turn.payload),
    };
  }

  /** Resolves a sent chunk's offsets (in order) and counts it: one update per metric and label. */
  private resolve(chunk: readonly Pending[], p: EachBatchPayload): void {
    const { metrics } = this.options;
    const last = chunk[chunk.length - 1].record;
    p.resolveOffset(last.offset);
    this.restartsInARow = 0;
    metrics.consumedOffset.set({ topic: last.topic, partition: String(last.partition) }, Number(last.offset) + 1);
    const now = performance.now();
    const out = new Map<string, number>();
    let skipped = 0;
    for (const pending of chunk) {
      metrics.handlingSeconds.observe((now - pending.startedAt) / 1000);
      if (pending.deadLetter) {
        metrics.deadLettered.inc({ reason: pending.deadLetter.reason });
        this.log.info('dead-lettered', { ...where(pending.record), reason: pending.deadLetter.reason, error: pending.deadLetter.error });
      } else if (pending.messages.length === 0) {
        skipped += 1;
      } else {
        for (const m of pending.messages) out.set(m.topic, (out.get(m.topic) ?? 0) + 1);
      }
    }
    if (skipped > 0) metrics.recordsSkipped.inc(skipped);
    for (const [topic, n] of out) metrics.recordsOut.inc({ topic }, n);
  }

  // -------------------------------------------------------------------------------------------
  // Producing and waiting

  /**
   * Awaits `work`, heartbeating every heartbeat interval meanwhile (see `BatchTurn.heartbeat`).
   * Once the worker stops, `work` has half the stop bound left; then `StoppedWaiting` is thrown and
   * the abandoned work runs out on its own (a send ends when stop() disconnects the producer), its
   * outcome ignored.
   */
  private async withHeartbeats<T>(turn: BatchTurn, work: Promise<T>): Promise<T> {
    const { config } = this.options;
    const signal = this.stopping.signal;
    const timer = setInterval(() => void turn.heartbeat(), config.heartbeatIntervalMs);
    let grace: NodeJS.Timeout | undefined;
    let onAbort = (): void => undefined;
    const stopped = new Promise<never>((_, reject) => {
      onAbort = () => {
        grace = setTimeout(() => reject(new StoppedWaiting()), Math.floor(config.shutdownTimeoutMs / 2));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    work.catch(() => undefined); // an abandoned work's failure is no unhandled rejection
    try {
      return await Promise.race([work, stopped]);
    } finally {
      clearInterval(timer);
      clearTimeout(grace);
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async connectProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    const producer = reliableProducer(this.kafka);
    try {
      await producer.connect();
    } catch (e) {
      await producer.disconnect().catch(() => undefined); // no half-connected client left behind
      throw e;
    }
    this.producer = producer;
    return producer;
  }

  private async disconnectProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    if (!producer) return;
    try {
      await producer.disconnect();
    } catch (e) {
      this.log.debug('producer disconnect failed', { error: e });
    }
  }

  /** Waits the backoff delay of `attempt` (at least `atLeastMs`), heartbeating; false when the worker should stop. */
  private async backoff(attempt: number, turn: BatchTurn, atLeastMs = 0): Promise<boolean> {
    const { config } = this.options;
    const until = Date.now() + Math.max(atLeastMs, backoffDelay(attempt, { initialMs: config.retryInitialMs, maxMs: config.retryMaxMs }));
    while (turn.active()) {
      const left = until - Date.now();
      if (left <= 0) return true;
      await sleep(Math.min(left, config.heartbeatIntervalMs), this.stopping.signal);
      await turn.heartbeat();
    }
    return false;
  }
}

function where(record: SourceRecord): Record<string, unknown> {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}
