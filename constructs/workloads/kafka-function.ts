/**
 * A Kafka consumer workload: one Deployment (id 'Resource') that runs a function built on
 * functions/runtime, wired to its cluster, source topic, consumer group and dead-letter topic by
 * object. The env the runtime reads (functions/contracts/workload-env.ts) is rendered from those
 * objects, so the Deployment, the topics and a KEDA scaler cannot disagree.
 *
 * For tests (e.g. the fanout integration tests in test/integration/fanout-*.test.ts): run the bundle
 * with exactly the env a pod gets, pointed at the test broker and a free port:
 *
 *   const chart = Testing.chart();
 *   const cluster = new KafkaCluster(chart, 'Kafka');
 *   const topics = new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop'], clusterEventsTopicName: uniqueName('events') });
 *   const fanout = new EventsFanout(chart, 'Fanout', { topics, code: FunctionCode.fromBundle('//') });
 *   const env = renderedEnv(fanout.function, { KAFKA_BROKERS: process.env.KAFKA_BROKERS!, HTTP_PORT: '0' });
 *   spawn(process.execPath, [bundlePath('events-fanout')], { env: { ...env, PATH: process.env.PATH } });
 *
 * (`bundlePath` is in functions/build.ts; the placeholder bundle '//' is fine when only the env is
 * wanted. Any KafkaFunction works the same: `renderedEnv(fn, overrides)`.)
 *
 * A scaler (KafkaLagScaler) calls `fn.scaleExternally(scaler)`: the Deployment then omits
 * `replicas` so `kubectl apply` never fights the autoscaler; it reads `source`, `group`,
 * `cluster` and `deployment` from the function.
 *
 * One file of about 460 lines: the Deployment, the env it renders and the checks of its props are
 * one object; pod security, resources and probes are shared from pod-support.ts.
 */
import { createHash } from 'crypto';
import { ApiObjectMetadata, Chart, Duration, Lazy, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct, IConstruct } from 'constructs';
import { DEFAULT_HTTP_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS, LOG_LEVELS, LogLevel, RuntimeTuningEnv, SHUTDOWN_TIMEOUT_MS_RANGE, WorkloadEnv } from '../../functions/contracts/workload-env';
/** Log levels the runtime understands (LOG_LEVEL). */
export type { LogLevel } from '../../functions/contracts/workload-env';
import type { ConsumerGroup } from '../kafka/consumer-group';
import { KafkaClientAccess } from '../kafka/kafka-client';
import { IKafkaCluster, KafkaCluster } from '../kafka/kafka-cluster';
import { allowListenerClient } from '../kafka/kafka-client';
import { IKafkaTopic, kebabCase } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { CONFIG_HASH_ANNOTATION, renderResources, resolveResources, restrictedContainerSecurityContext, restrictedPodSecurityContext, selectorLabels } from '../pod-support';
import { checkDnsLabel, checkInteger, checkOneOf, describeProp, PropError } from '../validation';
import { FunctionCode, FunctionCodeConfig } from './function-code';
import { functionPodParts, HTTP_PORT_NAME, nodeOptions } from './function-pod';

export { HTTP_PORT_NAME, TMP_VOLUME_SIZE_LIMIT } from './function-pod';

/**
 * How long the runtime may take to shut down after SIGTERM (stop consumer, commit, disconnect, close
 * HTTP) unless `shutdownTimeout` says otherwise: the runtime's own default, from the env contract.
 * `terminationGracePeriod` must exceed it, or Kubernetes kills the pod mid-commit.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT = Duration.millis(DEFAULT_SHUTDOWN_TIMEOUT_MS);

/** Node's own options variable; set from the memory limit unless `env` gives it. */
const NODE_OPTIONS = 'NODE_OPTIONS';


/** Resources of a function container unless told otherwise: a small consumer. */
export const DEFAULT_FUNCTION_RESOURCES: kplus.ContainerResources = {
  cpu: { request: kplus.Cpu.millis(50), limit: kplus.Cpu.millis(500) },
  memory: { request: Size.mebibytes(96), limit: Size.mebibytes(256) },
};


/** Props of any KafkaFunction-based workload (everything but the wiring). */
export interface KafkaFunctionOptions {
  /** Pod count, at most the source topic's partitions; omitted from the manifest once a scaler is attached (`scaleExternally`). @default 1 */
  readonly replicas?: number;
  /** Requests and limits of the function container; fields not given keep their default. @default requests 50m CPU / 96Mi memory, limits 500m CPU / 256Mi memory */
  readonly resources?: kplus.ContainerResources;
  /** Extra environment variables (plain values; never credentials); must not repeat a rendered key. @default - none */
  readonly env?: Record<string, string>;
  /** Runtime log level (LOG_LEVEL). @default 'info' */
  readonly logLevel?: LogLevel;
  /** Time between SIGTERM and SIGKILL; must exceed `shutdownTimeout`. @default Duration.seconds(30) */
  readonly terminationGracePeriod?: Duration;
  /**
   * Bound on the runtime's graceful stop after SIGTERM (KLAXON_SHUTDOWN_TIMEOUT_MS), 100 ms to 10 min;
   * past it the process exits 1.
   * @default DEFAULT_SHUTDOWN_TIMEOUT (8 seconds, the runtime's default)
   */
  readonly shutdownTimeout?: Duration;
  /** Kafka client id (KAFKA_CLIENT_ID), also the name in dead-letter headers and logs. @default - the workload name */
  readonly clientId?: string;
  /** Create a ClusterIP Service on the `http` port (for scraping through a Service). @default false */
  readonly metricsService?: boolean;
}

/** Props of a KafkaFunction. */
export interface KafkaFunctionProps extends KafkaFunctionOptions {
  /** The function's code: `FunctionCode.fromBundle(bytes)` or `FunctionCode.fromImage(image)`. */
  readonly code: FunctionCode;
  /** The topic the function consumes (KAFKA_SOURCE_TOPIC). */
  readonly source: IKafkaTopic;
  /** The consumer group the function joins (KAFKA_GROUP_ID). */
  readonly group: ConsumerGroup;
  /** Where records the function cannot handle go (KAFKA_DEAD_LETTER_TOPIC). */
  readonly deadLetter: IKafkaTopic;
  /** The cluster (KAFKA_BROKERS = its bootstrapServers); must be the topics' and group's cluster. @default - the source topic's cluster */
  readonly cluster?: IKafkaCluster;
  /** Workload name: container name and `app.kubernetes.io/name` label (a DNS label). @default - the construct id in kebab case */
  readonly workloadName?: string;
  /**
   * The KafkaUser the function authenticates as, required when the cluster's workload listener
   * authenticates: it is granted what the function needs (`grantTo`) and its Secret fills the
   * credentials. @default - none: the workload listener must not authenticate
   */
  readonly user?: KafkaUser;
}

type EnvSource = string | (() => string);

/**
 * A Kafka consumer Deployment (id 'Resource') with its ServiceAccount, code ConfigMap (for bundles)
 * and optional metrics Service. Pods meet Pod Security "restricted".
 */
export class KafkaFunction extends Construct {
  /** The workload name (container name, `app.kubernetes.io/name`). */
  public readonly workloadName: string;
  /** KAFKA_CLIENT_ID. */
  public readonly clientId: string;
  /** The cluster the function connects to. */
  public readonly cluster: IKafkaCluster;
  /** The consumed topic. */
  public readonly source: IKafkaTopic;
  /** The consumer group. */
  public readonly group: ConsumerGroup;
  /** The dead-letter topic. */
  public readonly deadLetter: IKafkaTopic;
  /** The KafkaUser the function authenticates as, if its listener authenticates. */
  public readonly user?: KafkaUser;
  /** How its pods reach the workload listener: security env (secret values by reference) and certificate volumes. */
  public readonly kafkaAccess: KafkaClientAccess;
  /** The code. */
  public readonly code: FunctionCode;
  /** The runtime's HTTP port (/livez, /readyz, /metrics). */
  public readonly httpPort: number = DEFAULT_HTTP_PORT;
  /** LOG_LEVEL. */
  public readonly logLevel: LogLevel;
  /** Effective requests and limits of the function container. */
  public readonly resources: kplus.ContainerResources;
  /** Time between SIGTERM and SIGKILL. */
  public readonly terminationGracePeriod: Duration;
  /** The runtime's bound on a graceful stop (KLAXON_SHUTDOWN_TIMEOUT_MS), shorter than `terminationGracePeriod`. */
  public readonly shutdownTimeout: Duration;
  /** The Deployment. */
  public readonly deployment: k8s.KubeDeployment;
  /** The pods' ServiceAccount (no API token mounted). */
  public readonly serviceAccount: k8s.KubeServiceAccount;
  /** The ConfigMap holding the bundle, when the code is a bundle. */
  public readonly codeConfigMap?: k8s.KubeConfigMap;
  /** The metrics Service, when `metricsService` is set. */
  public readonly service?: k8s.KubeService;
  /** Labels that select this function's pods. */
  public readonly selectorLabels: Readonly<Record<string, string>>;

  private readonly _replicas: number;
  private readonly codeConfig: FunctionCodeConfig;
  private readonly envSources = new Map<string, EnvSource>();
  private readonly secretEnvSources = new Map<string, kplus.SecretValue>();
  private readonly reservedEnv = new Set<string>();
  private _scaler?: IConstruct;

  constructor(scope: Construct, id: string, props: KafkaFunctionProps) {
    super(scope, id);
    this.workloadName = checkDnsLabel('workloadName', props.workloadName ?? kebabCase(id), 'KafkaFunction');
    const owner = `KafkaFunction '${this.workloadName}'`;
    this.clientId = props.clientId ?? this.workloadName;
    if (this.clientId.trim() === '') throw new PropError(`${describeProp('clientId', this.clientId, owner)} must not be empty.`);
    if (!props.code) throw new PropError(`${describeProp('code', undefined, owner)} must be set: FunctionCode.fromBundle(bytes) or FunctionCode.fromImage(image).`);
    this.code = props.code;

    this.source = props.source;
    this.group = props.group;
    this.deadLetter = props.deadLetter;
    this.cluster = props.cluster ?? props.source.cluster;
    checkSameCluster('source', `topic '${this.source.topicName}'`, this.source.cluster, this.cluster, owner);
    checkSameCluster('deadLetter', `topic '${this.deadLetter.topicName}'`, this.deadLetter.cluster, this.cluster, owner);
    checkSameCluster('group', `group '${this.group.groupId}'`, this.group.cluster, this.cluster, owner);
    this.user = props.user;
    this.kafkaAccess = KafkaClientAccess.of(this.cluster, this.user, owner, Chart.of(this).namespace);
    for (const { name } of this.kafkaAccess.env) this.reservedEnv.add(name);
    if (this.deadLetter.topicName === this.source.topicName) {
      throw new PropError(`${describeProp('deadLetter', this.deadLetter.topicName, owner)} is the source topic; a record that fails would be consumed and fail again forever. Use a dedicated dead-letter topic (KlaxonTopics.deadLetter).`);
    }

    this._replicas = checkInteger('replicas', props.replicas ?? 1, { min: 0, owner });
    if (this._replicas > this.source.partitions) {
      throw new PropError(`${describeProp('replicas', this._replicas, owner)} exceeds the partitions of topic '${this.source.topicName}' (${this.source.partitions}); the extra consumers would sit idle. Lower 'replicas' or raise the topic's 'partitions'.`);
    }
    this.logLevel = checkOneOf('logLevel', props.logLevel ?? 'info', LOG_LEVELS, owner);
    this.resources = resolveResources(props.resources, DEFAULT_FUNCTION_RESOURCES, owner);
    this.shutdownTimeout = props.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
    const shutdownMs = this.shutdownTimeout.toMilliseconds();
    if (!Number.isInteger(shutdownMs) || shutdownMs < SHUTDOWN_TIMEOUT_MS_RANGE.min || shutdownMs > SHUTDOWN_TIMEOUT_MS_RANGE.max) {
      throw new PropError(`${describeProp('shutdownTimeout', this.shutdownTimeout.toHumanString(), owner)} must be whole milliseconds from 100 ms to 10 minutes, the range of ${RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS} the runtime accepts.`);
    }
    this.terminationGracePeriod = checkGracePeriod(props.terminationGracePeriod ?? Duration.seconds(30), this.shutdownTimeout, owner);

    for (const [name, value] of [
      [WorkloadEnv.BROKERS, this.cluster.bootstrapServers],
      [WorkloadEnv.SOURCE_TOPIC, this.source.topicName],
      [WorkloadEnv.GROUP_ID, this.group.groupId],
      [WorkloadEnv.DEAD_LETTER_TOPIC, this.deadLetter.topicName],
      [WorkloadEnv.CLIENT_ID, this.clientId],
      [WorkloadEnv.HTTP_PORT, String(this.httpPort)],
      [WorkloadEnv.LOG_LEVEL, this.logLevel],
      // Rendered, not left to the runtime's default, so the bound checked against the grace period is the one the pod runs with.
      [RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS, String(this.shutdownTimeout.toMilliseconds())],
    ] as const) {
      this.envSources.set(name, value);
      this.reservedEnv.add(name);
    }
    // V8's heap sized for the memory limit (function-pod.ts nodeOptions), unless the env sets its own.
    const memoryLimit = this.resources.memory?.limit;
    if (memoryLimit && props.env?.[NODE_OPTIONS] === undefined) this.envSources.set(NODE_OPTIONS, nodeOptions(memoryLimit.toMebibytes()));
    for (const [name, value] of Object.entries(props.env ?? {})) this.addEnv(name, value);

    this.selectorLabels = selectorLabels(this, this.workloadName);
    // On a restricted workload listener, the function's pods are among its allowed clients.
    if (this.cluster instanceof KafkaCluster) allowListenerClient(this.cluster, this.cluster.workloadListener, this, owner, this.selectorLabels);
    const metadata = (): ApiObjectMetadata => ({ labels: this.labels });

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata: metadata(), automountServiceAccountToken: false });
    this.codeConfig = this.code.bind(this, { metadata: metadata() });
    this.codeConfigMap = this.codeConfig.configMap;
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: metadata(),
      spec: Lazy.any({ produce: () => this._toKube() }) as unknown as k8s.DeploymentSpec,
    });
    if (this.user) this.grantTo(this.user);
    if (props.metricsService) {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: metadata(),
        spec: {
          type: 'ClusterIP',
          selector: { ...this.selectorLabels },
          ports: [{ name: HTTP_PORT_NAME, port: this.httpPort, targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME), protocol: 'TCP' }],
        },
      });
    }
  }

  /**
   * Add an environment variable (a value, or a function evaluated at synth so later changes of
   * the objects it reads are seen). Throws if the name is already set.
   */
  public addEnv(name: string, value: EnvSource): void {
    const owner = this.checkNewEnvName(name);
    if (typeof value !== 'string' && typeof value !== 'function') {
      throw new PropError(`${describeProp(`env.${name}`, value, owner)} must be a string.`);
    }
    this.envSources.set(name, value);
  }

  /**
   * Add a variable the runtime reads from a Secret key: the key is mounted as a file and the pod's
   * env holds only `<name>_FILE` (the runtime reads it into `<name>`); never in clear. The reference is part of the pod template hash, so pointing it at another Secret or
   * key rolls the pods. Throws if the name is already set.
   */
  public addSecretEnv(name: string, value: kplus.SecretValue): void {
    const owner = this.checkNewEnvName(name);
    if (!value?.secret?.name || typeof value.key !== 'string' || value.key === '') {
      throw new PropError(`${describeProp(`env.${name}`, value?.key, owner)} needs a Secret reference ({ secret, key }) with a non-empty key.`);
    }
    this.secretEnvSources.set(name, value);
  }

  /** Throws unless `name` is a legal, free variable name; returns the owner phrase for messages. */
  private checkNewEnvName(name: string): string {
    const owner = `KafkaFunction '${this.workloadName}'`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new PropError(`${describeProp('env', name, owner)} is not an environment variable name (letters, digits and '_', not starting with a digit).`);
    }
    if (this.reservedEnv.has(name)) {
      throw new PropError(`${describeProp('env', name, owner)} is rendered from the function's cluster, topics and props; set it through them, not as extra env.`);
    }
    if (this.envSources.has(name) || this.secretEnvSources.has(name)) {
      throw new PropError(`${describeProp('env', name, owner)} is already set; each variable is set once.`);
    }
    return owner;
  }

  /** The env of the function container, as rendered (a copy). */
  public get env(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [name, value] of this.envSources) env[name] = typeof value === 'function' ? value() : value;
    return env;
  }

  /** Labels of every object of the function and of its pods (a copy). */
  public get labels(): Record<string, string> {
    return { ...this.selectorLabels, 'app.kubernetes.io/component': 'kafka-function', 'app.kubernetes.io/part-of': 'klaxon' };
  }

  /** `replicas` of the Deployment, or undefined once a scaler owns the replica count. */
  public get replicas(): number | undefined {
    return this._scaler ? undefined : this._replicas;
  }

  /** The scaler attached with `scaleExternally`, if any. */
  public get scaler(): IConstruct | undefined {
    return this._scaler;
  }

  /**
   * Hand the replica count to an autoscaler (a KEDA ScaledObject on the consumer lag): the
   * Deployment omits `replicas` from then on. At most one scaler per function.
   */
  public scaleExternally(scaler: IConstruct): void {
    if (this._scaler && this._scaler !== scaler) {
      throw new PropError(`KafkaFunction '${this.workloadName}' is already scaled by '${this._scaler.node.path}'; two autoscalers would fight over 'replicas'. Attach one scaler.`);
    }
    this._scaler = scaler;
  }

  /**
   * sha256 of the code and the rendered env: the pod template annotation that rolls the pods when
   * the bundle (a ConfigMap change Kubernetes would not notice) or the config changes.
   */
  public get contentHash(): string {
    const env = this.env;
    const config = Object.keys(env).sort().map((k) => [k, env[k]]);
    const kafkaAccess = this.kafkaAccess.env.length > 0 ? { kafkaAccess: this.kafkaAccess.env } : {};
    const secretRefs = [...this.secretEnvSources].map(([name, v]) => [name, v.secret.name, v.key]);
    const secretEnvs = secretRefs.length > 0 ? { secretEnv: secretRefs } : {};
    return createHash('sha256').update(JSON.stringify({ code: this.code.sha256, env: config, ...kafkaAccess, ...secretEnvs })).digest('hex');
  }

  /**
   * Grant `user` what this function needs in Kafka: Read on the source topic in its group and
   * Write on the dead-letter topic. Workloads that produce elsewhere grant those topics too.
   */
  public grantTo(user: KafkaUser): void {
    if (user.cluster !== this.cluster) {
      throw new PropError(`${describeProp('user', user.userName)} belongs to cluster '${user.cluster.clusterName}' but KafkaFunction '${this.workloadName}' to cluster '${this.cluster.clusterName}'; grant only within one cluster.`);
    }
    user.addAcl({ resourceType: 'topic', name: this.source.topicName, operations: ['Read', 'Describe'] });
    user.addAcl({ resourceType: 'group', name: this.group.groupId, operations: ['Read', 'Describe'] });
    user.addAcl({ resourceType: 'topic', name: this.deadLetter.topicName, operations: ['Write', 'Describe'] });
  }

  /** @internal */
  public _toKube(): k8s.DeploymentSpec {
    const code = this.codeConfig;
    const uid = code.uid;
    const securityContext = restrictedContainerSecurityContext();
    const resources = renderResources(this.resources);
    const env: k8s.EnvVar[] = [
      ...Object.entries(this.env).map(([name, value]) => ({ name, value })),
      ...this.kafkaAccess.env,
      // Secret values as mounted files: the runtime reads <NAME>_FILE into <NAME> (functions/runtime/secret-files.ts).
      ...[...this.secretEnvSources.keys()].map((name) => ({ name: `${name}_FILE`, value: `${SECRETS_DIR}/${secretVolumeName(name)}/value` })),
    ];
    const secretVolumes: k8s.Volume[] = [...this.secretEnvSources].map(([name, value]) => ({
      name: secretVolumeName(name),
      secret: { secretName: value.secret.name, items: [{ key: value.key, path: 'value' }], defaultMode: SECRET_FILE_MODE },
    }));
    const secretMounts: k8s.VolumeMount[] = secretVolumes.map((v) => ({ name: v.name, mountPath: `${SECRETS_DIR}/${v.name}`, readOnly: true }));
    const replicas = this.replicas;
    return {
      ...(replicas !== undefined ? { replicas } : {}),
      selector: { matchLabels: { ...this.selectorLabels } },
      template: {
        metadata: {
          labels: this.labels,
          annotations: {
            [CONFIG_HASH_ANNOTATION]: this.contentHash,
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(this.httpPort),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: this.serviceAccount.name,
          automountServiceAccountToken: false,
          // No Service env vars: a Service named e.g. 'kafka' would inject KAFKA_* variables.
          enableServiceLinks: false,
          terminationGracePeriodSeconds: this.terminationGracePeriod.toSeconds(),
          securityContext: restrictedPodSecurityContext(uid),
          ...functionPodParts(code, {
            name: this.workloadName,
            env,
            port: this.httpPort,
            resources,
            securityContext,
            volumeMounts: [...this.kafkaAccess.volumeMounts, ...secretMounts],
            volumes: [...this.kafkaAccess.volumes, ...secretVolumes],
          }),
        },
      },
    };
  }
}

/** Where a function pod mounts the Secret keys of `addSecretEnv`, one directory per variable. */
export const SECRETS_DIR = '/etc/klaxon/secrets';

/** Secret files readable by the pod's group (fsGroup) only. */
export const SECRET_FILE_MODE = 0o440;

/** The volume (and directory) of secret variable `name`: `ALERTER_SECRET_0_URL` → `secret-alerter-secret-0-url`. */
export function secretVolumeName(name: string): string {
  return `secret-${name.toLowerCase().replace(/_/g, '-')}`.slice(0, 63).replace(/-+$/, '');
}

/**
 * The env a pod of `fn` gets, with `overrides` applied (e.g. KAFKA_BROKERS of a test broker).
 * Variables a pod reads from a Secret (KAFKA_SASL_PASSWORD) are not known at synth: pass them in
 * `overrides`.
 */
export function renderedEnv(fn: KafkaFunction, overrides: Record<string, string> = {}): Record<string, string> {
  const access = fn.kafkaAccess.env.flatMap((e) => (e.value !== undefined ? [[e.name, e.value] as const] : []));
  return { ...fn.env, ...Object.fromEntries(access), ...overrides };
}

function checkSameCluster(prop: string, what: string, actual: IKafkaCluster, expected: IKafkaCluster, owner: string): void {
  if (actual !== expected) {
    throw new PropError(`'${prop}' (${what}) of ${owner} belongs to cluster '${actual.clusterName}', not to the function's cluster '${expected.clusterName}'; a function reads, commits and dead-letters on one cluster. Pass objects of the same KafkaCluster.`);
  }
}

function checkGracePeriod(period: Duration, shutdownTimeout: Duration, owner: string): Duration {
  const ms = period.toMilliseconds();
  const bound = shutdownTimeout.toMilliseconds();
  if (!Number.isInteger(ms / 1000)) {
    throw new PropError(`${describeProp('terminationGracePeriod', period.toHumanString(), owner)} must be a whole number of seconds (terminationGracePeriodSeconds).`);
  }
  if (ms <= bound) {
    throw new PropError(
      `${describeProp('terminationGracePeriod', period.toHumanString(), owner)} must exceed 'shutdownTimeout' ` +
      `(${shutdownTimeout.toHumanString()}), the runtime's bound on a graceful stop, or Kubernetes kills the pod before it leaves the group and commits its offsets. ` +
      `Use at least ${Math.floor(bound / 1000) + 1} seconds or lower 'shutdownTimeout'.`,
    );
  }
  return period;
}
