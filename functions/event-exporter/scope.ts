/**
 * One watched scope (a namespace, or all namespaces): list/watch → queue → Kafka → checkpoint.
 *
 * - Start: from the checkpoint's resourceVersion a watch replays every change after it; without a
 *   checkpoint, or when the API answers `410 Gone` (the checkpoint is older than etcd's compaction),
 *   the scope relists: every current Event not already shipped (dedup.ts) is queued in
 *   resourceVersion order, then the watch continues from the list's resourceVersion.
 * - The queue is shipped in batches, one batch in flight; a batch that fails is retried with capped
 *   backoff until it is acknowledged (acks=all) or the exporter stops. The checkpoint is the
 *   resourceVersion of the last acknowledged item, so it never passes an Event Kafka does not hold.
 * - Backpressure: past `maxQueued` items the watch is closed and reopened from the last queued
 *   resourceVersion once the queue has drained to half.
 * - Bookmarks (allowWatchBookmarks) move the checkpoint over Events the filters skipped.
 * - A stuck watch (no line, not even the server's close, for the watch timeout plus 30 s: a
 *   half-open connection) is aborted and reopened, and `/readyz` reports it meanwhile.
 */
import { EXPORTER_VERBS, ExporterVerb } from '../contracts/event-formats';
import { backoffDelay } from '../runtime/retry';
import { Logger } from '../runtime/logger';
import { planRelist, ShippedIndex } from './dedup';
import { ExporterMetrics } from './metrics';
import { ApiEvent, EventFilter, ExporterRecord, passes, resourceVersionOf, revision, toRecord } from './record';

/** One page of a list. */
export interface EventPage {
  readonly items: readonly ApiEvent[];
  readonly resourceVersion: string;
  readonly continueToken?: string;
}

/** A watch event as the API sends it: type, object, and the object's JSON text when known. */
export type WatchCallback = (type: string, object: Record<string, unknown>) => void;

/** The API calls a scope makes (kube.ts implements them with @kubernetes/client-node). */
export interface EventsApi {
  list(namespace: string | undefined, continueToken: string | undefined): Promise<EventPage>;
  /** Opens a watch; `done` settles when it ends (undefined: closed normally). */
  watch(namespace: string | undefined, resourceVersion: string, timeoutSeconds: number, onEvent: WatchCallback): Promise<{ abort(): void; done: Promise<Error | undefined> }>;
}

/** Where records go: resolves once Kafka acknowledged every one (acks=all). */
export interface RecordSink {
  send(records: readonly ExporterRecord[]): Promise<void>;
}

export interface ScopeOptions {
  /** The namespace, or undefined for all namespaces. */
  readonly namespace: string | undefined;
  readonly cluster: string;
  readonly filter: EventFilter;
  readonly api: EventsApi;
  readonly sink: RecordSink;
  readonly logger: Logger;
  readonly metrics: ExporterMetrics;
  /** The checkpoint to resume from, if any. */
  readonly resumeFrom?: string;
  /** Called after each acknowledged batch with the new checkpoint. */
  readonly onCheckpoint: (resourceVersion: string) => void;
  readonly watchTimeoutSeconds: number;
  readonly maxQueued?: number;
  readonly batchRecords?: number;
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
  readonly now?: () => number;
}

interface Item {
  readonly rv: string;
  readonly receivedAt: number;
  /** Undefined for a bookmark (nothing to send, only progress). */
  readonly record?: ExporterRecord;
  readonly type?: string;
  readonly reason?: string;
}

class GoneError extends Error {}

/** A scope's exporter; `start()` runs until `stop()`. */
export class ScopeExporter {
  private readonly queue: Item[] = [];
  private readonly index = new ShippedIndex();
  private readonly now: () => number;
  private readonly maxQueued: number;
  private readonly batchRecords: number;
  private running = false;
  private watchHandle: { abort(): void } | undefined;
  private lastQueuedRv: string | undefined;
  private ackedRv: string | undefined;
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private connected = false;
  private lastConnectError: string | undefined;
  private loops: Promise<void>[] = [];
  private lastActivity = 0;

  constructor(private readonly o: ScopeOptions) {
    this.now = o.now ?? Date.now;
    this.maxQueued = o.maxQueued ?? 10_000;
    this.batchRecords = o.batchRecords ?? 500;
    this.lastQueuedRv = o.resumeFrom;
    this.ackedRv = o.resumeFrom;
  }

  /** `*` or the namespace. */
  get scope(): string {
    return this.o.namespace ?? '*';
  }

  get checkpoint(): string | undefined {
    return this.ackedRv;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Milliseconds the oldest unacknowledged item has waited (0 when the queue is empty). */
  oldestPendingMs(): number {
    return this.queue.length === 0 ? 0 : this.now() - this.queue[0].receivedAt;
  }

  /** Whether a watch is open (or a relist is reading); the reason when not. */
  health(): { ok: boolean; reason: string } {
    if (!this.running) return { ok: false, reason: `scope ${this.scope}: not running` };
    if (!this.connected) return { ok: false, reason: `scope ${this.scope}: no open watch${this.lastConnectError ? ` (${this.lastConnectError})` : ''}` };
    const idle = this.now() - this.lastActivity;
    if (idle > this.stuckAfterMs()) return { ok: false, reason: `scope ${this.scope}: the watch has been silent for ${idle} ms` };
    return { ok: true, reason: 'ok' };
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loops = [this.watchLoop(), this.shipLoop()];
  }

  /** Closes the watch, then keeps shipping what is queued until `drainMs` passes; resolves when both loops ended. */
  async stop(drainMs: number): Promise<void> {
    this.running = false;
    this.watchHandle?.abort();
    const deadline = this.now() + drainMs;
    this.stopDeadline = deadline;
    this.wake?.();
    await Promise.all(this.loops);
  }

  private stopDeadline = Number.POSITIVE_INFINITY;

  /** A watch silent for longer than this is stuck: the server closes every watch after its timeout. */
  private stuckAfterMs(): number {
    return (this.o.watchTimeoutSeconds + 30) * 1000;
  }

  private async watchLoop(): Promise<void> {
    let needRelist = this.lastQueuedRv === undefined;
    let failures = 0;
    while (this.running) {
      if (this.queue.length >= this.maxQueued) {
        await new Promise<void>((resolve) => (this.drained = resolve));
        this.drained = undefined;
        continue;
      }
      try {
        if (needRelist) {
          await this.relist();
          needRelist = false;
        }
        const cause = await this.watchOnce(this.lastQueuedRv!);
        failures = 0;
        if (this.running) this.o.metrics.watchRestarts.inc({ scope: this.scope, cause });
      } catch (e) {
        this.connected = false;
        if (e instanceof GoneError) {
          this.o.logger.warn('resourceVersion too old (410 Gone): relisting', { scope: this.scope, resourceVersion: this.lastQueuedRv });
          this.o.metrics.watchRestarts.inc({ scope: this.scope, cause: 'expired' });
          needRelist = true;
          continue;
        }
        failures++;
        this.lastConnectError = (e as Error).message;
        if (!this.running) break;
        this.o.metrics.watchRestarts.inc({ scope: this.scope, cause: 'error' });
        this.o.logger.warn('watch failed; retrying', { scope: this.scope, error: e, failures });
        await sleep(backoffDelay(failures, { initialMs: this.o.retryInitialMs ?? 200, maxMs: this.o.retryMaxMs ?? 10_000 }));
      }
    }
    this.connected = false;
  }

  private async relist(): Promise<void> {
    this.o.metrics.relists.inc({ scope: this.scope });
    const items: ApiEvent[] = [];
    let token: string | undefined;
    let listRv = '';
    do {
      const page = await this.o.api.list(this.o.namespace, token);
      items.push(...page.items);
      token = page.continueToken;
      listRv = page.resourceVersion;
    } while (token);
    this.connected = true;
    const plan = planRelist(items, this.lastQueuedRv, this.index);
    this.o.metrics.skipped.inc({ why: 'already-shipped' }, plan.skipped);
    this.o.logger.info('relisted', { scope: this.scope, items: items.length, toShip: plan.ship.length, skipped: plan.skipped, resourceVersion: listRv });
    const receivedAt = this.now();
    for (const event of plan.ship) {
      // Ordered resourceVersions: the checkpoint may stop at any item (all older ones come before it).
      this.enqueue(event, 'ADDED', receivedAt, plan.ordered ? resourceVersionOf(event) : this.lastQueuedRv ?? '0', JSON.stringify({ apiVersion: 'events.k8s.io/v1', kind: 'Event', ...event }));
    }
    this.push({ rv: listRv, receivedAt });
    this.lastQueuedRv = listRv;
  }

  /** One watch from `rv` until the server closes it (returns the cause) or it fails (throws). */
  private async watchOnce(rv: string): Promise<string> {
    let gone = false;
    let overflow = false;
    let error: Error | undefined;
    let handle: { abort(): void } | undefined;
    let stuck = false;
    this.lastActivity = this.now();
    const opened = await this.o.api.watch(this.o.namespace, rv, this.o.watchTimeoutSeconds, (type, object) => {
      this.lastActivity = this.now();
      if (gone || overflow) return;
      if (type === 'ERROR') {
        const code = (object as { code?: number }).code;
        if (code === 410) gone = true;
        else error = new Error(`watch ERROR: ${(object as { message?: string }).message ?? JSON.stringify(object)}`);
        handle?.abort();
        return;
      }
      const event = object as ApiEvent;
      const objectRv = resourceVersionOf(event);
      if (type === 'BOOKMARK') {
        this.push({ rv: objectRv, receivedAt: this.now() });
        this.lastQueuedRv = objectRv;
        return;
      }
      if (!(EXPORTER_VERBS as readonly string[]).includes(type)) return;
      this.enqueue(event, type as ExporterVerb, this.now(), objectRv);
      if (this.queue.length >= this.maxQueued) {
        overflow = true;
        handle?.abort();
      }
    });
    handle = opened;
    if (gone || overflow || error) opened.abort();
    this.watchHandle = opened;
    this.connected = true;
    this.lastConnectError = undefined;
    const guard = setInterval(() => {
      if (this.now() - this.lastActivity > this.stuckAfterMs()) {
        stuck = true;
        opened.abort();
      }
    }, Math.min(5000, this.stuckAfterMs()));
    const ended = await opened.done;
    clearInterval(guard);
    this.watchHandle = undefined;
    this.connected = false;
    if (gone) throw new GoneError('410');
    if (error) throw error;
    if (overflow) return 'backpressure';
    if (stuck) {
      this.o.logger.warn('the watch was silent past its timeout: reopened', { scope: this.scope, silentMs: this.now() - this.lastActivity });
      return 'stuck';
    }
    if (ended && this.running) throw ended;
    return 'closed';
  }

  private enqueue(event: ApiEvent, verb: ExporterVerb, receivedAt: number, progressRv: string, json?: string): void {
    const rv = resourceVersionOf(event);
    if (verb !== 'DELETED' && this.index.seen(event, false)) {
      this.o.metrics.skipped.inc({ why: 'already-shipped' });
      this.push({ rv: progressRv, receivedAt });
    } else if (!passes(event, this.o.filter)) {
      this.o.metrics.skipped.inc({ why: 'filtered' });
      this.push({ rv: progressRv, receivedAt });
    } else {
      if (verb === 'DELETED') this.index.forget(event);
      else this.index.remember(event);
      this.push({ rv: progressRv, receivedAt, record: toRecord(event, verb, this.o.cluster, json), type: event.type ?? '', reason: event.reason ?? '' });
    }
    const r = revision(rv);
    const last = revision(this.lastQueuedRv);
    if (r === undefined || last === undefined || r > last) this.lastQueuedRv = rv;
  }

  private push(item: Item): void {
    this.queue.push(item);
    this.wake?.();
  }

  private async shipLoop(): Promise<void> {
    let failures = 0;
    for (;;) {
      if (this.queue.length === 0) {
        if (!this.running) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      if (!this.running && this.now() >= this.stopDeadline) return;
      const batch = this.queue.slice(0, this.batchRecords);
      const records = batch.flatMap((i) => (i.record ? [i.record] : []));
      try {
        if (records.length > 0) await this.o.sink.send(records);
        failures = 0;
      } catch (e) {
        failures++;
        this.o.metrics.produceRetries.inc();
        this.o.logger.warn('produce failed; retrying the batch', { scope: this.scope, records: records.length, failures, error: e });
        const wait = backoffDelay(failures, { initialMs: this.o.retryInitialMs ?? 200, maxMs: this.o.retryMaxMs ?? 10_000 });
        await sleep(this.running ? wait : Math.min(wait, Math.max(0, this.stopDeadline - this.now())));
        continue;
      }
      this.queue.splice(0, batch.length);
      for (const item of batch) if (item.record) this.o.metrics.shipped.inc({ type: item.type ?? '', reason: item.reason ?? '' });
      const newest = batch[batch.length - 1].rv;
      if (newest !== '' && newest !== this.ackedRv) {
        this.ackedRv = newest;
        this.o.onCheckpoint(newest);
      }
      if (this.drained && this.queue.length <= this.maxQueued / 2) this.drained();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
