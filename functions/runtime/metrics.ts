/**
 * The runtime's Prometheus metrics, on a registry the runtime owns (no global registry). Workloads
 * register their own metrics on the same registry (`RuntimeMetrics.registry`).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class RuntimeMetrics {
  readonly registry: Registry;
  /** Records consumed, by source topic. */
  readonly recordsIn: Counter<'topic'>;
  /** Records written and acknowledged, by output topic (dead letters excluded). */
  readonly recordsOut: Counter<'topic'>;
  /** Records dead-lettered, by reason. */
  readonly deadLettered: Counter<'reason'>;
  /** Records handled with nothing to write (e.g. duplicates dropped). */
  readonly recordsSkipped: Counter;
  /** Seconds from taking a record to resolving its offset. */
  readonly handlingSeconds: Histogram;
  /** Retries, by what failed: produce (transient), topic-missing, dead-letter, handler, handler-retryable. */
  readonly retries: Counter<'kind'>;
  /** Next offset to consume per partition (last resolved + 1). */
  readonly consumedOffset: Gauge<'topic' | 'partition'>;
  /** Last committed offset per partition. */
  readonly committedOffset: Gauge<'topic' | 'partition'>;
  /** Consumer crashes, by whether kafkajs restarts it. */
  readonly crashes: Counter<'restart'>;
  /** 1 while the consumer is a joined group member. */
  readonly joined: Gauge;

  constructor(workload: string, collectProcessMetrics = true) {
    this.registry = new Registry();
    this.registry.setDefaultLabels({ workload });
    const registers = [this.registry];
    if (collectProcessMetrics) collectDefaultMetrics({ register: this.registry });
    this.recordsIn = new Counter({ name: 'klaxon_records_in_total', help: 'Records consumed', labelNames: ['topic'], registers });
    this.recordsOut = new Counter({
      name: 'klaxon_records_out_total',
      help: 'Records written and acknowledged, by output topic',
      labelNames: ['topic'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'klaxon_records_dead_lettered_total',
      help: 'Records written to the dead-letter topic, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.recordsSkipped = new Counter({ name: 'klaxon_records_skipped_total', help: 'Records handled with nothing to write', registers });
    this.handlingSeconds = new Histogram({
      name: 'klaxon_record_handling_seconds',
      help: 'Seconds from taking a record to resolving its offset',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.retries = new Counter({ name: 'klaxon_retries_total', help: 'Retries, by what failed', labelNames: ['kind'], registers });
    this.consumedOffset = new Gauge({
      name: 'klaxon_consumed_offset',
      help: 'Next offset to consume per partition (last fully handled + 1)',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.committedOffset = new Gauge({
      name: 'klaxon_committed_offset',
      help: 'Last committed offset per partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.crashes = new Counter({ name: 'klaxon_consumer_crashes_total', help: 'Consumer crashes', labelNames: ['restart'], registers });
    this.joined = new Gauge({ name: 'klaxon_consumer_joined', help: '1 while the consumer is a joined group member', registers });
  }
}
