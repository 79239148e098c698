/**
 * Sends the tracker's timed notices (refresh, repeat, resolved, and firing after a `for`) in the
 * background: one queue per sink, in order, so a slow or dead sink delays only its own notices and
 * never the consumer. A transient failure is retried with capped backoff for up to `maxAgeMs`, then
 * given up (logged): an Alertmanager-like sink then resolves the alert by its endsAt anyway. A
 * permanent refusal is logged and counted.
 *
 * Which sinks want which notice: `firing` and `resolved` every sink; `refresh` (endsAt pushed ahead)
 * Alertmanager and Notification Manager; `repeat` (the repeat interval) Slack and webhook.
 */
import type { SinkType } from '../contracts/alert-sinks';
import type { Logger } from '../runtime/logger';
import { backoffDelay, sleep } from '../runtime/retry';
import type { MatchedAlert } from './rules';
import type { DeliveryOutcome, Sink } from './sinks';
import type { Notice, NoticeKind } from './tracker';

/** True when a sink of `type` is sent notices of `kind`. */
export function noticeWanted(type: SinkType, kind: NoticeKind): boolean {
  const alertmanagerLike = type === 'alertmanager' || type === 'notification-manager';
  if (kind === 'refresh') return alertmanagerLike;
  if (kind === 'repeat') return !alertmanagerLike;
  return true;
}

export interface NoticeDispatcherOptions {
  readonly sinks: readonly Sink[];
  readonly send: (sink: Sink, m: MatchedAlert) => Promise<DeliveryOutcome>;
  readonly logger: Logger;
  /** Gives up a notice after this long. @default 10 minutes */
  readonly maxAgeMs?: number;
  /** Called when a sink's queue length changes (a per-sink backlog gauge). */
  readonly onBacklog?: (sink: string, queued: number) => void;
  /** Takes the notices of sinks with `group` (their grouper sends them). */
  readonly onGrouped?: (sink: Sink, notice: Notice) => void;
}

export class NoticeDispatcher {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, number>();

  constructor(private readonly options: NoticeDispatcherOptions) {}

  /** Queues `notice` for every sink that wants it (grouped sinks excepted: see `onGrouped`); returns at once. */
  dispatch(notice: Notice): void {
    for (const sink of this.options.sinks) {
      if (!noticeWanted(sink.type, notice.kind)) continue;
      if (sink.group && this.options.onGrouped) {
        this.options.onGrouped(sink, notice);
        continue;
      }
      const m: MatchedAlert = { rule: notice.rule, throttleSeconds: 0, alert: notice.alert };
      this.enqueue(sink, { rule: notice.rule, notice: notice.kind, fingerprint: notice.alert.fingerprint }, () => this.options.send(sink, m));
    }
  }

  /** Queues one request for `sink` (e.g. a group's message), delivered in order with the sink's other requests. */
  enqueue(sink: Sink, what: Record<string, unknown>, attempt: () => Promise<DeliveryOutcome>): void {
    this.count(sink.name, +1);
    const previous = this.tails.get(sink.name) ?? Promise.resolve();
    this.tails.set(
      sink.name,
      previous.then(() => this.deliver(sink, what, attempt)).finally(() => this.count(sink.name, -1)),
    );
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while ([...this.queued.values()].some((n) => n > 0)) await Promise.all([...this.tails.values()]);
  }

  /** Notices queued for `sink` (sent or retried right now included). */
  backlog(sink: string): number {
    return this.queued.get(sink) ?? 0;
  }

  private count(sink: string, delta: number): void {
    const n = (this.queued.get(sink) ?? 0) + delta;
    this.queued.set(sink, n);
    this.options.onBacklog?.(sink, n);
  }

  private async deliver(sink: Sink, what: Record<string, unknown>, send: () => Promise<DeliveryOutcome>): Promise<void> {
    const started = Date.now();
    const maxAgeMs = this.options.maxAgeMs ?? 10 * 60_000;
    for (let attempt = 1; ; attempt++) {
      const outcome = await send().catch((e: Error): DeliveryOutcome => ({ kind: 'transient', cause: 'error', detail: e.message, retryAfterMs: 0 }));
      if (outcome.kind === 'accepted') return;
      const where = { sink: sink.name, ...what, detail: outcome.detail };
      if (outcome.kind === 'permanent') return this.options.logger.warn('sink refused a message for good', where);
      const delay = Math.max(backoffDelay(attempt, { initialMs: 200, maxMs: 30_000 }), outcome.retryAfterMs);
      if (Date.now() - started + delay > maxAgeMs) return this.options.logger.error('gave up a message after retrying', { ...where, attempts: attempt });
      await sleep(delay);
    }
  }
}
