/** The exporter's Prometheus metrics, on a registry it owns. */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export class ExporterMetrics {
  readonly registry = new Registry();
  /** Events acknowledged by Kafka, by Event type and reason. */
  readonly shipped: Counter<'type' | 'reason'>;
  /** Events not shipped: filtered out, or already shipped (a relist, an overlapping watch). */
  readonly skipped: Counter<'why'>;
  /** Watches reopened, by cause: closed (server timeout), error, expired (410), backpressure, stuck. */
  readonly watchRestarts: Counter<'scope' | 'cause'>;
  /** Full lists of a scope (first start without checkpoint, or after 410 Gone). */
  readonly relists: Counter<'scope'>;
  /** Produce attempts that failed and were retried. */
  readonly produceRetries: Counter;
  /** Checkpoint writes (Lease renewals that moved it). */
  readonly checkpointWrites: Counter;
  /** 1 while this replica holds the Lease. */
  readonly leader: Gauge;

  constructor(workload: string, secondsBehind: () => number, collectProcessMetrics = true) {
    this.registry.setDefaultLabels({ workload });
    const registers = [this.registry];
    if (collectProcessMetrics) collectDefaultMetrics({ register: this.registry });
    this.shipped = new Counter({ name: 'klaxon_exporter_events_shipped_total', help: 'Events acknowledged by Kafka, by type and reason', labelNames: ['type', 'reason'], registers });
    this.skipped = new Counter({ name: 'klaxon_exporter_events_skipped_total', help: 'Events not shipped, by why (filtered, already-shipped)', labelNames: ['why'], registers });
    this.watchRestarts = new Counter({ name: 'klaxon_exporter_watch_restarts_total', help: 'Watches reopened, by scope and cause', labelNames: ['scope', 'cause'], registers });
    this.relists = new Counter({ name: 'klaxon_exporter_relists_total', help: 'Full lists of a scope (no checkpoint, or 410 Gone)', labelNames: ['scope'], registers });
    this.produceRetries = new Counter({ name: 'klaxon_exporter_produce_retries_total', help: 'Failed produce attempts, retried', registers });
    this.checkpointWrites = new Counter({ name: 'klaxon_exporter_checkpoint_writes_total', help: 'Lease writes that moved the checkpoint', registers });
    this.leader = new Gauge({ name: 'klaxon_exporter_leader', help: '1 while this replica holds the Lease and ships', registers });
    new Gauge({
      name: 'klaxon_exporter_seconds_behind',
      help: 'Age in seconds of the oldest watched Event not yet acknowledged by Kafka (0 when caught up)',
      registers,
      collect() {
        this.set(secondsBehind());
      },
    });
  }
}
