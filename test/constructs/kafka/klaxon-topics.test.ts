import { Duration, Size, Testing } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaStorage } from '../../../constructs/kafka/kafka-storage';
import { KlaxonTopics } from '../../../constructs/kafka/klaxon-topics';
import { messageOf, objectsOf, schemaProblems } from './helpers';

describe('KlaxonTopics', () => {
  test('the standard set on a one-broker dev cluster: logs with 10 partitions, events, fallbacks, dead letters and one topic per namespace', () => {
    // GIVEN
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    // WHEN
    const topics = new KlaxonTopics(chart, 'Topics', { cluster, namespaces: ['shop', 'payments'] });
    // THEN
    const specs = Object.fromEntries(objectsOf(chart, 'KafkaTopic').map((t) => [t.metadata.name, t.spec]));
    const events = { partitions: 3, replicas: 1, config: { 'retention.ms': 7200000, 'segment.bytes': 1073741824, 'min.insync.replicas': 1 } };
    expect(specs).toEqual({
      'logs': { partitions: 10, replicas: 1, config: { 'retention.ms': 7200000, 'segment.bytes': 1073741824, 'min.insync.replicas': 1 } },
      'cluster-events': events,
      'cluster-events.cluster-scoped': events,
      'cluster-events.unrouted': events,
      'klaxon.dead-letter': { partitions: 1, replicas: 1, config: { 'retention.ms': 604800000, 'segment.bytes': 1073741824, 'min.insync.replicas': 1 } },
      'events.shop': events,
      'events.payments': events,
    });
    expect(topics.topicForNamespace('shop')?.topicName).toBe('events.shop');
    expect(topics.topicForNamespace('kube-system')).toBeUndefined();
    expect(topics.namespaces).toEqual(['shop', 'payments']);
    expect(topics.namespacePrefix).toBe('events.');
    expect([topics.logs, topics.clusterEvents, topics.clusterScoped, topics.unrouted, topics.deadLetter].map((t) => t.topicName)).toEqual([
      'logs', 'cluster-events', 'cluster-events.cluster-scoped', 'cluster-events.unrouted', 'klaxon.dead-letter',
    ]);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('on a three-broker prod cluster every topic has three replicas and min.insync.replicas 2', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', { brokers: 3, storage: KafkaStorage.persistentClaim({ size: Size.gibibytes(100) }) });
    new KlaxonTopics(chart, 'Topics', { cluster, namespaces: ['shop'] });
    const topics = objectsOf(chart, 'KafkaTopic');
    expect(topics).toHaveLength(6);
    for (const t of topics) {
      expect([t.spec.replicas, t.spec.config['min.insync.replicas']]).toEqual([3, 2]);
    }
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('every prop reaches the manifest', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', { brokers: 3 });
    const topics = new KlaxonTopics(chart, 'Topics', {
      cluster,
      namespaces: ['shop'],
      namespacePrefix: 'ns_',
      logsPartitions: 12,
      eventsPartitions: 2,
      deadLetterPartitions: 2,
      logsRetention: Duration.days(1),
      eventsRetention: Duration.hours(6),
      deadLetterRetention: Duration.days(14),
      segmentSize: Size.mebibytes(256),
      replicas: 2,
      logsTopicName: 'app-logs',
      clusterEventsTopicName: 'k8s-events',
      deadLetterTopicName: 'dlq',
      clusterScopedTopicName: 'k8s-events.cluster',
      unroutedTopicName: 'k8s-events.other',
    });
    const specs = Object.fromEntries(objectsOf(chart, 'KafkaTopic').map((t) => [t.metadata.name, t.spec]));
    const events = { partitions: 2, replicas: 2, config: { 'retention.ms': 21600000, 'segment.bytes': 268435456, 'min.insync.replicas': 1 } };
    const nsTopic = Object.keys(specs).find((n) => n.startsWith('ns-shop'))!;
    expect(specs).toEqual({
      'app-logs': { partitions: 12, replicas: 2, config: { 'retention.ms': 86400000, 'segment.bytes': 268435456, 'min.insync.replicas': 1 } },
      'k8s-events': events,
      'k8s-events.cluster': events,
      'k8s-events.other': events,
      'dlq': { partitions: 2, replicas: 2, config: { 'retention.ms': 1209600000, 'segment.bytes': 268435456, 'min.insync.replicas': 1 } },
      [nsTopic]: { ...events, topicName: 'ns_shop' },
    });
    expect(topics.topicForNamespace('shop')?.topicName).toBe('ns_shop');
  });

  describe('fails', () => {
    test('fails if a namespace prefix lets a namespace take a standard topic name', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespacePrefix: 'cluster-events.' }))).toBe(
        "'namespacePrefix' (\"cluster-events.\") of KlaxonTopics 'Topics' would give namespace 'cluster-scoped' the topic 'cluster-events.cluster-scoped', which is already a standard topic; choose a prefix no standard topic starts with.",
      );
    });

    test("fails if a namespace prefix matches a standard topic up to '.' versus '_'", () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespacePrefix: 'klaxon_' }))).toBe(
        "'namespacePrefix' (\"klaxon_\") of KlaxonTopics 'Topics' would give namespace 'dead-letter' the topic 'klaxon.dead-letter', which is already a standard topic; choose a prefix no standard topic starts with.",
      );
    });

    test('fails if the namespace prefix is empty', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespacePrefix: '' }))).toBe(
        "'namespacePrefix' (\"\") of KlaxonTopics 'Topics' must not be empty; a namespace such as 'logs' would otherwise be the logs topic. Use e.g. 'events.'.",
      );
    });

    test('fails if the namespace prefix has characters Kafka rejects', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespacePrefix: 'events/' }))).toBe(
        "'namespacePrefix' (\"events/x\") of KlaxonTopics 'Topics' is not a valid Kafka topic name: a topic name may contain only ASCII letters, digits, '.', '_' and '-'.",
      );
    });

    test('fails if a namespace is not a Kubernetes namespace name', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespaces: ['Shop'] }))).toBe(
        "'namespaces[]' (\"Shop\") of KlaxonTopics 'Topics' is not a valid namespace: a namespace name is a DNS label: lowercase letters, digits and -.",
      );
    });

    test('fails if a namespace is listed twice', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop', 'shop'] }))).toBe(
        "'namespaces[]' (\"shop\") of KlaxonTopics 'Topics' is listed twice; list each namespace once.",
      );
    });

    test('fails if two standard topics are given one name', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { deadLetterTopicName: 'logs' }))).toBe(
        "'topicName' (\"logs\") of KafkaTopic is already used by KafkaTopic 'test/Kafka/Topics/Logs' in cluster 'klaxon'; topic names are unique per cluster ('.' and '_' count as the same).",
      );
    });

    test('fails if replicas exceed the brokers', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KlaxonTopics(cluster, 'Topics', { replicas: 3 }))).toBe(
        "'replicas' (3) of KafkaTopic 'logs' exceeds the brokers of cluster 'klaxon' (1).",
      );
    });
  });
});
