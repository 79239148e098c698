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
import { AlertRuleSpec, AlertSeverity, LogMatchSpec, alertRuleProblems } from '../../functions/contracts/alert-rules';
import { describeProp, PropError } from '../validation';

/** What a rule matches; every condition given must hold (see alert-rules.ts). */
export type LogMatch = LogMatchSpec;

/** One log alert rule. */
export interface AlertRule {
  /** Unique name; the `alertname` label. */
  readonly name: string;
  /** The `severity` label. @default 'warning' */
  readonly severity?: AlertSeverity;
  /** Namespaces, pod regex, containers, stream, log regex, exact `log_processed` fields. */
  readonly match: LogMatch;
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
export function alertRuleSpecs(rules: readonly AlertRule[], owner: string, prop = 'rules'): AlertRuleSpec[] {
  if (!Array.isArray(rules)) throw new PropError(`${describeProp(prop, rules, owner)} must be a list of rules.`);
  if (rules.length === 0) return []; // "at least one" is checked at synth: rules may still be added
  const messages: string[] = [];
  const specs = rules.map((rule, i) => {
    const { throttle, ...rest } = rule ?? ({} as AlertRule);
    if (throttle === undefined) return rest as AlertRuleSpec;
    const ms = throttle.toMilliseconds();
    if (!Number.isInteger(ms / 1000)) {
      messages.push(`${describeProp(`${prop}[${i}].throttle`, throttle.toHumanString(), owner)} must be a whole number of seconds.`);
      return rest as AlertRuleSpec;
    }
    return { ...rest, throttleSeconds: ms / 1000 } as AlertRuleSpec;
  });
  for (const p of alertRuleProblems(specs)) {
    const field = p.field === 'throttleSeconds' ? 'throttle' : p.field;
    const path = field === '' ? `${prop}[${p.index}]` : `${prop}[${p.index}].${field}`;
    const value = p.field === 'throttleSeconds' && typeof p.value === 'number' ? `${p.value} seconds` : p.value;
    messages.push(`${describeProp(path, value, owner)} ${p.problem}.`);
  }
  if (messages.length > 0) throw new PropError(messages.join('\n'));
  return specs;
}
