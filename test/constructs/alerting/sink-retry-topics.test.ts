import { Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { AlertRule } from '../../../constructs/alerting/alert-rule';
import { AlertSink } from '../../../constructs/alerting/alert-sink';
import { LogAlerter } from '../../../constructs/workloads/log-alerter';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../../constructs/kafka/klaxon-topics';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { EXAMPLE_404_RULE } from '../../../functions/contracts/alert-rules';
import { messageOf, namespacedChart, objectsOf, schemaProblems } from '../support';

const CODE = FunctionCode.fromBundle('"use strict";');
const CRASH: AlertRule = { name: 'PodCrashLooping', event: { types: ['Warning'], reasons: ['BackOff'] }, threshold: { count: 3, window: Duration.minutes(10) } };

function setup() {
  const chart = namespacedChart('klaxon');
  const cluster = new KafkaCluster(chart, 'Kafka');
  const topics = new KlaxonTopics(cluster, 'Topics');
  const secret = kplus.Secret.fromSecretName(chart, 'SlackSecret', 'klaxon-slack');
  return { chart, cluster, topics, secret };
}

describe('the retry topics of the alerter sinks', () => {
  test('each sink gets a one-partition KafkaTopic <group>.retry.<sink> in the cluster namespace, and a group of the same name', () => {
    // GIVEN
    const { chart, topics } = setup();
    // WHEN
    const a = new LogAlerter(chart, 'LogAlerter', {
      source: topics.logs,
      deadLetter: topics.deadLetter,
      code: CODE,
      rules: [EXAMPLE_404_RULE],
      sinks: [AlertSink.notificationManager(), AlertSink.webhook({ url: 'https://hooks.example.com/klaxon', name: 'pager' })],
    });
    // THEN
    const retry = objectsOf(chart, 'KafkaTopic').filter((t) => t.metadata.name.includes('.retry.'));
    expect(retry.map((t) => [t.metadata.name, t.metadata.namespace, t.metadata.labels['strimzi.io/cluster'], t.spec.partitions])).toEqual([
      ['klaxon-log-alerter.retry.notification-manager', 'klaxon', 'klaxon', 1],
      ['klaxon-log-alerter.retry.pager', 'klaxon', 'klaxon', 1],
    ]);
    expect(a.retryTopics.topics.map((t) => [t.sink, t.topic.topicName, t.group.groupId])).toEqual([
      ['notification-manager', 'klaxon-log-alerter.retry.notification-manager', 'klaxon-log-alerter.retry.notification-manager'],
      ['pager', 'klaxon-log-alerter.retry.pager', 'klaxon-log-alerter.retry.pager'],
    ]);
    expect(a.env.ALERTER_SINK_RETRY).toBe('topics');
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a grouped Slack sink (sent from memory, never parked) gets no retry topic', () => {
    const { chart, topics, secret } = setup();
    const a = new LogAlerter(chart, 'LogAlerter', {
      source: topics.logs,
      deadLetter: topics.deadLetter,
      code: CODE,
      rules: [EXAMPLE_404_RULE],
      sinks: [AlertSink.notificationManager(), AlertSink.slack({ webhookUrl: { secret, key: 'url' }, group: { by: ['alertname'] } })],
    });
    expect(a.retryTopics.topics.map((t) => t.sink)).toEqual(['notification-manager']);
  });

  test('sinks added later and a user granted later get their retry topics and grants; the event alerter has its own', () => {
    // GIVEN an alerter with event rules and no user
    const { chart, cluster, topics } = setup();
    const a = new LogAlerter(chart, 'LogAlerter', { source: topics.logs, deadLetter: topics.deadLetter, events: topics.clusterEvents, code: CODE, rules: [EXAMPLE_404_RULE, CRASH], sinks: [AlertSink.notificationManager()] });
    // WHEN a sink is added, then a user granted
    a.addSink(AlertSink.alertmanager({ url: 'http://alertmanager.monitoring:9093' }));
    const user = new KafkaUser(cluster, 'AlerterUser', { userName: 'log-alerter' });
    a.grantTo(user);
    // THEN both functions have a retry topic per sink, and the user holds Read+Write on each, Read on each group
    expect(a.retryTopics.topics.map((t) => t.topic.topicName)).toEqual(['klaxon-log-alerter.retry.notification-manager', 'klaxon-log-alerter.retry.alertmanager']);
    expect(a.eventRetryTopics!.topics.map((t) => t.topic.topicName)).toEqual(['klaxon-event-alerter.retry.notification-manager', 'klaxon-event-alerter.retry.alertmanager']);
    const retryAcls = user.aclRules.filter((r) => r.name!.includes('.retry.'));
    expect(retryAcls.map((r) => `${r.resourceType}:${r.name}:${r.operations.join('+')}`)).toEqual([
      'topic:klaxon-log-alerter.retry.notification-manager:Read+Write+Describe',
      'group:klaxon-log-alerter.retry.notification-manager:Read+Describe',
      'topic:klaxon-log-alerter.retry.alertmanager:Read+Write+Describe',
      'group:klaxon-log-alerter.retry.alertmanager:Read+Describe',
      'topic:klaxon-event-alerter.retry.notification-manager:Read+Write+Describe',
      'group:klaxon-event-alerter.retry.notification-manager:Read+Describe',
      'topic:klaxon-event-alerter.retry.alertmanager:Read+Write+Describe',
      'group:klaxon-event-alerter.retry.alertmanager:Read+Describe',
    ]);
    // AND a sink added after the grant is granted too
    a.addSink(AlertSink.webhook({ url: 'https://hooks.example.com/klaxon' }));
    expect(user.aclRules.filter((r) => r.name === 'klaxon-log-alerter.retry.webhook').map((r) => r.resourceType)).toEqual(['topic', 'group']);
  });

  test('fails if a retry topic name would pass Kafka\'s limit, naming the topic', () => {
    const { chart, cluster, topics } = setup();
    const group = new ConsumerGroup(cluster, 'Long', { groupId: 'g'.repeat(240) });
    expect(messageOf(() =>
      new LogAlerter(chart, 'LogAlerter', { source: topics.logs, deadLetter: topics.deadLetter, group, code: CODE, rules: [EXAMPLE_404_RULE], sinks: [AlertSink.notificationManager()] }),
    )).toBe(`'topicName' ("${'g'.repeat(240)}.retry.notification-manager") of KafkaTopic is not a valid Kafka topic name: a topic name is at most 249 characters long (got 267).`);
  });
});
