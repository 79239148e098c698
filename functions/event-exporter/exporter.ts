/**
 * The exporter: leader election on its Lease, one ScopeExporter per watched scope while leading,
 * the checkpoint written with every renewal, honest health.
 *
 * Guarantees (evidence: test/integration/event-exporter.test.ts on a real kube-apiserver and broker):
 * - at least once: an Event is in the checkpoint only after Kafka acknowledged it (acks=all);
 * - after a crash or failover the next leader resumes from the Lease's checkpoint, so it re-sends
 *   at most the Events acknowledged since the last renewal (one retry period, 2 s by default);
 * - after `410 Gone` it relists and re-sends only Events newer than its checkpoint;
 * - only the Lease holder ships; a leader that cannot renew within the renew deadline stops
 *   shipping (and exits, to come back as a follower) before another replica may acquire.
 */
import { HealthState, Verdict } from '../runtime/health';
import { Logger } from '../runtime/logger';
import { ALL_NAMESPACES, Checkpoint, formatCheckpoint } from './checkpoint';
import { LeaderElection, LeaseStore } from './leader';
import { ExporterMetrics } from './metrics';
import { EventsApi, RecordSink, ScopeExporter } from './scope';
import { ExporterSettings } from './settings';

export interface ExporterDeps {
  readonly settings: ExporterSettings;
  readonly logger: Logger;
  readonly api: EventsApi;
  readonly lease: LeaseStore;
  readonly sink: RecordSink;
  readonly now?: () => number;
  /** Process metrics (GC, memory) on the registry. @default true */
  readonly processMetrics?: boolean;
}

/** Readiness and liveness from the exporter's state (the runtime's HTTP server serves them). */
class ExporterHealth extends HealthState {
  constructor(private readonly exporter: EventExporter) {
    super(1);
  }

  override liveness(): Verdict {
    return this.exporter.liveness();
  }

  override readiness(): Verdict {
    return this.exporter.readiness();
  }
}

export class EventExporter {
  readonly metrics: ExporterMetrics;
  readonly health: HealthState;
  private readonly election: LeaderElection;
  private readonly now: () => number;
  private scopes: ScopeExporter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private fatal: string | undefined;
  private written: string | undefined;
  private ticking: Promise<void> | undefined;
  private onLost: ((why: string) => void) | undefined;

  constructor(private readonly d: ExporterDeps) {
    this.now = d.now ?? Date.now;
    const s = d.settings;
    this.election = new LeaderElection(d.lease, s.identity, {
      leaseDurationMs: s.leaseDurationSeconds * 1000,
      renewDeadlineMs: s.renewDeadlineSeconds * 1000,
      retryPeriodMs: s.retryPeriodSeconds * 1000,
    }, this.now);
    this.metrics = new ExporterMetrics(s.clientId, () => this.secondsBehind(), d.processMetrics ?? true);
    this.health = new ExporterHealth(this);
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** Starts the election loop; `onLost` is called once if leadership is lost (the process should exit and come back as a follower). */
  start(onLost: (why: string) => void): void {
    this.onLost = onLost;
    const loop = (): void => {
      if (this.stopping) return;
      this.ticking = this.tick().finally(() => {
        if (!this.stopping) this.timer = setTimeout(loop, this.d.settings.retryPeriodSeconds * 1000);
      });
    };
    loop();
  }

  /** Seconds the oldest unacknowledged Event has waited, over all scopes. */
  secondsBehind(): number {
    return Math.max(0, ...this.scopes.map((s) => s.oldestPendingMs())) / 1000;
  }

  /** The checkpoint of the scopes now (what the next renewal writes). */
  checkpoint(): Checkpoint {
    const out: Record<string, string> = { ...this.election.checkpoint };
    for (const s of this.scopes) if (s.checkpoint !== undefined) out[s.scope] = s.checkpoint;
    return out;
  }

  liveness(): Verdict {
    return this.fatal ? { ok: false, reason: this.fatal } : { ok: true, reason: 'ok' };
  }

  readiness(): Verdict {
    const live = this.liveness();
    if (!live.ok) return live;
    if (this.stopping) return { ok: false, reason: 'stopping' };
    const leaseAge = this.now() - this.election.lastContact;
    if (leaseAge > this.d.settings.leaseDurationSeconds * 1000) return { ok: false, reason: `no answer from the API server about the Lease for ${leaseAge} ms` };
    if (!this.election.isLeader) return { ok: true, reason: `standby (leader: ${this.election.holder ?? 'none'})` };
    for (const s of this.scopes) {
      const h = s.health();
      if (!h.ok) return h;
    }
    const waited = Math.max(0, ...this.scopes.map((s) => s.oldestPendingMs()));
    if (waited > this.d.settings.readyStaleMs) return { ok: false, reason: `an Event has waited ${waited} ms for Kafka (limit ${this.d.settings.readyStaleMs} ms)` };
    return { ok: true, reason: 'leader, watching, caught up' };
  }

  private async tick(): Promise<void> {
    if (this.election.isLeader) this.election.setCheckpoint(this.checkpoint());
    let result;
    try {
      result = await this.election.tryAcquireOrRenew();
    } catch (e) {
      this.d.logger.warn('Lease read or write failed', { error: e });
      return;
    }
    if (result.lost) {
      this.metrics.leader.set(0);
      this.d.logger.error('lost leadership: stopping shipping', { why: result.lost });
      await Promise.all(this.scopes.map((s) => s.stop(0)));
      this.scopes = [];
      this.onLost?.(result.lost);
      return;
    }
    if (result.acquired) {
      const from = this.election.checkpoint;
      this.written = formatCheckpoint(from);
      this.d.logger.info('acquired the Lease: shipping', { identity: this.d.settings.identity, checkpoint: from });
      this.metrics.leader.set(1);
      this.startScopes(from);
    } else if (result.role === 'leader') {
      const text = formatCheckpoint(this.election.checkpoint);
      if (text !== this.written) {
        this.written = text;
        this.metrics.checkpointWrites.inc();
      }
    }
  }

  private startScopes(from: Checkpoint): void {
    const s = this.d.settings;
    const namespaces: (string | undefined)[] = s.namespaces.length > 0 ? [...s.namespaces] : [undefined];
    const filter = { types: new Set(s.types), reasons: new Set(s.reasons) };
    this.scopes = namespaces.map((namespace) => new ScopeExporter({
      namespace,
      cluster: s.clusterName,
      filter,
      api: this.d.api,
      sink: this.d.sink,
      logger: this.d.logger,
      metrics: this.metrics,
      resumeFrom: from[namespace ?? ALL_NAMESPACES],
      onCheckpoint: () => this.election.setCheckpoint(this.checkpoint()),
      watchTimeoutSeconds: s.watchTimeoutSeconds,
      retryInitialMs: s.retryInitialMs,
      retryMaxMs: s.retryMaxMs,
      now: this.now,
    }));
    for (const scope of this.scopes) scope.start();
  }

  /**
   * Graceful stop: close the watches, ship what is queued (within `drainMs`), write the final
   * checkpoint and release the Lease so the other replica takes over at once.
   */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await this.ticking;
    await Promise.all(this.scopes.map((s) => s.stop(drainMs)));
    if (this.election.isLeader) {
      this.election.setCheckpoint(this.checkpoint());
      try {
        const released = await this.election.release();
        this.d.logger.info('released the Lease', { released, checkpoint: this.checkpoint() });
      } catch (e) {
        this.d.logger.warn('could not release the Lease', { error: e });
      }
    }
    this.metrics.leader.set(0);
  }
}
