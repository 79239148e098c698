/**
 * Topic names are contracts between the constructs that create topics and the functions that
 * read and write them. They are derived here, once, and imported by both sides.
 *
 * Pure module: no Kafka, no Node APIs, safe to import from constructs/.
 */

/** The topic Fluent Bit (or fluent-operator) ships container log records to. */
export const DEFAULT_LOGS_TOPIC = 'logs';

/** The topic eventrouter / kube-eventer ship Kubernetes Events to. */
export const DEFAULT_CLUSTER_EVENTS_TOPIC = 'cluster-events';

/** Records a workload cannot handle go here, with headers saying why and where from. */
export const DEFAULT_DEAD_LETTER_TOPIC = 'klaxon.dead-letter';

/**
 * Prefix of the per-namespace topics written by events-fanout: namespace `shop` → `events.shop`.
 * Kubernetes namespaces are DNS labels (`[a-z0-9-]`, no dot), so no namespace topic can equal a
 * standard topic that does not start with the prefix.
 */
export const DEFAULT_NAMESPACE_TOPIC_PREFIX = 'events.';

/** Fanout target for events whose involved object is cluster-scoped (Node, PersistentVolume, …). */
export const DEFAULT_CLUSTER_SCOPED_TOPIC = 'cluster-events.cluster-scoped';

/** Fanout target for events of a namespace that has no declared topic. */
export const DEFAULT_UNROUTED_TOPIC = 'cluster-events.unrouted';

/** Kafka's own limit on topic name length. */
export const MAX_TOPIC_NAME_LENGTH = 249;

const LEGAL_TOPIC_CHARS = /^[a-zA-Z0-9._-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Why Kafka would reject `name` as a topic name, or `undefined` when it is legal.
 * Same rules as `org.apache.kafka.common.internals.Topic.validate`.
 */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'a topic name must not be empty';
  if (name === '.' || name === '..') return `a topic name cannot be '.' or '..'`;
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `a topic name is at most ${MAX_TOPIC_NAME_LENGTH} characters long (got ${name.length})`;
  }
  if (!LEGAL_TOPIC_CHARS.test(name)) {
    return `a topic name may contain only ASCII letters, digits, '.', '_' and '-'`;
  }
  return undefined;
}

/** Why `namespace` is not a Kubernetes namespace name, or `undefined` when it is one. */
export function namespaceNameProblem(namespace: string): string | undefined {
  if (namespace.length === 0 || namespace.length > 63) return 'a namespace name has 1 to 63 characters';
  if (!DNS_LABEL.test(namespace)) return 'a namespace name is a DNS label: lowercase letters, digits and -';
  return undefined;
}

/** The fanout topic of one namespace: `namespaceTopicName('shop')` → `events.shop`. */
export function namespaceTopicName(namespace: string, prefix: string = DEFAULT_NAMESPACE_TOPIC_PREFIX): string {
  return `${prefix}${namespace}`;
}

/**
 * The retry topic of one alert sink of a consumer group: `<group>.retry.<sink>` (the
 * kafkajs-async-retry pattern, one topic per sink). Alerts the sink cannot take now are parked
 * there; a consumer in group `sinkRetryGroupId(group, sink)` delivers them, in order.
 */
export function sinkRetryTopicName(groupId: string, sink: string): string {
  return `${groupId}.retry.${sink}`;
}

/** The consumer group that drains `sinkRetryTopicName(groupId, sink)` (its own group, so its lag is not the main group's). */
export function sinkRetryGroupId(groupId: string, sink: string): string {
  return `${groupId}.retry.${sink}`;
}
