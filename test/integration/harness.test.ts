import { Kafka } from 'kafkajs';
import { brokers, createTopics, kafka, readBrokerInfo, uniqueName } from '../harness';

// The project-level testTimeout in jest.config.js is not applied by jest 29; real processes need more than 5 s.
jest.setTimeout(60_000);

describe('the test harness broker', () => {
  let client: Kafka;
  beforeAll(() => {
    client = kafka('harness-test');
  });

  test('is an Apache Kafka 4.x broker, its version recorded in .cache/kafka/broker.json for the benchmarks', () => {
    const version = process.env.KLAXON_HARNESS_KAFKA_VERSION;
    const info = readBrokerInfo();
    expect(info).toBeDefined();
    if (version === 'unknown') {
      expect(info!.external).toBe(true);
    } else {
      expect(version).toMatch(/^4\.\d+\.\d+$/);
      // (another run on the same checkout may have rewritten the file since; the version is the same)
      expect(info!.version).toBe(version);
      expect(info!.startupSeconds).toBeGreaterThan(0);
    }
  });

  test('serves one broker on the loopback address', async () => {
    const admin = client.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.map((b) => `${b.host}:${b.port}`)).toEqual(brokers());
    } finally {
      await admin.disconnect();
    }
  });

  test('kafkajs reads back, in order per partition, exactly what kafkajs wrote', async () => {
    // GIVEN a fresh topic with 3 partitions
    const topic = uniqueName('harness-roundtrip');
    await createTopics([{ topic, partitions: 3 }]);
    const sent = Array.from({ length: 30 }, (_, i) => ({
      key: Buffer.from(`key-${i % 5}`),
      value: Buffer.from([0, 255, i, 10, 13]),
      headers: { seq: Buffer.from(String(i)) },
    }));

    // WHEN kafkajs produces the records and a consumer group reads the topic from the beginning
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    const received: { partition: number; key: Buffer; value: Buffer; seq: string }[] = [];
    const consumer = client.consumer({ groupId: uniqueName('harness-group'), allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, key: message.key!, value: message.value!, seq: message.headers!.seq!.toString() });
          if (received.length === sent.length) resolve();
        },
      });
    });
    await done;
    await consumer.disconnect();

    // THEN every record arrived once with its exact key, value and header, in send order per key
    expect(received).toHaveLength(30);
    for (const r of received) {
      const i = Number(r.seq);
      expect(r.key.equals(sent[i].key)).toBe(true);
      expect(r.value.equals(sent[i].value)).toBe(true);
    }
    for (let k = 0; k < 5; k++) {
      const seqs = received.filter((r) => r.key.toString() === `key-${k}`).map((r) => Number(r.seq));
      expect(seqs).toEqual([k, k + 5, k + 10, k + 15, k + 20, k + 25]);
    }
  });
});
