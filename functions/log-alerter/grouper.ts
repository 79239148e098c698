/**
 * Grouping for sinks with no Alertmanager in front (Slack, webhook), with Alertmanager's timers:
 * alerts whose `by` labels are equal form a group; a group's first alert waits `waitMs`, then one
 * message carries every alert that arrived meanwhile (the latest state of each fingerprint, with
 * the count); alerts arriving later go out together `intervalMs` after the previous message.
 * In memory, per replica.
 */
import { AlertmanagerAlert } from '../contracts/alert-sinks';

export interface GroupSettings {
  readonly by: readonly string[];
  readonly waitMs: number;
  readonly intervalMs: number;
}

interface Group {
  readonly labels: Record<string, string>;
  readonly alerts: Map<string, AlertmanagerAlert>;
  timer?: ReturnType<typeof setTimeout>;
  lastFlushMs?: number;
}

export class AlertGrouper {
  private readonly groups = new Map<string, Group>();

  constructor(
    private readonly settings: GroupSettings,
    /** Receives one group's labels and its alerts (in arrival order). */
    private readonly flush: (groupLabels: Record<string, string>, alerts: AlertmanagerAlert[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** The group labels of `alert`: its values of `by` (absent labels left out). */
  groupLabels(alert: AlertmanagerAlert): Record<string, string> {
    const labels: Record<string, string> = {};
    for (const name of this.settings.by) if (alert.labels[name] !== undefined) labels[name] = alert.labels[name];
    return labels;
  }

  /** Adds `alert` to its group; schedules the group's next message if none is due. */
  add(alert: AlertmanagerAlert): void {
    const labels = this.groupLabels(alert);
    const key = JSON.stringify(Object.entries(labels));
    let group = this.groups.get(key);
    if (!group) {
      group = { labels, alerts: new Map() };
      this.groups.set(key, group);
    }
    group.alerts.delete(alert.fingerprint); // re-insert: the latest state, in arrival order
    group.alerts.set(alert.fingerprint, alert);
    if (group.timer) return;
    const now = this.now();
    const due = group.lastFlushMs === undefined ? now + this.settings.waitMs : Math.max(now, group.lastFlushMs + this.settings.intervalMs);
    const g = group;
    g.timer = setTimeout(() => this.send(key, g), due - now);
    g.timer.unref?.();
  }

  /** Groups with alerts waiting. */
  get pending(): number {
    let n = 0;
    for (const g of this.groups.values()) if (g.alerts.size > 0) n++;
    return n;
  }

  /** Sends every waiting group now (shutdown, tests). */
  flushAll(): void {
    for (const [key, g] of this.groups) {
      if (g.timer) clearTimeout(g.timer);
      this.send(key, g);
    }
  }

  private send(key: string, g: Group): void {
    g.timer = undefined;
    const alerts = [...g.alerts.values()];
    g.alerts.clear();
    if (alerts.length === 0) return;
    g.lastFlushMs = this.now();
    this.flush(g.labels, alerts);
    // A group quiet for a whole interval is forgotten: its next alert waits `waitMs` again.
    const quiet = setTimeout(() => {
      if (g.alerts.size === 0 && !g.timer) this.groups.delete(key);
    }, this.settings.intervalMs);
    quiet.unref?.();
  }
}
