import { Kafka } from 'kafkajs';
import { createTopics, kafka, kcatConsume, kcatConsumeJson, kcatProduce, uniqueName } from '../harness';

// The project-level testTimeout in jest.config.js is not applied by jest 29; real processes need more than 5 s.
jest.setTimeout(60_000);

/** Every byte value, plus the bytes that break line- or text-based tools. */
const AWKWARD = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\n\t\r\0"\\{}\xff', 'latin1')]);

describe('kcat and kafkajs agree on the bytes of the test broker', () => {
  let client: Kafka;
  beforeAll(() => {
    client = kafka('harness-kcat');
  });

  test('kcat reads exactly the keys, values and headers kafkajs wrote', async () => {
    // GIVEN a topic and records written by kafkajs, one of them a tombstone
    const [topic] = await createTopics([{ topic: uniqueName('harness-kafkajs-to-kcat') }]);
    const sent = [
      { key: Buffer.from('binary'), value: AWKWARD, headers: { source: 'kafkajs', seq: '0' } },
      { key: Buffer.from('text'), value: Buffer.from('{"msg":"héllo"}\n'), headers: { source: 'kafkajs', seq: '1' } },
      { key: Buffer.from('tombstone'), value: null, headers: { source: 'kafkajs', seq: '2' } },
      { key: null, value: Buffer.from('no key'), headers: { seq: '3' } },
    ];
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: sent });
    await producer.disconnect();

    // WHEN kcat consumes the topic
    const records = await kcatConsume(topic);

    // THEN it sees every record with the same bytes, in order
    expect(records.map((r) => r.offset)).toEqual([0, 1, 2, 3]);
    records.forEach((r, i) => {
      expect(r.key === null ? null : r.key.toString('hex')).toEqual(sent[i].key === null ? null : sent[i].key!.toString('hex'));
      expect(r.value === null ? null : r.value.toString('hex')).toEqual(sent[i].value === null ? null : sent[i].value!.toString('hex'));
      expect(Object.fromEntries(r.headers)).toEqual(sent[i].headers);
    });
    expect(records[0].value!.equals(AWKWARD)).toBe(true);
  });

  test("kcat's -J envelope names topic, partition, offset, key, payload and headers", async () => {
    const [topic] = await createTopics([{ topic: uniqueName('harness-kcat-json') }]);
    const producer = client.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k1', value: '{"a":1}', headers: { h: 'v' } }] });
    await producer.disconnect();

    const [envelope, ...rest] = await kcatConsumeJson(topic);

    expect(rest).toEqual([]);
    expect(envelope).toMatchObject({ topic, partition: 0, offset: 0, key: 'k1', payload: '{"a":1}', headers: ['h', 'v'] });
    expect(typeof envelope.ts).toBe('number');
  });

  test('kafkajs reads exactly the keys, values and headers kcat wrote', async () => {
    // GIVEN a topic with 2 partitions and records written by kcat: awkward bytes, an empty and a null value
    const [topic] = await createTopics([{ topic: uniqueName('harness-kcat-to-kafkajs'), partitions: 2 }]);
    const sent = [
      { key: 'binary', value: AWKWARD, headers: [['source', 'kcat'], ['seq', '0']] as [string, string][], partition: 1 },
      { key: 'binary', value: Buffer.from('second\nline'), headers: [['source', 'kcat'], ['seq', '0']] as [string, string][], partition: 1 },
      { key: 'empty', value: Buffer.alloc(0), headers: [['seq', '2']] as [string, string][], partition: 0 },
      { key: 'tombstone', value: null, headers: [['seq', '3']] as [string, string][], partition: 0 },
      { value: 'no key, no headers', partition: 0 },
    ];

    // WHEN kcat produces them and kafkajs consumes the topic
    await kcatProduce(topic, sent);
    const received = new Map<string, { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }>();
    const consumer = client.consumer({ groupId: uniqueName('harness-kcat-group'), allowAutoTopicCreation: false });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
          received.set(`${partition}/${message.offset}`, { key: message.key, value: message.value, headers });
          if (received.size === sent.length) resolve();
        },
      });
    });
    await consumer.disconnect();

    // THEN the bytes are identical, per partition in the order kcat sent them
    expect([...received.keys()].sort()).toEqual(['0/0', '0/1', '0/2', '1/0', '1/1']);
    expect(received.get('1/0')!.value!.equals(AWKWARD)).toBe(true);
    expect(received.get('1/0')!.key!.toString()).toBe('binary');
    expect(received.get('1/0')!.headers).toEqual({ source: 'kcat', seq: '0' });
    expect(received.get('1/1')!.value!.equals(Buffer.from('second\nline'))).toBe(true);
    expect(received.get('0/0')!.key!.toString()).toBe('empty');
    expect(received.get('0/0')!.value!.length).toBe(0);
    expect(received.get('0/1')!.key!.toString()).toBe('tombstone');
    expect(received.get('0/1')!.value).toBeNull();
    expect(received.get('0/1')!.headers).toEqual({ seq: '3' });
    expect(received.get('0/2')!.key).toBeNull();
    expect(received.get('0/2')!.value!.toString()).toBe('no key, no headers');
    expect(received.get('0/2')!.headers).toEqual({});
  });
});
