/**
 * The environment a Klaxon workload reads. Constructs render these keys into the Deployment; the
 * runtime's `loadConfig` reads them. Both import the names from here, so they cannot drift.
 *
 * Pure module: safe to import from constructs/.
 */
export const WorkloadEnv = {
  /** Comma-separated `host:port` list of Kafka bootstrap servers. */
  BROKERS: 'KAFKA_BROKERS',
  /** The topic the workload consumes. */
  SOURCE_TOPIC: 'KAFKA_SOURCE_TOPIC',
  /** The consumer group id, shared with the workload's KEDA scaler. */
  GROUP_ID: 'KAFKA_GROUP_ID',
  /** Where records the workload cannot handle are written. */
  DEAD_LETTER_TOPIC: 'KAFKA_DEAD_LETTER_TOPIC',
  /** Kafka client id; also names the workload in dead-letter headers and logs. */
  CLIENT_ID: 'KAFKA_CLIENT_ID',
  /** Port of the /livez, /readyz and /metrics HTTP server. */
  HTTP_PORT: 'HTTP_PORT',
  /** pino-style level: debug, info, warn, error. */
  LOG_LEVEL: 'LOG_LEVEL',
} as const;

/** Keys only events-fanout reads. */
export const FanoutEnv = {
  /** Prefix of per-namespace topics (see topic-names.ts). */
  NAMESPACE_TOPIC_PREFIX: 'FANOUT_NAMESPACE_TOPIC_PREFIX',
  /** Comma-separated namespaces that have a declared topic. Empty: every namespace is routed. */
  NAMESPACES: 'FANOUT_NAMESPACES',
  /** Topic for events of cluster-scoped objects. */
  CLUSTER_SCOPED_TOPIC: 'FANOUT_CLUSTER_SCOPED_TOPIC',
  /** Topic for events of namespaces with no declared topic. */
  UNROUTED_TOPIC: 'FANOUT_UNROUTED_TOPIC',
} as const;

/** The port the runtime's HTTP server listens on unless HTTP_PORT says otherwise. */
export const DEFAULT_HTTP_PORT = 8080;
