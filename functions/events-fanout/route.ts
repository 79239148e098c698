/**
 * Where an event record goes. Pure: `routeEvent(value, rules)` → a `Route` or a `DeadLetter`.
 *
 * The rules, in order:
 * 1. Unreadable records are dead-lettered with a reason (formats.ts: `empty`, `not-json`,
 *    `unknown-format`, `wrong-shape`).
 * 2. eventrouter resync duplicates are dropped: an UPDATED record whose `event` and `old_event`
 *    have the same `metadata.resourceVersion` is the informer re-delivering an unchanged Event
 *    (every resync period), not news. Other UPDATED records (count bumps of a repeating Event)
 *    pass through: they carry a new count and lastTimestamp.
 * 3. The namespace is the involved object's (`involvedObject` / `regarding`).
 *    - none there, but the Event has one → the object is cluster-scoped (Node, PersistentVolume,
 *      Namespace, ...; the API server files those Events under "default") → the cluster-scoped topic;
 *    - none anywhere → dead letter `no-namespace`;
 *    - not a DNS label → dead letter `bad-namespace` (no legal topic can be named after it).
 * 4. With a non-empty FANOUT_NAMESPACES list, a namespace not in it → the unrouted topic (the
 *    `klaxon_fanout_routed_total{route="unrouted"}` metric counts them). Otherwise → the namespace
 *    topic `namespaceTopicName(namespace, prefix)` (`events.<namespace>` by default). With
 *    `createUndeclared` (opt-in), a namespace without a declared topic goes to its namespace topic
 *    too, marked `undeclared`: the workload creates that topic on first sight (first-sight.ts).
 * 5. Key: the involved object's uid, or `kind/namespace/name` when it has none, so all events of
 *    one object land in one partition, in source order. Order is kept as far as the source keeps
 *    it: eventrouter keys its records by object name (one source partition per object), raw Events
 *    should be keyed the same way; kube-eventer writes no key, so with a multi-partition source
 *    topic its events of one object may already be out of order before the fanout sees them.
 * 6. Value: the original bytes, unchanged — consumers of a namespace topic see exactly what the
 *    source emitted, in its format; the `klaxon.format` header names the format. The event
 *    exporter's headers (`klaxon.verb`, `klaxon.cluster`, `klaxon.resource-version`) are passed on.
 */
import { EXPORTER_HEADERS, EventFormat, FORMAT_HEADER } from '../contracts/event-formats';
import { namespaceNameProblem, namespaceTopicName } from '../contracts/topic-names';
import { DeadLetter, Output } from '../runtime/handler';
import { FanoutReasons, ParsedEvent, RecordHeaders, parseEventRecord } from './formats';

/** Routing rules; fixed once made (routeParsed remembers each namespace's topic per rules object). */
export interface RoutingRules {
  /** Prefix of namespace topics (`events.`). */
  readonly namespaceTopicPrefix: string;
  /** Namespaces with a declared topic; empty: every namespace has one. */
  readonly namespaces: ReadonlySet<string>;
  /** Topic for events of cluster-scoped objects. */
  readonly clusterScopedTopic: string;
  /** Topic for events of namespaces with no declared topic. */
  readonly unroutedTopic: string;
  /** Route a namespace without a declared topic to its namespace topic (marked `undeclared`, to be created) instead of `unroutedTopic`. @default false */
  readonly createUndeclared?: boolean;
}

export type RouteKind = 'namespace' | 'cluster-scoped' | 'unrouted';

/** Where one record goes. */
export interface Route {
  readonly kind: RouteKind;
  readonly format: EventFormat;
  readonly topic: string;
  readonly key: string;
  /** The involved object's namespace (absent for cluster-scoped objects). */
  readonly namespace?: string;
  /** A namespace topic nobody declared (only with `createUndeclared`): it may have to be created first. */
  readonly undeclared?: boolean;
}

/** An eventrouter resync duplicate: handled, nothing to write. */
export interface Duplicate {
  readonly kind: 'duplicate';
  readonly format: EventFormat;
}

export type Decision = Route | Duplicate | DeadLetter;

/** The partition key: uid, else `kind/namespace/name`. */
export function eventKey(event: ParsedEvent): string {
  const o = event.involved;
  return o.uid ?? `${o.kind}/${o.namespace ?? ''}/${o.name}`;
}

/** Decides where a parsed event goes. */
export function routeParsed(event: ParsedEvent, rules: RoutingRules): Decision {
  if (event.verb === 'UPDATED' && event.resourceVersion !== undefined && event.resourceVersion === event.oldResourceVersion) {
    return { kind: 'duplicate', format: event.format };
  }
  const key = eventKey(event);
  const namespace = event.involved.namespace;
  if (namespace === undefined) {
    if (event.eventNamespace === undefined) {
      return new DeadLetter(
        FanoutReasons.NO_NAMESPACE,
        `the Event about ${event.involved.kind} '${event.involved.name}' has no namespace, neither on the object nor on the Event`,
      );
    }
    return { kind: 'cluster-scoped', format: event.format, topic: rules.clusterScopedTopic, key };
  }
  const target = namespaceTarget(namespace, rules);
  if (typeof target === 'string') return new DeadLetter(FanoutReasons.BAD_NAMESPACE, `namespace ${JSON.stringify(namespace)}: ${target}`);
  return { kind: target.kind, format: event.format, topic: target.topic, key, namespace, undeclared: target.undeclared };
}

/** Where a namespace's events go, or why no topic can be named after it. */
type NamespaceTarget = { readonly kind: 'namespace' | 'unrouted'; readonly topic: string; readonly undeclared?: boolean } | string;

/** Namespace → target, per rules: the check and the topic name are made once per namespace, not per record. */
const TARGETS = new WeakMap<RoutingRules, Map<string, NamespaceTarget>>();

/** Most namespaces remembered per rules (a cluster has far fewer; a flood of bad names only refills it). */
const MAX_REMEMBERED_NAMESPACES = 10_000;

function namespaceTarget(namespace: string, rules: RoutingRules): NamespaceTarget {
  let known = TARGETS.get(rules);
  if (known === undefined) TARGETS.set(rules, (known = new Map()));
  let target = known.get(namespace);
  if (target === undefined) {
    const problem = namespaceNameProblem(namespace);
    if (problem) target = problem;
    else if (rules.namespaces.has(namespace)) target = { kind: 'namespace', topic: namespaceTopicName(namespace, rules.namespaceTopicPrefix) };
    else if (rules.createUndeclared) target = { kind: 'namespace', topic: namespaceTopicName(namespace, rules.namespaceTopicPrefix), undeclared: true };
    else if (rules.namespaces.size > 0) target = { kind: 'unrouted', topic: rules.unroutedTopic };
    else target = { kind: 'namespace', topic: namespaceTopicName(namespace, rules.namespaceTopicPrefix) };
    if (known.size >= MAX_REMEMBERED_NAMESPACES) known.clear();
    known.set(namespace, target);
  }
  return target;
}

/** Reads and routes one record value (headers: the source record's, for the event exporter's format). */
export function routeEvent(value: Buffer | string | null, rules: RoutingRules, headers?: RecordHeaders): Decision {
  const parsed = parseEventRecord(value, headers);
  return parsed instanceof DeadLetter ? parsed : routeParsed(parsed, rules);
}

/** The `klaxon.format` header of each format: one frozen object each, shared by every output. */
const FORMAT_HEADERS = new Map<EventFormat, Readonly<Record<string, string>>>();

function formatHeaders(format: EventFormat): Readonly<Record<string, string>> {
  let headers = FORMAT_HEADERS.get(format);
  if (headers === undefined) FORMAT_HEADERS.set(format, (headers = Object.freeze({ [FORMAT_HEADER]: format })));
  return headers;
}

const NOTHING: readonly Output[] = Object.freeze([]);

/**
 * The records to write for a decision: the original value under the route's topic and key; the
 * event exporter's headers (verb, cluster, resourceVersion) are passed on.
 */
export function outputsFor(decision: Route | Duplicate, value: Buffer | string | null, headers?: RecordHeaders): readonly Output[] {
  if (decision.kind === 'duplicate') return NOTHING;
  if (decision.format !== 'event-exporter' || !headers) return [{ topic: decision.topic, key: decision.key, value, headers: formatHeaders(decision.format) }];
  const out: Record<string, Buffer | string> = { [FORMAT_HEADER]: decision.format };
  for (const name of Object.values(EXPORTER_HEADERS)) {
    const v = headers[name];
    if (v !== undefined) out[name] = v;
  }
  return [{ topic: decision.topic, key: decision.key, value, headers: out }];
}
