import { Chart, Duration, Size, Testing } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { kebabCase, KafkaTopic, kubernetesName } from '../../../constructs/kafka/kafka-topic';
import { messageOf, namespacedChart, objectNamed, objectsOf, schemaProblems } from './helpers';

describe('KafkaTopic', () => {
  test('a topic belongs to its cluster object: label, namespace and default replicas come from it', () => {
    // GIVEN
    const chart = namespacedChart('klaxon');
    const cluster = new KafkaCluster(chart, 'Kafka', { clusterName: 'events', brokers: 3 });
    // WHEN
    const topic = new KafkaTopic(chart, 'Logs', { cluster, partitions: 10 });
    // THEN
    expect(objectNamed(chart, 'KafkaTopic', 'logs')).toEqual({
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: { name: 'logs', namespace: 'klaxon', labels: { 'strimzi.io/cluster': 'events' } },
      spec: { partitions: 10, replicas: 3, config: { 'min.insync.replicas': 2 } },
    });
    expect(topic.topicName).toBe('logs');
    expect(topic.cluster).toBe(cluster);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('replicas default to the brokers of a one-broker cluster, with min.insync.replicas 1', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const topic = new KafkaTopic(chart, 'Logs', { cluster, partitions: 10 });
    expect(objectNamed(chart, 'KafkaTopic', 'logs').spec).toEqual({ partitions: 10, replicas: 1, config: { 'min.insync.replicas': 1 } });
    expect(topic.replicas).toBe(1);
    expect(topic.minInSyncReplicas).toBe(1);
  });

  test('every prop reaches the manifest', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka', { brokers: 3 });
    new KafkaTopic(chart, 'Audit', {
      cluster,
      topicName: 'audit',
      partitions: 6,
      replicas: 2,
      minInSyncReplicas: 2,
      retention: Duration.hours(2),
      retentionSize: Size.gibibytes(5),
      segmentSize: Size.gibibytes(1),
      maxMessageSize: Size.mebibytes(2),
      cleanupPolicy: 'compact,delete',
      config: { 'compression.type': 'zstd' },
    });
    expect(objectNamed(chart, 'KafkaTopic', 'audit').spec).toEqual({
      partitions: 6,
      replicas: 2,
      config: {
        'retention.ms': 7200000,
        'retention.bytes': 5368709120,
        'segment.bytes': 1073741824,
        'max.message.bytes': 2097152,
        'cleanup.policy': 'compact,delete',
        'min.insync.replicas': 2,
        'compression.type': 'zstd',
      },
    });
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a topic created inside a cluster needs no cluster prop and takes its name from the construct id', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const topic = new KafkaTopic(cluster, 'ClusterEvents', { partitions: 3 });
    expect(topic.cluster).toBe(cluster);
    expect(topic.topicName).toBe('cluster-events');
    expect(kebabCase('DeadLetter')).toBe('dead-letter');
  });

  test('a topic name that is not a Kubernetes name keeps its Kafka name in spec.topicName with a sanitized metadata.name', () => {
    const chart = Testing.chart();
    const cluster = new KafkaCluster(chart, 'Kafka');
    const topic = new KafkaTopic(chart, 'Legacy', { cluster, topicName: 'Audit_Log', partitions: 1 });
    const [manifest] = objectsOf(chart, 'KafkaTopic');
    expect(manifest.metadata.name).toBe(topic.metadataName);
    expect(manifest.metadata.name).toMatch(/^audit-log-[0-9a-f]{8}$/);
    expect(manifest.spec.topicName).toBe('Audit_Log');
    expect(kubernetesName('audit-log')).toBe('audit-log');
    expect(kubernetesName('Audit_Log')).not.toBe(kubernetesName('audit_log'));
    expect(kubernetesName('__')).toMatch(/^topic-[0-9a-f]{8}$/);
    expect(schemaProblems(Testing.synth(chart))).toEqual([]);
  });

  test('a dotted lowercase topic name is its own metadata.name', () => {
    const chart = Testing.chart();
    new KafkaTopic(new KafkaCluster(chart, 'Kafka'), 'Dlq', { topicName: 'klaxon.dead-letter', partitions: 1 });
    const [manifest] = objectsOf(chart, 'KafkaTopic');
    expect(manifest.metadata.name).toBe('klaxon.dead-letter');
    expect(manifest.spec.topicName).toBeUndefined();
  });

  test('config added to a topic is returned as a copy', () => {
    const topic = new KafkaTopic(new KafkaCluster(Testing.chart(), 'Kafka'), 'Logs', { partitions: 1 });
    topic.config['retention.ms'] = 1;
    expect(topic.config).toEqual({ 'min.insync.replicas': 1 });
  });

  describe('fails', () => {
    test('fails if replicas exceed the brokers of the cluster', () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka');
      expect(messageOf(() => new KafkaTopic(chart, 'Logs', { cluster, partitions: 10, replicas: 3 }))).toBe(
        "'replicas' (3) of KafkaTopic 'logs' exceeds the brokers of cluster 'klaxon' (1).",
      );
    });

    test('fails if partitions are below 1', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 0 }))).toBe("'partitions' (0) of KafkaTopic 'logs' must be at least 1.");
    });

    test('fails if partitions are not a whole number', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1.5 }))).toBe("'partitions' (1.5) of KafkaTopic 'logs' must be a whole number.");
    });

    test('fails if min.insync.replicas exceeds the replicas', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka', { brokers: 3 });
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, replicas: 2, minInSyncReplicas: 3 }))).toBe(
        "'minInSyncReplicas' (3) of KafkaTopic 'logs' exceeds its 'replicas' (2); producers with acks=all could never write. Lower 'minInSyncReplicas' or raise 'replicas'.",
      );
    });

    test('fails if min.insync.replicas given as raw config exceeds the replicas', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, config: { 'min.insync.replicas': 2 } }))).toBe(
        "'config.min.insync.replicas' (2) of KafkaTopic 'logs' exceeds its 'replicas' (1); producers with acks=all could never write. Lower 'config.min.insync.replicas' or raise 'replicas'.",
      );
    });

    test('fails if the topic name has characters Kafka rejects', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { topicName: 'logs/app', partitions: 1 }))).toBe(
        "'topicName' (\"logs/app\") of KafkaTopic is not a valid Kafka topic name: a topic name may contain only ASCII letters, digits, '.', '_' and '-'.",
      );
    });

    test('fails if the topic name is longer than 249 characters', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      const name = 'a'.repeat(250);
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { topicName: name, partitions: 1 }))).toBe(
        `'topicName' ("${name}") of KafkaTopic is not a valid Kafka topic name: a topic name is at most 249 characters long (got 250).`,
      );
    });

    test("fails if the topic name is '..'", () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { topicName: '..', partitions: 1 }))).toBe(
        "'topicName' (\"..\") of KafkaTopic is not a valid Kafka topic name: a topic name cannot be '.' or '..'.",
      );
    });

    test('fails if two topics of one cluster have one name', () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka');
      new KafkaTopic(chart, 'Logs', { cluster, partitions: 1 });
      expect(messageOf(() => new KafkaTopic(chart, 'MoreLogs', { cluster, topicName: 'logs', partitions: 1 }))).toBe(
        "'topicName' (\"logs\") of KafkaTopic is already used by KafkaTopic 'test/Logs' in cluster 'klaxon'; topic names are unique per cluster ('.' and '_' count as the same).",
      );
    });

    test("fails if two topics of one cluster differ only in '.' and '_'", () => {
      const chart = Testing.chart();
      const cluster = new KafkaCluster(chart, 'Kafka');
      new KafkaTopic(chart, 'A', { cluster, topicName: 'app.logs', partitions: 1 });
      expect(messageOf(() => new KafkaTopic(chart, 'B', { cluster, topicName: 'app_logs', partitions: 1 }))).toBe(
        "'topicName' (\"app_logs\") of KafkaTopic collides with topic 'app.logs' of KafkaTopic 'test/A' in cluster 'klaxon'; topic names are unique per cluster ('.' and '_' count as the same).",
      );
    });

    test('one topic name in two clusters in two namespaces is fine', () => {
      const app = Testing.app();
      const a = new Chart(app, 'a', { namespace: 'team-a' });
      const b = new Chart(app, 'b', { namespace: 'team-b' });
      new KafkaTopic(new KafkaCluster(a, 'Kafka'), 'Logs', { partitions: 1 });
      new KafkaTopic(new KafkaCluster(b, 'Kafka'), 'Logs', { partitions: 1 });
      expect(() => app.synthYaml()).not.toThrow();
    });

    test('fails if two clusters in one namespace render objects of one name', () => {
      const chart = namespacedChart('klaxon');
      new KafkaTopic(new KafkaCluster(chart, 'A', { clusterName: 'a' }), 'Logs', { partitions: 1 });
      new KafkaTopic(new KafkaCluster(chart, 'B', { clusterName: 'b' }), 'Logs', { partitions: 1 });
      expect(messageOf(() => Testing.synth(chart))).toBe(
        'Validation failed with the following errors:\n' +
        "  [test/B] KafkaNodePool 'dual-role' of 'test/B' is already rendered in namespace 'klaxon' by 'test/A'; Kubernetes names are unique per kind and namespace. Give each Kafka cluster its own namespace.\n" +
        "  [test/B/Logs] KafkaTopic 'logs' of 'test/B/Logs' is already rendered in namespace 'klaxon' by 'test/A/Logs'; Kubernetes names are unique per kind and namespace. Give each Kafka cluster its own namespace.",
      );
    });

    test('fails if raw config repeats a typed prop', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, retention: Duration.hours(1), config: { 'retention.ms': 5 } }))).toBe(
        "'config.retention.ms' (5) of KafkaTopic 'logs' repeats the typed prop 'retention'; set only one of them.",
      );
    });

    test('fails if raw config has a key that is not a topic config', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, config: { 'retention.hours': 2 } }))).toBe(
        "'config.retention.hours' (2) of KafkaTopic 'logs' is not a Kafka topic config; Kafka would reject the topic. Use a topic-level key such as 'retention.ms' (broker keys belong in the KafkaCluster 'config').",
      );
    });

    test('fails if the segment size is below the 1 MiB Kafka 4 accepts', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, segmentSize: Size.kibibytes(512) }))).toBe(
        "'segmentSize' (\"524288 bytes\") of KafkaTopic 'logs' is below 1048576 bytes (1 MiB), the smallest segment Kafka 4 accepts.",
      );
    });

    test('fails if there is no cluster', () => {
      expect(messageOf(() => new KafkaTopic(Testing.chart(), 'Logs', { partitions: 1 }))).toBe(
        "'cluster' (undefined) of KafkaTopic 'Logs' must be set when the topic is not created inside a KafkaCluster.",
      );
    });

    test('fails if the cleanup policy is unknown', () => {
      const cluster = new KafkaCluster(Testing.chart(), 'Kafka');
      expect(messageOf(() => new KafkaTopic(cluster, 'Logs', { partitions: 1, cleanupPolicy: 'forever' as any }))).toBe(
        "'cleanupPolicy' (\"forever\") of KafkaTopic 'logs' must be one of \"delete\", \"compact\", \"compact,delete\".",
      );
    });
  });
});
