import { ApiObject, Duration, Testing } from 'cdk8s';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS, FanoutEnv, RuntimeTuningEnv, WorkloadEnv } from '../../../functions/contracts/workload-env';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { KlaxonTopics, KlaxonTopicsProps } from '../../../constructs/kafka/klaxon-topics';
import { DEFAULT_FANOUT_GROUP_ID, EventsFanout, EventsFanoutProps } from '../../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { CONFIG_HASH_ANNOTATION } from '../../../constructs/pod-support';
import * as fs from 'fs';
import { bundlePath } from '../../../functions/build';
import { fanoutSettings, eventsFanout } from '../../../functions/events-fanout/workload';
import { loadConfig, readSettings } from '../../../functions/runtime/config';
import { annotationBytes, formatProblem, MAX_ANNOTATIONS_BYTES, validateObjects } from '../../schema/validator';
import { envOf, messageOf, namespacedChart, oneOf } from './helpers';

const CODE = FunctionCode.fromBundle('"use strict";console.log("fanout");');

function fanout(topicsProps: KlaxonTopicsProps = { namespaces: ['shop', 'billing'] }, props: Partial<EventsFanoutProps> = {}) {
  const chart = namespacedChart('klaxon');
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics', topicsProps);
  const fn = new EventsFanout(chart, 'EventsFanout', { topics, code: CODE, ...props });
  return { chart, cluster, topics, fanout: fn };
}

describe('EventsFanout', () => {
  test('the fanout reads cluster-events in group klaxon-events-fanout and names every output topic from the KlaxonTopics set', () => {
    // GIVEN
    const { chart, cluster, topics, fanout: f } = fanout();
    // WHEN
    const container = oneOf(chart, 'Deployment').spec.template.spec.containers[0];
    // THEN
    expect(container.name).toBe('events-fanout');
    expect(container.env).toEqual([
      { name: 'KAFKA_BROKERS', value: 'klaxon-kafka-bootstrap.klaxon.svc:9092' },
      { name: 'KAFKA_SOURCE_TOPIC', value: 'cluster-events' },
      { name: 'KAFKA_GROUP_ID', value: 'klaxon-events-fanout' },
      { name: 'KAFKA_DEAD_LETTER_TOPIC', value: 'klaxon.dead-letter' },
      { name: 'KAFKA_CLIENT_ID', value: 'events-fanout' },
      { name: 'HTTP_PORT', value: '8080' },
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'KLAXON_SHUTDOWN_TIMEOUT_MS', value: '8000' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=128 --max-semi-space-size=2' },
      { name: 'FANOUT_NAMESPACE_TOPIC_PREFIX', value: 'events.' },
      { name: 'FANOUT_NAMESPACES', value: 'shop,billing' },
      { name: 'FANOUT_CLUSTER_SCOPED_TOPIC', value: 'cluster-events.cluster-scoped' },
      { name: 'FANOUT_UNROUTED_TOPIC', value: 'cluster-events.unrouted' },
    ]);
    expect(envOf(container)).toEqual({
      [WorkloadEnv.BROKERS]: cluster.bootstrapServers,
      [WorkloadEnv.SOURCE_TOPIC]: topics.clusterEvents.topicName,
      [WorkloadEnv.GROUP_ID]: f.group.groupId,
      [WorkloadEnv.DEAD_LETTER_TOPIC]: topics.deadLetter.topicName,
      [WorkloadEnv.CLIENT_ID]: 'events-fanout',
      [WorkloadEnv.HTTP_PORT]: '8080',
      [WorkloadEnv.LOG_LEVEL]: 'info',
      [RuntimeTuningEnv.SHUTDOWN_TIMEOUT_MS]: String(DEFAULT_SHUTDOWN_TIMEOUT_MS),
      NODE_OPTIONS: '--max-old-space-size=128 --max-semi-space-size=2',
      [FanoutEnv.NAMESPACE_TOPIC_PREFIX]: topics.namespacePrefix,
      [FanoutEnv.NAMESPACES]: topics.namespaces.join(','),
      [FanoutEnv.CLUSTER_SCOPED_TOPIC]: topics.clusterScoped.topicName,
      [FanoutEnv.UNROUTED_TOPIC]: topics.unrouted.topicName,
    });
    expect(f.group.groupId).toBe(DEFAULT_FANOUT_GROUP_ID);
    expect(f.group.cluster).toBe(cluster);
    expect(f.env).toEqual(envOf(container));
    expect(f.function.source).toBe(topics.clusterEvents);
    expect(f.function.deadLetter).toBe(topics.deadLetter);
  });

  test('renamed topics and prefix reach the env without being typed twice', () => {
    // GIVEN
    const props: KlaxonTopicsProps = {
      namespaces: ['shop'],
      namespacePrefix: 'ns-events.',
      clusterEventsTopicName: 'k8s-events',
      deadLetterTopicName: 'dlq',
      clusterScopedTopicName: 'k8s-events.global',
      unroutedTopicName: 'k8s-events.other',
    };
    // WHEN
    const { fanout: f } = fanout(props);
    // THEN
    expect(f.env).toMatchObject({
      KAFKA_SOURCE_TOPIC: 'k8s-events',
      KAFKA_DEAD_LETTER_TOPIC: 'dlq',
      FANOUT_NAMESPACE_TOPIC_PREFIX: 'ns-events.',
      FANOUT_NAMESPACES: 'shop',
      FANOUT_CLUSTER_SCOPED_TOPIC: 'k8s-events.global',
      FANOUT_UNROUTED_TOPIC: 'k8s-events.other',
    });
  });

  test('without declared namespaces FANOUT_NAMESPACES is empty: every namespace is routed to its prefixed topic', () => {
    const { fanout: f } = fanout({});
    expect(f.env.FANOUT_NAMESPACES).toBe('');
  });

  test('a given ConsumerGroup is the group the fanout joins', () => {
    // GIVEN
    const chart = namespacedChart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const topics = new KlaxonTopics(cluster, 'Topics');
    const group = new ConsumerGroup(cluster, 'FanoutGroup', { groupId: 'fanout-eu' });
    // WHEN
    const f = new EventsFanout(chart, 'EventsFanout', { topics, code: CODE, group });
    // THEN
    expect(f.group).toBe(group);
    expect(f.env.KAFKA_GROUP_ID).toBe('fanout-eu');
  });

  test('options reach the fanout Deployment', () => {
    // GIVEN
    const { chart } = fanout(undefined, { replicas: 2, logLevel: 'warn', terminationGracePeriod: Duration.seconds(20), env: { TZ: 'UTC' }, metricsService: true });
    // WHEN
    const deployment = oneOf(chart, 'Deployment');
    // THEN
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(20);
    expect(envOf(deployment.spec.template.spec.containers[0])).toMatchObject({ LOG_LEVEL: 'warn', TZ: 'UTC' });
    expect(oneOf(chart, 'Service').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 'http', protocol: 'TCP' }]);
  });

  test('the fanout Deployment is its primary object, and its pods roll when the namespace list changes', () => {
    // GIVEN
    const a = fanout({ namespaces: ['shop'] });
    // WHEN
    const b = fanout({ namespaces: ['shop', 'billing'] });
    // THEN
    expect(ApiObject.of(a.fanout)).toBe(a.fanout.function.deployment);
    const hash = (chart: typeof a.chart) => oneOf(chart, 'Deployment').spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash(a.chart)).toBe(a.fanout.function.contentHash);
    expect(hash(b.chart)).not.toBe(hash(a.chart));
    expect(hash(fanout({ namespaces: ['shop'] }).chart)).toBe(hash(a.chart));
  });

  test('a KafkaUser gets least privilege: Read on cluster-events in its group, Write on the dead-letter, fallback and declared namespace topics', () => {
    // GIVEN
    const chart = namespacedChart();
    const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }] });
    const topics = new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop', 'billing'] });
    const user = new KafkaUser(cluster, 'FanoutUser', { userName: 'events-fanout', authentication: 'scram-sha-512' });
    // WHEN
    const fanout = new EventsFanout(chart, 'EventsFanout', { topics, code: CODE, user });
    // THEN
    const write = ['Write', 'Describe'];
    expect(user.aclRules).toEqual([
      { resourceType: 'topic', name: 'cluster-events', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'group', name: 'klaxon-events-fanout', patternType: 'literal', operations: ['Read', 'Describe'] },
      { resourceType: 'topic', name: 'klaxon.dead-letter', patternType: 'literal', operations: write },
      { resourceType: 'topic', name: 'cluster-events.cluster-scoped', patternType: 'literal', operations: write },
      { resourceType: 'topic', name: 'cluster-events.unrouted', patternType: 'literal', operations: write },
      { resourceType: 'topic', name: 'events.shop', patternType: 'literal', operations: write },
      { resourceType: 'topic', name: 'events.billing', patternType: 'literal', operations: write },
    ]);
    // AND its pods authenticate as that user
    expect(fanout.function.kafkaAccess.env).toContainEqual({ name: 'KAFKA_SASL_PASSWORD_FILE', value: '/etc/klaxon/kafka/sasl/password' });
    expect(fanout.function.kafkaAccess.volumes).toContainEqual({ name: 'kafka-sasl', secret: { secretName: 'events-fanout', items: [{ key: 'password', path: 'password' }], defaultMode: 0o440 } });
  });

  test('without declared namespaces the user may write every topic under the namespace prefix', () => {
    // GIVEN
    const chart = namespacedChart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const topics = new KlaxonTopics(cluster, 'Topics');
    const user = new KafkaUser(cluster, 'FanoutUser', { userName: 'events-fanout', authentication: 'scram-sha-512' });
    const f = new EventsFanout(chart, 'EventsFanout', { topics, code: CODE });
    // WHEN
    f.grantTo(user);
    // THEN
    expect(user.aclRules.filter((r) => r.patternType === 'prefix')).toEqual([
      { resourceType: 'topic', name: 'events.', patternType: 'prefix', operations: ['Write', 'Describe'] },
    ]);
  });

  test('fails if the given group belongs to another cluster', () => {
    const chart = namespacedChart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const other = new KafkaCluster(chart, 'Other', { clusterName: 'other' });
    const topics = new KlaxonTopics(cluster, 'Topics');
    const group = new ConsumerGroup(other, 'Group', { groupId: 'fanout' });
    expect(messageOf(() => new EventsFanout(chart, 'EventsFanout', { topics, code: CODE, group }))).toBe(
      "'group' (group 'fanout') of KafkaFunction 'events-fanout' belongs to cluster 'other', not to the function's cluster 'klaxon'; a function reads, commits and dead-letters on one cluster. Pass objects of the same KafkaCluster.",
    );
  });

  test('fails if no topic set is given', () => {
    const chart = namespacedChart();
    expect(messageOf(() => new EventsFanout(chart, 'EventsFanout', { topics: undefined as never, code: CODE }))).toBe(
      "'topics' (undefined) of EventsFanout must be set: the KlaxonTopics the fanout reads and writes.",
    );
  });

  test('the whole fanout with its Kafka objects validates against Kubernetes 1.27 and Strimzi', () => {
    const { chart } = fanout();
    expect(validateObjects(Testing.synth(chart)).map(formatProblem)).toEqual([]);
  });

  test('the runtime reads the rendered env as the fanout construct meant it', () => {
    // GIVEN
    const { fanout: f } = fanout({ namespaces: ['shop', 'billing'] });
    // WHEN
    const config = loadConfig(f.env, eventsFanout.defaults);
    const settings = readSettings(fanoutSettings, f.env);
    // THEN
    expect(config).toMatchObject({
      brokers: ['klaxon-kafka-bootstrap.klaxon.svc:9092'],
      sourceTopic: 'cluster-events',
      groupId: 'klaxon-events-fanout',
      deadLetterTopic: 'klaxon.dead-letter',
      clientId: 'events-fanout',
      httpPort: 8080,
      logLevel: 'info',
    });
    expect(settings).toEqual({
      namespaceTopicPrefix: 'events.',
      namespaces: ['shop', 'billing'],
      clusterScopedTopic: 'cluster-events.cluster-scoped',
      unroutedTopic: 'cluster-events.unrouted',
      // declared-only (the default): nothing is created
      createNamespaceTopics: false,
      createdTopicPartitions: undefined,
      createdTopicReplicas: undefined,
      createdTopicConfig: {},
    });
  });
});

const built = fs.existsSync(bundlePath('events-fanout'));
const whenBuilt = built ? test : test.skip;

describe('EventsFanout with the real bundle (after npm run build:functions)', () => {
  whenBuilt('the events-fanout bundle fits its ConfigMap under the kubectl apply annotation limit', () => {
    // GIVEN
    const bytes = fs.readFileSync(bundlePath('events-fanout'));
    // WHEN
    const { chart } = fanout(undefined, { code: FunctionCode.fromBundle(bytes) });
    // THEN
    const configMap = oneOf(chart, 'ConfigMap');
    expect(annotationBytes(configMap)).toBeLessThan(MAX_ANNOTATIONS_BYTES);
    expect(validateObjects([configMap]).map(formatProblem)).toEqual([]);
  });
});
