import type { ITopicMetadata } from 'kafkajs';
import { REFUSED_TOPIC_TTL_MS, TopicCreator, TopicRefused } from '../../../functions/runtime/topic-creator';
import { fakeTopicAdmin } from '../support/fake-topic-admin';

const SPEC = { partitions: 3, replicas: 1, config: { 'retention.ms': '7200000' } };

/** A kafkajs-shaped protocol error for one topic, wrapped as kafkajs's createTopics throws it. */
function createTopicsError(type: string): Error {
  const inner = Object.assign(new Error(`${type} for the topic`), { type, name: 'KafkaJSCreateTopicError' });
  return Object.assign(new Error('Topic creation errors'), { name: 'KafkaJSAggregateError', errors: [inner] });
}

describe('TopicCreator', () => {
  test('creates a topic once with the spec, and remembers it', async () => {
    // GIVEN
    const { admin, calls } = fakeTopicAdmin(async () => true);
    const creator = new TopicCreator({ admin: async () => admin });
    expect(creator.state('events.team-a')).toBeUndefined();
    // WHEN
    expect(await creator.ensure('events.team-a', SPEC)).toBe('created');
    expect(await creator.ensure('events.team-a', SPEC)).toBe('existed');
    // THEN one request, with the partitions, replicas and config
    expect(calls).toEqual([{ topic: 'events.team-a', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '7200000' }] }]);
    expect(creator.state('events.team-a')).toBe('exists');
  });

  test('concurrent first sights of one topic share one request', async () => {
    let release!: (created: boolean) => void;
    const { admin, calls } = fakeTopicAdmin(() => new Promise<boolean>((resolve) => (release = resolve)));
    const creator = new TopicCreator({ admin: async () => admin });
    const all = Promise.all([creator.ensure('events.x', SPEC), creator.ensure('events.x', SPEC), creator.ensure('events.x', SPEC)]);
    await new Promise((r) => setImmediate(r));
    release(true);
    expect(await all).toEqual(['created', 'created', 'created']);
    expect(calls).toHaveLength(1);
  });

  test('a topic that already exists (another replica, a restart) is success, not a creation', async () => {
    // kafkajs's createTopics resolves false when every topic existed (TOPIC_ALREADY_EXISTS)
    const { admin, calls } = fakeTopicAdmin(async () => false);
    const creator = new TopicCreator({ admin: async () => admin });
    expect(await creator.ensure('events.x', SPEC)).toBe('existed');
    expect(creator.state('events.x')).toBe('exists');
    expect(calls).toHaveLength(1);
  });

  test('a refusal throws TopicRefused with the Kafka error, and is remembered until the TTL passes', async () => {
    // GIVEN a broker that refuses (no ACL)
    let now = 1_000;
    const { admin, calls } = fakeTopicAdmin(async () => {
      throw createTopicsError('TOPIC_AUTHORIZATION_FAILED');
    });
    const creator = new TopicCreator({ admin: async () => admin, now: () => now });
    // WHEN / THEN
    const error = await creator.ensure('other.x', SPEC).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicRefused);
    expect(error).toMatchObject({ topic: 'other.x', reason: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(creator.state('other.x')).toBe('refused');
    await expect(creator.ensure('other.x', SPEC)).rejects.toBe(error);
    expect(calls).toHaveLength(1);
    now += REFUSED_TOPIC_TTL_MS + 1;
    expect(creator.state('other.x')).toBeUndefined();
    await expect(creator.ensure('other.x', SPEC)).rejects.toBeInstanceOf(TopicRefused);
    expect(calls).toHaveLength(2);
  });

  test.each(['POLICY_VIOLATION', 'INVALID_TOPIC_EXCEPTION', 'INVALID_REPLICATION_FACTOR', 'INVALID_CONFIG'])('%s is a refusal', async (type) => {
    const { admin } = fakeTopicAdmin(async () => {
      throw createTopicsError(type);
    });
    await expect(new TopicCreator({ admin: async () => admin }).ensure('events.x', SPEC)).rejects.toMatchObject({ name: 'TopicRefused', reason: type });
  });

  test('a transient failure is thrown as it is and not remembered: the next ensure asks again', async () => {
    let fail = true;
    const { admin, calls } = fakeTopicAdmin(async () => {
      if (fail) throw Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
      return true;
    });
    const creator = new TopicCreator({ admin: async () => admin });
    await expect(creator.ensure('events.x', SPEC)).rejects.toMatchObject({ name: 'KafkaJSConnectionError' });
    expect(creator.state('events.x')).toBeUndefined();
    fail = false;
    expect(await creator.ensure('events.x', SPEC)).toBe('created');
    expect(calls).toHaveLength(2);
  });

  test('an illegal topic name is refused without asking the broker', async () => {
    const { admin, calls } = fakeTopicAdmin(async () => true);
    const creator = new TopicCreator({ admin: async () => admin });
    await expect(creator.ensure(`events.${'x'.repeat(250)}`, SPEC)).rejects.toMatchObject({ reason: 'INVALID_TOPIC_EXCEPTION' });
    expect(calls).toHaveLength(0);
  });

  test('after creating, it waits until every partition has a leader', async () => {
    // GIVEN metadata that first does not know the topic, then has no leader, then has leaders
    const answers: Array<() => ITopicMetadata[]> = [
      () => {
        throw Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
      },
      () => [{ name: 'events.x', partitions: [{ partitionId: 0, leader: -1, replicas: [1], isr: [], offlineReplicas: [], partitionErrorCode: 5 }] }],
      () => [{ name: 'events.x', partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1], offlineReplicas: [], partitionErrorCode: 0 }] }],
    ];
    let asked = 0;
    const { admin } = fakeTopicAdmin(async () => true, async () => answers[Math.min(asked++, answers.length - 1)]());
    // WHEN
    expect(await new TopicCreator({ admin: async () => admin }).ensure('events.x', { ...SPEC, partitions: 1 })).toBe('created');
    // THEN it asked until the leader was there
    expect(asked).toBe(3);
  });
});
