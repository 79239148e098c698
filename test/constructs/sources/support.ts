/**
 * Test fixtures of the sources and shipping constructs: a namespaced chart with a real KafkaCluster
 * and topic, a stand-in cluster for versions or listeners KafkaCluster does not make, helpers to
 * find objects, and the check that no Secret value leaks into a manifest outside its Secret.
 */
import { App, Chart, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { IKafkaCluster, KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { IKafkaTopic, KafkaTopic } from '../../../constructs/kafka/kafka-topic';

export { messageOf, objectsOf, oneOf, schemaProblems } from '../support';

export interface Fixture {
  readonly app: App;
  readonly chart: Chart;
  readonly cluster: KafkaCluster;
  readonly topic: KafkaTopic;
}

/** GIVEN a chart in namespace 'klaxon' with a 3-broker Kafka 4.1.1 cluster 'klaxon' and topic 'cluster-events'. */
export function fixture(topicName = 'cluster-events'): Fixture {
  const app = Testing.app();
  const chart = new Chart(app, 'test', { namespace: 'klaxon' });
  const cluster = new KafkaCluster(chart, 'Kafka', { brokers: 3, kafkaVersion: '4.1.1' });
  const topic = new KafkaTopic(cluster, 'Topic', { topicName, partitions: 3 });
  return { app, chart, cluster, topic };
}

/** A cluster defined elsewhere (another app, or not Strimzi), described by its facts only. */
export class ExternalCluster extends Construct implements IKafkaCluster {
  public readonly namespace = 'kafka';
  public readonly brokerCount = 2;
  constructor(
    scope: Construct,
    id: string,
    public readonly clusterName: string,
    public readonly kafkaVersion: string,
    public readonly bootstrapServers: string,
  ) {
    super(scope, id);
  }
  public bootstrapServersFor(listenerName: string): string {
    return listenerName === 'tls' ? this.bootstrapServers.replace(/:9092/g, ':9093') : this.bootstrapServers;
  }
}

/** A topic of an ExternalCluster. */
export class ExternalTopic extends Construct implements IKafkaTopic {
  public readonly partitions = 3;
  constructor(scope: Construct, id: string, public readonly topicName: string, public readonly cluster: IKafkaCluster) {
    super(scope, id);
  }
}

/** A Secret in the chart with recognisable values. */
export function secretWith(chart: Chart, id: string, data: Record<string, string>): kplus.Secret {
  return new kplus.Secret(chart, id, { stringData: data });
}

/** Every string in the manifest except inside Secret objects. */
export function stringsOutsideSecrets(chart: Chart): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const obj of Testing.synth(chart)) if (obj.kind !== 'Secret') walk(obj);
  return out;
}
