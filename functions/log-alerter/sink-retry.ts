/**
 * Sink isolation (ALERTER_SINK_RETRY=topics): an alert a sink cannot take now is parked in that
 * sink's retry topic, `<group>.retry.<sink>`, and the source record is committed once every sink
 * took its alerts or had them parked. A retry consumer per sink (group `<group>.retry.<sink>`, in
 * this process) delivers the parked alerts in order, retrying the same record with capped backoff
 * until the sink takes it; a permanent refusal dead-letters the parked record
 * (`sink-rejected:<sink>`). Once a sink has anything parked, later alerts for it are parked too
 * (parked.ts, ParkState), so the sink sees its alerts in order, and the main group's lag never waits
 * on a sink.
 *
 * Metrics: `klaxon_alerter_sink_parked{sink}` (alerts in the sink's retry topic not yet delivered:
 * the topic's end offset minus the retry group's committed offset, polled every POLL_MS, and raised
 * at once by this process's own parks and deliveries; every replica reports the same backlog, so
 * aggregate with max, not sum) and `klaxon_alerter_alerts_parked_total{sink}`.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { sinkRetryGroupId, sinkRetryTopicName } from '../contracts/topic-names';
import type { Logger } from '../runtime/logger';
import type { RetryTopics, RetryVerdict } from '../runtime/retry-topics';
import { sleep } from '../runtime/retry';
import type { HeaderValue } from '../runtime/handler';
import { ParkContext, ParkState, parkedMessage, readParked } from './parked';
import { AlerterReasons, MatchedAlert } from './rules';
import type { DeliveryOutcome, Sink } from './sinks';

/** How often the retry topics' offsets are read from the broker. */
export const POLL_MS = 2000;

export interface SinkRetryOptions {
  /** The sinks whose alerts may be parked (one retry topic each). */
  readonly sinks: readonly Sink[];
  /** The main consumer group (retry topic and group names derive from it). */
  readonly groupId: string;
  readonly retryTopics: RetryTopics;
  /** One delivery attempt (the same as the main path's). */
  readonly send: (sink: Sink, m: MatchedAlert) => Promise<DeliveryOutcome>;
  /** Told every outcome of a parked alert's delivery (for the sent/refused/retry counters). */
  readonly onOutcome?: (sink: Sink, m: MatchedAlert, outcome: DeliveryOutcome) => void;
  readonly logger: Logger;
  readonly registry: Registry;
}

export class SinkRetry {
  private readonly state: ParkState;
  private readonly topics: ReadonlyArray<{ readonly sink: string; readonly topic: string; readonly groupId: string }>;
  private readonly parkedTotal: Counter;
  private readonly firstPoll: Promise<void>;

  constructor(private readonly options: SinkRetryOptions) {
    const { sinks, groupId, retryTopics, registry } = options;
    this.state = new ParkState(sinks.map((s) => s.name));
    this.topics = sinks.map((s) => ({ sink: s.name, topic: sinkRetryTopicName(groupId, s.name), groupId: sinkRetryGroupId(groupId, s.name) }));
    const state = this.state;
    new Gauge({
      name: 'klaxon_alerter_sink_parked',
      help: "Alerts parked in the sink's retry topic and not yet delivered (the same on every replica: aggregate with max)",
      labelNames: ['sink'],
      registers: [registry],
      collect(this: Gauge) {
        for (const s of sinks) this.set({ sink: s.name }, state.backlog(s.name));
      },
    });
    this.parkedTotal = new Counter({ name: 'klaxon_alerter_alerts_parked_total', help: "Alerts parked in a sink's retry topic, by sink", labelNames: ['sink'], registers: [registry] });
    for (const s of sinks) this.parkedTotal.inc({ sink: s.name }, 0);
    for (const [i, sink] of sinks.entries()) {
      const { topic, groupId: retryGroup } = this.topics[i];
      retryTopics.consume({
        topic,
        groupId: retryGroup,
        handle: (record) => this.redeliver(sink, record.value, record.headers),
        delivered: (offset) => state.delivered(sink.name, offset),
      });
    }
    this.firstPoll = this.poll().catch((e: unknown) => options.logger.warn('retry topic offsets not read; alerts are parked until they are', { error: e }));
    void this.pollForever();
  }

  /** Waits (at most `ms`) until the retry topics' offsets were read once. */
  async ready(ms: number): Promise<void> {
    if (this.state.known) return;
    await Promise.race([this.firstPoll, sleep(ms, this.options.retryTopics.signal)]);
  }

  /** True when alerts for `sink` must be parked: it has parked alerts not yet delivered (or nothing is known yet). */
  mustPark(sink: Sink): boolean {
    return this.state.mustPark(sink.name);
  }

  /** Parks `m` in `sink`'s retry topic; resolves once the broker has it, rejects otherwise. */
  async park(sink: Sink, m: MatchedAlert, context: Omit<ParkContext, 'sink' | 'now'>): Promise<void> {
    const topic = sinkRetryTopicName(this.options.groupId, sink.name);
    const offset = await this.options.retryTopics.park(topic, parkedMessage(m, { ...context, sink: sink.name, now: new Date() }));
    this.state.parked(sink.name, offset);
    this.parkedTotal.inc({ sink: sink.name });
  }

  private async redeliver(sink: Sink, value: Buffer | null, headers: Readonly<Record<string, HeaderValue>>): Promise<RetryVerdict> {
    const parked = readParked(value, headers);
    if (typeof parked === 'string') return { kind: 'dead-letter', reason: AlerterReasons.WRONG_SHAPE, detail: parked };
    const m: MatchedAlert = { rule: parked.rule, throttleSeconds: 0, alert: parked.alert };
    const outcome = await this.options.send(sink, m);
    this.options.onOutcome?.(sink, m, outcome);
    if (outcome.kind === 'accepted') return { kind: 'done' };
    if (outcome.kind === 'permanent') {
      return { kind: 'dead-letter', reason: `${AlerterReasons.SINK_REJECTED}:${sink.name}`, detail: `sink '${sink.name}' (${sink.type}) refused parked alert '${m.rule}': ${outcome.detail}` };
    }
    return { kind: 'retry', detail: outcome.detail, retryAfterMs: outcome.retryAfterMs };
  }

  /** Reads every retry topic's offsets; one topic that cannot be read leaves only its sink unknown (parked). */
  private async poll(): Promise<void> {
    const results = await Promise.allSettled(this.topics.map((t) => this.options.retryTopics.offsets([t])));
    let failure: unknown;
    results.forEach((r, i) => {
      if (r.status === 'rejected') failure ??= r.reason;
      else for (const o of r.value) this.state.observed(this.topics[i].sink, o.end, o.committed, o.start);
    });
    if (failure !== undefined) throw failure;
  }

  private async pollForever(): Promise<void> {
    const signal = this.options.retryTopics.signal;
    await this.firstPoll;
    while (!signal.aborted) {
      await sleep(POLL_MS, signal);
      if (signal.aborted) return;
      try {
        await this.poll();
      } catch (e) {
        this.options.logger.debug('retry topic offsets not read', { error: e });
      }
    }
  }
}
