import type { ITopicConfig } from 'kafkajs';
import { eventsFanout, fanoutSettings } from '../../../functions/events-fanout/workload';
import { loadConfig, readSettings } from '../../../functions/runtime/config';
import { HandlerResult, Output, RetryableError, SourceRecord } from '../../../functions/runtime/handler';
import { Logger } from '../../../functions/runtime/logger';
import { RuntimeMetrics } from '../../../functions/runtime/metrics';
import { fakeTopicAdmin } from '../support/fake-topic-admin';
import { fixture } from '../fixtures';

/** The core/v1 fixture Event, about a Pod in `namespace`. */
function eventIn(namespace: string): Buffer {
  const event = JSON.parse(fixture('core-v1').toString());
  event.involvedObject.namespace = namespace;
  event.metadata.namespace = namespace;
  return Buffer.from(JSON.stringify(event));
}

const record = (value: Buffer): SourceRecord => ({ topic: 'cluster-events', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: '0' });

const CREATE_ENV = {
  FANOUT_NAMESPACES: 'shop',
  FANOUT_CREATE_NAMESPACE_TOPICS: 'true',
  FANOUT_CREATED_TOPIC_PARTITIONS: '3',
  FANOUT_CREATED_TOPIC_REPLICAS: '1',
  FANOUT_CREATED_TOPIC_CONFIG: '{"retention.ms":"7200000"}',
};

/** The fanout handler with a fake admin whose createTopics does `create`. */
function setUp(env: Record<string, string>, create: (topic: ITopicConfig) => Promise<boolean> = async () => true) {
  const { admin, calls } = fakeTopicAdmin(create);
  const lines: Array<Record<string, unknown>> = [];
  const logger = new Logger('info', {}, (line) => void lines.push(JSON.parse(line)));
  const metrics = new RuntimeMetrics('events-fanout', false);
  const handler = eventsFanout.createHandler({ config: loadConfig(env, eventsFanout.defaults), settings: readSettings(fanoutSettings, env), logger, metrics, admin: async () => admin });
  return { handler, calls, lines, metrics };
}

const topicsOf = (result: HandlerResult) => (result as Output[]).map((o) => o.topic);

describe('events-fanout creating namespace topics on first sight', () => {
  test('the settings are off by default', () => {
    expect(readSettings(fanoutSettings, {})).toMatchObject({ createNamespaceTopics: false, createdTopicPartitions: undefined, createdTopicReplicas: undefined, createdTopicConfig: {} });
  });

  test('a namespace never declared gets its topic created with the declared settings, then its events go there', async () => {
    // GIVEN
    const { handler, calls, lines, metrics } = setUp(CREATE_ENV);
    // WHEN the first event of 'team-a' arrives
    const first = handler(record(eventIn('team-a')));
    // THEN the topic is created before the record is written to it
    expect(first).toBeInstanceOf(Promise);
    expect(topicsOf(await first)).toEqual(['events.team-a']);
    expect(calls).toEqual([{ topic: 'events.team-a', numPartitions: 3, replicationFactor: 1, configEntries: [{ name: 'retention.ms', value: '7200000' }] }]);
    expect(lines.find((l) => l.msg === 'namespace topic created')).toMatchObject({ topic: 'events.team-a', namespace: 'team-a', partitions: 3 });
    // AND later events of it are routed at once, without asking again
    const second = handler(record(eventIn('team-a')));
    expect(second).not.toBeInstanceOf(Promise);
    expect(topicsOf(second as HandlerResult)).toEqual(['events.team-a']);
    // AND a declared namespace never asks
    expect(topicsOf((await handler(record(eventIn('shop')))) as HandlerResult)).toEqual(['events.shop']);
    expect(calls).toHaveLength(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('klaxon_fanout_topics_created_total{workload="events-fanout"} 1');
    expect(text).toContain('klaxon_fanout_routed_total{route="namespace",format="core-v1",workload="events-fanout"} 3');
  });

  test('a topic found existing (a restart) is used and not counted as created', async () => {
    const { handler, metrics, lines } = setUp(CREATE_ENV, async () => false);
    expect(topicsOf(await handler(record(eventIn('team-a'))))).toEqual(['events.team-a']);
    expect(lines.some((l) => l.msg === 'namespace topic found')).toBe(true);
    expect(await metrics.registry.metrics()).toContain('klaxon_fanout_topics_created_total{workload="events-fanout"} 0');
  });

  test('a refused creation sends the events to the unrouted topic, with a warning and a metric, and is not asked again at once', async () => {
    // GIVEN a broker that refuses the creation
    const { handler, calls, lines, metrics } = setUp(CREATE_ENV, async () => {
      throw Object.assign(new Error('Topic creation errors'), { errors: [{ type: 'TOPIC_AUTHORIZATION_FAILED', message: 'not authorized' }] });
    });
    // WHEN
    const first = await handler(record(eventIn('team-a')));
    const second = handler(record(eventIn('team-a')));
    // THEN
    expect(topicsOf(first)).toEqual(['cluster-events.unrouted']);
    expect(topicsOf(second as HandlerResult)).toEqual(['cluster-events.unrouted']);
    expect(second).not.toBeInstanceOf(Promise);
    expect(calls).toHaveLength(1);
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({
      msg: 'namespace topic creation refused; its events go to the unrouted topic',
      topic: 'events.team-a',
      reason: 'TOPIC_AUTHORIZATION_FAILED',
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('klaxon_fanout_topic_creations_refused_total{reason="TOPIC_AUTHORIZATION_FAILED",workload="events-fanout"} 1');
    expect(text).toContain('klaxon_fanout_routed_total{route="unrouted",format="core-v1",workload="events-fanout"} 2');
  });

  test('a creation that fails for a passing reason is retried by the runtime (RetryableError), never misrouted', async () => {
    const { handler } = setUp(CREATE_ENV, async () => {
      throw Object.assign(new Error('Connection error: ECONNREFUSED'), { name: 'KafkaJSConnectionError' });
    });
    await expect(handler(record(eventIn('team-a')))).rejects.toBeInstanceOf(RetryableError);
  });

  test('declared-only (the default): an undeclared namespace goes to the unrouted topic and nothing is created', async () => {
    const { handler, calls } = setUp({ FANOUT_NAMESPACES: 'shop' });
    expect(topicsOf(await handler(record(eventIn('team-a'))))).toEqual(['cluster-events.unrouted']);
    expect(calls).toEqual([]);
  });

  test('fails if FANOUT_CREATED_TOPIC_CONFIG is not a JSON object of strings', () => {
    expect(() => readSettings(fanoutSettings, { FANOUT_CREATED_TOPIC_CONFIG: '{"retention.ms":7200000}' })).toThrow(
      'FANOUT_CREATED_TOPIC_CONFIG="{\\"retention.ms\\":7200000}": the value of \'retention.ms\' must be a string (got 7200000)',
    );
  });
});
