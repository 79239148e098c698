/**
 * What both log-shipping paths (the FluentBit DaemonSet and fluent-operator resources) share: the
 * tail input, the kubernetes filter and the kafka output settings, resolved once, so both paths
 * emit the same record (functions/contracts/log-record.ts). Option names are Fluent Bit's own
 * (plugins/in_tail/tail.c, plugins/filter_kubernetes/kubernetes.c, plugins/out_kafka/kafka.c of
 * Fluent Bit 4.2).
 *
 * Also the duplicate-shipping rule: two shippers writing container logs to the same topic would
 * deliver every line twice, so each says `allowDuplicateShipping` or synth fails.
 */
import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_MERGE_LOG_KEY, DEFAULT_TIMESTAMP_KEY } from '../../functions/contracts/log-record';
import { clusterCaSecretName } from '../kafka/kafka-client';
import type { KafkaListener } from '../kafka/kafka-listeners';
import { bootstrapBrokers, checkListenerClient } from '../kafka/kafka-client';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { checkAbsolutePath, checkInteger, checkNonEmpty, checkNonEmptyList, checkOneOf, describeProp, PropError } from '../validation';

/** Container log file formats Fluent Bit's built-in multiline parsers understand. */
export type ContainerLogFormat = 'docker' | 'cri';

/** Fluent Bit's kafka `timestamp_format` values. */
export type KafkaTimestampFormat = 'double' | 'iso8601' | 'iso8601_ns';

/** Settings of the tail input, kubernetes filter and kafka output shared by both shipping paths. */
export interface LogShippingOptions {
  /** The topic log records are written to; brokers come from its cluster. */
  readonly topic: IKafkaTopic;
  /** The cluster listener to connect to; when it is restricted, the shipper's pods are allowed on it. @default - the cluster's workload listener (`cluster.bootstrapServers`) */
  readonly listener?: string;
  /**
   * The KafkaUser the shipper logs in as on a `scram-sha-512` listener (TLS or not); it is granted
   * Write and Describe on `topic`, nothing else. The password comes from the user's Secret by
   * reference (env `KLAXON_KAFKA_SASL_PASSWORD`, which Fluent Bit expands in `rdkafka.sasl.password`),
   * the CA from the cluster CA Secret (a mounted file); both must exist in the shipper's namespace.
   * @default - none: the listener must not authenticate
   */
  readonly user?: KafkaUser;
  /** Filesystem buffer of the output on the node (`storage.total_limit_size`): what an outage of Kafka may pile up before the oldest chunks are dropped. @default Size.gibibytes(1) */
  readonly storageLimit?: Size;
  /** tail `path`: the container log files (absolute glob). @default '/var/log/containers/*.log' */
  readonly logPath?: string;
  /** tail `exclude_path` (absolute globs). @default - none */
  readonly excludePaths?: string[];
  /** tail `multiline.parser`: built-in parsers for the node's container runtime log format. @default ['docker', 'cri'] */
  readonly logFormats?: ContainerLogFormat[];
  /** tail `mem_buf_limit`: memory the input may buffer before pausing. @default Size.mebibytes(50) */
  readonly memBufLimit?: Size;
  /** tail `refresh_interval`: how often the path glob is re-scanned. @default Duration.seconds(10) */
  readonly refreshInterval?: Duration;
  /** kubernetes `merge_log`: parse a JSON `log` into a map. @default true */
  readonly mergeLog?: boolean;
  /** kubernetes `merge_log_key`: where the parsed map goes. @default 'log_processed' */
  readonly mergeLogKey?: string;
  /** kubernetes `keep_log`: keep the raw `log` string after merging (alert rules match on it). @default true */
  readonly keepLog?: boolean;
  /** kubernetes `labels`: add pod labels. @default false */
  readonly podLabels?: boolean;
  /** kubernetes `annotations`: add pod annotations. @default false */
  readonly podAnnotations?: boolean;
  /** kubernetes `k8s-logging.parser`: let pods pick a parser by annotation (changes record shapes). @default false */
  readonly k8sLoggingParser?: boolean;
  /** kubernetes `k8s-logging.exclude`: let pods opt out with `fluentbit.io/exclude: "true"`. @default true */
  readonly k8sLoggingExclude?: boolean;
  /** kafka `timestamp_key`. @default '@timestamp' */
  readonly timestampKey?: string;
  /** kafka `timestamp_format`. @default 'double' */
  readonly timestampFormat?: KafkaTimestampFormat;
  /** kafka `rdkafka.<property>` (librdkafka producer properties), merged over Klaxon's defaults. No credentials. @default - see DEFAULT_RDKAFKA */
  readonly rdkafka?: Record<string, string>;
  /** Ship to this topic even though another shipper in the app ships to it too. @default false */
  readonly allowDuplicateShipping?: boolean;
}

/** librdkafka properties Klaxon sets unless overridden. */
export const DEFAULT_RDKAFKA: Readonly<Record<string, string>> = {
  'client.id': 'klaxon-fluent-bit',
  // Wait for all in-sync replicas: a log line the broker acknowledged survives a broker loss.
  'request.required.acks': '-1',
  // Kafka closes idle connections; without this librdkafka logs each close as an error.
  'log.connection.close': 'false',
  // Never expire a queued message during an outage (librdkafka's default drops it after 5 minutes)...
  'message.timeout.ms': '0',
  // ...and hold at most 64 MiB in memory: beyond that the output retries and the chunks wait on disk.
  'queue.buffering.max.kbytes': '65536',
};

/** The env var holding the shipper's SASL password (from the KafkaUser Secret by reference); Fluent Bit expands `${...}` in its configuration. */
export const SASL_PASSWORD_ENV = 'KLAXON_KAFKA_SASL_PASSWORD';

/** Where the shipper's pods mount the cluster CA certificate (`ca.crt`). */
export const SHIPPER_CA_DIR = '/fluent-bit/klaxon/kafka-ca';

/** What a shipper authenticating as a KafkaUser needs in its pod (all by reference). */
export interface ShipperCredentials {
  /** The KafkaUser. */
  readonly user: KafkaUser;
  /** The env var Fluent Bit reads the password from, and the Secret key reference that fills it. */
  readonly passwordEnv: { readonly name: string; readonly secretName: string; readonly key: string };
  /** The Secret holding the cluster CA (`ca.crt`), mounted at SHIPPER_CA_DIR, when the listener uses TLS. */
  readonly caSecret?: { readonly secretName: string; readonly key: string; readonly mountPath: string };
}

/** The effective, validated shipping settings. */
export interface ResolvedLogShipping {
  readonly topic: IKafkaTopic;
  /** The listener connected to (undefined for a cluster known only by its interface). */
  readonly listener?: KafkaListener;
  readonly brokers: string[];
  readonly logPath: string;
  readonly excludePaths: string[];
  readonly logFormats: ContainerLogFormat[];
  readonly memBufLimit: Size;
  readonly refreshInterval: Duration;
  readonly mergeLog: boolean;
  readonly mergeLogKey: string;
  readonly keepLog: boolean;
  readonly podLabels: boolean;
  readonly podAnnotations: boolean;
  readonly k8sLoggingParser: boolean;
  readonly k8sLoggingExclude: boolean;
  readonly timestampKey: string;
  readonly timestampFormat: KafkaTimestampFormat;
  readonly rdkafka: Record<string, string>;
  readonly allowDuplicateShipping: boolean;
  /** The credentials, when the listener authenticates. */
  readonly credentials?: ShipperCredentials;
  readonly storageLimit: Size;
}

const FORBIDDEN_RDKAFKA = /(password|secret|\.key$|key\.pem|sasl\.jaas|oauthbearer\.config)/i;
const OWNED_RDKAFKA = ['bootstrap.servers', 'metadata.broker.list', 'topic'];

/** Why a shipper without a user needs a listener without TLS and authentication (for messages). */
export const SHIPPER_LIMITS = "it has no 'user', so it carries no CA and no credentials";

/** Why a shipper with a user can do SCRAM-SHA-512 but not TLS client certificates (for messages). */
export const SHIPPER_USER_LIMITS = "Klaxon's Fluent Bit output logs in with SCRAM-SHA-512 only (a client key would sit in the pod as a file librdkafka reads, which Klaxon does not render)";

/** Validates and fills in the defaults. */
export function resolveLogShipping(options: LogShippingOptions, owner: string): ResolvedLogShipping {
  const topic = options.topic;
  const brokers = bootstrapBrokers(topic, owner, options.listener);
  const user = options.user;
  const listener = user
    ? checkListenerClient(topic.cluster, options.listener, owner, SHIPPER_USER_LIMITS, { tls: true, authentication: ['scram-sha-512'] })
    : checkListenerClient(topic.cluster, options.listener, owner, SHIPPER_LIMITS);
  if (user && user.cluster !== topic.cluster) {
    throw new PropError(`${describeProp('user', user.userName, owner)} belongs to KafkaCluster '${user.cluster.clusterName}', not to cluster '${topic.cluster.clusterName}' of topic '${topic.topicName}'.`);
  }
  if (user && user.authentication !== 'scram-sha-512') {
    throw new PropError(`${describeProp('user', user.userName, owner)} authenticates with '${user.authentication}'; ${SHIPPER_USER_LIMITS}. Give a KafkaUser with authentication 'scram-sha-512'.`);
  }
  if (user && listener && listener.authentication === 'none') {
    throw new PropError(`${describeProp('user', user.userName, owner)} would never be used: listener '${listener.name}' has no authentication. Remove 'user', or point 'listener' at a 'scram-sha-512' listener.`);
  }
  const logPath = checkAbsolutePath('logPath', options.logPath ?? '/var/log/containers/*.log', owner);
  checkPlain('logPath', logPath, owner);
  if (/[*?[]/.test(logPath.slice(0, logPath.lastIndexOf('/')))) {
    throw new PropError(
      `${describeProp('logPath', logPath, owner)} has a wildcard in its directory: the kubernetes filter reads pod, namespace and container from file names (<pod>_<namespace>_<container>-<id>.log) under one fixed directory, which becomes the tag prefix.`,
    );
  }
  const excludePaths = (options.excludePaths ?? []).map((p) => checkPlain('excludePaths', checkAbsolutePath('excludePaths', p, owner), owner));
  const logFormats: ContainerLogFormat[] = [...checkNonEmptyList<ContainerLogFormat>('logFormats', options.logFormats ?? ['docker', 'cri'], owner)];
  for (const f of logFormats) checkOneOf<ContainerLogFormat>('logFormats', f, ['docker', 'cri'], owner);
  const memBufLimit = options.memBufLimit ?? Size.mebibytes(50);
  checkInteger('memBufLimit', memBufLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }), { min: 1024, owner });
  const refreshInterval = options.refreshInterval ?? Duration.seconds(10);
  checkInteger('refreshInterval', refreshInterval.toSeconds(), { min: 1, owner });
  const storageLimit = options.storageLimit ?? Size.gibibytes(1);
  checkInteger('storageLimit', storageLimit.toKibibytes({ rounding: SizeRoundingBehavior.NONE }), { min: 1024, owner });
  const rdkafka: Record<string, string> = { ...DEFAULT_RDKAFKA };
  for (const [key, value] of Object.entries(options.rdkafka ?? {})) {
    if (FORBIDDEN_RDKAFKA.test(key)) {
      throw new PropError(`${describeProp('rdkafka', key, owner)} would put a credential in the Fluent Bit configuration in clear. Klaxon ships only to listeners without client credentials.`);
    }
    if (OWNED_RDKAFKA.includes(key)) {
      throw new PropError(`${describeProp('rdkafka', key, owner)} is set from the topic object; remove it.`);
    }
    if (key.startsWith('sasl.') || key.startsWith('ssl.') || key === 'security.protocol') {
      throw new PropError(`${describeProp('rdkafka', key, owner)} is set from the listener and 'user'; remove it.`);
    }
    rdkafka[checkPlain('rdkafka', checkNonEmpty('rdkafka', key, owner), owner)] = checkPlain('rdkafka', value, owner);
  }
  let credentials: ShipperCredentials | undefined;
  if (user) {
    user.addAcl({ resourceType: 'topic', name: topic.topicName, operations: ['Write', 'Describe'] });
    const tls = listener?.tls ?? true;
    credentials = {
      user,
      passwordEnv: { name: SASL_PASSWORD_ENV, secretName: user.secretName, key: 'password' },
      ...(tls ? { caSecret: { secretName: clusterCaSecretName(topic.cluster), key: 'ca.crt', mountPath: SHIPPER_CA_DIR } } : {}),
    };
    Object.assign(rdkafka, shipperSecurityProperties(credentials));
  }
  return {
    credentials,
    storageLimit,
    topic,
    listener,
    brokers,
    logPath,
    excludePaths,
    logFormats,
    memBufLimit,
    refreshInterval,
    mergeLog: options.mergeLog ?? true,
    mergeLogKey: checkPlain('mergeLogKey', checkNonEmpty('mergeLogKey', options.mergeLogKey ?? DEFAULT_MERGE_LOG_KEY, owner), owner),
    keepLog: options.keepLog ?? true,
    podLabels: options.podLabels ?? false,
    podAnnotations: options.podAnnotations ?? false,
    k8sLoggingParser: options.k8sLoggingParser ?? false,
    k8sLoggingExclude: options.k8sLoggingExclude ?? true,
    timestampKey: checkPlain('timestampKey', checkNonEmpty('timestampKey', options.timestampKey ?? DEFAULT_TIMESTAMP_KEY, owner), owner),
    timestampFormat: checkOneOf<KafkaTimestampFormat>('timestampFormat', options.timestampFormat ?? 'double', ['double', 'iso8601', 'iso8601_ns'], owner),
    rdkafka,
    allowDuplicateShipping: options.allowDuplicateShipping ?? false,
  };
}

/**
 * The librdkafka properties of a shipper logging in as `c.user` with SCRAM-SHA-512 (over TLS when
 * `c.caSecret` is set): the password as `${KLAXON_KAFKA_SASL_PASSWORD}`, which Fluent Bit expands
 * from the pod's env, never the value.
 */
export function shipperSecurityProperties(c: ShipperCredentials): Record<string, string> {
  return {
    'security.protocol': c.caSecret ? 'SASL_SSL' : 'SASL_PLAINTEXT',
    'sasl.mechanisms': 'SCRAM-SHA-512',
    'sasl.username': c.user.userName,
    'sasl.password': `\${${c.passwordEnv.name}}`,
    ...(c.caSecret ? { 'ssl.ca.location': `${c.caSecret.mountPath}/ca.crt` } : {}),
  };
}

/** A value that cannot break a Fluent Bit configuration line (no line breaks, no `${` expansion). */
function checkPlain(prop: string, value: string, owner: string): string {
  if (/[\r\n]/.test(value) || value.includes('${') || value.trim() !== value) {
    throw new PropError(`${describeProp(prop, value, owner)} must be one line without leading/trailing spaces or '\${' (Fluent Bit would read it differently).`);
  }
  return value;
}

/** The tag prefix the tail input gives records (`kube.var.log.containers.` for the default path). */
export function tagPrefix(prefix: string, logPath: string): string {
  const dir = logPath.slice(0, logPath.lastIndexOf('/') + 1);
  return `${prefix}.${dir.replace(/^\//, '').replace(/\//g, '.')}`;
}

/** Fluent Bit size text in bytes: Fluent Bit reads `K`/`M`/`G` as powers of 1000 (flb_utils_size_to_bytes), so plain bytes are exact. */
export function fluentSize(size: Size): string {
  return String(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024);
}

// ---------------------------------------------------------------------------------------------
// Duplicate shipping

const LOG_SHIPPER = Symbol.for('klaxon.shipping.LogShipper');

/** A construct that ships container logs to a Kafka topic. */
export interface ILogShipper extends IConstruct {
  /** The topic it writes. */
  readonly topic: IKafkaTopic;
  /** Whether it accepts another shipper writing the same topic. */
  readonly allowDuplicateShipping: boolean;
  /** For messages: `FluentBit 'Logs'`. */
  readonly shipperDescription: string;
}

/** Marks `shipper` and adds the validation that no other shipper in the app writes its topic unannounced. */
export function registerLogShipper(shipper: ILogShipper & Construct): void {
  Object.defineProperty(shipper, LOG_SHIPPER, { value: true });
  shipper.node.addValidation({
    validate: () => {
      if (shipper.allowDuplicateShipping) return [];
      const others = shipper.node.root.node.findAll()
        .filter((c): c is ILogShipper & Construct => c !== shipper && (c as unknown as Record<symbol, unknown>)[LOG_SHIPPER] === true)
        .filter((c) => sameTopic(c.topic, shipper.topic));
      return others.map((other) =>
        `${describeProp('allowDuplicateShipping', false, shipper.shipperDescription)}: ${other.shipperDescription} (${other.node.path}) also ships container logs to topic '${shipper.topic.topicName}' of cluster '${shipper.topic.cluster.clusterName}', so every log line would arrive twice. Remove one, or set 'allowDuplicateShipping: true' on both if that is what you want.`);
    },
  });
}

function sameTopic(a: IKafkaTopic, b: IKafkaTopic): boolean {
  return a === b || (a.topicName === b.topicName && (a.cluster === b.cluster || a.cluster.bootstrapServers === b.cluster.bootstrapServers));
}
