/**
 * Leader election on a coordination.k8s.io/v1 Lease, the way client-go's leaderelection does it,
 * with the exporter's checkpoint carried in the same object (checkpoint.ts).
 *
 * - A replica acquires the Lease when it does not exist, has no holder, or its record has not
 *   changed for `leaseDurationMs` as observed by this replica's own clock (no clock comparison
 *   across machines). Every write carries the resourceVersion read, so two replicas never both win.
 * - The leader renews every `retryPeriodMs`; if it cannot renew for `renewDeadlineMs` (shorter
 *   than the lease duration) or finds another holder, it has lost: it stops shipping before any
 *   other replica may acquire.
 * - A stopping leader releases the Lease (empty holder) with its final checkpoint, so the other
 *   replica takes over at its next try instead of after the lease duration.
 *
 * Failover after a crash: within `leaseDurationMs + retryPeriodMs` of the leader's last renewal.
 * The store is an interface so the state machine is tested without an API server.
 */
import { Checkpoint, formatCheckpoint, parseCheckpoint } from './checkpoint';

/** The Lease fields the election reads and writes. */
export interface LeaseRecord {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
  /** The checkpoint annotation's text. */
  readonly checkpoint?: string;
  /** metadata.resourceVersion (set by the store on reads; required on updates). */
  readonly resourceVersion?: string;
}

/** Reads and writes the one Lease. `update` and `create` return 'conflict' when someone else wrote first. */
export interface LeaseStore {
  get(): Promise<LeaseRecord | undefined>;
  create(record: LeaseRecord): Promise<LeaseRecord | 'conflict'>;
  update(record: LeaseRecord): Promise<LeaseRecord | 'conflict'>;
}

export interface ElectionTiming {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export type Role = 'leader' | 'follower';

/** One replica's view of the election. Call `tryAcquireOrRenew()` every retry period. */
export class LeaderElection {
  private observed: LeaseRecord | undefined;
  private observedAt = 0;
  private lastRenew = 0;
  private leading = false;
  private checkpointText: string | undefined;
  private contact = 0;

  constructor(
    private readonly store: LeaseStore,
    readonly identity: string,
    readonly timing: ElectionTiming,
    private readonly now: () => number = Date.now,
  ) {
    if (timing.renewDeadlineMs >= timing.leaseDurationMs) throw new Error(`renew deadline (${timing.renewDeadlineMs} ms) must be shorter than the lease duration (${timing.leaseDurationMs} ms)`);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed (this replica's identity when it leads). */
  get holder(): string | undefined {
    return this.observed?.holderIdentity || undefined;
  }

  /** The checkpoint of the Lease as last read or written. */
  get checkpoint(): Checkpoint {
    return parseCheckpoint(this.observed?.checkpoint).checkpoint;
  }

  /** When the API server last answered about the Lease (ms since the epoch; 0: never). */
  get lastContact(): number {
    return this.contact;
  }

  /** Milliseconds since the last successful renewal (leader only). */
  sinceRenewMs(): number {
    return this.now() - this.lastRenew;
  }

  /** Sets the checkpoint the next renewal writes (leader only). */
  setCheckpoint(checkpoint: Checkpoint): void {
    this.checkpointText = formatCheckpoint(checkpoint);
  }

  /**
   * One try. Returns the role afterwards and, for a leader, whether this try made it one.
   * Throws only on API errors (the caller retries; a leader counts them against the renew deadline).
   */
  async tryAcquireOrRenew(): Promise<{ role: Role; acquired: boolean; lost?: string }> {
    const now = this.now();
    const durationSeconds = Math.ceil(this.timing.leaseDurationMs / 1000);
    let current: LeaseRecord | undefined;
    try {
      current = await this.store.get();
    } catch (e) {
      return this.onError(e);
    }
    this.contact = this.now();
    if (!current) {
      const created = await this.write('create', { holderIdentity: this.identity, leaseDurationSeconds: durationSeconds, acquireTime: iso(now), renewTime: iso(now), leaseTransitions: 0, checkpoint: this.checkpointText });
      return created;
    }
    if (!this.observed || this.observed.resourceVersion !== current.resourceVersion) {
      this.observed = current;
      this.observedAt = now;
    }
    const holder = current.holderIdentity ?? '';
    const mine = holder === this.identity;
    if (!mine && this.leading) return this.lose(`the Lease is held by '${holder || '(nobody)'}'`);
    const expired = this.observedAt + (current.leaseDurationSeconds ?? durationSeconds) * 1000 <= now;
    if (!mine && holder !== '' && !expired) return { role: 'follower', acquired: false };
    const next: LeaseRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine ? current.acquireTime ?? iso(now) : iso(now),
      renewTime: iso(now),
      leaseTransitions: mine ? current.leaseTransitions ?? 0 : (current.leaseTransitions ?? 0) + 1,
      // A new leader starts from the checkpoint the Lease holds; only the leader moves it.
      checkpoint: mine && this.checkpointText !== undefined ? this.checkpointText : current.checkpoint,
      resourceVersion: current.resourceVersion,
    };
    return this.write('update', next);
  }

  /** Gives the Lease up with the final checkpoint (leader only); errors are the caller's to log. */
  async release(): Promise<boolean> {
    if (!this.leading || !this.observed) return false;
    this.leading = false;
    const result = await this.store.update({
      ...this.observed,
      holderIdentity: '',
      leaseDurationSeconds: 1,
      renewTime: iso(this.now()),
      checkpoint: this.checkpointText ?? this.observed.checkpoint,
    });
    return result !== 'conflict';
  }

  private async write(kind: 'create' | 'update', record: LeaseRecord): Promise<{ role: Role; acquired: boolean; lost?: string }> {
    let result: LeaseRecord | 'conflict';
    try {
      result = kind === 'create' ? await this.store.create(record) : await this.store.update(record);
    } catch (e) {
      return this.onError(e);
    }
    if (result === 'conflict') {
      if (this.leading) return this.lose('another replica wrote the Lease first (409 Conflict)');
      return { role: 'follower', acquired: false };
    }
    const acquired = !this.leading;
    this.observed = result;
    this.observedAt = this.now();
    this.lastRenew = this.observedAt;
    this.leading = true;
    if (acquired && this.checkpointText === undefined) this.checkpointText = result.checkpoint;
    return { role: 'leader', acquired };
  }

  private onError(e: unknown): { role: Role; acquired: boolean; lost?: string } {
    if (this.leading && this.now() - this.lastRenew >= this.timing.renewDeadlineMs) {
      return this.lose(`no renewal for ${this.now() - this.lastRenew} ms (deadline ${this.timing.renewDeadlineMs} ms): ${(e as Error).message}`);
    }
    if (this.leading) return { role: 'leader', acquired: false };
    throw e;
  }

  private lose(why: string): { role: Role; acquired: boolean; lost: string } {
    this.leading = false;
    return { role: 'follower', acquired: false, lost: why };
  }
}

function iso(ms: number): string {
  // MicroTime: RFC 3339 with microseconds.
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
