/**
 * A Strimzi KafkaTopic (kafka.strimzi.io/v1) that belongs to a cluster object and cannot ask for
 * more replicas than the cluster has brokers, zero partitions, an impossible min ISR, or a name
 * Kafka rejects.
 */
import { createHash } from 'crypto';
import { Duration, Lazy, Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct, IConstruct } from 'constructs';
import { KafkaTopic as KafkaTopicResource, KafkaTopicSpec } from '../../imports/strimzi-kafkatopic-kafka.strimzi.io';
import { checkInteger, checkTopicName, describeProp, DNS_SUBDOMAIN, formatValue, PropError } from '../validation';
import type { ConsumerGroup } from './consumer-group';
import { IKafkaCluster, KafkaCluster, STRIMZI_CLUSTER_LABEL } from './kafka-cluster';
import { _claimObjectName, _clusterRegistry } from './object-names';
import type { KafkaUser } from './kafka-user';

/** A Kafka topic other constructs read from or write to. */
export interface IKafkaTopic extends IConstruct {
  /** The Kafka topic name (spec.topicName when it differs from metadata.name). */
  readonly topicName: string;
  /** Number of partitions. */
  readonly partitions: number;
  /** The cluster the topic lives in. */
  readonly cluster: IKafkaCluster;
}

/** Kafka `cleanup.policy`. */
export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

/** Props of a KafkaTopic. */
export interface KafkaTopicProps {
  /** The cluster the topic lives in. @default - the nearest KafkaCluster above the topic in the construct tree */
  readonly cluster?: IKafkaCluster;
  /** Kafka topic name. @default - the construct id in kebab case ('ClusterEvents' -> 'cluster-events') */
  readonly topicName?: string;
  /** Number of partitions (the upper bound of consumers in one group). */
  readonly partitions: number;
  /** Replication factor. @default - min(3, brokers of the cluster) */
  readonly replicas?: number;
  /** `min.insync.replicas` of the topic. @default - min(2, replicas - 1) but at least 1 */
  readonly minInSyncReplicas?: number;
  /** How long records are kept (`retention.ms`). @default - the broker default (7 days) */
  readonly retention?: Duration;
  /** Bytes kept per partition before old segments are deleted (`retention.bytes`). @default - no limit */
  readonly retentionSize?: Size;
  /** Size of a log segment (`segment.bytes`). @default - the broker default (1 GiB) */
  readonly segmentSize?: Size;
  /** Largest record batch the topic accepts (`max.message.bytes`). @default - the broker default (about 1 MiB) */
  readonly maxMessageSize?: Size;
  /** `cleanup.policy`. @default - the broker default ('delete') */
  readonly cleanupPolicy?: CleanupPolicy;
  /** Extra topic config; must not repeat a key set by a typed prop. @default - none */
  readonly config?: Record<string, string | number | boolean>;
}

/**
 * The topic-level config keys of Kafka 4.1 (what `describeConfigs` lists for a topic; the
 * integration test test/integration/kafka-topics.test.ts checks this list against the broker).
 * Kafka rejects a topic with any other key (INVALID_CONFIG).
 */
export const TOPIC_CONFIG_KEYS: readonly string[] = [
  'cleanup.policy', 'compression.gzip.level', 'compression.lz4.level', 'compression.type', 'compression.zstd.level',
  'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms', 'follower.replication.throttled.replicas',
  'index.interval.bytes', 'leader.replication.throttled.replicas', 'local.retention.bytes', 'local.retention.ms',
  'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.after.max.ms', 'message.timestamp.before.max.ms',
  'message.timestamp.type', 'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate',
  'remote.log.copy.disable', 'remote.log.delete.on.disable', 'remote.storage.enable', 'retention.bytes', 'retention.ms',
  'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms', 'unclean.leader.election.enable',
];

/** Kafka 4 refuses segments smaller than 1 MiB (KIP-1030). */
export const MIN_SEGMENT_BYTES = 1024 * 1024;

const TYPED_KEYS: Record<string, keyof KafkaTopicProps> = {
  'retention.ms': 'retention',
  'retention.bytes': 'retentionSize',
  'segment.bytes': 'segmentSize',
  'max.message.bytes': 'maxMessageSize',
  'cleanup.policy': 'cleanupPolicy',
  'min.insync.replicas': 'minInSyncReplicas',
};


/**
 * A Strimzi KafkaTopic (id 'Resource'), labelled for its cluster and placed in the cluster's
 * namespace (the topic operator watches only that one).
 */
export class KafkaTopic extends Construct implements IKafkaTopic {
  public readonly topicName: string;
  public readonly partitions: number;
  public readonly cluster: IKafkaCluster;
  /** Replication factor. */
  public readonly replicas: number;
  /** `min.insync.replicas` of the topic. */
  public readonly minInSyncReplicas: number;
  /** metadata.name of the KafkaTopic (the topic name when it is a valid Kubernetes name). */
  public readonly metadataName: string;
  /** The Strimzi KafkaTopic object. */
  public readonly resource: KafkaTopicResource;

  private readonly _config: Record<string, string | number | boolean>;

  constructor(scope: Construct, id: string, props: KafkaTopicProps) {
    super(scope, id);
    const cluster = props.cluster ?? KafkaCluster.of(this);
    if (!cluster) {
      throw new PropError(`${describeProp('cluster', undefined)} of KafkaTopic '${id}' must be set when the topic is not created inside a KafkaCluster.`);
    }
    this.cluster = cluster;
    this.topicName = checkTopicName('topicName', props.topicName ?? kebabCase(id), 'KafkaTopic');
    const owner = `KafkaTopic '${this.topicName}'`;
    this.partitions = checkInteger('partitions', props.partitions, { min: 1, owner });

    this.replicas = checkInteger('replicas', props.replicas ?? Math.min(3, cluster.brokerCount), { min: 1, owner });
    if (this.replicas > cluster.brokerCount) {
      throw new PropError(`${describeProp('replicas', this.replicas, owner)} exceeds the brokers of cluster '${cluster.clusterName}' (${cluster.brokerCount}).`);
    }

    const extra = { ...(props.config ?? {}) };
    for (const key of Object.keys(extra)) {
      if (!TOPIC_CONFIG_KEYS.includes(key)) {
        throw new PropError(`${describeProp(`config.${key}`, extra[key], owner)} is not a Kafka topic config; Kafka would reject the topic. Use a topic-level key such as 'retention.ms' (broker keys belong in the KafkaCluster 'config').`);
      }
      const typed = TYPED_KEYS[key];
      if (typed && props[typed] !== undefined) {
        throw new PropError(`${describeProp(`config.${key}`, extra[key], owner)} repeats the typed prop '${typed}'; set only one of them.`);
      }
    }
    const isrFromConfig = extra['min.insync.replicas'];
    const isrProp = isrFromConfig !== undefined ? 'config.min.insync.replicas' : 'minInSyncReplicas';
    const isr = isrFromConfig !== undefined ? Number(isrFromConfig) : props.minInSyncReplicas ?? Math.max(1, Math.min(2, this.replicas - 1));
    this.minInSyncReplicas = checkInteger(isrProp, isr, { min: 1, owner });
    if (this.minInSyncReplicas > this.replicas) {
      throw new PropError(`${describeProp(isrProp, this.minInSyncReplicas, owner)} exceeds its 'replicas' (${this.replicas}); producers with acks=all could never write. Lower '${isrProp}' or raise 'replicas'.`);
    }
    delete extra['min.insync.replicas'];

    this._config = {
      ...(props.retention !== undefined ? { 'retention.ms': positiveMillis('retention', props.retention, owner) } : {}),
      ...(props.retentionSize !== undefined ? { 'retention.bytes': bytes('retentionSize', props.retentionSize, owner) } : {}),
      ...(props.segmentSize !== undefined ? { 'segment.bytes': segmentBytes(props.segmentSize, owner) } : {}),
      ...(props.maxMessageSize !== undefined ? { 'max.message.bytes': bytes('maxMessageSize', props.maxMessageSize, owner) } : {}),
      ...(props.cleanupPolicy !== undefined ? { 'cleanup.policy': checkCleanupPolicy(props.cleanupPolicy, owner) } : {}),
      'min.insync.replicas': this.minInSyncReplicas,
      ...extra,
    };

    // One topic name per cluster. Kafka also refuses names that differ only in '.' vs '_'.
    const registry = _clusterRegistry(cluster).topics;
    const key = this.topicName.replace(/\./g, '_');
    const existing = registry.get(key);
    if (existing) {
      const same = existing.topicName === this.topicName ? 'is already used by' : `collides with topic '${existing.topicName}' of`;
      throw new PropError(`${describeProp('topicName', this.topicName, 'KafkaTopic')} ${same} KafkaTopic '${existing.path}' in cluster '${cluster.clusterName}'; topic names are unique per cluster ('.' and '_' count as the same).`);
    }
    registry.set(key, { topicName: this.topicName, path: this.node.path });

    this.metadataName = kubernetesName(this.topicName);
    _claimObjectName(this, 'KafkaTopic', cluster.namespace, this.metadataName);
    this.resource = new KafkaTopicResource(this, 'Resource', {
      metadata: {
        name: this.metadataName,
        ...(cluster.namespace ? { namespace: cluster.namespace } : {}),
        labels: { [STRIMZI_CLUSTER_LABEL]: cluster.clusterName },
      },
      spec: Lazy.any({ produce: () => this._toKube() }) as unknown as KafkaTopicSpec,
    });
  }

  /** The topic config rendered into `spec.config` (a copy). */
  public get config(): Record<string, string | number | boolean> {
    return { ...this._config };
  }

  /**
   * Let `user` consume this topic in `group`: Read and Describe on the topic, Read and Describe
   * on the group. Nothing else.
   */
  public grantRead(user: KafkaUser, group: ConsumerGroup): void {
    this.checkSameCluster('user', user.cluster, user.userName);
    this.checkSameCluster('group', group.cluster, group.groupId);
    user.addAcl({ resourceType: 'topic', name: this.topicName, operations: ['Read', 'Describe'] });
    user.addAcl({ resourceType: 'group', name: group.groupId, operations: ['Read', 'Describe'] });
  }

  /** Let `user` produce to this topic: Write and Describe on the topic. Nothing else. */
  public grantWrite(user: KafkaUser): void {
    this.checkSameCluster('user', user.cluster, user.userName);
    user.addAcl({ resourceType: 'topic', name: this.topicName, operations: ['Write', 'Describe'] });
  }

  private checkSameCluster(what: string, other: IKafkaCluster, name: string): void {
    if (other !== this.cluster) {
      throw new PropError(`${describeProp(what, name)} belongs to cluster '${other.clusterName}' but KafkaTopic '${this.topicName}' to cluster '${this.cluster.clusterName}'; grant only within one cluster.`);
    }
  }

  /** @internal */
  public _toKube(): KafkaTopicSpec {
    return {
      ...(this.metadataName !== this.topicName ? { topicName: this.topicName } : {}),
      partitions: this.partitions,
      replicas: this.replicas,
      config: { ...this._config },
    };
  }
}

/** 'ClusterEvents' -> 'cluster-events', 'DeadLetter2' -> 'dead-letter2'. */
export function kebabCase(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1-$2')
    .toLowerCase();
}

/**
 * A Kubernetes metadata.name for a topic: the topic name itself when it is a lowercase DNS
 * subdomain, else a sanitized form with a hash of the real name (so 'My_Topic' and 'my-topic'
 * get different objects).
 */
export function kubernetesName(topicName: string): string {
  if (topicName.length <= 253 && DNS_SUBDOMAIN.test(topicName)) return topicName;
  const hash = createHash('sha256').update(topicName).digest('hex').slice(0, 8);
  const base = topicName
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/-*\.-*/g, '.')
    .replace(/^[^a-z0-9]+/, '')
    .replace(/[^a-z0-9]+$/, '')
    .slice(0, 240)
    .replace(/[^a-z0-9]+$/, '');
  return base ? `${base}-${hash}` : `topic-${hash}`;
}

function positiveMillis(prop: string, d: Duration, owner: string): number {
  const ms = d.toMilliseconds();
  if (!Number.isInteger(ms) || ms < 1) throw new PropError(`${describeProp(prop, d.toHumanString(), owner)} must be at least 1 millisecond.`);
  return ms;
}

function bytes(prop: string, size: Size, owner: string): number {
  const value = Math.round(size.toKibibytes({ rounding: SizeRoundingBehavior.NONE }) * 1024);
  if (!(value >= 1)) throw new PropError(`${describeProp(prop, `${value} bytes`, owner)} must be at least 1 byte.`);
  return value;
}

function segmentBytes(size: Size, owner: string): number {
  const value = bytes('segmentSize', size, owner);
  if (value < MIN_SEGMENT_BYTES) {
    throw new PropError(`${describeProp('segmentSize', `${value} bytes`, owner)} is below ${MIN_SEGMENT_BYTES} bytes (1 MiB), the smallest segment Kafka 4 accepts.`);
  }
  return value;
}

function checkCleanupPolicy(policy: CleanupPolicy, owner: string): string {
  const allowed = ['delete', 'compact', 'compact,delete'];
  if (!allowed.includes(policy)) {
    throw new PropError(`${describeProp('cleanupPolicy', policy, owner)} must be one of ${allowed.map((a) => formatValue(a)).join(', ')}.`);
  }
  return policy;
}
