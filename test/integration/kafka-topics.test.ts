/**
 * The synthesized KafkaTopic objects, created on the real test broker with the kafkajs admin
 * client, exactly as the Strimzi topic operator would: name (spec.topicName or metadata.name),
 * partitions, replicas and every config key. Names get a per-run suffix.
 */
import { Duration, Size, Testing } from 'cdk8s';
import { Admin, ConfigResourceTypes, ConfigSource, ITopicConfig, Kafka, logLevel } from 'kafkajs';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaTopic, MIN_SEGMENT_BYTES, TOPIC_CONFIG_KEYS } from '../../constructs/kafka/kafka-topic';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { brokers, uniqueName, waitForLeaders } from '../harness';

interface SynthesizedTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicas: number;
  readonly config: Record<string, string | number | boolean>;
}

/** A dev chart (one broker, like the harness): the standard set plus a topic using every prop. */
function synthesizedTopics(): SynthesizedTopic[] {
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka');
  new KlaxonTopics(cluster, 'Topics', { namespaces: ['shop', 'kube-system'] });
  new KafkaTopic(cluster, 'Audit', {
    topicName: 'Audit_Log',
    partitions: 4,
    retention: Duration.days(3),
    retentionSize: Size.gibibytes(2),
    segmentSize: Size.mebibytes(64),
    maxMessageSize: Size.mebibytes(2),
    cleanupPolicy: 'compact,delete',
    config: { 'compression.type': 'zstd', 'message.timestamp.type': 'LogAppendTime', 'min.cleanable.dirty.ratio': 0.3 },
  });
  return Testing.synth(chart)
    .filter((o: any) => o.kind === 'KafkaTopic')
    .map((o: any) => ({ name: o.spec.topicName ?? o.metadata.name, partitions: o.spec.partitions, replicas: o.spec.replicas, config: o.spec.config }));
}

function toCreate(topic: SynthesizedTopic, name: string): ITopicConfig {
  return {
    topic: name,
    numPartitions: topic.partitions,
    replicationFactor: topic.replicas,
    configEntries: Object.entries(topic.config).map(([key, value]) => ({ name: key, value: String(value) })),
  };
}

/** Creates topics and waits until every partition's leader serves it (harness waitForLeaders). */
async function createAndWait(admin: Admin, topics: ITopicConfig[]): Promise<boolean> {
  const created = await admin.createTopics({ topics, waitForLeaders: false });
  await waitForLeaders(admin, topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions ?? 1 })));
  return created;
}

/** The error type Kafka answers a CreateTopics request with, or 'created'. */
async function createOutcome(admin: Admin, topic: ITopicConfig): Promise<string> {
  try {
    await admin.createTopics({ topics: [topic], waitForLeaders: false });
    return 'created';
  } catch (e: any) {
    return (e.errors ?? []).map((err: any) => err.type).join(',') || e.type || e.message;
  }
}

describe('synthesized KafkaTopics on a real Kafka 4 broker', () => {
  let admin: Admin;
  const run = uniqueName('kt');

  beforeAll(async () => {
    // Quiet client: the rejection test provokes broker errors on purpose.
    admin = new Kafka({ clientId: 'kafka-topics-test', brokers: brokers(), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  test('the broker accepts every synthesized topic with its partitions, replicas and every config key', async () => {
    // GIVEN the topics of a synthesized dev chart
    const topics = synthesizedTopics();
    expect(topics.map((t) => t.name)).toEqual([
      'logs', 'cluster-events', 'cluster-events.cluster-scoped', 'cluster-events.unrouted', 'klaxon.dead-letter',
      'events.shop', 'events.kube-system', 'Audit_Log',
    ]);
    const named = topics.map((t) => ({ ...t, name: `${t.name}-${run}` }));

    // WHEN they are created as the topic operator would create them
    const created = await createAndWait(admin, named.map((t) => toCreate(t, t.name)));
    expect(created).toBe(true);

    // THEN the broker reports the partitions and replicas and holds every key as a topic override
    const metadata = await admin.fetchTopicMetadata({ topics: named.map((t) => t.name) });
    for (const t of named) {
      const meta = metadata.topics.find((m) => m.name === t.name)!;
      expect([t.name, meta.partitions.length, meta.partitions[0].replicas.length]).toEqual([t.name, t.partitions, t.replicas]);
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: named.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
    });
    for (const t of named) {
      const resource = described.resources.find((r) => r.resourceName === t.name)!;
      expect(resource.errorCode).toBe(0);
      const overrides = Object.fromEntries(
        resource.configEntries.filter((e) => e.configSource === ConfigSource.TOPIC_CONFIG).map((e) => [e.configName, e.configValue]),
      );
      const expected = Object.fromEntries(Object.entries(t.config).map(([k, v]) => [k, String(v)]));
      expect([t.name, overrides]).toEqual([t.name, expected]);
    }
  });

  test("KafkaTopic's list of topic config keys is exactly the broker's", async () => {
    const topic = `config-keys-${run}`;
    await createAndWait(admin, [{ topic, numPartitions: 1, replicationFactor: 1 }]);
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
    const brokerKeys = described.resources[0].configEntries.map((e) => e.configName).sort();
    expect([...TOPIC_CONFIG_KEYS].sort()).toEqual(brokerKeys);
  });

  test('the broker rejects what KafkaTopic refuses at synth: too many replicas, small segments, unknown keys, colliding names', async () => {
    const base = { numPartitions: 1, replicationFactor: 1 };
    expect(await createOutcome(admin, { ...base, topic: `rf-${run}`, replicationFactor: 3 })).toBe('INVALID_REPLICATION_FACTOR');
    expect(await createOutcome(admin, { ...base, topic: `seg-${run}`, configEntries: [{ name: 'segment.bytes', value: String(MIN_SEGMENT_BYTES - 1) }] })).toBe('INVALID_CONFIG');
    expect(await createOutcome(admin, { ...base, topic: `seg-ok-${run}`, configEntries: [{ name: 'segment.bytes', value: String(MIN_SEGMENT_BYTES) }] })).toBe('created');
    expect(await createOutcome(admin, { ...base, topic: `key-${run}`, configEntries: [{ name: 'retention.hours', value: '2' }] })).toBe('INVALID_CONFIG');
    expect(await createOutcome(admin, { ...base, topic: `dot.${run}` })).toBe('created');
    expect(await createOutcome(admin, { ...base, topic: `dot_${run}` })).toBe('INVALID_TOPIC_EXCEPTION');
  });
});
