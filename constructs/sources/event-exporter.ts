/**
 * Klaxon's own event source: functions/event-exporter as a Deployment of two replicas that elect a
 * leader on their own Lease; the leader lists and watches events.k8s.io/v1 Events and writes each
 * to `cluster-events` (format `event-exporter`, functions/contracts/event-formats.ts), keeping its
 * resourceVersion checkpoint in the Lease after every Kafka acknowledgement.
 *
 * RBAC, nothing more: list/watch of `events.events.k8s.io` (a ClusterRole, or one Role per watched
 * namespace), get/update of its one Lease by name (the Lease is rendered here, so no `create`
 * is needed). Kafka: Write on its topic only (its checkpoint is in the Lease, not in Kafka), as its
 * own KafkaUser when the workload listener authenticates.
 *
 *   new EventExporter(chart, 'EventExporter', { topic: topics.clusterEvents, code, user });
 */
import { Duration, Lazy } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { DEFAULT_HTTP_PORT, DEFAULT_SHUTDOWN_TIMEOUT_MS, ExporterEnv, RuntimeTuningEnv, WORKLOAD_IDENTITIES, WorkloadEnv } from '../../functions/contracts/workload-env';
import { KafkaClientAccess } from '../kafka/kafka-client';
import { KafkaCluster } from '../kafka/kafka-cluster';
import { allowListenerClient } from '../kafka/kafka-client';
import type { IKafkaTopic } from '../kafka/kafka-topic';
import type { KafkaUser } from '../kafka/kafka-user';
import { chartNamespace, CONFIG_HASH_ANNOTATION, configHash, renderResources, resolveResources, restrictedContainerSecurityContext, restrictedPodSecurityContext, selectorLabels } from '../pod-support';
import { checkInteger, checkNamespaceName, checkNonEmpty, checkOneOf, describeProp, PropError } from '../validation';
import { FunctionCode, FunctionCodeConfig } from '../workloads/function-code';
import { functionPodParts, nodeOptions } from '../workloads/function-pod';
import { DEFAULT_FUNCTION_RESOURCES } from '../workloads/kafka-function';

/** The workload name (container, labels, Lease) of the exporter. */
export const EXPORTER_WORKLOAD_NAME = WORKLOAD_IDENTITIES.eventExporter.name;

/** Event types Kubernetes knows. */
export type EventType = 'Normal' | 'Warning';

/** Props of EventExporter. */
export interface EventExporterProps {
  /** The topic Events are written to (`cluster-events`). */
  readonly topic: IKafkaTopic;
  /** The bundle of functions/event-exporter (`FunctionCode.fromBundle(bytes)`) or an image. */
  readonly code: FunctionCode;
  /** The KafkaUser it authenticates as (granted Write on `topic`); required when the workload listener authenticates. @default - none */
  readonly user?: KafkaUser;
  /** Cluster name sent in the `klaxon.cluster` header. @default 'kubernetes' */
  readonly clusterName?: string;
  /** Namespaces to watch (one Role each); empty or absent: all namespaces (a ClusterRole). @default - all namespaces */
  readonly namespaces?: string[];
  /** Event types to ship. @default - all */
  readonly types?: EventType[];
  /** Event reasons to ship. @default - all */
  readonly reasons?: string[];
  /** Replicas; one leads, the others stand by. @default 2 */
  readonly replicas?: number;
  /** How long a Lease holds without renewal (failover time after a crash is at most this plus `retryPeriod`). @default Duration.seconds(15) */
  readonly leaseDuration?: Duration;
  /** How long the leader tries to renew before it stops shipping; shorter than `leaseDuration`. @default Duration.seconds(10) */
  readonly renewDeadline?: Duration;
  /** Time between Lease tries and checkpoint writes (the duplicate window after a crash); shorter than `renewDeadline`. @default Duration.seconds(2) */
  readonly retryPeriod?: Duration;
  /** Requests and limits of the container. @default requests 50m CPU / 96Mi memory, limits 500m CPU / 256Mi memory */
  readonly resources?: kplus.ContainerResources;
  /** Log level. @default 'info' */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

/** The exporter: Deployment (id 'Resource'), ServiceAccount, RBAC, its Lease and its code ConfigMap. */
export class EventExporter extends Construct {
  /** The workload name. */
  public readonly workloadName = EXPORTER_WORKLOAD_NAME;
  /** The topic it writes. */
  public readonly topic: IKafkaTopic;
  /** The watched namespaces (empty: all). */
  public readonly namespaces: readonly string[];
  /** Replicas. */
  public readonly replicas: number;
  /** Lease timing. */
  public readonly leaseDuration: Duration;
  public readonly renewDeadline: Duration;
  public readonly retryPeriod: Duration;
  /** How its pods reach the workload listener. */
  public readonly kafkaAccess: KafkaClientAccess;
  /** The Lease (leader election and checkpoint). */
  public readonly lease: k8s.KubeLease;
  public readonly serviceAccount: k8s.KubeServiceAccount;
  public readonly deployment: k8s.KubeDeployment;
  public readonly selectorLabels: Readonly<Record<string, string>>;

  private readonly env: Record<string, string>;
  private readonly codeConfig: FunctionCodeConfig;
  private readonly resources: kplus.ContainerResources;

  constructor(scope: Construct, id: string, props: EventExporterProps) {
    super(scope, id);
    const owner = 'EventExporter';
    if (!props.topic) throw new PropError(`${describeProp('topic', undefined, owner)} must be set: the KafkaTopic Events are written to (KlaxonTopics.clusterEvents).`);
    if (!props.code) throw new PropError(`${describeProp('code', undefined, owner)} must be set: FunctionCode.fromBundle(bytes) of functions/event-exporter.`);
    const namespace = chartNamespace(this, owner);
    this.topic = props.topic;
    this.namespaces = [...new Set((props.namespaces ?? []).map((ns, i) => checkNamespaceName(`namespaces[${i}]`, ns, owner)))];
    for (const [i, t] of (props.types ?? []).entries()) checkOneOf(`types[${i}]`, t, ['Normal', 'Warning'], owner);
    for (const [i, r] of (props.reasons ?? []).entries()) {
      checkNonEmpty(`reasons[${i}]`, r, owner);
      if (r.includes(',')) throw new PropError(`${describeProp(`reasons[${i}]`, r, owner)} must not contain ','; reasons are passed as a comma-separated list.`);
    }
    const clusterName = checkNonEmpty('clusterName', props.clusterName ?? 'kubernetes', owner);
    this.replicas = checkInteger('replicas', props.replicas ?? 2, { min: 1, owner });
    this.leaseDuration = props.leaseDuration ?? Duration.seconds(15);
    this.renewDeadline = props.renewDeadline ?? Duration.seconds(10);
    this.retryPeriod = props.retryPeriod ?? Duration.seconds(2);
    const secs = (prop: string, d: Duration): number => {
      const s = d.toSeconds();
      if (!Number.isInteger(s) || s < 1) throw new PropError(`${describeProp(prop, d.toHumanString(), owner)} must be a whole number of seconds, at least 1.`);
      return s;
    };
    const [lease, renew, retry] = [secs('leaseDuration', this.leaseDuration), secs('renewDeadline', this.renewDeadline), secs('retryPeriod', this.retryPeriod)];
    if (renew >= lease) throw new PropError(`${describeProp('renewDeadline', this.renewDeadline.toHumanString(), owner)} must be shorter than 'leaseDuration' (${this.leaseDuration.toHumanString()}): a leader that cannot renew must stop shipping before another replica may take over.`);
    if (retry >= renew) throw new PropError(`${describeProp('retryPeriod', this.retryPeriod.toHumanString(), owner)} must be shorter than 'renewDeadline' (${this.renewDeadline.toHumanString()}): the leader needs more than one try to renew.`);
    const logLevel = checkOneOf('logLevel', props.logLevel ?? 'info', ['debug', 'info', 'warn', 'error'], owner);
    this.resources = resolveResources(props.resources, DEFAULT_FUNCTION_RESOURCES, owner);

    this.kafkaAccess = KafkaClientAccess.of(this.topic.cluster, props.user, `${owner} '${this.workloadName}'`, namespace);
    if (props.user) props.user.addAcl({ resourceType: 'topic', name: this.topic.topicName, operations: ['Write', 'Describe'] });

    this.selectorLabels = selectorLabels(this, this.workloadName);
    // Registered as a client of the workload listener: Strimzi's peers and Klaxon's policies admit its pods.
    const cluster = this.topic.cluster;
    if (cluster instanceof KafkaCluster) allowListenerClient(cluster, cluster.workloadListener, this, owner, { ...this.selectorLabels });
    const labels = { ...this.selectorLabels, 'app.kubernetes.io/component': 'event-source', 'app.kubernetes.io/part-of': 'klaxon' };
    const metadata = { labels };

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata });
    const subject = { kind: 'ServiceAccount', name: this.serviceAccount.name, namespace };
    const eventRules: k8s.PolicyRule[] = [{ apiGroups: ['events.k8s.io'], resources: ['events'], verbs: ['list', 'watch'] }];
    if (this.namespaces.length === 0) {
      const role = new k8s.KubeClusterRole(this, 'ClusterRole', { metadata, rules: eventRules });
      new k8s.KubeClusterRoleBinding(this, 'ClusterRoleBinding', { metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name }, subjects: [subject] });
    } else {
      for (const ns of this.namespaces) {
        const role = new k8s.KubeRole(this, `EventsRole-${ns}`, { metadata: { ...metadata, namespace: ns }, rules: eventRules });
        new k8s.KubeRoleBinding(this, `EventsRoleBinding-${ns}`, { metadata: { ...metadata, namespace: ns }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name }, subjects: [subject] });
      }
    }
    // The Lease is rendered (no holder): RBAC can then name it, and `create` (which cannot be limited by name) is not needed.
    this.lease = new k8s.KubeLease(this, 'Lease', { metadata: { ...metadata, name: this.workloadName }, spec: {} });
    const leaseRole = new k8s.KubeRole(this, 'LeaseRole', {
      metadata,
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [this.lease.name], verbs: ['get', 'update'] }],
    });
    new k8s.KubeRoleBinding(this, 'LeaseRoleBinding', { metadata, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaseRole.name }, subjects: [subject] });

    this.env = {
      [WorkloadEnv.BROKERS]: this.topic.cluster.bootstrapServers,
      [WorkloadEnv.CLIENT_ID]: this.workloadName,
      [WorkloadEnv.HTTP_PORT]: String(DEFAULT_HTTP_PORT),
      [WorkloadEnv.LOG_LEVEL]: logLevel,
      [RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS]: String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
      [ExporterEnv.TOPIC]: this.topic.topicName,
      [ExporterEnv.CLUSTER_NAME]: clusterName,
      [ExporterEnv.NAMESPACES]: this.namespaces.join(','),
      [ExporterEnv.TYPES]: (props.types ?? []).join(','),
      [ExporterEnv.REASONS]: (props.reasons ?? []).join(','),
      [ExporterEnv.LEASE_NAMESPACE]: namespace,
      [ExporterEnv.LEASE_NAME]: this.lease.name,
      [ExporterEnv.LEASE_DURATION_SECONDS]: String(lease),
      [ExporterEnv.RENEW_DEADLINE_SECONDS]: String(renew),
      [ExporterEnv.RETRY_PERIOD_SECONDS]: String(retry),
      NODE_OPTIONS: nodeOptions(this.resources.memory?.limit?.toMebibytes() ?? 256),
    };
    this.codeConfig = props.code.bind(this, { metadata });
    this.deployment = new k8s.KubeDeployment(this, 'Resource', { metadata, spec: Lazy.any({ produce: () => this._toKube() }) as unknown as k8s.DeploymentSpec });
  }

  /** The env of the container, as rendered (a copy; EXPORTER_IDENTITY comes from the pod name). */
  public get renderedEnv(): Record<string, string> {
    return { ...this.env };
  }

  /** @internal */
  public _toKube(): k8s.DeploymentSpec {
    const code = this.codeConfig;
    const resources = renderResources(this.resources);
    const securityContext = restrictedContainerSecurityContext();
    const env: k8s.EnvVar[] = [
      // An empty value is left out: the API server drops `value: ""`, and every re-apply would re-send it.
      ...Object.entries(this.env).filter(([, value]) => value !== '').map(([name, value]) => ({ name, value })),
      // apiVersion spelt out: the API server defaults it, and fieldRef is atomic for server-side apply.
      { name: ExporterEnv.IDENTITY, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
      ...this.kafkaAccess.env,
    ];
    return {
      replicas: this.replicas,
      selector: { matchLabels: { ...this.selectorLabels } },
      template: {
        metadata: {
          labels: { ...this.selectorLabels, 'app.kubernetes.io/component': 'event-source', 'app.kubernetes.io/part-of': 'klaxon' },
          annotations: {
            [CONFIG_HASH_ANNOTATION]: configHash(codeSummary(code), JSON.stringify(this.env), JSON.stringify(this.kafkaAccess.env)),
            'prometheus.io/scrape': 'true',
            'prometheus.io/port': String(DEFAULT_HTTP_PORT),
            'prometheus.io/path': '/metrics',
          },
        },
        spec: {
          serviceAccountName: this.serviceAccount.name,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 30,
          securityContext: restrictedPodSecurityContext(code.uid),
          // Replicas on different nodes, so one node's loss leaves a standby to take over.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { ...this.selectorLabels } } } }],
            },
          },
          ...functionPodParts(code, {
            name: this.workloadName,
            env,
            port: DEFAULT_HTTP_PORT,
            resources,
            securityContext,
            volumeMounts: this.kafkaAccess.volumeMounts,
            volumes: this.kafkaAccess.volumes,
          }),
        },
      },
    };
  }
}

/** What of the code reaches the pod template (the bundle's sha256 is in the init command). */
function codeSummary(code: FunctionCodeConfig): string {
  return JSON.stringify({ image: code.image, command: code.command, args: code.args, init: code.init?.command });
}
