import { eventsFanout, fanoutSettings } from '../../../functions/events-fanout/workload';
import { ConfigError, loadConfig, readSettings } from '../../../functions/runtime/config';
import { DeadLetter, Output, SourceRecord } from '../../../functions/runtime/handler';
import { Logger } from '../../../functions/runtime/logger';
import { RuntimeMetrics } from '../../../functions/runtime/metrics';
import { POD_UID, fixture } from '../fixtures';

function setUp(env: Record<string, string> = {}) {
  const config = loadConfig(env, eventsFanout.defaults);
  const settings = readSettings(fanoutSettings, env);
  const metrics = new RuntimeMetrics('events-fanout', false);
  const handler = eventsFanout.createHandler({ config, settings, logger: new Logger('error', {}, () => undefined), metrics });
  return { handler, metrics };
}

const record = (value: Buffer | null): SourceRecord => ({ topic: 'cluster-events', partition: 0, offset: '0', key: null, value, headers: {}, timestamp: '0' });

describe('events-fanout workload', () => {
  test('defaults: reads cluster-events as group klaxon-events-fanout', () => {
    expect(eventsFanout.defaults).toEqual({ sourceTopic: 'cluster-events', groupId: 'klaxon-events-fanout', clientId: 'events-fanout' });
    expect(readSettings(fanoutSettings, {})).toEqual({
      namespaceTopicPrefix: 'events.',
      namespaces: [],
      clusterScopedTopic: 'cluster-events.cluster-scoped',
      unroutedTopic: 'cluster-events.unrouted',
      createNamespaceTopics: false,
      createdTopicPartitions: undefined,
      createdTopicReplicas: undefined,
      createdTopicConfig: {},
    });
  });

  test('the FANOUT_* keys are read and checked', () => {
    expect(readSettings(fanoutSettings, { FANOUT_NAMESPACES: 'shop, billing', FANOUT_NAMESPACE_TOPIC_PREFIX: 'ns-' })).toMatchObject({
      namespaces: ['shop', 'billing'],
      namespaceTopicPrefix: 'ns-',
    });
    expect(() => readSettings(fanoutSettings, { FANOUT_NAMESPACES: 'shop,Bad', FANOUT_UNROUTED_TOPIC: 'a b' })).toThrow(
      new ConfigError([
        "FANOUT_NAMESPACES=\"shop,Bad\": 'Bad' a namespace name is a DNS label: lowercase letters, digits and - (comma-separated namespaces that have a topic; empty: every namespace has one)",
        "FANOUT_UNROUTED_TOPIC=\"a b\": a topic name may contain only ASCII letters, digits, '.', '_' and '-' (topic for events of namespaces with no declared topic)",
      ]),
    );
  });

  test('fails if the source topic is one of its outputs', () => {
    expect(() => setUp({ KAFKA_SOURCE_TOPIC: 'events.all' })).toThrow(
      "the source topic 'events.all' is also an output of the fanout (cluster-scoped, unrouted, dead-letter or prefix 'events.'): events would loop",
    );
  });

  test('the handler routes, counts routes and drops resync duplicates', async () => {
    // GIVEN
    const { handler, metrics } = setUp({ FANOUT_NAMESPACES: 'shop' });
    // WHEN
    const routed = (await handler(record(fixture('core-v1')))) as Output[];
    const unrouted = (await handler(record(fixture('events-v1')))) as Output[];
    const duplicate = await handler(record(fixture('eventrouter-resync')));
    const poison = await handler(record(Buffer.from('nope')));
    // THEN
    expect(routed).toEqual([{ topic: 'events.shop', key: POD_UID, value: fixture('core-v1'), headers: { 'klaxon.format': 'core-v1' } }]);
    expect(unrouted.map((o) => o.topic)).toEqual(['cluster-events.unrouted']);
    expect(duplicate).toEqual([]);
    expect(poison).toBeInstanceOf(DeadLetter);
    const text = await metrics.registry.metrics();
    expect(text).toContain('klaxon_fanout_routed_total{route="namespace",format="core-v1",workload="events-fanout"} 1');
    expect(text).toContain('klaxon_fanout_routed_total{route="unrouted",format="events-v1",workload="events-fanout"} 1');
    expect(text).toContain('klaxon_fanout_duplicates_dropped_total{workload="events-fanout"} 1');
  });
});
