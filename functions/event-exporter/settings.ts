/**
 * The exporter's configuration: the runtime's shared keys (brokers, client id, HTTP port, log
 * level, shutdown bound, backoff) and its own ExporterEnv keys. Read once, strict, every problem
 * reported together (runtime/config.ts).
 */
import { DEFAULT_CLUSTER_EVENTS_TOPIC, namespaceNameProblem } from '../contracts/topic-names';
import { DEFAULT_HTTP_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS, ExporterEnv, RuntimeTuningEnv, WORKLOAD_IDENTITIES, WorkloadEnv } from '../contracts/workload-env';
import { ConfigError, Env, SettingsOf, hostPort, integer, list, oneOf, readSettings, text, topicName } from '../runtime/config';
import { LOG_LEVELS, LogLevel } from '../runtime/logger';

function namespaceName(raw: string): string {
  const problem = namespaceNameProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

/** Every key, its default and its meaning. */
export const exporterSettings = {
  brokers: { env: WorkloadEnv.BROKERS, description: 'comma-separated host:port list of Kafka bootstrap servers', default: Object.freeze(['localhost:9092']) as readonly string[], parse: list(hostPort) },
  clientId: { env: WorkloadEnv.CLIENT_ID, description: 'Kafka client id; names the workload in logs', default: WORKLOAD_IDENTITIES.eventExporter.name as string, parse: text },
  httpPort: { env: WorkloadEnv.HTTP_PORT, description: 'port of /livez, /readyz and /metrics (0: any free port)', default: DEFAULT_HTTP_PORT, parse: integer(0, 65535) },
  logLevel: { env: WorkloadEnv.LOG_LEVEL, description: 'least severe level logged', default: 'info' as LogLevel, parse: oneOf(LOG_LEVELS) },
  shutdownTimeoutMs: { env: RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS, description: 'bound on a graceful stop after SIGTERM', default: DEFAULT_SHUTDOWN_TIMEOUT_MS, parse: integer(100, 600_000) },
  retryInitialMs: { env: RuntimeTuningEnv.RETRY_INITIAL_MS, description: 'first backoff delay of a failed produce or watch', default: 200, parse: integer(1, 60_000) },
  retryMaxMs: { env: RuntimeTuningEnv.RETRY_MAX_MS, description: 'cap of the backoff delay', default: 10_000, parse: integer(1, 600_000) },
  readyStaleMs: { env: RuntimeTuningEnv.READY_STALE_MS, description: '/readyz answers 503 when an Event has waited this long for Kafka', default: 30_000, parse: integer(1000, 600_000) },
  topic: { env: ExporterEnv.TOPIC, description: 'the topic Events are written to', default: DEFAULT_CLUSTER_EVENTS_TOPIC, parse: topicName },
  clusterName: { env: ExporterEnv.CLUSTER_NAME, description: 'the cluster name sent in the klaxon.cluster header', default: 'kubernetes', parse: text },
  namespaces: { env: ExporterEnv.NAMESPACES, description: 'comma-separated namespaces to watch; empty: all namespaces', default: Object.freeze([]) as readonly string[], parse: list(namespaceName) },
  types: { env: ExporterEnv.TYPES, description: 'comma-separated Event types to ship; empty: all', default: Object.freeze([]) as readonly string[], parse: list() },
  reasons: { env: ExporterEnv.REASONS, description: 'comma-separated Event reasons to ship; empty: all', default: Object.freeze([]) as readonly string[], parse: list() },
  leaseNamespace: { env: ExporterEnv.LEASE_NAMESPACE, description: 'namespace of the Lease', default: 'klaxon', parse: namespaceName },
  leaseName: { env: ExporterEnv.LEASE_NAME, description: 'name of the Lease (leader election and checkpoint)', default: WORKLOAD_IDENTITIES.eventExporter.name as string, parse: text },
  identity: { env: ExporterEnv.IDENTITY, description: "this replica's identity in the Lease (the pod name)", default: '', parse: text },
  leaseDurationSeconds: { env: ExporterEnv.LEASE_DURATION_SECONDS, description: 'seconds a Lease holds without renewal', default: 15, parse: integer(2, 3600) },
  renewDeadlineSeconds: { env: ExporterEnv.RENEW_DEADLINE_SECONDS, description: 'seconds the leader tries to renew before it stops', default: 10, parse: integer(1, 3600) },
  retryPeriodSeconds: { env: ExporterEnv.RETRY_PERIOD_SECONDS, description: 'seconds between Lease tries and checkpoint writes', default: 2, parse: integer(1, 600) },
  watchTimeoutSeconds: { env: ExporterEnv.WATCH_TIMEOUT_SECONDS, description: 'seconds one watch stays open', default: 300, parse: integer(1, 3600) },
  kubeconfig: { env: ExporterEnv.KUBECONFIG, description: "a kubeconfig file; empty: the pod's service account", default: '', parse: text },
} as const;

export type ExporterSettings = SettingsOf<typeof exporterSettings>;

/** Reads and cross-checks the settings; throws ConfigError with every problem. */
export function loadExporterSettings(env: Env): ExporterSettings {
  const s = readSettings(exporterSettings, env);
  const problems: string[] = [];
  if (s.renewDeadlineSeconds >= s.leaseDurationSeconds) {
    problems.push(`${ExporterEnv.RENEW_DEADLINE_SECONDS} (${s.renewDeadlineSeconds}) must be below ${ExporterEnv.LEASE_DURATION_SECONDS} (${s.leaseDurationSeconds}): a leader must stop before another may take over`);
  }
  if (s.retryPeriodSeconds >= s.renewDeadlineSeconds) {
    problems.push(`${ExporterEnv.RETRY_PERIOD_SECONDS} (${s.retryPeriodSeconds}) must be below ${ExporterEnv.RENEW_DEADLINE_SECONDS} (${s.renewDeadlineSeconds}): the leader must get more than one try to renew`);
  }
  if (s.identity === '') problems.push(`${ExporterEnv.IDENTITY} must be set (the pod name, from the downward API)`);
  if (s.retryMaxMs < s.retryInitialMs) problems.push(`${RuntimeTuningEnv.RETRY_MAX_MS} (${s.retryMaxMs}) must be at least ${RuntimeTuningEnv.RETRY_INITIAL_MS} (${s.retryInitialMs})`);
  if (problems.length > 0) throw new ConfigError(problems);
  return s;
}
