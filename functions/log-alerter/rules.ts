/**
 * Pure core of the log-alerter: read a log record, decide which rules fire, build their alerts, and
 * remember what was sent for the throttle. No I/O.
 *
 *   parseLogRecord(value, maxBytes) → ContainerLogRecord | DeadLetter
 *   compileRules(specs)              → CompiledRule[]   (specs checked by alertRuleProblems first)
 *   evaluate(record, rules, options) → MatchedAlert[]
 */
import { createHash } from 'crypto';
import { AlertRuleSpec, DEFAULT_DESCRIPTION, DEFAULT_SEVERITY, DEFAULT_SUMMARY, TemplateValues, baseValues, fieldAt, isObject, renderTemplate } from '../contracts/alert-rules';
import { AlertmanagerAlert, ZERO_TIME } from '../contracts/alert-sinks';
import type { ContainerLogRecord, KubernetesLogMetadata } from '../contracts/log-record';
import { DeadLetter } from '../runtime/handler';

/** Dead-letter reasons of the log-alerter. */
export const AlerterReasons = {
  EMPTY: 'empty',
  TOO_LARGE: 'record-too-large',
  NOT_JSON: 'not-json',
  WRONG_SHAPE: 'wrong-shape',
  /** Followed by `:<sink name>` (the first sink that refused). */
  SINK_REJECTED: 'sink-rejected',
} as const;

/** Reads one record value as a container log record, or says why it cannot be one. */
export function parseLogRecord(value: Buffer | string | null, maxBytes: number): ContainerLogRecord | DeadLetter {
  const size = value === null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (value === null || size === 0) return new DeadLetter(AlerterReasons.EMPTY, 'the record has no value');
  if (size > maxBytes) return new DeadLetter(AlerterReasons.TOO_LARGE, `the record has ${size} bytes, more than ALERTER_MAX_RECORD_BYTES (${maxBytes}); it was not read`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (e) {
    return new DeadLetter(AlerterReasons.NOT_JSON, `the record is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(parsed)) return new DeadLetter(AlerterReasons.WRONG_SHAPE, 'the record is not a JSON object');
  if (typeof parsed.log !== 'string') return new DeadLetter(AlerterReasons.WRONG_SHAPE, "the record has no string 'log' field: not a container log record");
  const k = parsed.kubernetes;
  if (!isObject(k)) return new DeadLetter(AlerterReasons.WRONG_SHAPE, "the record has no 'kubernetes' object: was it shipped through the kubernetes filter?");
  for (const field of ['namespace_name', 'pod_name'] as const) {
    if (typeof k[field] !== 'string' || k[field] === '') return new DeadLetter(AlerterReasons.WRONG_SHAPE, `the record has no 'kubernetes.${field}'`);
  }
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const kubernetes: KubernetesLogMetadata = {
    namespace_name: k.namespace_name as string,
    pod_name: k.pod_name as string,
    container_name: text(k.container_name) ?? '',
    ...(text(k.host) !== undefined ? { host: text(k.host) } : {}),
    ...(text(k.container_image) !== undefined ? { container_image: text(k.container_image) } : {}),
  };
  const stream = parsed.stream === 'stdout' || parsed.stream === 'stderr' ? parsed.stream : undefined;
  const ts = parsed['@timestamp'];
  return {
    '@timestamp': typeof ts === 'number' || typeof ts === 'string' ? ts : '',
    'log': parsed.log,
    ...(text(parsed.time) !== undefined ? { time: text(parsed.time) } : {}),
    ...(stream ? { stream } : {}),
    ...(isObject(parsed.log_processed) ? { log_processed: parsed.log_processed } : {}),
    kubernetes,
  };
}

/** A rule with its expressions compiled. */
export interface CompiledRule {
  readonly spec: AlertRuleSpec;
  readonly namespaces?: ReadonlySet<string>;
  readonly containers?: ReadonlySet<string>;
  readonly pod?: RegExp;
  readonly log?: RegExp;
}

/** Compiles specs that passed `alertRuleProblems`. */
export function compileRules(specs: readonly AlertRuleSpec[]): CompiledRule[] {
  return specs.map((spec) => {
    const match = spec.match ?? {};
    return {
      spec,
      ...(match.namespaces ? { namespaces: new Set(match.namespaces) } : {}),
      ...(match.containers ? { containers: new Set(match.containers) } : {}),
      ...(match.pod !== undefined ? { pod: new RegExp(`^(?:${match.pod})$`) } : {}),
      ...(match.log !== undefined ? { log: new RegExp(match.log) } : {}),
    };
  });
}

/** One alert to deliver: the rule that fired and the alert it built. */
export interface MatchedAlert {
  readonly rule: string;
  readonly throttleSeconds: number;
  readonly alert: AlertmanagerAlert;
}

export interface EvaluateOptions {
  /** `generatorURL` of every alert. @default '' */
  readonly generatorURL?: string;
  /** The time used when the record carries none. */
  readonly now: Date;
}

/** The named groups of the rule's log match, or undefined when the rule does not fire. */
export function matchRule(rule: CompiledRule, record: ContainerLogRecord): Record<string, string | undefined> | undefined {
  const k = record.kubernetes;
  if (rule.namespaces && !rule.namespaces.has(k.namespace_name)) return undefined;
  if (rule.pod && !rule.pod.test(k.pod_name)) return undefined;
  if (rule.containers && !rule.containers.has(k.container_name)) return undefined;
  const { stream, fields } = rule.spec.match ?? {};
  if (stream !== undefined && record.stream !== stream) return undefined;
  if (fields) {
    for (const [path, want] of Object.entries(fields)) if (fieldAt(record.log_processed, path) !== want) return undefined;
  }
  if (!rule.log) return {};
  const m = rule.log.exec(record.log);
  return m ? { ...(m.groups ?? {}) } : undefined;
}

/** The alerts `record` raises, one per firing rule, in rule order. */
export function evaluate(record: ContainerLogRecord, rules: readonly CompiledRule[], options: EvaluateOptions): MatchedAlert[] {
  const out: MatchedAlert[] = [];
  for (const rule of rules) {
    const groups = matchRule(rule, record);
    if (groups === undefined) continue;
    out.push({ rule: rule.spec.name, throttleSeconds: rule.spec.throttleSeconds ?? 0, alert: buildAlert(rule.spec, record, groups, options) });
  }
  return out;
}

/** The alert of `rule` for `record`. */
export function buildAlert(rule: AlertRuleSpec, record: ContainerLogRecord, groups: Record<string, string | undefined>, options: EvaluateOptions): AlertmanagerAlert {
  const values: TemplateValues = { base: baseValues(rule, record), groups, fields: record.log_processed };
  const labels: Record<string, string> = {};
  const put = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') labels[name] = value;
  };
  put('alertname', rule.name);
  put('severity', rule.severity ?? DEFAULT_SEVERITY);
  put('namespace', record.kubernetes.namespace_name);
  put('pod', record.kubernetes.pod_name);
  put('container', record.kubernetes.container_name);
  for (const [name, template] of Object.entries(rule.labels ?? {})) put(name, renderTemplate(template, values));
  const annotations = {
    summary: renderTemplate(rule.summary ?? DEFAULT_SUMMARY, values),
    description: renderTemplate(rule.description ?? DEFAULT_DESCRIPTION, values),
  };
  return {
    status: 'firing',
    labels,
    annotations,
    startsAt: recordTime(record, options.now).toISOString(),
    endsAt: ZERO_TIME,
    generatorURL: options.generatorURL ?? '',
    fingerprint: fingerprint(labels),
  };
}

/** sha256 of the sorted label set, 16 hex digits: equal labels, equal fingerprint. */
export function fingerprint(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels).sort().map((k) => [k, labels[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

/** The record's time: `@timestamp` (seconds, or ISO text), else `time`, else `now`. */
export function recordTime(record: ContainerLogRecord, now: Date): Date {
  const ts = record['@timestamp'];
  const candidates = [typeof ts === 'number' ? new Date(Math.round(ts * 1000)) : typeof ts === 'string' && ts !== '' ? new Date(ts) : undefined, record.time ? new Date(record.time) : undefined];
  return candidates.find((d) => d !== undefined && !Number.isNaN(d.getTime())) ?? now;
}

/**
 * What this replica sent recently: an alert fingerprint delivered at `t` with a throttle of `s`
 * seconds is not sent again before `t + s`. Per replica, in memory (see alert-rules.ts).
 */
export class Throttle {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries = 100_000) {}

  /** True when `fingerprint` was delivered within its window before `nowMs`. */
  isThrottled(fingerprint: string, nowMs: number): boolean {
    return (this.until.get(fingerprint) ?? 0) > nowMs;
  }

  /** Remembers a delivery at `nowMs` for `seconds` (0: nothing to remember). */
  delivered(fingerprint: string, seconds: number, nowMs: number): void {
    if (seconds <= 0) return;
    if (this.until.size >= this.maxEntries) this.prune(nowMs);
    this.until.set(fingerprint, nowMs + seconds * 1000);
  }

  /** Forgets `fingerprint` (a claimed delivery no sink took). */
  forget(fingerprint: string): void {
    this.until.delete(fingerprint);
  }

  /** Fingerprints remembered (for tests and a gauge). */
  get size(): number {
    return this.until.size;
  }

  private prune(nowMs: number): void {
    for (const [fp, until] of this.until) if (until <= nowMs) this.until.delete(fp);
    // Still full: forget the oldest entries (a rare extra alert beats unbounded memory).
    for (const fp of this.until.keys()) {
      if (this.until.size < this.maxEntries) break;
      this.until.delete(fp);
    }
  }
}
