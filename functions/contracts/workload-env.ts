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
  /** `true`: the topic of a namespace without a declared topic is created on first sight (Kafka admin). Unset: declared-only. */
  CREATE_NAMESPACE_TOPICS: 'FANOUT_CREATE_NAMESPACE_TOPICS',
  /** Partitions of a topic created on first sight. */
  CREATED_TOPIC_PARTITIONS: 'FANOUT_CREATED_TOPIC_PARTITIONS',
  /** Replication factor of a topic created on first sight. */
  CREATED_TOPIC_REPLICAS: 'FANOUT_CREATED_TOPIC_REPLICAS',
  /** Topic config of a topic created on first sight: a JSON object of Kafka topic config keys to string values. */
  CREATED_TOPIC_CONFIG: 'FANOUT_CREATED_TOPIC_CONFIG',
} as const;

/** The port the runtime's HTTP server listens on unless HTTP_PORT says otherwise. */
export const DEFAULT_HTTP_PORT = 8080;

/**
 * Optional tuning keys of the function runtime (functions/runtime/config.ts reads them). Every key
 * has a default, so constructs need not render any; a construct that does render one (or takes it as
 * extra env) must keep the invariants noted here.
 */
export const RuntimeTuningEnv = {
  /** Bound (ms) on the graceful stop after SIGTERM; past it the process exits 1. Keep it below terminationGracePeriodSeconds. */
  SHUTDOWN_TIMEOUT_MS: 'KLAXON_SHUTDOWN_TIMEOUT_MS',
  /** First backoff delay (ms) before retrying a failed produce or handler call. */
  RETRY_INITIAL_MS: 'KLAXON_RETRY_INITIAL_MS',
  /** Cap (ms) of the exponential backoff delay; at least RETRY_INITIAL_MS. */
  RETRY_MAX_MS: 'KLAXON_RETRY_MAX_MS',
  /** Attempts for a failing handler call or a missing output topic before the record is dead-lettered. */
  MAX_ATTEMPTS: 'KLAXON_MAX_ATTEMPTS',
  /** Dead-letter values longer than this many bytes are truncated (headers keep the full size). */
  DEAD_LETTER_MAX_VALUE_BYTES: 'KLAXON_DEAD_LETTER_MAX_VALUE_BYTES',
  /** Bytes of one output topic's records in one produce request (a larger record is sent alone); keep it below the topics' max.message.bytes. */
  PRODUCE_CHUNK_BYTES: 'KLAXON_PRODUCE_CHUNK_BYTES',
  /** Source records whose outputs are sent in one produce request. */
  PRODUCE_CHUNK_RECORDS: 'KLAXON_PRODUCE_CHUNK_RECORDS',
  /** Bytes one fetch response may hold (kafkajs `maxBytes`); with PRODUCE_CHUNK_BYTES it bounds the memory of records in hand. */
  FETCH_MAX_BYTES: 'KLAXON_FETCH_MAX_BYTES',
  /** Bytes of one partition in a fetch response (kafkajs `maxBytesPerPartition`); at most FETCH_MAX_BYTES. */
  FETCH_MAX_PARTITION_BYTES: 'KLAXON_FETCH_MAX_PARTITION_BYTES',
  /** Consumer group session timeout (ms). */
  SESSION_TIMEOUT_MS: 'KLAXON_SESSION_TIMEOUT_MS',
  /** Consumer heartbeat interval (ms), also while waiting on retries; at most a third of SESSION_TIMEOUT_MS. */
  HEARTBEAT_INTERVAL_MS: 'KLAXON_HEARTBEAT_INTERVAL_MS',
  /** /readyz answers 503 when the last successful heartbeat is older than this (ms). */
  READY_STALE_MS: 'KLAXON_READY_STALE_MS',
  /** Consumer crashes in a row (without a handled record) after which the process exits non-zero. */
  MAX_RESTARTS: 'KLAXON_MAX_RESTARTS',
  /**
   * V8's old-generation growing factor, in percent over the live size after a full collection
   * (`--heap-growing-percent`); 0 leaves V8's own, which is 30 % under a 128 MiB heap cap.
   */
  HEAP_GROWING_PERCENT: 'KLAXON_HEAP_GROWING_PERCENT',
} as const;

/**
 * Default of KLAXON_HEAP_GROWING_PERCENT: 300, the factor V8 gives a process without a small heap
 * cap. Under the pods' cap (NODE_OPTIONS --max-old-space-size, half the memory limit) V8 otherwise
 * grows the old generation by 30 % per full collection and collected three times as often during a
 * backlog (bench/results/ratios.md); the cap still bounds the heap.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 300;

/**
 * The runtime's stop bound (KLAXON_SHUTDOWN_TIMEOUT_MS) when the key is unset. A pod's
 * terminationGracePeriodSeconds must exceed it, or Kubernetes kills the pod before it has committed
 * its offsets and left the group.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 8000;

/** The range of KLAXON_SHUTDOWN_TIMEOUT_MS the runtime accepts. */
export const SHUTDOWN_TIMEOUT_MS_RANGE = { min: 100, max: 600_000 } as const;

/** The log levels the runtime understands (LOG_LEVEL), in order. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One of LOG_LEVELS. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Default of KLAXON_FETCH_MAX_BYTES: 2 MiB (kafkajs's own default is 10 MiB): with the pods' small
 * young generation (2 MiB semi-spaces) the records of a fetch stay in cache; measured no slower
 * than 4 MiB on a fanout drain, and less memory.
 */
export const DEFAULT_FETCH_MAX_BYTES = 2 * 1024 * 1024;

/** Default of KLAXON_FETCH_MAX_PARTITION_BYTES: 1 MiB (kafkajs's default). */
export const DEFAULT_FETCH_MAX_PARTITION_BYTES = 1024 * 1024;

/**
 * Keys only the log-alerter reads (functions/log-alerter/workload.ts); the LogAlerter construct
 * renders them. Secret values (a Slack URL, a webhook header) are not here: the sinks JSON names the
 * variables that hold them, `alerterSecretEnv(...)` derives those names.
 */
export const AlerterEnv = {
  /** JSON array of AlertRuleSpec (functions/contracts/alert-rules.ts). */
  RULES: 'ALERTER_RULES',
  /** JSON array of AlertSinkSpec (functions/contracts/alert-sinks.ts). */
  SINKS: 'ALERTER_SINKS',
  /** Records larger than this many bytes are dead-lettered unread (`record-too-large`). */
  MAX_RECORD_BYTES: 'ALERTER_MAX_RECORD_BYTES',
  /** The `generatorURL` of every alert (e.g. a log search UI). Empty: none. */
  GENERATOR_URL: 'ALERTER_GENERATOR_URL',
  /** What the alerter reads: `logs` (container log records, log rules) or `events` (Kubernetes Events, event rules). Default `logs`. */
  INPUT: 'ALERTER_INPUT',
  /**
   * How a sink that cannot take an alert now is retried: `topics` (the alert is parked in the sink's
   * retry topic `<group>.retry.<sink>` and the record committed; the LogAlerter renders this and the
   * topics) or `in-place` (the record is retried, uncommitted, until every sink took it). Default `in-place`.
   */
  SINK_RETRY: 'ALERTER_SINK_RETRY',
} as const;

/** The values of ALERTER_SINK_RETRY. */
export type SinkRetryMode = 'topics' | 'in-place';

/** Default of ALERTER_MAX_RECORD_BYTES: 1 MiB (Kafka's default max.message.bytes). */
export const DEFAULT_ALERTER_MAX_RECORD_BYTES = 1024 * 1024;

/** The values ALERTER_MAX_RECORD_BYTES may take (the LogAlerter construct checks `maxRecordSize` against them). */
export const ALERTER_MAX_RECORD_BYTES_RANGE = { min: 1024, max: 64 * 1024 * 1024 } as const;

/**
 * Each workload's name (container, labels, client id) and default consumer group: one definition
 * for the construct that renders the Deployment and the workload that falls back to it.
 */
export const WORKLOAD_IDENTITIES = {
  eventsFanout: { name: 'events-fanout', groupId: 'klaxon-events-fanout' },
  logAlerter: { name: 'log-alerter', groupId: 'klaxon-log-alerter' },
  /** The log-alerter's bundle run on the events input (ALERTER_INPUT=events). */
  eventAlerter: { name: 'event-alerter', groupId: 'klaxon-event-alerter' },
  /** Produces only: its group id is never used to consume. */
  eventExporter: { name: 'event-exporter', groupId: 'klaxon-event-exporter' },
} as const;

/** Keys only the event exporter reads (functions/event-exporter/settings.ts); the EventExporter construct renders them. */
export const ExporterEnv = {
  /** The topic Events are written to. */
  TOPIC: 'EXPORTER_TOPIC',
  /** Name of the cluster, sent in the `klaxon.cluster` header. */
  CLUSTER_NAME: 'EXPORTER_CLUSTER_NAME',
  /** Comma-separated namespaces to watch; empty: all namespaces. */
  NAMESPACES: 'EXPORTER_NAMESPACES',
  /** Comma-separated Event types to ship (Normal, Warning); empty: all. */
  TYPES: 'EXPORTER_TYPES',
  /** Comma-separated Event reasons to ship; empty: all. */
  REASONS: 'EXPORTER_REASONS',
  /** Namespace of the Lease (leader election and checkpoint). */
  LEASE_NAMESPACE: 'EXPORTER_LEASE_NAMESPACE',
  /** Name of the Lease. */
  LEASE_NAME: 'EXPORTER_LEASE_NAME',
  /** This replica's identity in the Lease (the pod name). */
  IDENTITY: 'EXPORTER_IDENTITY',
  /** Seconds a Lease holds without renewal before another replica may take it. */
  LEASE_DURATION_SECONDS: 'EXPORTER_LEASE_DURATION_SECONDS',
  /** Seconds the leader keeps trying to renew before it stops shipping; below the lease duration. */
  RENEW_DEADLINE_SECONDS: 'EXPORTER_RENEW_DEADLINE_SECONDS',
  /** Seconds between tries to acquire or renew (and between checkpoint writes). */
  RETRY_PERIOD_SECONDS: 'EXPORTER_RETRY_PERIOD_SECONDS',
  /** Seconds the API server keeps one watch open before the exporter opens the next. */
  WATCH_TIMEOUT_SECONDS: 'EXPORTER_WATCH_TIMEOUT_SECONDS',
  /** Path of a kubeconfig; empty: the pod's service account (in-cluster). */
  KUBECONFIG: 'KUBECONFIG',
} as const;

/** The annotation on the exporter's Lease that holds its checkpoint (JSON: scope → resourceVersion). */
export const EXPORTER_CHECKPOINT_ANNOTATION = 'klaxon.io/event-exporter-checkpoint';

/** The env variable holding secret `what` (e.g. 'URL', 'HEADER') of the sink at `index`: `ALERTER_SECRET_<index>_<what>`. */
export function alerterSecretEnv(index: number, what: string): string {
  return `ALERTER_SECRET_${index}_${what}`;
}
