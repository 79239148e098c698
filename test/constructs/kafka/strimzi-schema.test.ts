import { strimziProblems } from './strimzi-schema';

describe('the Strimzi schema check used by these tests', () => {
  test("rejects the seed's ZooKeeper-era Kafka fields under v1 in both Strimzi versions", () => {
    const seedLike = {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'Kafka',
      metadata: { name: 'kube-events' },
      spec: {
        kafka: { replicas: 3, storage: { type: 'ephemeral' }, listeners: [{ name: 'plain', port: 9092, type: 'internal', tls: false }] },
        zookeeper: { replicas: 3, storage: { type: 'ephemeral' } },
      },
    };
    const problems = strimziProblems([seedLike]);
    expect(problems.filter((p) => p.startsWith('0.51.0')).length).toBeGreaterThanOrEqual(3);
    expect(problems.filter((p) => p.startsWith('1.2.0')).length).toBeGreaterThanOrEqual(3);
    expect(problems.join('\n')).toContain('"additionalProperty":"zookeeper"');
    expect(problems.join('\n')).toContain('"additionalProperty":"replicas"');
  });

  test('rejects a KafkaNodePool without roles and a KafkaTopic with zero partitions', () => {
    expect(strimziProblems([{ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaNodePool', metadata: { name: 'p' }, spec: { replicas: 1, storage: { type: 'ephemeral' } } }])).toHaveLength(2);
    expect(strimziProblems([{ apiVersion: 'kafka.strimzi.io/v1', kind: 'KafkaTopic', metadata: { name: 't' }, spec: { partitions: 0 } }])).toHaveLength(2);
  });

  test('rejects v1beta2, which Strimzi 1.2.0 no longer serves', () => {
    expect(() => strimziProblems([{ apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', metadata: { name: 't' }, spec: {} }])).toThrow(
      'Strimzi 1.2.0 does not serve kafka.strimzi.io/v1beta2 KafkaTopic',
    );
  });
});
