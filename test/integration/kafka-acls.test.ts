/**
 * The ACLs a KafkaUser synthesizes from `topic.grantRead(user, group)` / `topic.grantWrite(user)`,
 * applied to a real Kafka 4.1 broker with the StandardAuthorizer exactly as Strimzi's user operator
 * applies them (principal `User:<metadata.name>`, SCRAM-SHA-512), are enough for kafkajs to consume
 * and produce, and nothing more: every other topic and group is refused.
 *
 * The shared harness broker runs without authentication, so this file starts its own secured
 * single-node broker (same jars, same process rules) with a SCRAM-SHA-512 listener for the users and
 * an unauthenticated super-user listener for setup.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { ChildProcess } from 'child_process';
import { Testing } from 'cdk8s';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Admin, Kafka, logLevel, ResourcePatternTypes } from 'kafkajs';
import { ConsumerGroup } from '../../constructs/kafka/consumer-group';
import { KafkaCluster } from '../../constructs/kafka/kafka-cluster';
import { KafkaUser } from '../../constructs/kafka/kafka-user';
import { KlaxonTopics } from '../../constructs/kafka/klaxon-topics';
import { waitForLeaders } from '../harness';
import { DEFAULT_KAFKA_LIBS, ensureKafkaLibs } from '../harness/kafka-broker';
import { canConnect, exited, freePort, ownedTempDir, removeDir, sleep, spawnOwned, stopChild, tail } from '../harness/processes';

const PASSWORD = randomBytes(12).toString('hex');

interface SecuredBroker {
  readonly superUser: string; // PLAINTEXT, principal ANONYMOUS = super user
  readonly scram: string; // SASL_PLAINTEXT SCRAM-SHA-512
  stop(): Promise<void>;
}

/** A single-node KRaft broker with the StandardAuthorizer and SCRAM credentials for `users`. */
async function startSecuredBroker(users: string[]): Promise<SecuredBroker> {
  ensureKafkaLibs();
  const dir = ownedTempDir('kafka-acl');
  const logFile = path.join(dir, 'broker.log');
  const [plain, scram, controller] = [await freePort(), await freePort(), await freePort()];
  const config: Record<string, string | number> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controller}`,
    'listeners': `PLAINTEXT://127.0.0.1:${plain},SCRAM://127.0.0.1:${scram},CONTROLLER://127.0.0.1:${controller}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${plain},SCRAM://127.0.0.1:${scram}`,
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,SCRAM:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'listener.name.scram.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:ANONYMOUS',
    'log.dirs': path.join(dir, 'data'),
    'auto.create.topics.enable': 'false',
    'group.initial.rebalance.delay.ms': 0,
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 3,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
  };
  const configFile = path.join(dir, 'server.properties');
  fs.writeFileSync(configFile, Object.entries(config).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const common = ['-Djava.awt.headless=true', '-cp', path.join(DEFAULT_KAFKA_LIBS, '*')];
  let child: ChildProcess | undefined;
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child, 15_000);
    removeDir(dir);
  };
  try {
    const scramArgs = users.flatMap((u) => ['--add-scram', `SCRAM-SHA-512=[name=${u},password=${PASSWORD}]`]);
    const format = spawnOwned('java', ['-Xmx256m', ...common, 'kafka.tools.StorageTool', 'format', '-t', randomBytes(16).toString('base64url').replace(/^-/, 'A'), '-c', configFile, ...scramArgs], { dir, kind: 'kafka-acl-format', logFile });
    await exited(format);
    if (format.exitCode !== 0) throw new Error(`storage format failed:\n${tail(logFile)}`);
    child = spawnOwned('java', ['-Xms384m', '-Xmx384m', '-XX:+UseG1GC', ...common, 'kafka.Kafka', configFile], { dir, kind: 'kafka-acl', logFile });
    const deadline = Date.now() + 90_000;
    while (!(await canConnect(scram)) || !(await canConnect(plain))) {
      if (child.exitCode !== null) throw new Error(`broker exited:\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`broker did not open its ports:\n${tail(logFile)}`);
      await sleep(100);
    }
    return { superUser: `127.0.0.1:${plain}`, scram: `127.0.0.1:${scram}`, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The KafkaUser ACL `operations` of Strimzi's v1 API, as kafkajs operation codes. */
const OPERATION: Record<string, AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  Create: AclOperationTypes.CREATE,
  Delete: AclOperationTypes.DELETE,
  Alter: AclOperationTypes.ALTER,
  ClusterAction: AclOperationTypes.CLUSTER_ACTION,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  IdempotentWrite: AclOperationTypes.IDEMPOTENT_WRITE,
  All: AclOperationTypes.ALL,
};
const RESOURCE: Record<string, AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
  cluster: AclResourceTypes.CLUSTER,
  transactionalId: AclResourceTypes.TRANSACTIONAL_ID,
};

/** What Strimzi's user operator does with a synthesized KafkaUser: one allow ACL per operation for `User:<name>`. */
async function applyKafkaUser(admin: Admin, user: any): Promise<void> {
  const acl = (user.spec.authorization?.acls ?? []).flatMap((rule: any) =>
    rule.operations.map((op: string) => ({
      resourceType: RESOURCE[rule.resource.type],
      resourceName: rule.resource.type === 'cluster' ? 'kafka-cluster' : rule.resource.name,
      resourcePatternType: rule.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${user.metadata.name}`,
      host: '*',
      operation: OPERATION[op],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );
  if (acl.length > 0) await admin.createAcls({ acl });
}

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
    sasl: { mechanism: 'scram-sha-512', username: user, password: PASSWORD },
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
