/**
 * Alert rules as LogAlerter props: the workload's rule shape (functions/contracts/alert-rules.ts)
 * with a `Duration` for the throttle, checked at synth by the same validator the workload runs at
 * start. Matching, labels and templates are documented there.
 *
 *   const http404: AlertRule = {
 *     name: '404 Request',
 *     match: { namespaces: ['demo-project'], pod: 'wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}', log: '" 404 ' },
 *     throttle: Duration.minutes(5),
 *   };
 */
import { Duration } from 'cdk8s';
import { AlertInput, AlertRuleSpec, AlertSeverity, LogMatchSpec, alertRuleProblems } from '../../functions/contracts/alert-rules';
import { EventMatchSpec } from '../../functions/contracts/event-rules';
import { describeProp, PropError } from '../validation';

/** What a rule matches; every condition given must hold (see alert-rules.ts). */
export type LogMatch = LogMatchSpec;

/** What an event rule matches: types, reasons, kinds, namespaces, name and message regexes, components (see event-rules.ts). */
export type EventMatch = EventMatchSpec;

/** Occurrences within a sliding window that make an alert fire; fewer left in the window resolve it. */
export interface AlertThreshold {
  /** Fires at this many occurrences within the window. */
  readonly count: number;
  /** The sliding window (whole seconds). */
  readonly window: Duration;
}

/** One alert rule over log records (`match`) or Kubernetes Events (`event`). */
export interface AlertRule {
  /** Unique name; the `alertname` label. */
  readonly name: string;
  /** The `severity` label. @default 'warning' */
  readonly severity?: AlertSeverity;
  /** A log rule: namespaces, pod regex, containers, stream, log regex, exact `log_processed` fields. @default - an event rule */
  readonly match?: LogMatch;
  /** An event rule: what Kubernetes Events it matches. @default - a log rule */
  readonly event?: EventMatch;
  /** `count` occurrences within `window` fire the alert; fewer resolve it. @default - every occurrence alerts, nothing resolves */
  readonly threshold?: AlertThreshold;
  /** With a threshold: how long the condition holds before the alert fires. @default Duration.seconds(0) */
  readonly for?: Duration;
  /** With a threshold: a firing alert is sent again to Slack and webhook sinks after this long. @default Duration.hours(4) */
  readonly repeatInterval?: Duration;
  /** More labels (values are templates). @default - none */
  readonly labels?: Record<string, string>;
  /** Template of the `summary` annotation. @default '{{rule}} in {{namespace}}/{{pod}}' */
  readonly summary?: string;
  /** Template of the `description` annotation. @default '{{log}}' */
  readonly description?: string;
  /** An alert with the same labels delivered within this window is not sent again by the same replica. @default - no throttle */
  readonly throttle?: Duration;
}

/**
 * The workload's specs of `rules`, checked by the shared validator; throws a PropError naming each
 * bad field (`'rules[0].match.pod' ("x[") of LogAlerter 'log-alerter' is not a valid regular expression: ...`).
 */
export function alertRuleSpecs(rules: readonly AlertRule[], owner: string, prop = 'rules', input?: AlertInput): AlertRuleSpec[] {
  if (!Array.isArray(rules)) throw new PropError(`${describeProp(prop, rules, owner)} must be a list of rules.`);
  if (rules.length === 0) return []; // "at least one" is checked at synth: rules may still be added
  const messages: string[] = [];
  /** `<index>/<prop>` of Duration props already reported (the validator would only repeat it). */
  const reported = new Set<string>();
  /** Duration props → whole seconds, and the spec field each becomes. */
  const durations = { throttle: 'throttleSeconds', for: 'forSeconds', repeatInterval: 'repeatIntervalSeconds', 'threshold.window': 'threshold.windowSeconds' } as const;
  const specs = rules.map((rule, i) => {
    const { throttle, for: forDuration, repeatInterval, threshold, ...rest } = rule ?? ({} as AlertRule);
    const seconds = (name: keyof typeof durations, d: Duration | undefined): number | undefined => {
      if (d === undefined) return undefined;
      if (!(d instanceof Duration)) {
        messages.push(`${describeProp(`${prop}[${i}].${name}`, d, owner)} must be a cdk8s Duration.`);
        reported.add(`${i}/${name}`);
        return undefined;
      }
      const s = d.toMilliseconds() / 1000;
      if (Number.isInteger(s)) return s;
      messages.push(`${describeProp(`${prop}[${i}].${name}`, d.toHumanString(), owner)} must be a whole number of seconds.`);
      reported.add(`${i}/${name}`);
      return undefined;
    };
    const spec: Record<string, unknown> = { ...rest };
    const put = (field: string, v: unknown): void => {
      if (v !== undefined) spec[field] = v;
    };
    put('throttleSeconds', seconds('throttle', throttle));
    put('forSeconds', seconds('for', forDuration));
    put('repeatIntervalSeconds', seconds('repeatInterval', repeatInterval));
    if (threshold !== undefined) {
      const { window, ...t } = (threshold ?? {}) as AlertThreshold;
      spec.threshold = { ...t, ...(window !== undefined ? { windowSeconds: seconds('threshold.window', window) } : {}) };
    }
    return spec as unknown as AlertRuleSpec;
  });
  const back = Object.fromEntries(Object.entries(durations).map(([k, v]) => [v, k])) as Record<string, string>;
  for (const p of alertRuleProblems(specs, input)) {
    const field = back[p.field] ?? p.field;
    if (reported.has(`${p.index}/${field}`)) continue;
    const path = field === '' ? `${prop}[${p.index}]` : `${prop}[${p.index}].${field}`;
    const value = back[p.field] !== undefined && typeof p.value === 'number' ? `${p.value} seconds` : p.value;
    messages.push(`${describeProp(path, value, owner)} ${p.problem}.`);
  }
  if (messages.length > 0) throw new PropError(messages.join('\n'));
  return specs;
}
