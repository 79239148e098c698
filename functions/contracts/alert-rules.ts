/**
 * Log alert rules: which container log records (log-record.ts) raise which alert. Types, the one
 * validator and the template placeholders, shared by the LogAlerter construct (checked at synth)
 * and the log-alerter workload (checked at start, from the ALERTER_RULES env JSON). Pure module:
 * safe to import from constructs/ and functions/.
 *
 * A rule fires for a record when every condition of its `match` holds (an absent condition always
 * holds):
 *  - `namespaces`: the record's `kubernetes.namespace_name` is one of them;
 *  - `pod`: a regular expression the whole `kubernetes.pod_name` must match (anchored: `web-.*`
 *    matches `web-1`, not `my-web-1`);
 *  - `containers`: `kubernetes.container_name` is one of them;
 *  - `stream`: the record's `stream` is this one (records without `stream`, e.g. KubeSphere's, never
 *    match a rule that sets it);
 *  - `log`: a regular expression found anywhere in the `log` line (unanchored, like grep);
 *  - `fields`: exact values in `log_processed` (the parsed JSON log line): `{ status: 404 }` holds
 *    when `log_processed.status === 404` (a number; the string "404" does not match). Keys may be
 *    dot paths (`http.status`).
 * Regular expressions are JavaScript's (Node's), without flags. A repeated group that itself holds
 * a repetition (`(a+)+`, `(\w+\s?)*`) is refused: on a line that almost matches it backtracks
 * exponentially and blocks the alerter (nestedRepetition in regex-safety.ts; conservative: `(\w+\.)+` is
 * refused too, write `[\w.]+`).
 *
 * The alert: labels `alertname` (the rule's `name`), `severity`, `namespace`, `pod`, `container`,
 * then the rule's `labels` (templates; a label whose value renders empty is left out, as
 * Alertmanager treats it as absent); annotations `summary` and `description` (templates).
 *
 * Templates: text with placeholders `{{name}}` (PLACEHOLDERS below), `{{group.<name>}}` (a named
 * capture group of `match.log`, e.g. `(?<path>/\S*)`) and `{{field.<key>}}` (a value of
 * `log_processed`, dot paths allowed). A placeholder with no value renders empty.
 *
 * `throttleSeconds`: an alert whose fingerprint (its label set) was delivered within this many
 * seconds is not sent again. Per replica: each pod of the alerter keeps its own memory (lost on
 * restart), so with N replicas an alert may be sent up to N times per window.
 *
 * One file of about 430 lines: the rule types and the one validator the construct and the workload
 * share stay together so they cannot drift apart (event rules are in event-rules.ts).
 */
import { checkEventMatch, EVENT_PLACEHOLDERS, EventMatchSpec, RESERVED_EVENT_LABELS } from './event-rules';
import type { ContainerLogRecord } from './log-record';
import { nestedRepetition } from './regex-safety';

export { nestedRepetition } from './regex-safety';

/** Alert severities, the `severity` label. */
export const ALERT_SEVERITIES = ['critical', 'warning', 'info'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** Severity of a rule that sets none. */
export const DEFAULT_SEVERITY: AlertSeverity = 'warning';

/** Labels every alert carries, set from the rule and the record; a rule's `labels` may not set them. */
export const RESERVED_ALERT_LABELS = ['alertname', 'severity', 'namespace', 'pod', 'container'] as const;

/** Longest throttle window: one week. */
export const MAX_THROTTLE_SECONDS = 7 * 24 * 3600;

/** Placeholders of a template, and the record field each stands for. */
export const PLACEHOLDERS = {
  /** The rule's name (the `alertname` label). */
  rule: 'the rule name',
  /** The rule's severity. */
  severity: 'the severity',
  /** `kubernetes.namespace_name`. */
  namespace: 'the namespace',
  /** `kubernetes.pod_name`. */
  pod: 'the pod name',
  /** `kubernetes.container_name`. */
  container: 'the container name',
  /** `kubernetes.container_image`. */
  image: 'the container image',
  /** `kubernetes.host`: the node (absent in KubeSphere's records). */
  node: 'the node name',
  /** `stream`: stdout or stderr. */
  stream: 'the stream',
  /** `log` without its trailing newline, cut at MAX_LOG_PLACEHOLDER_CHARS. */
  log: 'the log line',
  /** `time`, the runtime's timestamp of the line. */
  time: 'the log line time',
} as const;
export type Placeholder = keyof typeof PLACEHOLDERS;

/** `{{log}}` is cut to this many characters (an alert is not a log store). */
export const MAX_LOG_PLACEHOLDER_CHARS = 2000;

/** What a rule matches. Every condition given must hold. */
export interface LogMatchSpec {
  /** Namespaces the record's pod must be in. */
  readonly namespaces?: readonly string[];
  /** Regular expression the whole pod name must match. */
  readonly pod?: string;
  /** Container names. */
  readonly containers?: readonly string[];
  /** stdout or stderr. */
  readonly stream?: 'stdout' | 'stderr';
  /** Regular expression searched in the log line; its named groups are `{{group.<name>}}`. */
  readonly log?: string;
  /** Exact values of `log_processed` fields (dot paths). */
  readonly fields?: Readonly<Record<string, string | number | boolean | null>>;
}

/** Count of occurrences within a sliding window that makes an alert fire (see alert-lifecycle in the README). */
export interface AlertThresholdSpec {
  /** Fires when at least this many occurrences fall within the window. */
  readonly count: number;
  /** The window, in seconds; the alert resolves once fewer than `count` occurrences are left in it. */
  readonly windowSeconds: number;
}

/** Longest window, `for` and repeat interval: one week. */
export const MAX_WINDOW_SECONDS = 7 * 24 * 3600;

/** Repeat interval of a firing alert to Slack and webhook sinks unless a rule sets one (Alertmanager's default). */
export const DEFAULT_REPEAT_INTERVAL_SECONDS = 4 * 3600;

/** Which input a rule reads: log records (`match`) or Kubernetes Events (`event`). */
export type AlertInput = 'logs' | 'events';

/** One alert rule, as the workload reads it from ALERTER_RULES (a JSON array of these). */
export interface AlertRuleSpec {
  /** Unique name; the `alertname` label. */
  readonly name: string;
  /** @default 'warning' */
  readonly severity?: AlertSeverity;
  /** A log rule: what log records it matches. Exactly one of `match` and `event`. */
  readonly match?: LogMatchSpec;
  /** An event rule: what Kubernetes Events it matches (event-rules.ts). */
  readonly event?: EventMatchSpec;
  /** Fire only at `count` occurrences within a window, and resolve when the window holds fewer. @default - every occurrence alerts, nothing resolves */
  readonly threshold?: AlertThresholdSpec;
  /** With a threshold: the condition must hold this many seconds before the alert fires. @default 0 */
  readonly forSeconds?: number;
  /** With a threshold: a firing alert is sent again to Slack and webhook sinks after this many seconds. @default 14400 */
  readonly repeatIntervalSeconds?: number;
  /** More labels (Prometheus label names; values are templates). */
  readonly labels?: Readonly<Record<string, string>>;
  /** Template of the `summary` annotation. @default DEFAULT_SUMMARY */
  readonly summary?: string;
  /** Template of the `description` annotation. @default DEFAULT_DESCRIPTION */
  readonly description?: string;
  /** Seconds within which an alert with the same labels is not sent again (per replica). @default 0 (never throttled) */
  readonly throttleSeconds?: number;
}

export const DEFAULT_SUMMARY = '{{rule}} in {{namespace}}/{{pod}}';
export const DEFAULT_DESCRIPTION = '{{log}}';

/**
 * The seed's rule (OpenFunction/KubeSphere log alerting): an HTTP 404 answered by the WordPress pod
 * of `demo-project` raises `404 Request` with the request's method and path as labels. It matches
 * CANONICAL_404_RECORD (log-record.ts).
 */
export const EXAMPLE_404_RULE: Pick<AlertRuleSpec, 'name' | 'severity' | 'labels' | 'summary' | 'description'> & { readonly match: LogMatchSpec } = {
  name: '404 Request',
  severity: 'warning',
  match: {
    namespaces: ['demo-project'],
    pod: 'wordpress-v1-[A-Za-z0-9]{9}-[A-Za-z0-9]{5}',
    log: '"(?<method>[A-Z]+) (?<path>\\S*) HTTP/[0-9.]+" 404 ',
  },
  labels: { method: '{{group.method}}', path: '{{group.path}}' },
  summary: 'HTTP 404 for {{group.method}} {{group.path}} in {{namespace}}/{{pod}}',
  description: '{{log}}',
};

/** One problem of a rule list: where, what was found, what is wrong. */
export interface RuleProblem {
  /** Index in the list. */
  readonly index: number;
  /** The rule's name, when it has a usable one. */
  readonly rule?: string;
  /** Field path inside the rule, e.g. `match.pod`. */
  readonly field: string;
  /** The value found. */
  readonly value: unknown;
  /** What is wrong and how to fix it (a sentence fragment, no leading capital). */
  readonly problem: string;
}

/** A problem as one line: `rule '404 Request' (rules[0]): 'match.pod' ("x[") is not ...`. */
export function formatRuleProblem(p: RuleProblem): string {
  const who = p.rule !== undefined ? `rule ${JSON.stringify(p.rule)} (rules[${p.index}])` : `rules[${p.index}]`;
  return `${who}: '${p.field}' (${show(p.value)}) ${p.problem}`;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const RULE_KEYS = ['name', 'severity', 'match', 'event', 'threshold', 'forSeconds', 'repeatIntervalSeconds', 'labels', 'summary', 'description', 'throttleSeconds'];
const MATCH_KEYS = ['namespaces', 'pod', 'containers', 'stream', 'log', 'fields'];

/**
 * Every problem of `rules` (typed, or parsed from JSON: anything is checked), [] when valid. The one
 * validator: the construct turns each into a PropError, the workload into a config problem.
 */
export function alertRuleProblems(rules: unknown, input?: AlertInput): RuleProblem[] {
  if (!Array.isArray(rules)) return [{ index: 0, field: '', value: rules, problem: 'must be a list of rules' }];
  if (rules.length === 0) return [{ index: 0, field: '', value: rules, problem: 'must list at least one rule: no log line would ever alert' }];
  const problems: RuleProblem[] = [];
  const names = new Map<string, number>();
  rules.forEach((raw: unknown, index) => {
    const add = (field: string, value: unknown, problem: string): void => {
      const name = isObject(raw) && typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name : undefined;
      problems.push({ index, rule: name, field, value, problem });
    };
    if (!isObject(raw)) return add('', raw, 'must be an object with name and match');
    for (const key of Object.keys(raw)) if (!RULE_KEYS.includes(key)) add(key, raw[key], `is not a rule field (${RULE_KEYS.join(', ')})`);
    const name = raw.name;
    if (typeof name !== 'string' || name.trim() === '') add('name', name, 'must be a non-empty string: it becomes the alertname label');
    else if (name !== name.trim() || /[\u0000-\u001f]/.test(name)) add('name', name, 'must not have leading or trailing white space or control characters');
    else if (names.has(name)) add('name', name, `is also the name of rules[${names.get(name)}]; rule names are alertnames and must be unique`);
    else names.set(name, index);

    if (raw.severity !== undefined && !(ALERT_SEVERITIES as readonly unknown[]).includes(raw.severity)) {
      add('severity', raw.severity, `must be one of ${ALERT_SEVERITIES.join(', ')}`);
    }
    const isEvent = raw.event !== undefined;
    if (isEvent && raw.match !== undefined) add('event', raw.event, "is given with 'match': a rule reads either log records ('match') or Events ('event'), not both");
    if (input !== undefined && (isEvent ? 'events' : 'logs') !== input) {
      add(isEvent ? 'event' : 'match', isEvent ? raw.event : raw.match, `makes this ${isEvent ? 'an event' : 'a log'} rule, but this alerter reads ${input}`);
    }
    const groups = isEvent ? checkEventMatch(raw.event, add, (field, pattern) => checkPattern(field, pattern, add)) : checkMatch(raw.match, add);
    const reserved: readonly string[] = isEvent ? RESERVED_EVENT_LABELS : RESERVED_ALERT_LABELS;
    const placeholders: Readonly<Record<string, string>> = isEvent ? EVENT_PLACEHOLDERS : PLACEHOLDERS;
    const patternField = isEvent ? 'event.message' : 'match.log';
    checkLifecycle(raw, add);
    if (raw.labels !== undefined) {
      if (!isObject(raw.labels)) add('labels', raw.labels, 'must be an object of label name to template');
      else {
        for (const [label, value] of Object.entries(raw.labels)) {
          if (!LABEL_NAME.test(label) || label.startsWith('__')) {
            add(`labels.${label}`, value, `has label name ${JSON.stringify(label)}, which is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'`);
          } else if (reserved.includes(label)) {
            add(`labels.${label}`, value, `sets '${label}', which the alerter sets itself (${reserved.join(', ')}); use 'name'/'severity' or another label name`);
          } else checkTemplate(`labels.${label}`, value, groups, add, true, placeholders, patternField);
        }
      }
    }
    if (raw.summary !== undefined) checkTemplate('summary', raw.summary, groups, add, false, placeholders, patternField);
    if (raw.description !== undefined) checkTemplate('description', raw.description, groups, add, false, placeholders, patternField);
    if (raw.throttleSeconds !== undefined) {
      const t = raw.throttleSeconds;
      if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > MAX_THROTTLE_SECONDS) {
        add('throttleSeconds', t, `must be a whole number of seconds from 0 to ${MAX_THROTTLE_SECONDS} (one week)`);
      }
    }
  });
  return problems;
}

/** Checks `match`; returns the named groups of its `log` expression. */
function checkMatch(match: unknown, add: (field: string, value: unknown, problem: string) => void): Set<string> {
  const groups = new Set<string>();
  if (!isObject(match)) {
    add('match', match, 'must be an object (namespaces, pod, containers, stream, log, fields)');
    return groups;
  }
  for (const key of Object.keys(match)) if (!MATCH_KEYS.includes(key)) add(`match.${key}`, match[key], `is not a match condition (${MATCH_KEYS.join(', ')})`);
  if (MATCH_KEYS.every((k) => match[k] === undefined)) {
    add('match', match, 'has no condition: the rule would fire for every log line; give at least one of namespaces, pod, containers, stream, log, fields');
  }
  for (const key of ['namespaces', 'containers'] as const) {
    const list = match[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
      add(`match.${key}`, list, 'must be a non-empty list of non-empty names (leave it out to match any)');
    }
  }
  for (const key of ['pod', 'log'] as const) {
    if (match[key] === undefined) continue;
    if (checkPattern(`match.${key}`, match[key], add) && key === 'log') for (const m of (match[key] as string).matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)) groups.add(m[1]);
  }
  if (match.stream !== undefined && match.stream !== 'stdout' && match.stream !== 'stderr') add('match.stream', match.stream, "must be 'stdout' or 'stderr'");
  if (match.fields !== undefined) {
    if (!isObject(match.fields) || Object.keys(match.fields).length === 0) add('match.fields', match.fields, 'must be a non-empty object of field to exact value');
    else {
      for (const [key, value] of Object.entries(match.fields)) {
        if (key === '' || key.split('.').some((part) => part === '')) add(`match.fields.${key}`, value, 'has an empty key or path segment');
        if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
          add(`match.fields.${key}`, value, 'must be a string, number, boolean or null (compared with ===)');
        }
      }
    }
  }
  return groups;
}

/** Checks one regular expression; true when it is usable. */
function checkPattern(field: string, pattern: unknown, add: (field: string, value: unknown, problem: string) => void): boolean {
  if (typeof pattern !== 'string' || pattern === '') {
    add(field, pattern, 'must be a non-empty regular expression (leave it out to match any)');
    return false;
  }
  try {
    new RegExp(pattern);
  } catch (e) {
    add(field, pattern, `is not a valid regular expression: ${(e as Error).message}`);
    return false;
  }
  const slow = nestedRepetition(pattern);
  if (slow === undefined) return true;
  add(
    field,
    pattern,
    `repeats ${JSON.stringify(slow)}, a group that itself repeats: on a line that almost matches, the regular expression backtracks exponentially and blocks the alerter. Repeat the inner part only (e.g. '(a+)+' -> 'a+')`,
  );
  return false;
}

/** Checks `threshold`, `forSeconds` and `repeatIntervalSeconds`. */
function checkLifecycle(raw: Record<string, unknown>, add: (field: string, value: unknown, problem: string) => void): void {
  const seconds = (field: string, v: unknown, min: number): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_WINDOW_SECONDS) add(field, v, `must be a whole number of seconds from ${min} to ${MAX_WINDOW_SECONDS} (one week)`);
  };
  const t = raw.threshold;
  if (t !== undefined) {
    if (!isObject(t)) add('threshold', t, 'must be an object { count, windowSeconds }');
    else {
      for (const key of Object.keys(t)) if (key !== 'count' && key !== 'windowSeconds') add(`threshold.${key}`, t[key], 'is not a threshold field (count, windowSeconds)');
      if (typeof t.count !== 'number' || !Number.isInteger(t.count) || t.count < 1 || t.count > 1_000_000) add('threshold.count', t.count, 'must be a whole number from 1 to 1000000');
      seconds('threshold.windowSeconds', t.windowSeconds, 1);
    }
    if (raw.throttleSeconds !== undefined) add('throttleSeconds', raw.throttleSeconds, "is given with 'threshold': a threshold rule fires once per episode and repeats by 'repeatIntervalSeconds'; remove the throttle");
  }
  for (const key of ['forSeconds', 'repeatIntervalSeconds'] as const) {
    if (raw[key] === undefined) continue;
    if (t === undefined) add(key, raw[key], "needs a 'threshold': without one every occurrence alerts and nothing is pending or firing");
    else seconds(key, raw[key], key === 'forSeconds' ? 0 : 60);
  }
}

function checkTemplate(
  field: string,
  template: unknown,
  groups: ReadonlySet<string>,
  add: (field: string, value: unknown, problem: string) => void,
  label: boolean,
  placeholders: Readonly<Record<string, string>>,
  patternField: string,
): void {
  if (typeof template !== 'string') return add(field, template, 'must be a string (a template)');
  if (label && template === '') return add(field, template, 'is empty: Alertmanager treats an empty label as absent; remove it or give it a value');
  for (const m of template.matchAll(PLACEHOLDER)) {
    const problem = placeholderProblem(m[1], groups, placeholders, patternField);
    if (problem) add(field, template, problem);
  }
}

/** Why `{{name}}` is not a known placeholder, or undefined. */
function placeholderProblem(name: string, groups: ReadonlySet<string>, placeholders: Readonly<Record<string, string>>, patternField: string): string | undefined {
  if (Object.hasOwn(placeholders, name)) return undefined;
  if (name.startsWith('group.')) {
    const group = name.slice('group.'.length);
    if (groups.has(group)) return undefined;
    const known = groups.size > 0 ? `its groups are ${[...groups].join(', ')}` : 'it has none';
    return `uses {{${name}}} but '${patternField}' has no named group '${group}' (${known})`;
  }
  if (placeholders === PLACEHOLDERS && name.startsWith('field.') && name.length > 'field.'.length && !name.slice('field.'.length).split('.').includes('')) return undefined;
  return `uses unknown placeholder {{${name}}}; known: ${Object.keys(placeholders).map((p) => `{{${p}}}`).join(', ')}, {{group.<name>}}${placeholders === PLACEHOLDERS ? ', {{field.<key>}}' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Template rendering (pure; used by the workload, documented here beside the placeholders)

/** The values placeholders render from. */
export interface TemplateValues {
  /** The rule kind's placeholders (PLACEHOLDERS, or EVENT_PLACEHOLDERS) and their values. */
  readonly base: Readonly<Record<string, string | undefined>>;
  readonly groups: Readonly<Record<string, string | undefined>>;
  readonly fields: Readonly<Record<string, unknown>> | undefined;
}

/** Renders `template`; unknown or absent values render empty. */
export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (_all, name: string) => {
    if (Object.hasOwn(values.base, name)) return values.base[name] ?? '';
    if (name.startsWith('group.')) {
      const group = name.slice('group.'.length);
      return Object.hasOwn(values.groups, group) ? (values.groups[group] ?? '') : '';
    }
    if (name.startsWith('field.')) {
      const v = fieldAt(values.fields, name.slice(6));
      return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    return '';
  });
}

/** The value at a dot path of `log_processed` (own JSON keys only: `constructor` is not `Object`). */
export function fieldAt(fields: Readonly<Record<string, unknown>> | undefined, path: string): unknown {
  let at: unknown = fields;
  for (const part of path.split('.')) {
    if (!isObject(at) || !Object.hasOwn(at, part)) return undefined;
    at = at[part];
  }
  return at;
}

/** The placeholder values of a record for a rule. */
export function baseValues(rule: AlertRuleSpec, record: ContainerLogRecord): Record<Placeholder, string | undefined> {
  const line = record.log.replace(/\r?\n$/, '');
  return {
    rule: rule.name,
    severity: rule.severity ?? DEFAULT_SEVERITY,
    namespace: record.kubernetes.namespace_name,
    pod: record.kubernetes.pod_name,
    container: record.kubernetes.container_name,
    image: record.kubernetes.container_image,
    node: record.kubernetes.host,
    stream: record.stream,
    log: line.length > MAX_LOG_PLACEHOLDER_CHARS ? `${line.slice(0, MAX_LOG_PLACEHOLDER_CHARS)}…` : line,
    time: record.time,
  };
}

/** A JSON object (not null, not an array). Shared by the contracts' validators and the workload. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as a problem message quotes it: JSON, cut at 200 characters; never throws (cycles, BigInt). */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
