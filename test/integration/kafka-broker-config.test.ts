/**
 * The broker config a KafkaCluster synthesizes (spec.kafka.config), given to a real Kafka 4.1 broker
 * started for this file: every key is one the broker knows and holds with the synthesized value,
 * and the ZooKeeper-era keys KafkaCluster refuses are indeed gone from Kafka 4.
 */
import { Testing } from 'cdk8s';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { REMOVED_BROKER_CONFIG_KEYS } from '../../constructs/kafka/broker-config';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { uniqueName } from '../harness';
import { KafkaBroker, startKafkaBroker } from '../harness/kafka-broker';

function synthesizedBrokerConfig(): Record<string, string | number | boolean> {
  const chart = Testing.chart();
  new KafkaCluster(chart, 'Kafka'); // dev: one broker, like the broker started here
  return Testing.synth(chart).find((o: any) => o.kind === 'Kafka').spec.kafka.config;
}

describe('the synthesized broker config on a real Kafka 4 broker', () => {
  const config = synthesizedBrokerConfig();
  let broker: KafkaBroker;
  let admin: Admin;
  let brokerConfig: Map<string, string | null>;

  beforeAll(async () => {
    broker = await startKafkaBroker({ extraConfig: config });
    admin = new Kafka({ clientId: 'broker-config-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const cluster = await admin.describeCluster();
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.BROKER, name: String(cluster.brokers[0].nodeId) }],
    });
    brokerConfig = new Map(described.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
  }, 120_000);

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('the dev cluster config is the derived one-broker replication settings with auto topic creation off', () => {
    expect(config).toEqual({
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      'offsets.topic.replication.factor': 1,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'auto.create.topics.enable': false,
    });
  });

  test('the broker knows every synthesized key and holds the synthesized value', () => {
    const held = Object.fromEntries(Object.keys(config).map((key) => [key, brokerConfig.get(key)]));
    expect(held).toEqual(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)])));
  });

  test('the ZooKeeper-era keys KafkaCluster refuses are not broker configs of Kafka 4', () => {
    expect(brokerConfig.size).toBeGreaterThan(100);
    for (const key of REMOVED_BROKER_CONFIG_KEYS) expect([key, brokerConfig.has(key)]).toEqual([key, false]);
    expect([...brokerConfig.keys()].filter((k) => k.startsWith('zookeeper.'))).toEqual([]);
  });

  test('with auto topic creation off, producing to an undeclared topic fails instead of creating it', async () => {
    const producer = new Kafka({ clientId: 'broker-config-test', brokers: [broker.brokers], logLevel: logLevel.NOTHING, retry: { retries: 1 } })
      .producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const topic = uniqueName('undeclared');
    try {
      await expect(producer.send({ topic, messages: [{ value: 'x' }] })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
    expect(await admin.listTopics()).not.toContain(topic);
  });
});
