/**
 * Fluent Bit as a plain DaemonSet: tails the container log files of every node, adds Kubernetes
 * metadata and writes one JSON record per log line to a Kafka topic (the record is
 * functions/contracts/log-record.ts). Classic INI configuration; option names are Fluent Bit 4.2's.
 *
 * Fluent Bit runs as root (uid 0) because container log files on the node are readable by root
 * only; every capability is dropped, privilege escalation is off and the root filesystem is
 * read-only. hostPath volumes make this pod need the `privileged` Pod Security level: put it in a
 * namespace of its own.
 */
import { Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { ContainerImage, KLAXON_IMAGES, registerImage } from '../images';
import { allowListenerClient } from '../kafka/kafka-client';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import { checkAbsolutePath, checkInteger, checkNonEmpty, checkOneOf } from '../validation';
import { clusterReader, httpProbe, CONFIG_HASH_ANNOTATION, configHash, renderResources, resolveResources, selectorLabels } from '../pod-support';
import { fluentSize, ILogShipper, LogShippingOptions, registerLogShipper, ResolvedLogShipping, resolveLogShipping, tagPrefix } from './log-shipping';

/** Fluent Bit's log levels. */
export type FluentBitLogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/** Props of a FluentBit DaemonSet. */
export interface FluentBitProps extends LogShippingOptions {
  /**
   * The Fluent Bit image (its kafka output is librdkafka 2.15, which negotiates protocol versions with
   * Kafka 4); pin it with `KLAXON_IMAGES.fluentBit.withDigest('sha256:…')`.
   * @default KLAXON_IMAGES.fluentBit ('cr.fluentbit.io/fluent/fluent-bit:4.2.8')
   */
  readonly image?: ContainerImage;
  /** tail `db`: file that remembers read offsets across restarts (on the node, absolute). @default '/var/lib/fluent-bit/klaxon-tail.db' */
  readonly dbPath?: string;
  /** Also mount /var/lib/docker/containers (nodes whose runtime is Docker keep the log files there). @default false */
  readonly mountDockerContainers?: boolean;
  /** service `flush`: seconds between flushes. @default Duration.seconds(1) */
  readonly flush?: Duration;
  /** service `log_level`. @default 'info' */
  readonly logLevel?: FluentBitLogLevel;
  /** Pod tolerations. @default - tolerate every taint, so every node's logs are shipped */
  readonly tolerations?: k8s.Toleration[];
  /** Container resources; fields not given keep their default. @default - requests 100m CPU / 128Mi, limit 256Mi memory */
  readonly resources?: kplus.ContainerResources;
  /**
   * priorityClassName of the pods (an existing PriorityClass).
   * @default - a PriorityClass of its own, DEFAULT_LOG_SHIPPER_PRIORITY ('klaxon-log-shipper', value 1000000): the node's logs outrank ordinary pods under pressure
   */
  readonly priorityClassName?: string;
}

/** The PriorityClass a FluentBit renders unless given `priorityClassName`: below Kubernetes' system classes (2000000000+), above ordinary pods (0). */
export const DEFAULT_LOG_SHIPPER_PRIORITY = { name: 'klaxon-log-shipper', value: 1_000_000 } as const;

/** Fluent Bit's HTTP port (`http_port`): /api/v1/health, /api/v1/metrics. */
export const FLUENT_BIT_HTTP_PORT = 2020;

const CONFIG_DIR = '/fluent-bit/etc/klaxon';
const TAG = 'kube';

/**
 * Fluent Bit shipping container logs to Kafka: ServiceAccount, ClusterRole (get pods) and binding,
 * ConfigMap with fluent-bit.conf, and a DaemonSet (id 'Resource') whose pod template carries a hash
 * of the configuration.
 */
export class FluentBit extends Construct implements ILogShipper {
  /** The topic written to. */
  public readonly topic: IKafkaTopic;
  /** Whether another shipper may write the same topic. */
  public readonly allowDuplicateShipping: boolean;
  /** For messages. */
  public readonly shipperDescription: string;
  /** The effective shipping settings. */
  public readonly settings: ResolvedLogShipping;
  /** The image. */
  public readonly image: ContainerImage;
  /** The tail offsets database on the node. */
  public readonly dbPath: string;
  /** Seconds between flushes (service `flush`). */
  public readonly flush: Duration;
  /** Service `log_level`. */
  public readonly logLevel: FluentBitLogLevel;
  /** The DaemonSet. */
  public readonly daemonSet: k8s.KubeDaemonSet;
  /** The ConfigMap with fluent-bit.conf. */
  public readonly configMap: k8s.KubeConfigMap;
  /** The ServiceAccount. */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The ClusterRole. */
  public readonly clusterRole: k8s.KubeClusterRole;
  /** The pods' priorityClassName. */
  public readonly priorityClassName: string;
  /** The PriorityClass, when the construct renders its own. */
  public readonly priorityClass?: k8s.KubePriorityClass;
  /** Filesystem buffer directory on the node (service `storage.path`), next to the tail offsets. */
  public readonly storagePath: string;

  private readonly props: FluentBitProps;
  private readonly resources: kplus.ContainerResources;

  constructor(scope: Construct, id: string, props: FluentBitProps) {
    super(scope, id);
    this.shipperDescription = `FluentBit '${id}'`;
    const owner = this.shipperDescription;
    this.props = props;
    this.settings = resolveLogShipping(props, owner);
    this.topic = props.topic;
    this.allowDuplicateShipping = this.settings.allowDuplicateShipping;
    this.image = props.image ?? KLAXON_IMAGES.fluentBit;
    registerImage(this, 'image', this.image, owner);
    this.dbPath = checkAbsolutePath('dbPath', props.dbPath ?? '/var/lib/fluent-bit/klaxon-tail.db', owner);
    this.flush = props.flush ?? Duration.seconds(1);
    checkInteger('flush', this.flush.toSeconds(), { min: 1, owner });
    this.logLevel = checkOneOf<FluentBitLogLevel>('logLevel', props.logLevel ?? 'info', ['off', 'error', 'warn', 'info', 'debug', 'trace'], owner);
    this.resources = resolveResources(props.resources, {
      cpu: { request: kplus.Cpu.millis(100) },
      memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
    }, owner);

    this.storagePath = `${this.dbPath.slice(0, this.dbPath.lastIndexOf('/'))}/klaxon-storage/`;
    if (props.priorityClassName !== undefined) {
      this.priorityClassName = checkNonEmpty('priorityClassName', props.priorityClassName, owner);
    } else {
      this.priorityClassName = DEFAULT_LOG_SHIPPER_PRIORITY.name;
      this.priorityClass = new k8s.KubePriorityClass(this, 'PriorityClass', {
        metadata: { name: DEFAULT_LOG_SHIPPER_PRIORITY.name },
        value: DEFAULT_LOG_SHIPPER_PRIORITY.value,
        preemptionPolicy: 'PreemptLowerPriority',
        description: "Klaxon's log shipper: a node's container logs are lost when it is evicted.",
      });
    }
    const labels = selectorLabels(this, 'fluent-bit');
    ({ serviceAccount: this.serviceAccount, clusterRole: this.clusterRole } = clusterReader(this, {
      owner,
      labels,
      // The kubernetes filter GETs each pod (/api/v1/namespaces/<ns>/pods/<pod>) and caches it; it
      // reads namespaces only with namespace_labels/namespace_annotations, which Klaxon leaves off.
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }],
    }));
    allowListenerClient(this.topic.cluster, this.settings.listener, this, owner, labels);
    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: { labels },
      data: { 'fluent-bit.conf': this.configuration() },
    });
    this.daemonSet = new k8s.KubeDaemonSet(this, 'Resource', {
      metadata: { labels },
      spec: Lazy.any({ produce: () => this._toDaemonSetSpec(labels) }),
    });
    registerLogShipper(this);
  }

  /** The whole fluent-bit.conf. */
  public configuration(): string {
    const s = this.settings;
    const sections: [string, [string, string][]][] = [
      ['SERVICE', [
        ['flush', String(this.flush.toSeconds())],
        ['log_level', this.logLevel],
        ['daemon', 'off'],
        ['http_server', 'on'],
        ['http_listen', '0.0.0.0'],
        ['http_port', String(FLUENT_BIT_HTTP_PORT)],
        ['health_check', 'on'],
        ['hc_errors_count', '5'],
        ['hc_retry_failure_count', '5'],
        ['hc_period', '60'],
        // Chunks wait on the node's disk while Kafka is away (see storageLimit, retry_limit).
        ['storage.path', this.storagePath],
        ['storage.sync', 'normal'],
        ['storage.checksum', 'off'],
        ['storage.backlog.mem_limit', '5242880'],
        ['storage.max_chunks_up', '128'],
      ]],
      ['INPUT', [
        ['name', 'tail'],
        ['tag', `${TAG}.*`],
        ['path', s.logPath],
        ...(s.excludePaths.length ? [['exclude_path', s.excludePaths.join(',')] as [string, string]] : []),
        ['multiline.parser', s.logFormats.join(', ')],
        ['db', this.dbPath],
        ['db.locking', 'true'],
        ['mem_buf_limit', fluentSize(s.memBufLimit)],
        ['skip_long_lines', 'on'],
        ['refresh_interval', String(s.refreshInterval.toSeconds())],
        ['storage.type', 'filesystem'],
      ]],
      ['FILTER', kubernetesFilter(s, `${TAG}.*`, tagPrefix(TAG, s.logPath))],
      ['FILTER', [['name', 'lua'], ['match', `${TAG}.*`], ['call', LOG_KEY_LUA_CALL], ['code', LOG_KEY_LUA]]],
      ['OUTPUT', kafkaOutput(s, `${TAG}.*`)],
    ];
    return sections.map(([name, entries]) => renderSection(name, entries)).join('\n');
  }

  /** @internal */
  public _toDaemonSetSpec(labels: Record<string, string>): k8s.DaemonSetSpec {
    const p = this.props;
    const dbDir = this.dbPath.slice(0, this.dbPath.lastIndexOf('/')) || '/';
    const volumes: k8s.Volume[] = [
      { name: 'config', configMap: { name: this.configMap.name } },
      { name: 'varlog', hostPath: { path: '/var/log', type: 'Directory' } },
      { name: 'state', hostPath: { path: dbDir, type: 'DirectoryOrCreate' } },
    ];
    const mounts: k8s.VolumeMount[] = [
      { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
      { name: 'varlog', mountPath: '/var/log', readOnly: true },
      { name: 'state', mountPath: dbDir },
    ];
    if (p.mountDockerContainers) {
      volumes.push({ name: 'dockercontainers', hostPath: { path: '/var/lib/docker/containers', type: 'Directory' } });
      mounts.push({ name: 'dockercontainers', mountPath: '/var/lib/docker/containers', readOnly: true });
    }
    // /api/v1/health is 500 once the output has failed hc_errors_count times within hc_period (see [SERVICE]).
    const env: k8s.EnvVar[] = [];
    const c = this.settings.credentials;
    if (c) {
      // librdkafka has no password-file property: Fluent Bit expands ${KLAXON_KAFKA_SASL_PASSWORD} from this
      // env, filled from the KafkaUser's Secret by reference (the value never sits in the ConfigMap).
      env.push({ name: c.passwordEnv.name, valueFrom: { secretKeyRef: { name: c.passwordEnv.secretName, key: c.passwordEnv.key } } });
      if (c.caSecret) {
        volumes.push({ name: 'kafka-ca', secret: { secretName: c.caSecret.secretName, items: [{ key: c.caSecret.key, path: 'ca.crt' }] } });
        mounts.push({ name: 'kafka-ca', mountPath: c.caSecret.mountPath, readOnly: true });
      }
    }
    const probe = (initialDelay: Duration): k8s.Probe =>
      httpProbe('/api/v1/health', 'http', { initialDelay, period: Duration.seconds(30), timeout: Duration.seconds(5) });
    return {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromString('10%') } },
      template: {
        metadata: { labels, annotations: { [CONFIG_HASH_ANNOTATION]: configHash(this.configuration(), this.image.reference) } },
        spec: {
          serviceAccountName: this.serviceAccount.name,
          priorityClassName: this.priorityClassName,
          tolerations: p.tolerations ?? [{ operator: 'Exists' }],
          securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [{
            name: 'fluent-bit',
            image: this.image.reference,
            imagePullPolicy: 'IfNotPresent',
            command: ['/fluent-bit/bin/fluent-bit'],
            args: ['--config', `${CONFIG_DIR}/fluent-bit.conf`],
            ...(env.length ? { env } : {}),
            ports: [{ name: 'http', containerPort: FLUENT_BIT_HTTP_PORT }],
            livenessProbe: probe(Duration.seconds(10)),
            readinessProbe: probe(Duration.seconds(5)),
            resources: renderResources(this.resources),
            securityContext: {
              // Root only to read the node's log files; no capabilities, no escalation, read-only root.
              runAsNonRoot: false,
              allowPrivilegeEscalation: false,
              privileged: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ['ALL'] },
            },
            volumeMounts: mounts,
          }],
          volumes,
        },
      },
    };
  }
}

/** The [FILTER] kubernetes entries (shared with fluent-operator's ClusterFilter by meaning). */
export function kubernetesFilter(s: ResolvedLogShipping, match: string, kubeTagPrefix: string): [string, string][] {
  const onOff = (b: boolean): string => (b ? 'on' : 'off');
  return [
    ['name', 'kubernetes'],
    ['match', match],
    ['kube_url', 'https://kubernetes.default.svc:443'],
    ['kube_ca_file', '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt'],
    ['kube_token_file', '/var/run/secrets/kubernetes.io/serviceaccount/token'],
    ['kube_tag_prefix', kubeTagPrefix],
    ['merge_log', onOff(s.mergeLog)],
    ['merge_log_key', s.mergeLogKey],
    ['keep_log', onOff(s.keepLog)],
    ['labels', onOff(s.podLabels)],
    ['annotations', onOff(s.podAnnotations)],
    ['k8s-logging.parser', onOff(s.k8sLoggingParser)],
    ['k8s-logging.exclude', onOff(s.k8sLoggingExclude)],
  ];
}

/**
 * Top-level field holding `<namespace>/<pod>`, the Kafka key of each log record (`message_key_field`):
 * one pod's lines stay on one partition, in order, so one alerter replica holds its alerts' state.
 */
export const LOG_KEY_FIELD = 'klaxon_key';

/** The Lua function that sets LOG_KEY_FIELD from the kubernetes filter's metadata. */
export const LOG_KEY_LUA_CALL = 'klaxon_key';

/** Its code (one line, as the classic config needs); a record without namespace and pod is left as is (no key). */
export const LOG_KEY_LUA =
  `function ${LOG_KEY_LUA_CALL}(tag, ts, r) local k = r["kubernetes"] ` +
  `if type(k) == "table" and type(k["namespace_name"]) == "string" and type(k["pod_name"]) == "string" then ` +
  `r["${LOG_KEY_FIELD}"] = k["namespace_name"] .. "/" .. k["pod_name"] return 2, ts, r end return 0, ts, r end`;

/** The [OUTPUT] kafka entries. */
export function kafkaOutput(s: ResolvedLogShipping, match: string): [string, string][] {
  return [
    ['name', 'kafka'],
    ['match', match],
    ['brokers', s.brokers.join(',')],
    ['topics', s.topic.topicName],
    ['message_key_field', LOG_KEY_FIELD],
    ['format', 'json'],
    ['timestamp_key', s.timestampKey],
    ['timestamp_format', s.timestampFormat],
    // Retry a chunk for as long as it takes; the filesystem buffer bounds what waits.
    ['retry_limit', 'no_limits'],
    ['storage.total_limit_size', fluentSize(s.storageLimit)],
    ...Object.entries(s.rdkafka).map(([k, v]) => [`rdkafka.${k}`, v] as [string, string]),
  ];
}

function renderSection(name: string, entries: [string, string][]): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return `[${name}]\n${entries.map(([k, v]) => `    ${k.padEnd(width)} ${v}`).join('\n')}\n`;
}
