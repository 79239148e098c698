import { Duration } from 'cdk8s';
import { KafkaCluster } from '../../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../../constructs/kafka/kafka-user';
import { KlaxonTopics, KlaxonTopicsProps } from '../../../constructs/kafka/klaxon-topics';
import { EventsFanout } from '../../../constructs/workloads/events-fanout';
import { FunctionCode } from '../../../constructs/workloads/function-code';
import { NamespaceTopics } from '../../../constructs/workloads/namespace-topics';
import { FanoutEnv } from '../../../functions/contracts/workload-env';
import { fanoutSettings } from '../../../functions/events-fanout/workload';
import { readSettings } from '../../../functions/runtime/config';
import { distObjects } from '../../security/dist';
import { envOf, messageOf, namespacedChart, oneOf } from './helpers';

const CODE = FunctionCode.fromBundle('"use strict";');

/** A secured cluster of `brokers`, its topics, and the fanout as its own KafkaUser. */
function fanout(namespaceTopics?: NamespaceTopics, topicsProps: KlaxonTopicsProps = { namespaces: ['shop'] }, brokers = 1) {
  const chart = namespacedChart('klaxon');
  const cluster = new KafkaCluster(chart, 'Kafka', {
    brokers,
    listeners: [{ name: 'scram', port: 9094, tls: true, authentication: 'scram-sha-512' }],
    workloadListener: 'scram',
  });
  const topics = new KlaxonTopics(cluster, 'Topics', topicsProps);
  const user = new KafkaUser(cluster, 'FanoutUser', { userName: 'events-fanout' });
  const f = new EventsFanout(chart, 'EventsFanout', { topics, code: CODE, user, ...(namespaceTopics ? { namespaceTopics } : {}) });
  return { chart, topics, user, fanout: f, env: () => envOf(oneOf(chart, 'Deployment').spec.template.spec.containers[0]) };
}

const CREATION_KEYS = [FanoutEnv.CREATE_NAMESPACE_TOPICS, FanoutEnv.CREATED_TOPIC_PARTITIONS, FanoutEnv.CREATED_TOPIC_REPLICAS, FanoutEnv.CREATED_TOPIC_CONFIG];

describe('NamespaceTopics', () => {
  test('declared-only is the default: no creation env, and no Create ACL anywhere', () => {
    // GIVEN the fanout without 'namespaceTopics', and one with declaredOnly()
    for (const f of [fanout(), fanout(NamespaceTopics.declaredOnly())]) {
      // THEN
      expect(f.fanout.namespaceTopics.createsTopics).toBe(false);
      expect(f.fanout.createdTopicSpec).toBeUndefined();
      for (const key of CREATION_KEYS) expect(f.env()).not.toHaveProperty(key);
      expect(f.user.aclRules.filter((r) => r.operations.includes('Create'))).toEqual([]);
      expect(f.user.aclRules.filter((r) => r.patternType === 'prefix')).toEqual([]);
    }
  });

  test('createOnFirstSight() renders the declared namespace topics\u2019 settings, which the runtime reads back', () => {
    // GIVEN topics whose namespace topics have 4 partitions and a 6 h retention
    const f = fanout(NamespaceTopics.createOnFirstSight(), { namespaces: ['shop'], eventsPartitions: 4, eventsRetention: Duration.hours(6) });
    const declared = f.topics.topicForNamespace('shop')!;
    // WHEN the runtime reads the rendered env
    const settings = readSettings(fanoutSettings, f.env());
    // THEN it creates topics exactly like the declared one
    expect(f.env()).toMatchObject({
      FANOUT_CREATE_NAMESPACE_TOPICS: 'true',
      FANOUT_CREATED_TOPIC_PARTITIONS: '4',
      FANOUT_CREATED_TOPIC_REPLICAS: '1',
      FANOUT_CREATED_TOPIC_CONFIG: '{"min.insync.replicas":"1","retention.ms":"21600000","segment.bytes":"1073741824"}',
    });
    expect(settings.createNamespaceTopics).toBe(true);
    expect(settings.createdTopicPartitions).toBe(declared.partitions);
    expect(settings.createdTopicReplicas).toBe(declared.replicas);
    expect(settings.createdTopicConfig).toEqual(Object.fromEntries(Object.entries(declared.config).map(([k, v]) => [k, String(v)])));
    expect(f.fanout.createdTopicSpec).toEqual({ partitions: 4, replicas: 1, config: settings.createdTopicConfig });
  });

  test('every option reaches the manifest; fewer replicas than declared lower min.insync.replicas with them', () => {
    // GIVEN a 3-broker cluster (declared topics: 3 replicas, min.insync.replicas 2)
    const f = fanout(NamespaceTopics.createOnFirstSight({ partitions: 6, replicas: 1, config: { 'retention.ms': 86_400_000, 'cleanup.policy': 'delete' } }), { namespaces: ['shop'] }, 3);
    // THEN
    expect(f.topics.topicForNamespace('shop')!.config['min.insync.replicas']).toBe(2);
    expect(f.env()).toMatchObject({
      FANOUT_CREATED_TOPIC_PARTITIONS: '6',
      FANOUT_CREATED_TOPIC_REPLICAS: '1',
      FANOUT_CREATED_TOPIC_CONFIG: '{"cleanup.policy":"delete","min.insync.replicas":"1","retention.ms":"86400000","segment.bytes":"1073741824"}',
    });
  });

  test('the fanout\u2019s KafkaUser gets Create, Describe and Write on the prefix `events.` only, and Create nowhere else', () => {
    // GIVEN
    const f = fanout(NamespaceTopics.createOnFirstSight());
    // THEN
    const withCreate = f.user.aclRules.filter((r) => r.operations.includes('Create'));
    expect(withCreate).toEqual([{ resourceType: 'topic', name: 'events.', patternType: 'prefix', operations: ['Write', 'Create', 'Describe'] }]);
    expect(f.user.aclRules.filter((r) => r.patternType === 'prefix')).toEqual(withCreate);
    expect(f.user.aclRules.some((r) => r.resourceType === 'cluster')).toBe(false);
    // AND the rendered KafkaUser says the same
    const rendered = oneOf(f.chart, 'KafkaUser').spec.authorization.acls.filter((a: any) => a.operations.includes('Create'));
    expect(rendered).toEqual([{ resource: { type: 'topic', name: 'events.', patternType: 'prefix' }, operations: ['Write', 'Create', 'Describe'] }]);
  });

  test('a renamed prefix is the one granted', () => {
    const f = fanout(NamespaceTopics.createOnFirstSight(), { namespaces: ['shop'], namespacePrefix: 'ns.' });
    expect(f.user.aclRules.filter((r) => r.operations.includes('Create')).map((r) => r.name)).toEqual(['ns.']);
  });

  test('fails if namespaceTopics is not a NamespaceTopics', () => {
    expect(messageOf(() => fanout('create' as unknown as NamespaceTopics))).toBe(
      "'namespaceTopics' (\"create\") of EventsFanout must be NamespaceTopics.declaredOnly() or NamespaceTopics.createOnFirstSight({ partitions, replicas, config }).",
    );
  });

  test('fails if an option is not one of createOnFirstSight()', () => {
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ partition: 6 } as unknown as { partitions: number })))).toBe(
      "'namespaceTopics.partition' (6) of EventsFanout 'EventsFanout' is not an option of createOnFirstSight(); the options are 'partitions', 'replicas', 'config'.",
    );
  });

  test('fails if partitions is not a whole number of at least 1', () => {
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ partitions: 0 })))).toBe("'namespaceTopics.partitions' (0) of EventsFanout 'EventsFanout' must be at least 1.");
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ partitions: 1.5 })))).toBe("'namespaceTopics.partitions' (1.5) of EventsFanout 'EventsFanout' must be a whole number.");
  });

  test('fails if replicas exceeds the brokers', () => {
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ replicas: 3 })))).toBe(
      "'namespaceTopics.replicas' (3) of EventsFanout 'EventsFanout' exceeds the brokers of cluster 'klaxon' (1); Kafka would refuse every topic. Lower 'replicas'.",
    );
  });

  test('fails if a config key is not a Kafka topic config', () => {
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ config: { 'log.retention.hours': 2 } })))).toBe(
      "'namespaceTopics.config.log.retention.hours' (2) of EventsFanout 'EventsFanout' is not a Kafka topic config; Kafka would refuse every topic. Use a topic-level key such as 'retention.ms'.",
    );
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ config: ['retention.ms'] as unknown as Record<string, string> })))).toBe(
      "'namespaceTopics.config' ([\"retention.ms\"]) of EventsFanout 'EventsFanout' must be an object of Kafka topic config keys to values.",
    );
  });

  test('fails if min.insync.replicas exceeds the replicas', () => {
    expect(messageOf(() => fanout(NamespaceTopics.createOnFirstSight({ config: { 'min.insync.replicas': 2 } })))).toBe(
      "'namespaceTopics.config.min.insync.replicas' (\"2\") of EventsFanout 'EventsFanout' exceeds 'namespaceTopics.replicas' (1); producers with acks=all could never write. Lower it or raise 'replicas'.",
    );
  });

  test('dist: only kubesphere creates namespace topics; its fanout user may Create on `events.` only, dev and prod nowhere', () => {
    const createRules = (env: string) =>
      distObjects(env)
        .filter((o) => o.kind === 'KafkaUser')
        .flatMap((u) => (u.spec.authorization?.acls ?? []).filter((a: any) => a.operations.includes('Create') || a.operations.includes('All')).map((a: any) => ({ user: u.metadata.name, ...a })));
    const fanoutEnv = (env: string) => envOf(distObjects(env).find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'events-fanout').spec.template.spec.containers[0]);
    expect(createRules('dev')).toEqual([]);
    expect(createRules('prod')).toEqual([]);
    expect(createRules('kubesphere')).toEqual([{ user: 'events-fanout', resource: { type: 'topic', name: 'events.', patternType: 'prefix' }, operations: ['Write', 'Create', 'Describe'] }]);
    for (const env of ['dev', 'prod']) for (const key of CREATION_KEYS) expect(fanoutEnv(env)).not.toHaveProperty(key);
    expect(fanoutEnv('kubesphere')).toMatchObject({ FANOUT_CREATE_NAMESPACE_TOPICS: 'true', FANOUT_CREATED_TOPIC_PARTITIONS: '3' });
  });
});
