/**
 * Event alert rules: the `event` condition of an alert rule (alert-rules.ts), matched against a
 * Kubernetes Event as the event sources write it (event-formats.ts). Pure module, shared by the
 * LogAlerter construct (checked at synth) and the alerter workload in its events input (checked at
 * start).
 *
 * An event rule fires for an Event when every condition given holds (an absent one always holds):
 *  - `types`: the Event's `type` is one of them (`Warning`, `Normal`);
 *  - `reasons`: the Event's `reason` is one of them (exact), or `reason`: a regular expression the
 *    whole reason must match (anchored);
 *  - `kinds`: the involved object's kind (`Pod`, `Node`, ...) is one of them;
 *  - `namespaces`: the involved object's namespace is one of them (cluster-scoped objects have none
 *    and never match a rule that sets it);
 *  - `name`: a regular expression the whole involved object's name must match (anchored);
 *  - `message`: a regular expression found in the Event's message (unanchored; named groups become
 *    `{{group.<name>}}`);
 *  - `components`: the reporting component (`source.component`, `reportingComponent` or
 *    `reportingController`) is one of them (`kubelet`, `default-scheduler`, ...).
 *
 * The alert's labels: `alertname`, `severity`, `namespace` (left out for cluster-scoped objects),
 * `kind` and `name` of the involved object, then the rule's `labels`. So one alert per object and
 * rule: "BackOff >= 3 in 10 min" fires for each crash-looping pod on its own.
 *
 * Counting (with a rule's `threshold`): a repeating Event is one object whose `count`
 * (`series.count` in events.k8s.io/v1) rises; the alerter adds the rise since the last record of
 * that Event (keyed by its uid), not 1 per record. The first record of an Event adds its count.
 */

/** What an event rule matches. Every condition given must hold. */
export interface EventMatchSpec {
  /** Event types (`Warning`, `Normal`). */
  readonly types?: readonly string[];
  /** Exact reasons (`BackOff`, `FailedScheduling`). Not with `reason`. */
  readonly reasons?: readonly string[];
  /** Regular expression the whole reason must match. Not with `reasons`. */
  readonly reason?: string;
  /** Kinds of the involved object (`Pod`, `Node`). */
  readonly kinds?: readonly string[];
  /** Namespaces of the involved object. */
  readonly namespaces?: readonly string[];
  /** Regular expression the whole involved object's name must match. */
  readonly name?: string;
  /** Regular expression searched in the message; its named groups are `{{group.<name>}}`. */
  readonly message?: string;
  /** Reporting components (`kubelet`, `default-scheduler`, `node-controller`). */
  readonly components?: readonly string[];
}

export const EVENT_MATCH_KEYS = ['types', 'reasons', 'reason', 'kinds', 'namespaces', 'name', 'message', 'components'] as const;

/** Labels every event alert carries; a rule's `labels` may not set them. */
export const RESERVED_EVENT_LABELS = ['alertname', 'severity', 'namespace', 'kind', 'name'] as const;

/** Placeholders of an event rule's templates. */
export const EVENT_PLACEHOLDERS = {
  rule: 'the rule name',
  severity: 'the severity',
  namespace: 'the involved object namespace',
  kind: 'the involved object kind',
  name: 'the involved object name',
  reason: 'the reason',
  message: 'the message',
  type: 'the event type',
  component: 'the reporting component',
  node: 'the node (source.host)',
  count: 'the count of the Event',
  time: 'the time of the last occurrence',
} as const;
export type EventPlaceholder = keyof typeof EVENT_PLACEHOLDERS;

/** One Kubernetes Event, read from any source format, as event rules see it. */
export interface AlertableEvent {
  /** metadata.uid, else kind/namespace/name/reason: the identity whose count rises. */
  readonly id: string;
  readonly type: string;
  readonly reason: string;
  readonly message: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly component: string;
  readonly node?: string;
  /** How many times it happened so far (count, series.count, deprecatedCount; at least 1). */
  readonly count: number;
  /** Last occurrence, ms since the epoch (NaN when the Event carries no time). */
  readonly timeMs: number;
}

/** Checks an `event` condition; reports with `add`; returns the named groups of `message`. */
export function checkEventMatch(
  match: unknown,
  add: (field: string, value: unknown, problem: string) => void,
  checkPattern: (field: string, pattern: unknown) => boolean,
): Set<string> {
  const groups = new Set<string>();
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    add('event', match, `must be an object (${EVENT_MATCH_KEYS.join(', ')})`);
    return groups;
  }
  const m = match as Record<string, unknown>;
  for (const key of Object.keys(m)) if (!(EVENT_MATCH_KEYS as readonly string[]).includes(key)) add(`event.${key}`, m[key], `is not an event condition (${EVENT_MATCH_KEYS.join(', ')})`);
  if (EVENT_MATCH_KEYS.every((k) => m[k] === undefined)) {
    add('event', m, `has no condition: the rule would fire for every Event; give at least one of ${EVENT_MATCH_KEYS.join(', ')}`);
  }
  for (const key of ['types', 'reasons', 'kinds', 'namespaces', 'components'] as const) {
    const list = m[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
      add(`event.${key}`, list, 'must be a non-empty list of non-empty names (leave it out to match any)');
    }
  }
  if (m.reasons !== undefined && m.reason !== undefined) add('event.reason', m.reason, "is given with 'reasons': use the list for exact reasons or the pattern, not both");
  for (const key of ['reason', 'name', 'message'] as const) {
    if (m[key] === undefined) continue;
    if (checkPattern(`event.${key}`, m[key]) && key === 'message') {
      for (const g of (m[key] as string).matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)) groups.add(g[1]);
    }
  }
  return groups;
}

/** The template values of an event. */
export function eventValues(rule: { name: string; severity?: string }, event: AlertableEvent, severity: string): Record<EventPlaceholder, string | undefined> {
  return {
    rule: rule.name,
    severity: rule.severity ?? severity,
    namespace: event.namespace,
    kind: event.kind,
    name: event.name,
    reason: event.reason,
    message: event.message,
    type: event.type,
    component: event.component,
    node: event.node,
    count: String(event.count),
    time: Number.isNaN(event.timeMs) ? undefined : new Date(event.timeMs).toISOString(),
  };
}
