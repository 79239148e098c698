/**
 * Typed, strict configuration from the environment, read once at start.
 *
 * Every setting has an env key, a description and a default. `readSettings` checks every key and
 * reports all problems together in one `ConfigError`; `runWorkload` (lifecycle.ts) prints them and
 * exits non-zero. The result is frozen.
 *
 * Every key name comes from functions/contracts/workload-env.ts, shared with the constructs: the
 * `WorkloadEnv` keys they render, and the optional `RuntimeTuningEnv` keys (defaults apply).
 */
import {
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_HEAP_GROWING_PERCENT,
  DEFAULT_FETCH_MAX_PARTITION_BYTES,
  DEFAULT_HTTP_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  SHUTDOWN_TIMEOUT_MS_RANGE,
  RuntimeTuningEnv,
  WorkloadEnv,
} from '../contracts/workload-env';
import { DEFAULT_DEAD_LETTER_TOPIC, topicNameProblem } from '../contracts/topic-names';
import { LOG_LEVELS, LogLevel } from './logger';

/** Environment as Node gives it. */
export type Env = Readonly<Record<string, string | undefined>>;

/** One setting: where it comes from, what it means, and how its text becomes a value. */
export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** One sentence for humans (printed with problems). */
  readonly description: string;
  /** Used when the variable is unset or empty. */
  readonly default: T;
  /** Text → value; throws `Error` with a message saying what is allowed. */
  readonly parse: (raw: string) => T;
}

/** A named set of settings. */
export type SettingsSpec = Readonly<Record<string, Setting<unknown>>>;

/** The values a spec reads into. */
export type SettingsOf<S extends SettingsSpec> = { readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

/** Every problem found in the environment, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads every setting of `spec` from `env`; throws one `ConfigError` listing all problems. */
export function readSettings<S extends SettingsSpec>(spec: S, env: Env): SettingsOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(spec)) {
    const raw = env[setting.env];
    if (raw === undefined || raw.trim() === '') {
      out[name] = setting.default;
      continue;
    }
    try {
      out[name] = setting.parse(raw.trim());
    } catch (e) {
      problems.push(`${setting.env}=${JSON.stringify(raw)}: ${(e as Error).message} (${setting.description})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as SettingsOf<S>;
}

// ---------------------------------------------------------------------------------------------
// Parsers

/** A whole number within [min, max]. */
export function integer(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new Error('must be a whole number');
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
    return n;
  };
}

/** Any non-empty text. */
export function text(raw: string): string {
  return raw;
}

/** A legal Kafka topic name. */
export function topicName(raw: string): string {
  const problem = topicNameProblem(raw);
  if (problem) throw new Error(problem);
  return raw;
}

/** A comma-separated list; blanks dropped; `undefined` check per item. */
export function list(item: (raw: string) => string = text): (raw: string) => readonly string[] {
  return (raw) => {
    const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const bad: string[] = [];
    const values = items.map((i) => {
      try {
        return item(i);
      } catch (e) {
        bad.push(`'${i}' ${(e as Error).message}`);
        return i;
      }
    });
    if (bad.length > 0) throw new Error(bad.join('; '));
    return Object.freeze(values);
  };
}

/** `host:port` with a port in 1..65535. */
export function hostPort(raw: string): string {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d+)$/.exec(raw);
  if (!m) throw new Error('must be host:port');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new Error('has a port outside 1..65535');
  return raw;
}

/** One of a closed set. */
export function oneOf<T extends string>(allowed: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(allowed as readonly string[]).includes(raw)) throw new Error(`must be one of ${allowed.join(', ')}`);
    return raw as T;
  };
}

// ---------------------------------------------------------------------------------------------
// The runtime's settings

/** Defaults a workload gives for the keys whose right value depends on the workload. */
export interface WorkloadDefaults {
  /** Default of KAFKA_SOURCE_TOPIC. */
  readonly sourceTopic: string;
  /** Default of KAFKA_GROUP_ID. */
  readonly groupId: string;
  /** Default of KAFKA_CLIENT_ID (also the workload's name in logs and dead-letter headers). */
  readonly clientId: string;
}

const GENERIC_DEFAULTS: WorkloadDefaults = { sourceTopic: 'klaxon.source', groupId: 'klaxon', clientId: 'klaxon' };

/** The spec of the runtime's own settings, given a workload's defaults. */
export function runtimeSettings(defaults: WorkloadDefaults = GENERIC_DEFAULTS) {
  return {
    brokers: {
      env: WorkloadEnv.BROKERS,
      description: 'comma-separated host:port list of Kafka bootstrap servers',
      default: Object.freeze(['localhost:9092']) as readonly string[],
      parse: list(hostPort),
    },
    sourceTopic: {
      env: WorkloadEnv.SOURCE_TOPIC,
      description: 'the topic this workload consumes',
      default: defaults.sourceTopic,
      parse: topicName,
    },
    groupId: {
      env: WorkloadEnv.GROUP_ID,
      description: 'the consumer group id (shared with the scaler)',
      default: defaults.groupId,
      parse: text,
    },
    deadLetterTopic: {
      env: WorkloadEnv.DEAD_LETTER_TOPIC,
      description: 'where records that cannot be handled are written, with headers saying why',
      default: DEFAULT_DEAD_LETTER_TOPIC,
      parse: topicName,
    },
    clientId: {
      env: WorkloadEnv.CLIENT_ID,
      description: 'Kafka client id; names the workload in logs and dead-letter headers',
      default: defaults.clientId,
      parse: text,
    },
    httpPort: {
      env: WorkloadEnv.HTTP_PORT,
      description: 'port of the /livez, /readyz and /metrics server (0: any free port)',
      default: DEFAULT_HTTP_PORT,
      parse: integer(0, 65535),
    },
    logLevel: {
      env: WorkloadEnv.LOG_LEVEL,
      description: 'least severe level logged',
      default: 'info' as LogLevel,
      parse: oneOf(LOG_LEVELS),
    },
    shutdownTimeoutMs: {
      env: RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS,
      description: 'bound on a graceful stop after SIGTERM; keep it below terminationGracePeriodSeconds',
      default: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      parse: integer(SHUTDOWN_TIMEOUT_MS_RANGE.min, SHUTDOWN_TIMEOUT_MS_RANGE.max),
    },
    retryInitialMs: {
      env: RuntimeTuningEnv.RETRY_INITIAL_MS,
      description: 'first backoff delay before retrying a failed produce or handler call',
      default: 200,
      parse: integer(1, 60_000),
    },
    retryMaxMs: {
      env: RuntimeTuningEnv.RETRY_MAX_MS,
      description: 'cap of the exponential backoff delay',
      default: 30_000,
      parse: integer(1, 600_000),
    },
    maxAttempts: {
      env: RuntimeTuningEnv.MAX_ATTEMPTS,
      description: 'attempts for a failing handler call or a missing output topic before the record is dead-lettered',
      default: 5,
      parse: integer(1, 1000),
    },
    deadLetterMaxValueBytes: {
      env: RuntimeTuningEnv.DEAD_LETTER_MAX_VALUE_BYTES,
      description: 'dead-letter values longer than this are truncated (headers keep the full size and source offset)',
      default: 512 * 1024,
      parse: integer(0, 64 * 1024 * 1024),
    },
    produceChunkBytes: {
      env: RuntimeTuningEnv.PRODUCE_CHUNK_BYTES,
      description: "bytes of one output topic's records in one produce request; below the topics' max.message.bytes (1 MiB by default)",
      default: 900 * 1024,
      parse: integer(1024, 64 * 1024 * 1024),
    },
    produceChunkRecords: {
      env: RuntimeTuningEnv.PRODUCE_CHUNK_RECORDS,
      description: 'source records whose outputs are sent in one produce request (one request per fetched batch below it)',
      default: 10_000,
      parse: integer(1, 100_000),
    },
    fetchMaxBytes: {
      env: RuntimeTuningEnv.FETCH_MAX_BYTES,
      description: 'bytes one fetch response may hold; bounds the memory of consumed records in hand',
      default: DEFAULT_FETCH_MAX_BYTES,
      parse: integer(64 * 1024, 256 * 1024 * 1024),
    },
    fetchMaxPartitionBytes: {
      env: RuntimeTuningEnv.FETCH_MAX_PARTITION_BYTES,
      description: 'bytes of one partition in a fetch response (a larger record batch still comes whole)',
      default: DEFAULT_FETCH_MAX_PARTITION_BYTES,
      parse: integer(1024, 256 * 1024 * 1024),
    },
    sessionTimeoutMs: {
      env: RuntimeTuningEnv.SESSION_TIMEOUT_MS,
      description: 'consumer group session timeout',
      default: 30_000,
      parse: integer(6000, 300_000),
    },
    heartbeatIntervalMs: {
      env: RuntimeTuningEnv.HEARTBEAT_INTERVAL_MS,
      description: 'consumer heartbeat interval, also while waiting on retries',
      default: 3000,
      parse: integer(100, 60_000),
    },
    readyStaleMs: {
      env: RuntimeTuningEnv.READY_STALE_MS,
      description: '/readyz answers 503 when the last successful heartbeat is older than this',
      default: 30_000,
      parse: integer(1000, 600_000),
    },
    heapGrowingPercent: {
      env: RuntimeTuningEnv.HEAP_GROWING_PERCENT,
      description: "V8's old-generation growing factor in percent (--heap-growing-percent); 0: V8's own",
      default: DEFAULT_HEAP_GROWING_PERCENT,
      parse: integer(0, 1000),
    },
    maxRestarts: {
      env: RuntimeTuningEnv.MAX_RESTARTS,
      description: 'consumer crashes in a row (without a successful batch) after which the process exits non-zero',
      default: 10,
      parse: integer(0, 1000),
    },
  } satisfies SettingsSpec;
}

/** The runtime's configuration: frozen, every field set. */
export type RuntimeConfig = SettingsOf<ReturnType<typeof runtimeSettings>>;

/**
 * Reads the runtime configuration from `env`; throws `ConfigError` with every problem. Cross-key
 * rules (heartbeat below a third of the session timeout, backoff cap above its start) are checked
 * here too.
 */
export function loadConfig(env: Env = process.env, defaults?: WorkloadDefaults): RuntimeConfig {
  const config = readSettings(runtimeSettings(defaults), env);
  const problems: string[] = [];
  if (config.heartbeatIntervalMs * 3 > config.sessionTimeoutMs) {
    problems.push(
      `${RuntimeTuningEnv.HEARTBEAT_INTERVAL_MS} (${config.heartbeatIntervalMs}) must be at most a third of ${RuntimeTuningEnv.SESSION_TIMEOUT_MS} (${config.sessionTimeoutMs})`,
    );
  }
  if (config.retryMaxMs < config.retryInitialMs) {
    problems.push(`${RuntimeTuningEnv.RETRY_MAX_MS} (${config.retryMaxMs}) must be at least ${RuntimeTuningEnv.RETRY_INITIAL_MS} (${config.retryInitialMs})`);
  }
  if (config.fetchMaxPartitionBytes > config.fetchMaxBytes) {
    problems.push(
      `${RuntimeTuningEnv.FETCH_MAX_PARTITION_BYTES} (${config.fetchMaxPartitionBytes}) must be at most ${RuntimeTuningEnv.FETCH_MAX_BYTES} (${config.fetchMaxBytes})`,
    );
  }
  if (config.deadLetterTopic === config.sourceTopic) {
    problems.push(`${WorkloadEnv.DEAD_LETTER_TOPIC} must differ from ${WorkloadEnv.SOURCE_TOPIC} ('${config.sourceTopic}'): a dead letter would be consumed again`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Every key of a spec with its default and description, e.g. for `--help` or docs. */
export function describeSettings(spec: SettingsSpec): string[] {
  return Object.values(spec).map((s) => `${s.env} (default ${JSON.stringify(s.default)}): ${s.description}`);
}
