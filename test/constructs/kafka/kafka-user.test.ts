import { Testing } from 'cdk8s';
import { ConsumerGroup } from '../../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaTopic } from '../../../constructs/kafka/kafka-topic';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { messageOf, namespacedChart, objectNamed, schemaProblems } from './helpers';

function scramCluster(chart = namespacedChart('klaxon')) {
  const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }] });
  return { chart, cluster };
}

describe('KafkaUser', () => {
  test('a reader gets Read and Describe on its topic and group, nothing else', () => {
    // GIVEN
    const { chart, cluster } = scramCluster();
    const logs = new KafkaTopic(chart, 'Logs', { cluster, partitions: 10 });
    const user = new KafkaUser(chart, 'Alerter', { cluster, userName: 'log-alerter' });
    const group = new ConsumerGroup(chart, 'Group', { cluster, groupId: 'klaxon.log-alerter' });
    // WHEN
    logs.grantRead(user, group);
    // THEN
    expect(objectNamed(chart, 'KafkaUser', 'log-alerter')).toEqual({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaUser',
      metadata: { name: 'log-alerter', namespace: 'klaxon', labels: { 'strimzi.io/cluster': 'klaxon' } },
      spec: {
        authentication: { type: 'scram-sha-512' },
        authorization: {
          type: 'simple',
          acls: [
            { resource: { type: 'topic', name: 'logs', patternType: 'literal' }, operations: ['Read', 'Describe'] },
            { resource: { type: 'group', name: 'klaxon.log-alerter', patternType: 'literal' }, operations: ['Read', 'Describe'] },
          ],
        },
      },
    });
    expect(user.secretName).toBe('log-alerter');
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a writer gets Write and Describe on its topic; grants made after construction reach the manifest merged', () => {
    const { chart, cluster } = scramCluster();
    const events = new KafkaTopic(chart, 'Events', { cluster, topicName: 'cluster-events', partitions: 3 });
    const dlq = new KafkaTopic(chart, 'Dlq', { cluster, topicName: 'klaxon.dead-letter', partitions: 1 });
    const user = new KafkaUser(chart, 'Fanout', { cluster, userName: 'fanout' });
    events.grantRead(user, new ConsumerGroup(chart, 'Group', { cluster, groupId: 'fanout' }));
    dlq.grantWrite(user);
    events.grantWrite(user);
    expect(objectNamed(chart, 'KafkaUser', 'fanout').spec.authorization.acls).toEqual([
      { resource: { type: 'topic', name: 'cluster-events', patternType: 'literal' }, operations: ['Read', 'Write', 'Describe'] },
      { resource: { type: 'group', name: 'fanout', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'topic', name: 'klaxon.dead-letter', patternType: 'literal' }, operations: ['Write', 'Describe'] },
    ]);
  });

  test('a user without grants has authentication only; on a tls-auth cluster it defaults to tls', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', { listeners: [{ name: 'mtls', port: 9093, tls: true, authentication: 'tls' }] });
    const user = new KafkaUser(cluster, 'Reader', { userName: 'reader' });
    expect(user.authentication).toBe('tls');
    expect(objectNamed(chart, 'KafkaUser', 'reader').spec).toEqual({ authentication: { type: 'tls' } });
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a prefix ACL keeps its pattern type', () => {
    const { chart, cluster } = scramCluster();
    const user = new KafkaUser(chart, 'Fanout', { cluster, userName: 'fanout' });
    user.addAcl({ resourceType: 'topic', name: 'events.', patternType: 'prefix', operations: ['Write'] });
    user.addAcl({ resourceType: 'cluster', operations: ['Describe'] });
    expect(objectNamed(chart, 'KafkaUser', 'fanout').spec.authorization.acls).toEqual([
      { resource: { type: 'topic', name: 'events.', patternType: 'prefix' }, operations: ['Write'] },
      { resource: { type: 'cluster' }, operations: ['Describe'] },
    ]);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  describe('fails', () => {
    test('fails if a grant crosses clusters', () => {
      const chart = Testing.chart();
      const a = new KafkaCluster(chart, 'A', { clusterName: 'a' });
      const b = new KafkaCluster(chart, 'B', { clusterName: 'b' });
      const topic = new KafkaTopic(a, 'Logs', { partitions: 1 });
      const user = new KafkaUser(b, 'User', { userName: 'u' });
      expect(messageOf(() => topic.grantWrite(user))).toBe(
        "'user' (\"u\") belongs to cluster 'b' but KafkaTopic 'logs' to cluster 'a'; grant only within one cluster.",
      );
    });

    test('fails if no listener offers the user its authentication', () => {
      const chart = Testing.chart();
      new KafkaUser(new KafkaCluster(chart, 'Kafka'), 'User', { userName: 'u', authentication: 'scram-sha-512' });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka/User] ' +
        "'authentication' (\"scram-sha-512\") of KafkaUser 'u' matches no listener of KafkaCluster 'klaxon' ('plain': none, 'tls': none); its credentials could never be used. Add a listener with that authentication or change 'authentication'.",
      );
    });

    test('fails if the user has ACLs but the cluster has no authorizer', () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka', {
        listeners: [{ name: 'plain', port: 9092 }, { name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }],
      });
      const user = new KafkaUser(cluster, 'User', { userName: 'u' });
      new KafkaTopic(cluster, 'Logs', { partitions: 1 }).grantWrite(user);
      expect(cluster.authorization).toBe(false);
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n  [test/Kafka/User] ' +
        "KafkaUser 'u' has ACLs but KafkaCluster 'klaxon' has 'authorization' off; the user operator rejects ACLs on a cluster without an authorizer. Set 'authorization': true on the cluster (the default when the workloads' listener authenticates).",
      );
    });

    test('fails if an ACL lists no operations', () => {
      const user = new KafkaUser(new KafkaCluster(Testing.chart(), 'Kafka'), 'User', { userName: 'u' });
      expect(messageOf(() => user.addAcl({ resourceType: 'topic', name: 'logs', operations: [] }))).toBe(
        "'operations' ([]) of an ACL of KafkaUser 'u' must list at least one operation.",
      );
    });

    test('fails if the user name is not a DNS name', () => {
      expect(messageOf(() => new KafkaUser(new KafkaCluster(Testing.chart(), 'Kafka'), 'User', { userName: 'Log_Alerter' }))).toBe(
        "'userName' (\"Log_Alerter\") of KafkaUser must be a lowercase DNS name of at most 63 characters (it also names the credentials Secret).",
      );
    });
  });
});

describe('ConsumerGroup', () => {
  test('a group id is explicit or derived from the construct path, stably', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    expect(new ConsumerGroup(chart, 'Alerter', { cluster, groupId: 'klaxon.log-alerter' }).groupId).toBe('klaxon.log-alerter');
    const derived = new ConsumerGroup(cluster, 'Fanout');
    expect(derived.groupId).toMatch(/^test-kafka-fanout-[0-9a-f]{8}$/);
    expect(derived.cluster).toBe(cluster);
  });

  test('fails if two groups of one cluster share a group id', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    new ConsumerGroup(chart, 'A', { cluster, groupId: 'workers' });
    expect(messageOf(() => new ConsumerGroup(chart, 'B', { cluster, groupId: 'workers' }))).toBe(
      "'groupId' (\"workers\") of ConsumerGroup is already used by ConsumerGroup 'test/A' in cluster 'klaxon'; two workloads in one group would split its partitions. Give each its own 'groupId'.",
    );
  });

  test('fails if the group id is empty', () => {
    expect(messageOf(() => new ConsumerGroup(new KafkaCluster(Testing.chart(), 'Kafka'), 'G', { groupId: ' ' }))).toBe(
      "'groupId' (\" \") of ConsumerGroup must not be empty.",
    );
  });
});
