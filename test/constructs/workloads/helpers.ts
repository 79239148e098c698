import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';

export { messageOf, namespacedChart, objectsOf, oneOf } from '../support';

/** A cluster with a source topic, a dead-letter topic and a consumer group, as a KafkaFunction needs. */
export function kafkaFixture(chart: Chart, clusterName = 'klaxon') {
  const cluster = new KafkaCluster(chart, `Kafka-${clusterName}`, { clusterName });
  const source = new KafkaTopic(cluster, 'Source', { topicName: 'orders', partitions: 6 });
  const deadLetter = new KafkaTopic(cluster, 'DeadLetter', { topicName: 'orders.dead-letter', partitions: 1 });
  const group = new ConsumerGroup(cluster, 'Group', { groupId: 'orders-audit' });
  return { cluster, source, deadLetter, group };
}

/** `length` deterministic bytes that do not compress (sha256 in counter mode). */
export function incompressibleBytes(length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let i = 0; blocks.length * 32 < length; i++) blocks.push(createHash('sha256').update(String(i)).digest());
  return Buffer.concat(blocks).subarray(0, length);
}

/** The env list of a container as a plain record. */
export function envOf(container: any): Record<string, string> {
  return Object.fromEntries((container.env ?? []).map((e: any) => [e.name, e.value]));
}
