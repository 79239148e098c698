/**
 * Namespace topics created on first sight, as dist/kubesphere runs them: the events-fanout Deployment
 * of dist/kubesphere started from its own code ConfigMap and env (the e2e pod runner), logging in over
 * TLS with SCRAM as its KafkaUser on a secured broker (StandardAuthorizer) that holds exactly that
 * KafkaUser's rendered ACLs, with every KafkaTopic of dist/kubesphere created as Strimzi's topic
 * operator would. Only KAFKA_BROKERS (the test broker) and HTTP_PORT (any free port) are changed, and
 * the Secrets the pod mounts are filled as the User and Cluster Operators would (password, CA).
 */
import * as fs from 'fs';
import { Admin, ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { FanoutEnv, WorkloadEnv } from '../../functions/contracts/workload-env';
import { errorTypes } from '../../functions/runtime/retry';
import { waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';
import { eventBytes, node, pod, readSeqs, sumMetric, waitForRecords } from '../functions/support/fanout';
import { EnvVar, KubeObject, PodProcess, PodRunner, eventually, readDist } from './e2e-support';

jest.setTimeout(240_000); // every wait polls: a pass takes as long as the loaded machine needs

const all = [...readDist('kubesphere').values()].flat();
const deployment = all.find((o) => o.kind === 'Deployment' && o.metadata.labels?.['app.kubernetes.io/name'] === 'events-fanout')!;
const podSpec = deployment.spec.template.spec;
const secretOf = (volume: string): string => (podSpec.volumes as any[]).find((v) => v.name === volume).secret.secretName;
const userName = secretOf('kafka-sasl');
const kafkaUser = all.find((o) => o.kind === 'KafkaUser' && o.metadata.name === userName)!;
const kafkaTopics = all.filter((o) => o.kind === 'KafkaTopic');
const topicNameOf = (t: KubeObject): string => t.spec.topicName ?? t.metadata.name;
const declaredTopic = kafkaTopics.find((t) => topicNameOf(t) === 'events.demo-project')!;

describe('dist/kubesphere: the fanout creates the topic of a namespace nobody declared', () => {
  let broker: SecuredBroker;
  let superUser: Kafka;
  let admin: Admin;
  let pods: PodRunner;

  beforeAll(async () => {
    broker = await startSecuredBroker([userName]);
    superUser = new Kafka({ clientId: 'first-sight-test', brokers: [broker.superUser], logLevel: logLevel.NOTHING });
    admin = superUser.admin();
    await admin.connect();
    // The KafkaTopics and the fanout's KafkaUser of dist/kubesphere, as the Topic and User Operators apply them
    const topics = kafkaTopics.map((t) => ({
      topic: topicNameOf(t),
      numPartitions: t.spec.partitions as number,
      replicationFactor: 1,
      configEntries: Object.entries((t.spec.config ?? {}) as Record<string, unknown>).map(([name, value]) => ({ name, value: String(value) })),
    }));
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitForLeaders(admin, topics.map((t) => ({ topic: t.topic, partitions: t.numPartitions })));
    await applyKafkaUser(admin, kafkaUser);
    // The Secrets the pod mounts, as the operators write them
    pods = new PodRunner(all.filter((o) => o.kind === 'ConfigMap'), [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: userName }, stringData: { password: broker.password } } as KubeObject,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: secretOf('kafka-cluster-ca') }, stringData: { 'ca.crt': fs.readFileSync(broker.caFile, 'utf8') } } as KubeObject,
    ]);
  }, 240_000);

  afterAll(async () => {
    await pods?.cleanUp();
    await admin?.disconnect();
    await broker?.stop();
  });

  /** The fanout pod of dist/kubesphere, with its declared env but for the broker, the port and `override`. */
  const startFanout = (override: Record<string, string> = {}): Promise<PodProcess> =>
    pods.startPod(deployment, (declared: readonly EnvVar[]) => ({
      ...Object.fromEntries(declared.map((e) => [e.name, e.value ?? ''])),
      [WorkloadEnv.BROKERS]: broker.scramTls,
      [WorkloadEnv.HTTP_PORT]: '0',
      ...override,
    }));
  const stop = async (p: PodProcess): Promise<void> => {
    p.kill('SIGTERM');
    expect((await p.exit).code).toBe(0);
  };
  const metric = async (p: PodProcess, name: string, labels: Record<string, string> = {}): Promise<number> => sumMetric((await p.get('/metrics')).body, name, labels);
  const produce = async (records: Array<{ key: string; value: Buffer }>): Promise<void> => {
    const producer = superUser.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({ topic: 'cluster-events', acks: -1, messages: records });
    await producer.disconnect();
  };
  const partitionsOf = async (topic: string): Promise<number> => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.length;
  const configOf = async (topic: string): Promise<Record<string, string>> => {
    const { resources } = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
    return Object.fromEntries(resources[0].configEntries.map((c) => [c.configName, c.configValue]));
  };

  test('the pod of dist/kubesphere is told to create namespace topics like the declared ones', () => {
    const env = Object.fromEntries((podSpec.containers[0].env as EnvVar[]).map((e) => [e.name, e.value]));
    expect(env[FanoutEnv.CREATE_NAMESPACE_TOPICS]).toBe('true');
    expect(env[FanoutEnv.CREATED_TOPIC_PARTITIONS]).toBe(String(declaredTopic.spec.partitions));
    expect(JSON.parse(env[FanoutEnv.CREATED_TOPIC_CONFIG]!)).toEqual(Object.fromEntries(Object.entries(declaredTopic.spec.config).map(([k, v]) => [k, String(v)])));
  });

  test('events of a namespace never declared land in a newly created events.<ns> with the declared partitions and config', async () => {
    // GIVEN events of a declared namespace and of 'team-a', which no KafkaTopic declares
    expect(kafkaTopics.map(topicNameOf)).not.toContain('events.team-a');
    await produce([
      { key: 'demo-0', value: eventBytes('core-v1', pod('demo-project', 0), 1) },
      { key: 'team-a-0', value: eventBytes('core-v1', pod('team-a', 0), 2) },
      { key: 'team-a-0', value: eventBytes('core-v1', pod('team-a', 0), 3) },
    ]);
    // WHEN the fanout of dist/kubesphere runs
    const fanout = await startFanout();
    // THEN events.team-a exists, made like the declared events.demo-project (the broker's own default is 1 partition, 7 days)
    expect(await waitForRecords(superUser, ['events.team-a'], 2, 120_000)).toBe(2);
    expect((await readSeqs(superUser, ['events.team-a'])).map((r) => r.seq)).toEqual([2, 3]);
    expect((await readSeqs(superUser, ['events.demo-project'])).map((r) => r.seq)).toEqual([1]);
    expect(await partitionsOf('events.team-a')).toBe(declaredTopic.spec.partitions);
    const config = await configOf('events.team-a');
    for (const [key, value] of Object.entries(declaredTopic.spec.config)) expect({ key, value: config[key] }).toEqual({ key, value: String(value) });
    expect(await metric(fanout, 'klaxon_fanout_topics_created_total')).toBe(1);
    expect(fanout.lines.find((l) => l.msg === 'namespace topic created')).toMatchObject({ topic: 'events.team-a', namespace: 'team-a' });
    await stop(fanout);
  });

  test('the rendered ACLs let the fanout create events.x but no topic outside the prefix: that record goes to unrouted, and the consumer goes on', async () => {
    // GIVEN the fanout's own credentials: Create is granted on `events.` and nowhere else
    const asFanout = new Kafka({
      clientId: 'as-fanout',
      brokers: [broker.scramTls],
      ssl: { ca: [fs.readFileSync(broker.caFile, 'utf8')] },
      sasl: { mechanism: 'scram-sha-512', username: userName, password: broker.password },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    }).admin();
    await asFanout.connect();
    try {
      await expect(asFanout.createTopics({ topics: [{ topic: 'events.x', numPartitions: 1 }], waitForLeaders: false })).resolves.toBe(true);
      const refused = await asFanout.createTopics({ topics: [{ topic: 'other.x', numPartitions: 1 }], waitForLeaders: false }).catch((e: unknown) => e);
      expect(errorTypes(refused)).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await asFanout.disconnect();
    }
    // WHEN the fanout is pointed at a prefix its ACLs do not cover, and sees a new namespace, then a Node event
    await produce([
      { key: 'outside-0', value: eventBytes('core-v1', pod('outside', 0), 10) },
      { key: 'node-0', value: eventBytes('eventrouter', node(0), 11) },
    ]);
    const fanout = await startFanout({ [FanoutEnv.NAMESPACE_TOPIC_PREFIX]: 'team.' });
    // THEN the refused namespace's event goes to unrouted, with a warning and a metric, and nothing was created
    await eventually(async () => (await readSeqs(superUser, ['cluster-events.unrouted'])).some((r) => r.seq === 10), 'the refused event in cluster-events.unrouted', 120_000);
    expect(fanout.lines.find((l) => l.msg === 'namespace topic creation refused; its events go to the unrouted topic')).toMatchObject({ topic: 'team.outside', reason: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(await metric(fanout, 'klaxon_fanout_topic_creations_refused_total', { reason: 'TOPIC_AUTHORIZATION_FAILED' })).toBe(1);
    // AND the consumer went on: the Node event reached the cluster-scoped topic
    await eventually(async () => (await readSeqs(superUser, ['cluster-events.cluster-scoped'])).some((r) => r.seq === 11), 'the Node event in cluster-events.cluster-scoped', 120_000);
    const topics = await admin.listTopics();
    expect(topics.filter((t) => t.startsWith('team.') || t.startsWith('other.'))).toEqual([]);
    await stop(fanout);
  });

  test('a restart does not create a topic again: it finds events.team-a and creates only the next new one', async () => {
    // GIVEN events.team-a made by the run before, and one more event for it and one for a new namespace
    await produce([
      { key: 'team-a-0', value: eventBytes('core-v1', pod('team-a', 0), 20) },
      { key: 'team-b-0', value: eventBytes('core-v1', pod('team-b', 0), 21) },
    ]);
    // WHEN the fanout starts again
    const fanout = await startFanout();
    // THEN
    expect(await waitForRecords(superUser, ['events.team-b'], 1, 120_000)).toBe(1);
    await eventually(async () => (await readSeqs(superUser, ['events.team-a'])).some((r) => r.seq === 20), 'the new team-a event in events.team-a', 120_000);
    expect((await readSeqs(superUser, ['events.team-a'])).map((r) => r.seq)).toEqual([2, 3, 20]);
    expect(await metric(fanout, 'klaxon_fanout_topics_created_total')).toBe(1);
    expect(fanout.lines.find((l) => l.msg === 'namespace topic found')).toMatchObject({ topic: 'events.team-a' });
    expect(fanout.lines.filter((l) => l.msg === 'namespace topic created').map((l) => l.topic)).toEqual(['events.team-b']);
    expect(await partitionsOf('events.team-a')).toBe(declaredTopic.spec.partitions);
    await stop(fanout);
  });

  test('two replicas seeing a new namespace at once create its topic once, and deliver every event', async () => {
    // GIVEN two fanout pods in one group
    const replicas = [await startFanout(), await startFanout()];
    for (const r of replicas) await r.waitForLine((l) => l.msg === 'joined group', 120_000);
    // WHEN events of the new namespace 'team-c', for six Pods (spread over the partitions), arrive together
    await produce(Array.from({ length: 6 }, (_, i) => ({ key: `team-c-${i}`, value: eventBytes('core-v1', pod('team-c', i), 30 + i) })));
    // THEN every event is in events.team-c, and the topic was created once between them
    expect(await waitForRecords(superUser, ['events.team-c'], 6, 120_000)).toBe(6);
    expect((await readSeqs(superUser, ['events.team-c'])).map((r) => r.seq).sort((x, y) => x - y)).toEqual([30, 31, 32, 33, 34, 35]);
    const created = await Promise.all(replicas.map((r) => metric(r, 'klaxon_fanout_topics_created_total')));
    expect(created.reduce((x, y) => x + y, 0)).toBe(1);
    await Promise.all(replicas.map(stop));
  });
});
