/**
 * The whole Klaxon stack for one environment: Kafka, the event sources and log shippers that
 * feed it, and the workloads that read it. Every part is a public field, so an environment in
 * main.ts can reach in and extend or replace it (`pipeline.topics.logs`, `pipeline.kafkaChart`).
 *
 * Charts are ordered with `addDependency`, so `dist/<env>/` files are numbered in apply order.
 */
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { KlaxonChart } from './klaxon-chart';
import { KafkaCluster, KafkaClusterProps } from './kafka/kafka-cluster';
import { KlaxonTopics, KlaxonTopicsProps } from './kafka/klaxon-topics';
import { checkNamespaceName } from './validation';
import { FunctionCode } from './workloads/function-code';
import { EventsFanout, EventsFanoutProps } from './workloads/events-fanout';

/** The code of each Klaxon workload (main.ts reads the bundles `npm run build:functions` writes). */
export interface KlaxonFunctionCode {
  /** Code of events-fanout. */
  readonly eventsFanout: FunctionCode;
}

/** Props of a KlaxonPipeline. */
export interface KlaxonPipelineProps {
  /** Namespace of Kafka, the event sources and the workloads. @default 'klaxon' */
  readonly namespace?: string;
  /** The Strimzi Kafka cluster. @default - KafkaCluster defaults: one dual-role broker, ephemeral storage */
  readonly kafka?: KafkaClusterProps;
  /** The standard topic set (logs, cluster-events, per-namespace fanout topics, dead letters). @default - KlaxonTopics defaults */
  readonly topics?: Omit<KlaxonTopicsProps, 'cluster'>;
  /** Code of the workloads. */
  readonly code: KlaxonFunctionCode;
  /** events-fanout options (replicas, resources, log level, …). @default - EventsFanout defaults */
  readonly fanout?: Omit<EventsFanoutProps, 'topics' | 'code'>;
}

/**
 * Every manifest of one environment's Klaxon pipeline, as a set of ordered charts added to an app.
 * Not a construct itself: its charts sit directly under the app so their files are named after them
 * (`dist/<env>/0000-kafka.k8s.yaml`, …).
 */
export class KlaxonPipeline {
  /** Namespace of Kafka, the event sources and the workloads. */
  public readonly namespace: string;
  /** Chart with the Namespace, the Kafka cluster, its node pools, topics and users. */
  public readonly kafkaChart: KlaxonChart;
  /** The Kafka cluster. */
  public readonly cluster: KafkaCluster;
  /** The standard topics. */
  public readonly topics: KlaxonTopics;
  /** Chart with the workloads that read Kafka. */
  public readonly workloadsChart: KlaxonChart;
  /** events-fanout: cluster-events → one topic per namespace. */
  public readonly fanout: EventsFanout;

  constructor(app: Construct, props: KlaxonPipelineProps) {
    this.namespace = checkNamespaceName('namespace', props.namespace ?? 'klaxon', 'KlaxonPipeline');

    this.kafkaChart = new KlaxonChart(app, 'kafka', { namespace: this.namespace });
    new k8s.KubeNamespace(this.kafkaChart, 'Namespace', {
      metadata: {
        name: this.namespace,
        labels: {
          'app.kubernetes.io/part-of': 'klaxon',
          // Strimzi's Kafka pods meet "baseline"; Klaxon's own pods meet "restricted".
          'pod-security.kubernetes.io/enforce': 'baseline',
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
    this.cluster = new KafkaCluster(this.kafkaChart, 'Kafka', props.kafka);
    this.topics = new KlaxonTopics(this.cluster, 'Topics', { ...props.topics, cluster: this.cluster });

    this.workloadsChart = new KlaxonChart(app, 'workloads', { namespace: this.namespace });
    this.workloadsChart.addDependency(this.kafkaChart);
    this.fanout = new EventsFanout(this.workloadsChart, 'EventsFanout', {
      ...props.fanout,
      topics: this.topics,
      code: props.code.eventsFanout,
    });
  }
}
