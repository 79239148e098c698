/**
 * The alerter's events input (pure): read a Kubernetes Event from any source format
 * (functions/contracts/event-formats.ts), match event rules, build their alerts, and turn an Event's
 * own count into occurrences.
 *
 *   parseAlertableEvent(value, maxBytes) → AlertableEvent | DeadLetter
 *   compileEventRules(specs)             → CompiledEventRule[]
 *   matchEvent(rule, event)              → named groups | undefined
 *   EventCounts.rise(event)              → occurrences since the last record of this Event
 */
import { AlertRuleSpec, DEFAULT_DESCRIPTION, DEFAULT_SEVERITY, TemplateValues, isObject, renderTemplate } from '../contracts/alert-rules';
import { AlertmanagerAlert, ZERO_TIME } from '../contracts/alert-sinks';
import { AlertableEvent, eventValues } from '../contracts/event-rules';
import { DeadLetter } from '../runtime/handler';
import { AlerterReasons, EvaluateOptions, fingerprint } from './rules';

/** Summary of an event alert unless the rule sets one. */
export const DEFAULT_EVENT_SUMMARY = '{{rule}}: {{reason}} of {{kind}} {{namespace}}/{{name}} ({{count}}×)';
/** Description of an event alert unless the rule sets one. */
export const DEFAULT_EVENT_DESCRIPTION = '{{message}}';

type Json = Record<string, unknown>;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Reads one record of the events topics as an Event, or says why it cannot be one. */
export function parseAlertableEvent(value: Buffer | string | null, maxBytes: number): AlertableEvent | DeadLetter {
  const size = value === null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  if (value === null || size === 0) return new DeadLetter(AlerterReasons.EMPTY, 'the record has no value');
  if (size > maxBytes) return new DeadLetter(AlerterReasons.TOO_LARGE, `the record has ${size} bytes, more than ALERTER_MAX_RECORD_BYTES (${maxBytes}); it was not read`);
  let root: unknown;
  try {
    root = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
    // kube-eventer holds the Event as a JSON string.
    if (isObject(root) && typeof root.EventValue === 'string') root = { EventValue: JSON.parse(root.EventValue) };
  } catch (e) {
    return new DeadLetter(AlerterReasons.NOT_JSON, `the record is not JSON: ${(e as Error).message}`);
  }
  if (!isObject(root)) return new DeadLetter(AlerterReasons.WRONG_SHAPE, 'the record is not a JSON object');
  const event = isObject(root.event) && 'verb' in root ? root.event : isObject(root.EventValue) ? root.EventValue : root;
  const ref = isObject(event.involvedObject) ? event.involvedObject : isObject(event.regarding) ? event.regarding : undefined;
  if (!ref || !text(ref.kind) || !text(ref.name)) {
    return new DeadLetter(AlerterReasons.WRONG_SHAPE, 'not a Kubernetes Event (eventrouter, kube-eventer, core/v1 or events.k8s.io/v1) with an involved object kind and name');
  }
  return readEvent(event, ref);
}

function readEvent(event: Json, ref: Json): AlertableEvent {
  const meta = isObject(event.metadata) ? event.metadata : {};
  const series = isObject(event.series) ? event.series : undefined;
  const source = isObject(event.source) ? event.source : isObject(event.deprecatedSource) ? event.deprecatedSource : {};
  const counts = [series?.count, event.count, event.deprecatedCount].filter((c): c is number => typeof c === 'number' && Number.isFinite(c));
  const times = [series?.lastObservedTime, event.lastTimestamp, event.eventTime, event.deprecatedLastTimestamp, event.firstTimestamp, meta.creationTimestamp];
  const time = times.map((t) => (typeof t === 'string' && t !== '' ? Date.parse(t) : NaN)).find((t) => !Number.isNaN(t)) ?? NaN;
  const kind = ref.kind as string;
  const name = ref.name as string;
  const namespace = text(ref.namespace);
  const reason = text(event.reason) ?? '';
  return {
    id: text(meta.uid) ?? `${kind}/${namespace ?? ''}/${name}/${reason}`,
    type: text(event.type) ?? '',
    reason,
    message: text(event.message) ?? text(event.note) ?? '',
    kind,
    ...(namespace !== undefined ? { namespace } : {}),
    name,
    component: text(source.component) ?? text(event.reportingComponent) ?? text(event.reportingController) ?? '',
    ...(text(source.host) !== undefined ? { node: text(source.host) } : {}),
    count: Math.max(1, Math.floor(counts[0] ?? 1)),
    timeMs: time,
  };
}

/** An event rule with its lists as sets and its expressions compiled. */
export interface CompiledEventRule {
  readonly spec: AlertRuleSpec;
  readonly types?: ReadonlySet<string>;
  readonly reasons?: ReadonlySet<string>;
  readonly reason?: RegExp;
  readonly kinds?: ReadonlySet<string>;
  readonly namespaces?: ReadonlySet<string>;
  readonly name?: RegExp;
  readonly message?: RegExp;
  readonly components?: ReadonlySet<string>;
}

/** Compiles event rules that passed `alertRuleProblems`. */
export function compileEventRules(specs: readonly AlertRuleSpec[]): CompiledEventRule[] {
  return specs.map((spec) => {
    const e = spec.event ?? {};
    const set = (list: readonly string[] | undefined) => (list ? new Set(list) : undefined);
    return {
      spec,
      types: set(e.types),
      reasons: set(e.reasons),
      reason: e.reason !== undefined ? new RegExp(`^(?:${e.reason})$`) : undefined,
      kinds: set(e.kinds),
      namespaces: set(e.namespaces),
      name: e.name !== undefined ? new RegExp(`^(?:${e.name})$`) : undefined,
      message: e.message !== undefined ? new RegExp(e.message) : undefined,
      components: set(e.components),
    };
  });
}

/** The named groups of the rule's message match, or undefined when the rule does not match. */
export function matchEvent(rule: CompiledEventRule, event: AlertableEvent): Record<string, string | undefined> | undefined {
  if (rule.types && !rule.types.has(event.type)) return undefined;
  if (rule.reasons && !rule.reasons.has(event.reason)) return undefined;
  if (rule.reason && !rule.reason.test(event.reason)) return undefined;
  if (rule.kinds && !rule.kinds.has(event.kind)) return undefined;
  if (rule.namespaces && (event.namespace === undefined || !rule.namespaces.has(event.namespace))) return undefined;
  if (rule.name && !rule.name.test(event.name)) return undefined;
  if (rule.components && !rule.components.has(event.component)) return undefined;
  if (!rule.message) return {};
  const m = rule.message.exec(event.message);
  return m ? { ...(m.groups ?? {}) } : undefined;
}

/** The alert of `rule` for `event`: labels alertname, severity, namespace, kind, name, then the rule's. */
export function buildEventAlert(rule: AlertRuleSpec, event: AlertableEvent, groups: Record<string, string | undefined>, options: EvaluateOptions): AlertmanagerAlert {
  const values: TemplateValues = { base: eventValues(rule, event, DEFAULT_SEVERITY), groups, fields: undefined };
  const labels: Record<string, string> = {};
  const put = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') labels[name] = value;
  };
  put('alertname', rule.name);
  put('severity', rule.severity ?? DEFAULT_SEVERITY);
  put('namespace', event.namespace);
  put('kind', event.kind);
  put('name', event.name);
  for (const [name, template] of Object.entries(rule.labels ?? {})) put(name, renderTemplate(template, values));
  return {
    status: 'firing',
    labels,
    annotations: {
      summary: renderTemplate(rule.summary ?? DEFAULT_EVENT_SUMMARY, values),
      description: renderTemplate(rule.description ?? (rule.event ? DEFAULT_EVENT_DESCRIPTION : DEFAULT_DESCRIPTION), values),
    },
    startsAt: new Date(Number.isNaN(event.timeMs) ? options.now.getTime() : event.timeMs).toISOString(),
    endsAt: ZERO_TIME,
    generatorURL: options.generatorURL ?? '',
    fingerprint: fingerprint(labels),
  };
}

/**
 * The last count seen of each Event (by id), so a repeating Event counts by its rise: a record whose
 * count went from 2 to 5 is 3 occurrences; a record with an unchanged count (eventrouter's resync) is
 * none; the first record of an Event is its count. Bounded: the oldest Events are forgotten first.
 */
export class EventCounts {
  private readonly last = new Map<string, number>();

  constructor(private readonly maxEvents = 100_000) {}

  /** Occurrences `event` adds. */
  rise(event: AlertableEvent): number {
    const before = this.last.get(event.id);
    if (before !== undefined) this.last.delete(event.id); // re-insert: the map's order is recency
    else if (this.last.size >= this.maxEvents) this.last.delete(this.last.keys().next().value!);
    this.last.set(event.id, Math.max(before ?? 0, event.count));
    return before === undefined ? event.count : Math.max(0, event.count - before);
  }
}
