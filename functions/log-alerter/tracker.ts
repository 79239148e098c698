/**
 * The lifecycle of threshold alerts, with Alertmanager's semantics (pure: times are passed in).
 *
 * An alert is identified by its fingerprint (the labels). Each occurrence adds its count at its
 * time to a sliding window of `threshold.windowSeconds`. Per fingerprint:
 *  - inactive → pending when the window holds at least `threshold.count`;
 *  - pending → firing once that has held `forSeconds` (at once when 0): a `firing` notice whose
 *    startsAt is when it became pending and whose endsAt is `endsAfterMs` ahead;
 *  - firing: every `resendMs` a `refresh` notice (for Alertmanager and Notification Manager: the
 *    same alert with endsAt pushed ahead, so they never resolve it on their own while it fires);
 *    every `repeatIntervalSeconds` a `repeat` notice (for Slack and webhook);
 *  - firing → resolved when the window holds fewer than `threshold.count`: a `resolved` notice
 *    with endsAt = now (in the past by the time a receiver reads it). Pending → inactive likewise,
 *    silently.
 * An alerter that dies while an alert fires stops refreshing it: Alertmanager resolves it at its
 * endsAt (at most `endsAfterMs` later).
 */
import { AlertmanagerAlert } from '../contracts/alert-sinks';

/** The lifecycle settings of one rule. */
export interface TrackedRule {
  readonly name: string;
  readonly count: number;
  readonly windowMs: number;
  readonly forMs: number;
  readonly repeatMs: number;
}

export type NoticeKind = 'firing' | 'refresh' | 'repeat' | 'resolved';

/** Something to send: the alert as it stands, and why. */
export interface Notice {
  readonly kind: NoticeKind;
  readonly rule: string;
  readonly alert: AlertmanagerAlert;
  /** Occurrences in the window when the notice was made. */
  readonly count: number;
}

export interface TrackerOptions {
  /** How often a firing alert is re-sent to Alertmanager-like sinks. @default 60_000 */
  readonly resendMs?: number;
  /** endsAt of a firing alert, this far after each send. @default 4 × resendMs */
  readonly endsAfterMs?: number;
  /** Fingerprints tracked at most; past it the inactive ones with the oldest occurrence are dropped. @default 100_000 */
  readonly maxAlerts?: number;
}

interface Tracked {
  readonly rule: TrackedRule;
  /** The latest alert built for this fingerprint (annotations follow the latest occurrence). */
  alert: AlertmanagerAlert;
  /** Occurrence times and counts, oldest first. */
  readonly times: number[];
  readonly counts: number[];
  sum: number;
  pendingSinceMs?: number;
  firing?: { startsAtMs: number; lastSentMs: number; lastNotifiedMs: number };
}

export class AlertTracker {
  private readonly alerts = new Map<string, Tracked>();
  private readonly resendMs: number;
  private readonly endsAfterMs: number;
  private readonly maxAlerts: number;

  constructor(options: TrackerOptions = {}) {
    this.resendMs = options.resendMs ?? 60_000;
    this.endsAfterMs = options.endsAfterMs ?? 4 * this.resendMs;
    this.maxAlerts = options.maxAlerts ?? 100_000;
  }

  /**
   * `n` occurrences of `alert` (of `rule`) at `atMs` (clamped to `nowMs`; ignored when older than the
   * window). Returns the `firing` notice when this makes it fire.
   */
  observe(rule: TrackedRule, alert: AlertmanagerAlert, n: number, atMs: number, nowMs: number): Notice[] {
    const at = Number.isFinite(atMs) ? Math.min(atMs, nowMs) : nowMs;
    if (n <= 0 || at <= nowMs - rule.windowMs) return [];
    let t = this.alerts.get(alert.fingerprint);
    if (!t) {
      if (this.alerts.size >= this.maxAlerts) this.evict();
      t = { rule, alert, times: [], counts: [], sum: 0 };
      this.alerts.set(alert.fingerprint, t);
    }
    t.alert = alert;
    // Keep times sorted: records of one key arrive in order, so this is nearly always a push.
    let i = t.times.length;
    while (i > 0 && t.times[i - 1] > at) i--;
    t.times.splice(i, 0, at);
    t.counts.splice(i, 0, n);
    t.sum += n;
    return this.step(alert.fingerprint, t, nowMs);
  }

  /** Advances every alert to `nowMs`: resolves, refreshes, repeats, and fires pending ones whose `for` has passed. */
  tick(nowMs: number): Notice[] {
    const out: Notice[] = [];
    for (const [fp, t] of this.alerts) out.push(...this.step(fp, t, nowMs));
    return out;
  }

  /** Fingerprints tracked. */
  get size(): number {
    return this.alerts.size;
  }

  /** Fingerprints firing. */
  get firing(): number {
    let n = 0;
    for (const t of this.alerts.values()) if (t.firing) n++;
    return n;
  }

  private step(fp: string, t: Tracked, nowMs: number): Notice[] {
    const { rule } = t;
    let drop = 0;
    while (drop < t.times.length && t.times[drop] <= nowMs - rule.windowMs) t.sum -= t.counts[drop++];
    if (drop > 0) {
      t.times.splice(0, drop);
      t.counts.splice(0, drop);
    }
    if (t.sum < rule.count) {
      t.pendingSinceMs = undefined;
      const wasFiring = t.firing;
      t.firing = undefined;
      if (t.times.length === 0) this.alerts.delete(fp);
      if (!wasFiring) return [];
      const iso = new Date(nowMs).toISOString();
      return [{ kind: 'resolved', rule: rule.name, count: t.sum, alert: { ...t.alert, status: 'resolved', startsAt: new Date(wasFiring.startsAtMs).toISOString(), endsAt: iso } }];
    }
    // The window holds enough: pending since the occurrence that reached the count (or now).
    t.pendingSinceMs ??= this.reachedAt(t) ?? nowMs;
    if (!t.firing) {
      if (nowMs - t.pendingSinceMs < rule.forMs) return [];
      t.firing = { startsAtMs: t.pendingSinceMs, lastSentMs: nowMs, lastNotifiedMs: nowMs };
      return [this.notice('firing', t, nowMs)];
    }
    const out: Notice[] = [];
    if (nowMs - t.firing.lastSentMs >= this.resendMs) {
      t.firing.lastSentMs = nowMs;
      out.push(this.notice('refresh', t, nowMs));
    }
    if (nowMs - t.firing.lastNotifiedMs >= rule.repeatMs) {
      t.firing.lastNotifiedMs = nowMs;
      out.push(this.notice('repeat', t, nowMs));
    }
    return out;
  }

  /** The time of the occurrence at which the window first held `count`. */
  private reachedAt(t: Tracked): number | undefined {
    let sum = 0;
    for (let i = 0; i < t.times.length; i++) {
      sum += t.counts[i];
      if (sum >= t.rule.count) return t.times[i];
    }
    return undefined;
  }

  private notice(kind: NoticeKind, t: Tracked, nowMs: number): Notice {
    const startsAt = new Date(t.firing!.startsAtMs).toISOString();
    const endsAt = new Date(nowMs + this.endsAfterMs).toISOString();
    return { kind, rule: t.rule.name, count: t.sum, alert: { ...t.alert, status: 'firing', startsAt, endsAt } };
  }

  /** Drops the tracked alert, not firing, whose newest occurrence is oldest. */
  private evict(): void {
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [fp, t] of this.alerts) {
      const newest = t.times[t.times.length - 1] ?? -Infinity;
      if (!t.firing && newest < oldest) {
        oldest = newest;
        victim = fp;
      }
    }
    if (victim !== undefined) this.alerts.delete(victim);
  }
}
