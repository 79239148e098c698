/**
 * The examples of README "Extending Klaxon", each a function over one environment's pipeline object
 * (or config). test/examples/extending.test.ts type-checks them, applies each to dev, synthesizes
 * and validates the result, and checks that the README shows exactly this code.
 */
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AlertSink } from '../constructs/alerting/alert-sink';
import { KafkaTopic } from '../constructs/kafka/kafka-topic';
import { KlaxonPipeline, KlaxonPipelineProps } from '../constructs/pipeline';
import { FluentOperatorKafkaOutput } from '../constructs/shipping/fluent-operator-output';

type Config = Omit<KlaxonPipelineProps, 'code'>;

/** A rule: HTTP 5xx of the `shop` namespace's pods. */
export function addRule(pipeline: KlaxonPipeline): void {
  pipeline.logAlerter.addRule({
    name: 'Http5xx',
    severity: 'critical',
    match: { namespaces: ['shop'], log: '" (?<status>5[0-9]{2}) ' },
    summary: 'HTTP {{group.status}} in {{namespace}}/{{pod}}',
    throttle: Duration.minutes(5),
  });
}

/** A sink: Slack's incoming webhook, its URL in the Secret `klaxon-slack-webhook` (key `url`) of Klaxon's namespace. */
export function addSlackSink(pipeline: KlaxonPipeline): void {
  const slackWebhook = kplus.Secret.fromSecretName(pipeline.workloadsChart, 'SlackWebhook', 'klaxon-slack-webhook');
  pipeline.logAlerter.addSink(AlertSink.slack({ name: 'slack', webhookUrl: { secret: slackWebhook, key: 'url' } }));
}

/** A namespace: `shop` gets its own fanout topic `events.shop` (a config change, made before the pipeline is built). */
export function addNamespace(config: Config): Config {
  return { ...config, topics: { ...config.topics, namespaces: [...(config.topics?.namespaces ?? []), 'shop'] } };
}

/** An extra topic: `audit-logs` in Klaxon's Kafka cluster, wired to others as an object. */
export function addTopic(pipeline: KlaxonPipeline): KafkaTopic {
  return new KafkaTopic(pipeline.cluster, 'AuditLogs', { topicName: 'audit-logs', partitions: 3, retention: Duration.days(1) });
}

/** Another log shipper: fluent-operator's Fluent Bit ships the `shop` namespace's container logs to that topic. */
export function addLogShipper(pipeline: KlaxonPipeline, topic: KafkaTopic): FluentOperatorKafkaOutput {
  return new FluentOperatorKafkaOutput(pipeline.loggingChart, 'ShopLogs', {
    topic,
    logPath: '/var/log/containers/*_shop_*.log', // kubelet names files <pod>_<namespace>_<container>-<id>.log
    tag: 'shop',
    dbPath: '/fluent-bit/tail/shop-pos.db',
  });
}
