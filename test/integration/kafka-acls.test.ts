/**
 * The ACLs a KafkaUser synthesizes from `topic.grantRead(user, group)` / `topic.grantWrite(user)`,
 * applied to a real Kafka 4.1 broker with the StandardAuthorizer exactly as Strimzi's user operator
 * applies them (principal `User:<metadata.name>`, SCRAM-SHA-512), are enough for kafkajs to consume
 * and produce, and nothing more: every other topic and group is refused.
 *
 * The shared harness broker runs without authentication, so this file starts a secured
 * single-node broker (test/harness/secured-broker.ts) with a SCRAM-SHA-512 listener for the users and
 * an unauthenticated super-user listener for setup.
 */
import { Testing } from 'cdk8s';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { ConsumerGroup } from '../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { waitForLeaders } from '../harness';
import { applyKafkaUser, SecuredBroker, startSecuredBroker } from '../harness/secured-broker';

/** 'joined' when a log-alerter consumer joins `groupId` on 'logs', else the name of the error it crashed with. */
async function crashReasonOf(client: Kafka, groupId: string): Promise<string> {
  const consumer = client.consumer({ groupId, allowAutoTopicCreation: false, retry: { retries: 0 } });
  await consumer.connect();
  try {
    const outcome = new Promise<string>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error.name));
      consumer.on(consumer.events.GROUP_JOIN, () => resolve('joined'));
    });
    await consumer.subscribe({ topic: 'logs', fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    return await outcome;
  } finally {
    await consumer.disconnect();
  }
}

describe('synthesized KafkaUser ACLs on a real Kafka 4 broker with an authorizer', () => {
  // The broker is private to this file, so the standard topic names are used as they are.
  const chart = Testing.chart();
  const cluster = new KafkaCluster(chart, 'Kafka', {
    listeners: [{ name: 'scram', port: 9094, tls: false, authentication: 'scram-sha-512' }],
  });
  const topics = new KlaxonTopics(cluster, 'Topics', { logsPartitions: 2 });
  const alerter = new KafkaUser(cluster, 'Alerter', { userName: 'log-alerter' });
  const group = new ConsumerGroup(cluster, 'AlerterGroup', { groupId: 'klaxon.log-alerter' });
  topics.logs.grantRead(alerter, group);
  topics.deadLetter.grantWrite(alerter);
  new KafkaUser(cluster, 'Nobody', { userName: 'nobody' });
  const manifests = Testing.synth(chart);

  let broker: SecuredBroker;
  let admin: Admin;
  const as = (user: string): Kafka => new Kafka({
    clientId: `acl-test-${user}`,
    brokers: [broker.scram],
    sasl: { mechanism: 'scram-sha-512', username: user, password: broker.password },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  });

  const crashReason = (groupId: string): Promise<string> => crashReasonOf(as('log-alerter'), groupId);

  beforeAll(async () => {
    const users = manifests.filter((m: any) => m.kind === 'KafkaUser');
    broker = await startSecuredBroker(users.map((u: any) => u.metadata.name));
    admin = new Kafka({ clientId: 'acl-test-admin', brokers: [broker.superUser], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const topics = manifests.filter((m: any) => m.kind === 'KafkaTopic').map((t: any) => ({
      topic: t.spec.topicName ?? t.metadata.name,
      numPartitions: t.spec.partitions,
      replicationFactor: t.spec.replicas,
      configEntries: Object.entries(t.spec.config).map(([name, value]) => ({ name, value: String(value) })),
    }));
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitForLeaders(admin, topics.map((t: { topic: string; numPartitions: number }) => ({ topic: t.topic, partitions: t.numPartitions })));
    for (const user of users) await applyKafkaUser(admin, user);
    const seed = new Kafka({ clientId: 'acl-test-seed', brokers: [broker.superUser], logLevel: logLevel.NOTHING }).producer();
    await seed.connect();
    await seed.send({ topic: 'logs', messages: [{ key: 'a', value: 'GET /missing 404' }, { key: 'b', value: 'GET / 200' }] });
    await seed.disconnect();
  }, 180_000);

  afterAll(async () => {
    await admin?.disconnect();
    await broker?.stop();
  });

  test('the synthesized user has exactly the read and write grants', () => {
    expect(manifests.find((m: any) => m.metadata.name === 'log-alerter').spec.authorization.acls).toEqual([
      { resource: { type: 'topic', name: 'logs', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'group', name: 'klaxon.log-alerter', patternType: 'literal' }, operations: ['Read', 'Describe'] },
      { resource: { type: 'topic', name: 'klaxon.dead-letter', patternType: 'literal' }, operations: ['Write', 'Describe'] },
    ]);
  });

  test('grantRead lets a kafkajs consumer read the topic in its group and commit offsets', async () => {
    const consumer = as('log-alerter').consumer({ groupId: group.groupId, allowAutoTopicCreation: false });
    const values: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: 'logs', fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`read ${values.length} of 2 records`)), 30_000);
        consumer.run({
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString());
            if (values.length === 2) {
              clearTimeout(timer);
              resolve();
            }
          },
        }).catch(reject);
      });
    } finally {
      await consumer.disconnect();
    }
    expect(values.sort()).toEqual(['GET / 200', 'GET /missing 404']);
    const offsets = await admin.fetchOffsets({ groupId: group.groupId, topics: ['logs'] });
    expect(offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0)).toBe(2);
  });

  test('grantWrite lets a kafkajs producer write the dead-letter topic', async () => {
    const producer = as('log-alerter').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const [result] = await producer.send({ topic: 'klaxon.dead-letter', messages: [{ value: 'unparseable' }] });
      expect(result.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
  });

  test('nothing else: writing the read topic, joining another group, or anything for a user without grants is refused', async () => {
    const producer = as('log-alerter').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await expect(producer.send({ topic: 'logs', messages: [{ value: 'x' }] })).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    } finally {
      await producer.disconnect();
    }
    // kafkajs reports FindCoordinator's GROUP_AUTHORIZATION_FAILED as "group coordinator not found".
    expect(await crashReason('someone-else')).toBe('KafkaJSGroupCoordinatorNotFound');
    // Control: with the group granted as grantRead grants it, the same consumer joins.
    await admin.createAcls({
      acl: [AclOperationTypes.READ, AclOperationTypes.DESCRIBE].map((operation) => ({
        resourceType: AclResourceTypes.GROUP, resourceName: 'someone-else', resourcePatternType: ResourcePatternTypes.LITERAL,
        principal: 'User:log-alerter', host: '*', operation, permissionType: AclPermissionTypes.ALLOW,
      })),
    });
    expect(await crashReason('someone-else')).toBe('joined');
    const nobody = as('nobody').producer({ allowAutoTopicCreation: false });
    await nobody.connect();
    try {
      // Without Describe the metadata request already fails.
      await expect(nobody.send({ topic: 'klaxon.dead-letter', messages: [{ value: 'x' }] })).rejects.toThrow('Not authorized to access topics: [Topic authorization failed]');
    } finally {
      await nobody.disconnect();
    }
  });
});
