/**
 * A Kafka consumer group: the group id a workload joins, its scaler watches and its KafkaUser is
 * granted Read on. Wiring by this object keeps the three in agreement.
 */
import { Names } from 'cdk8s';
import { Construct } from 'constructs';
import { checkNonEmpty, describeProp, PropError } from '../validation';
import { IKafkaCluster, KafkaCluster } from './kafka-cluster';

/** Props of a ConsumerGroup. */
export interface ConsumerGroupProps {
  /** The cluster the group lives in. @default - the nearest KafkaCluster above the group in the construct tree */
  readonly cluster?: IKafkaCluster;
  /** Kafka group id shared by the workload and its scaler. @default - derived from the construct path */
  readonly groupId?: string;
}

const GROUP_IDS = new WeakMap<IKafkaCluster, Map<string, string>>();

/** A consumer group of one cluster; its id is unique in the cluster (two workloads never split one group by accident). */
export class ConsumerGroup extends Construct {
  /** Kafka group id. */
  public readonly groupId: string;
  /** The cluster the group lives in. */
  public readonly cluster: IKafkaCluster;

  constructor(scope: Construct, id: string, props: ConsumerGroupProps = {}) {
    super(scope, id);
    const cluster = props.cluster ?? KafkaCluster.of(this);
    if (!cluster) {
      throw new PropError(`${describeProp('cluster', undefined)} of ConsumerGroup '${id}' must be set when the group is not created inside a KafkaCluster.`);
    }
    this.cluster = cluster;
    this.groupId = checkNonEmpty('groupId', props.groupId ?? Names.toDnsLabel(this), 'ConsumerGroup');
    if (this.groupId.length > 249) {
      throw new PropError(`${describeProp('groupId', this.groupId, 'ConsumerGroup')} must be at most 249 characters.`);
    }

    let ids = GROUP_IDS.get(cluster);
    if (!ids) {
      ids = new Map();
      GROUP_IDS.set(cluster, ids);
    }
    const existing = ids.get(this.groupId);
    if (existing) {
      throw new PropError(`${describeProp('groupId', this.groupId, 'ConsumerGroup')} is already used by ConsumerGroup '${existing}' in cluster '${cluster.clusterName}'; two workloads in one group would split its partitions. Give each its own 'groupId'.`);
    }
    ids.set(this.groupId, this.node.path);
  }
}
