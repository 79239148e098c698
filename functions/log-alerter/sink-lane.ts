/**
 * One sink's deliveries in the order they were submitted (record order), one request at a time, and
 * coalesced: the alerts submitted while a request is out go together in the next one (up to
 * `maxAlerts`; 1 for a sink whose message holds one alert). Records are handled concurrently
 * (workload.ts, CONCURRENT_RECORDS) while each sink still sees its alerts in order.
 *
 * Outcomes, per alert:
 *  - the sink's answer to the request that carried it (accepted, permanent, transient);
 *  - a request of several alerts refused for good is re-sent alert by alert, so only the alert the
 *    sink refuses is refused;
 *  - with parking (ALERTER_SINK_RETRY=topics): an alert the sink cannot take now is parked in the
 *    sink's retry topic (`parked`), and so is every later alert while the sink has any parked, in
 *    order; an alert the broker would not take either is `unparked` (the record is retried).
 *
 * Pure of HTTP and Kafka: the request and the parking are passed in (tests: sink-lane.test.ts).
 */
import type { MatchedAlert } from './rules';
import type { DeliveryOutcome } from './sinks';
import type { SourceRecord } from '../runtime/handler';

/** What happened to one submitted alert. */
export type LaneOutcome =
  | DeliveryOutcome
  | { readonly kind: 'parked'; readonly attempts: number; readonly detail: string; readonly cause?: string }
  | { readonly kind: 'unparked'; readonly detail: string };

/** One alert of one record. */
export interface LaneItem {
  readonly alert: MatchedAlert;
  readonly record: SourceRecord;
}

/** The sink's retry topic, as the lane uses it. */
export interface LaneParking {
  /** Resolves once it is known whether the sink has parked alerts. */
  ready(): Promise<void>;
  /** True while the sink has parked alerts not yet delivered (later alerts must queue behind them). */
  mustPark(): boolean;
  /** Parks the item; resolves once the broker has it, rejects otherwise. */
  park(item: LaneItem, attempts: number, lastError: string): Promise<void>;
}

export interface SinkLaneOptions {
  /** One request carrying `alerts`; the outcome says what happened (a throw counts as a transient failure). */
  send(alerts: readonly MatchedAlert[]): Promise<DeliveryOutcome>;
  /** Most alerts in one request. */
  readonly maxAlerts: number;
  /** With retry topics. @default - none: a transient failure is the outcome */
  readonly parking?: LaneParking;
}

interface Queued {
  readonly item: LaneItem;
  readonly resolve: (outcome: LaneOutcome) => void;
}

export class SinkLane {
  private readonly queue: Queued[] = [];
  private pumping = false;

  constructor(private readonly options: SinkLaneOptions) {
    if (!Number.isInteger(options.maxAlerts) || options.maxAlerts < 1) throw new Error(`maxAlerts ${options.maxAlerts}: must be a whole number of at least 1`);
  }

  /** Queues `item` behind everything submitted before it; resolves with its outcome. */
  submit(item: LaneItem): Promise<LaneOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      if (!this.pumping) void this.pump();
    });
  }

  /** Alerts submitted and not yet sent. */
  get queued(): number {
    return this.queue.length;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        await this.options.parking?.ready();
        await this.deliver(this.queue.splice(0, this.options.maxAlerts));
      }
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(batch: readonly Queued[]): Promise<void> {
    const { parking } = this.options;
    if (parking?.mustPark()) return this.park(batch, 0, 'behind alerts parked earlier', undefined);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.options.send(batch.map((q) => q.item.alert));
    } catch (e) {
      // A request that could not even be made (a bug): the records are retried, never stuck.
      outcome = { kind: 'transient', cause: 'error', detail: `the request failed: ${(e as Error).message}`, retryAfterMs: 0 };
    }
    if (outcome.kind === 'permanent' && batch.length > 1) {
      for (const q of batch) await this.deliver([q]);
      return;
    }
    if (outcome.kind === 'transient' && parking) return this.park(batch, 1, outcome.detail, outcome.cause);
    for (const q of batch) q.resolve(outcome);
  }

  /** Parks `batch` in order; once one is not taken, neither is the rest (they stay in order for the retry). */
  private async park(batch: readonly Queued[], attempts: number, detail: string, cause: string | undefined): Promise<void> {
    for (let i = 0; i < batch.length; i++) {
      try {
        await this.options.parking!.park(batch[i].item, attempts, detail);
        batch[i].resolve({ kind: 'parked', attempts, detail, cause });
      } catch (e) {
        const why = `not delivered and not parked: ${(e as Error).message}`;
        for (const q of batch.slice(i)) q.resolve({ kind: 'unparked', detail: why });
        return;
      }
    }
  }
}
